#include "kernels/recurrent.hpp"

#include <cmath>

namespace gradstep {

namespace {

inline float sigmoid(float z) {
  // Two branches so that exp never overflows.
  if (z >= 0.0f) return 1.0f / (1.0f + std::exp(-z));
  const float e = std::exp(z);
  return e / (1.0f + e);
}

inline float apply(Activation f, float z) {
  switch (f) {
    case Activation::relu: return z > 0.0f ? z : 0.0f;
    case Activation::sigmoid: return sigmoid(z);
    case Activation::tanh: return std::tanh(z);
    default: return z;  // linear
  }
}

// f'(z) written with y = f(z).
inline float derivative_from_output(Activation f, float y) {
  switch (f) {
    case Activation::relu: return y > 0.0f ? 1.0f : 0.0f;
    case Activation::sigmoid: return y * (1.0f - y);
    case Activation::tanh: return 1.0f - y * y;
    default: return 1.0f;  // linear
  }
}

}  // namespace

bool recurrent_activation_supported(Activation a) {
  return a == Activation::linear || a == Activation::relu || a == Activation::sigmoid || a == Activation::tanh;
}

void activation_row(Activation f, std::int64_t n, const float* z, float* y) {
  for (std::int64_t j = 0; j < n; ++j) y[j] = apply(f, z[j]);
}

void lstm_step_forward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev, float* c,
                       float* h) {
  float* i = z;
  float* f = z + units;
  float* g = z + 2 * units;
  float* o = z + 3 * units;
  activation_row(ract, units, i, i);
  activation_row(ract, units, f, f);
  activation_row(act, units, g, g);
  activation_row(ract, units, o, o);
  for (std::int64_t j = 0; j < units; ++j) c[j] = (c_prev ? f[j] * c_prev[j] : 0.0f) + i[j] * g[j];
  activation_row(act, units, c, h);
  for (std::int64_t j = 0; j < units; ++j) h[j] *= o[j];
}

void lstm_step_backward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev,
                        const float* c, const float* dh, float* dc) {
  float* i = z;
  float* f = z + units;
  float* g = z + 2 * units;
  float* o = z + 3 * units;
  for (std::int64_t j = 0; j < units; ++j) {
    const float tc = apply(act, c[j]);
    const float dc_total = dc[j] + dh[j] * o[j] * derivative_from_output(act, tc);
    const float cp = c_prev ? c_prev[j] : 0.0f;
    const float di = dc_total * g[j], df = dc_total * cp, dg = dc_total * i[j], d_o = dh[j] * tc;
    dc[j] = dc_total * f[j];
    i[j] = di * derivative_from_output(ract, i[j]);
    f[j] = df * derivative_from_output(ract, f[j]);
    g[j] = dg * derivative_from_output(act, g[j]);
    o[j] = d_o * derivative_from_output(ract, o[j]);
  }
}

void gru_step_forward(std::int64_t units, Activation act, Activation ract, float* x, const float* q,
                      const float* h_prev, float* qh, float* h) {
  float* z = x;
  float* r = x + units;
  float* hh = x + 2 * units;
  for (std::int64_t j = 0; j < units; ++j) {
    z[j] += q[j];
    r[j] += q[units + j];
  }
  activation_row(ract, units, z, z);
  activation_row(ract, units, r, r);
  for (std::int64_t j = 0; j < units; ++j) {
    qh[j] = q[2 * units + j];
    hh[j] += r[j] * qh[j];
  }
  activation_row(act, units, hh, hh);
  for (std::int64_t j = 0; j < units; ++j) h[j] = (h_prev ? z[j] * h_prev[j] : 0.0f) + (1.0f - z[j]) * hh[j];
}

void gru_step_backward(std::int64_t units, Activation act, Activation ract, float* x, float* dq, const float* qh,
                       const float* h_prev, const float* dh, float* dh_prev) {
  float* z = x;
  float* r = x + units;
  float* hh = x + 2 * units;
  for (std::int64_t j = 0; j < units; ++j) {
    const float hp = h_prev ? h_prev[j] : 0.0f;
    const float dz = dh[j] * (hp - hh[j]) * derivative_from_output(ract, z[j]);
    const float dhh = dh[j] * (1.0f - z[j]) * derivative_from_output(act, hh[j]);
    const float dr = dhh * qh[j] * derivative_from_output(ract, r[j]);
    dh_prev[j] = dh[j] * z[j];
    dq[j] = dz;
    dq[units + j] = dr;
    dq[2 * units + j] = dhh * r[j];
    z[j] = dz;
    r[j] = dr;
    hh[j] = dhh;
  }
}

void simple_rnn_step_backward(std::int64_t units, Activation act, const float* h, const float* dh, float* dz) {
  for (std::int64_t j = 0; j < units; ++j) dz[j] = dh[j] * derivative_from_output(act, h[j]);
}

}  // namespace gradstep
