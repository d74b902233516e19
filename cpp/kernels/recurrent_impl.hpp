// The bodies of the recurrent step kernels (kernels/recurrent.hpp), compiled once per
// instruction set: recurrent.cpp includes it in namespace `generic`, recurrent_avx2.cpp in
// `avx2` (built with AVX2 + FMA, where the loops vectorise 8 wide). The code is plain C++ written
// so that GCC and Clang vectorise it (no branches in the element loops); results of the two
// builds may differ in the last bits (FMA contraction), never between thread counts.
// Include only from those two files, inside their namespace, after defining
//   std::int64_t sigmoid_rows(std::int64_t n, const float* z, float* y)   and   tanh_rows(...)
// which handle a leading part of the row with vector code and return its length.

namespace {

// exp(x) for x clamped to [-87, 88] (so 2^n stays a normal float): Cody-Waite reduction
// x = n ln2 + r, |r| <= ln2/2, and Cephes' expf polynomial for e^r (relative error ~1e-7).
// Branch-free, so a loop of it vectorises; the libm call it replaces dominated an LSTM step.
inline float exp_poly(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float fx = x * 1.44269504088896341f + 0.5f;
  std::int32_t n = static_cast<std::int32_t>(fx);
  n -= static_cast<float>(n) > fx ? 1 : 0;  // floor
  const float nf = static_cast<float>(n);
  float r = x - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const std::int32_t bits = (n + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float sigmoid(float z) { return 1.0f / (1.0f + exp_poly(-z)); }

// tanh: an odd polynomial near 0 (Cephes' tanhf, |z| < 0.625), where 1 - 2/(e^{2|z|} + 1) would
// lose relative precision, and that formula elsewhere; both computed, one selected (branch-free).
inline float tanh_poly(float z) {
  const float a = std::fabs(z);
  const float zz = z * z;
  float p = -5.70498872745e-3f;
  p = p * zz + 2.06390887954e-2f;
  p = p * zz - 5.37397155531e-2f;
  p = p * zz + 1.33314422036e-1f;
  p = p * zz - 3.33332819422e-1f;
  const float small = p * zz * z + z;
  const float t = 1.0f - 2.0f / (exp_poly(2.0f * a) + 1.0f);
  const float large = z < 0.0f ? -t : t;
  return a < 0.625f ? small : large;
}

inline float apply(Activation f, float z) {
  switch (f) {
    case Activation::relu:
      return z > 0.0f ? z : 0.0f;
    case Activation::sigmoid:
      return sigmoid(z);
    case Activation::tanh:
      return tanh_poly(z);
    default:
      return z;  // linear
  }
}

// f'(z) written with y = f(z), as c0 + c1*y + c2*y^2 (linear: 1, sigmoid: y - y^2, tanh: 1 - y^2)
// plus, for relu, [y > 0]: one branch-free expression for every activation, so that the backward
// loops vectorise.
struct Slope {
  float c0 = 1.0f, c1 = 0.0f, c2 = 0.0f, c_step = 0.0f;  // f'(y) = c0 + c1*y + c2*y^2 + c_step*[y > 0]
  explicit Slope(Activation f) {
    if (f == Activation::sigmoid) {
      c0 = 0.0f;
      c1 = 1.0f;
      c2 = -1.0f;
    } else if (f == Activation::tanh) {
      c2 = -1.0f;
    } else if (f == Activation::relu) {
      c0 = 0.0f;
      c_step = 1.0f;
    }
  }
  float operator()(float y) const {
    const float step = y > 0.0f ? c_step : 0.0f;
    return c0 + (c1 + c2 * y) * y + step;
  }
};

// Rows are processed in chunks of kChunk (act(c) into a stack buffer; a zero chunk stands in for
// an absent previous state).
constexpr std::int64_t kChunk = 64;
// The zero chunk, once for the program: as a local array it was zeroed on every call, which
// these kernels get once per sample and step (4-5% of a GRU step's backward).
alignas(64) constexpr float kZeroChunk[kChunk] = {};

}  // namespace

inline void apply_row(Activation f, std::int64_t n, const float* z, float* y) {
  switch (f) {
    case Activation::relu:
      for (std::int64_t j = 0; j < n; ++j) y[j] = z[j] > 0.0f ? z[j] : 0.0f;
      return;
    case Activation::sigmoid: {
      // The including file's vector loop (sigmoid_rows: intrinsics where it has them), then
      // the scalar formula for the tail.
      const std::int64_t done = sigmoid_rows(n, z, y);
      for (std::int64_t j = done; j < n; ++j) y[j] = sigmoid(z[j]);
      return;
    }
    case Activation::tanh: {
      const std::int64_t done = tanh_rows(n, z, y);
      for (std::int64_t j = done; j < n; ++j) y[j] = tanh_poly(z[j]);
      return;
    }
    default:
      if (y != z)
        for (std::int64_t j = 0; j < n; ++j) y[j] = z[j];
      return;
  }
}

void lstm_step_forward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev, float* c,
                       float* h) {
  float* i = z;
  float* f = z + units;
  float* g = z + 2 * units;
  float* o = z + 3 * units;
  apply_row(ract, units, i, i);
  apply_row(ract, units, f, f);
  apply_row(act, units, g, g);
  apply_row(ract, units, o, o);
  if (c_prev != nullptr)
    for (std::int64_t j = 0; j < units; ++j) c[j] = f[j] * c_prev[j] + i[j] * g[j];
  else
    for (std::int64_t j = 0; j < units; ++j) c[j] = i[j] * g[j];
  apply_row(act, units, c, h);
  for (std::int64_t j = 0; j < units; ++j) h[j] *= o[j];
}

void lstm_step_backward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev,
                        const float* c, const float* dh, float* dc) {
  const Slope act_slope(act), gate_slope(ract);
  float tc[kChunk];  // act(c) of the chunk, computed by the vector loop
  for (std::int64_t j0 = 0; j0 < units; j0 += kChunk) {
    const std::int64_t len = std::min(kChunk, units - j0);
    apply_row(act, len, c + j0, tc);
    float* i = z + j0;
    float* f = z + units + j0;
    float* g = z + 2 * units + j0;
    float* o = z + 3 * units + j0;
    const float* cp = c_prev ? c_prev + j0 : kZeroChunk;
    const float* dhj = dh + j0;
    float* dcj = dc + j0;
    // Iteration k touches only element k of each row: no loop-carried dependence.
#pragma GCC ivdep
    for (std::int64_t k = 0; k < len; ++k) {
      const float dc_total = dcj[k] + dhj[k] * o[k] * act_slope(tc[k]);
      const float di = dc_total * g[k], df = dc_total * cp[k], dg = dc_total * i[k], d_o = dhj[k] * tc[k];
      dcj[k] = dc_total * f[k];
      i[k] = di * gate_slope(i[k]);
      f[k] = df * gate_slope(f[k]);
      g[k] = dg * act_slope(g[k]);
      o[k] = d_o * gate_slope(o[k]);
    }
  }
}

void gru_step_forward(std::int64_t units, Activation act, Activation ract, float* x, const float* q, const float* b,
                      const float* h_prev, float* qh, float* h) {
  float* z = x;
  float* r = x + units;
  float* hh = x + 2 * units;
  // q + b as a value, never stored back: the same bits as adding b to q first (one rounding).
  if (b != nullptr) {
    for (std::int64_t j = 0; j < units; ++j) {
      z[j] += q[j] + b[j];
      r[j] += q[units + j] + b[units + j];
    }
  } else {
    for (std::int64_t j = 0; j < units; ++j) {
      z[j] += q[j];
      r[j] += q[units + j];
    }
  }
  apply_row(ract, units, z, z);
  apply_row(ract, units, r, r);
  for (std::int64_t j = 0; j < units; ++j) {
    qh[j] = b != nullptr ? q[2 * units + j] + b[2 * units + j] : q[2 * units + j];
    hh[j] += r[j] * qh[j];
  }
  apply_row(act, units, hh, hh);
  if (h_prev != nullptr)
    for (std::int64_t j = 0; j < units; ++j) h[j] = z[j] * h_prev[j] + (1.0f - z[j]) * hh[j];
  else
    for (std::int64_t j = 0; j < units; ++j) h[j] = (1.0f - z[j]) * hh[j];
}

void gru_step_backward(std::int64_t units, Activation act, Activation ract, float* x, float* dq, const float* qh,
                       const float* h_prev, const float* dh, float* dh_prev) {
  const Slope act_slope(act), gate_slope(ract);
  for (std::int64_t j0 = 0; j0 < units; j0 += kChunk) {
    const std::int64_t len = std::min(kChunk, units - j0);
    float* z = x + j0;
    float* r = x + units + j0;
    float* hh = x + 2 * units + j0;
    float* dqz = dq + j0;
    float* dqr = dq + units + j0;
    float* dqh = dq + 2 * units + j0;
    const float* hp = h_prev ? h_prev + j0 : kZeroChunk;
    const float* qhj = qh + j0;
    const float* dhj = dh + j0;
    float* dhp = dh_prev + j0;
    // Iteration k touches only element k of each row: no loop-carried dependence.
#pragma GCC ivdep
    for (std::int64_t k = 0; k < len; ++k) {
      const float dz = dhj[k] * (hp[k] - hh[k]) * gate_slope(z[k]);
      const float dhh = dhj[k] * (1.0f - z[k]) * act_slope(hh[k]);
      const float dr = dhh * qhj[k] * gate_slope(r[k]);
      dhp[k] = dhj[k] * z[k];
      dqz[k] = dz;
      dqr[k] = dr;
      dqh[k] = dhh * r[k];
      z[k] = dz;
      r[k] = dr;
      hh[k] = dhh;
    }
  }
}

void simple_rnn_step_backward(std::int64_t units, Activation act, const float* h, const float* dh, float* dz) {
  const Slope slope(act);
  for (std::int64_t j = 0; j < units; ++j) dz[j] = dh[j] * slope(h[j]);
}

void activation_row(Activation f, std::int64_t n, const float* z, float* y) { apply_row(f, n, z, y); }
