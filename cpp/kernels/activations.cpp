#include "kernels/activations.hpp"

#include "core/profile.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/parallel.hpp"
#include "kernels/reduce.hpp"
#include "kernels/softmax.hpp"

namespace gradstep {

namespace {

// Below this many elements per thread a parallel region costs more than it saves (a relu over
// 32k floats takes ~5 us; a fork/join on a busy machine can cost far more, see gemm_blocked.hpp).
constexpr std::int64_t kElementwiseGrain = 1 << 15;

inline float sigmoid(float z) {
  // Two branches so that exp never overflows: for z < 0 use e^z / (1 + e^z).
  if (z >= 0.0f) return 1.0f / (1.0f + std::exp(-z));
  const float e = std::exp(z);
  return e / (1.0f + e);
}

inline float softplus(float z) { return std::max(z, 0.0f) + std::log1p(std::exp(-std::fabs(z))); }

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

template <typename Fn>
void map_elements(std::int64_t n, Fn fn) {
  parallel_for(0, n, kElementwiseGrain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) fn(i);
  });
}

}  // namespace

Activation parse_activation(const std::string& name) {
  if (name == "linear" || name.empty() || name == "None") return Activation::linear;
  if (name == "relu") return Activation::relu;
  if (name == "leaky_relu") return Activation::leaky_relu;
  if (name == "elu") return Activation::elu;
  if (name == "sigmoid") return Activation::sigmoid;
  if (name == "tanh") return Activation::tanh;
  if (name == "softmax") return Activation::softmax;
  if (name == "softplus") return Activation::softplus;
  if (name == "gelu") return Activation::gelu;
  if (name == "swish" || name == "silu") return Activation::swish;
  throw std::invalid_argument("activation: unknown name '" + name +
                              "'; expected one of linear, relu, leaky_relu, elu, sigmoid, tanh, softmax, "
                              "softplus, gelu, swish");
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::linear:
      return "linear";
    case Activation::relu:
      return "relu";
    case Activation::leaky_relu:
      return "leaky_relu";
    case Activation::elu:
      return "elu";
    case Activation::sigmoid:
      return "sigmoid";
    case Activation::tanh:
      return "tanh";
    case Activation::softmax:
      return "softmax";
    case Activation::softplus:
      return "softplus";
    case Activation::gelu:
      return "gelu";
    case Activation::swish:
      return "swish";
  }
  return "linear";
}

bool activation_backward_needs_input(Activation a) { return a == Activation::gelu || a == Activation::swish; }

namespace {

// Scalar forms of the element-wise activations, shared by the plain and the bias-fused passes.
template <Activation A>
inline float activate(float z) {
  if constexpr (A == Activation::relu) return z > 0.0f ? z : 0.0f;
  if constexpr (A == Activation::leaky_relu) return z > 0.0f ? z : kLeakyReluSlope * z;
  if constexpr (A == Activation::elu) return z > 0.0f ? z : kEluAlpha * std::expm1(z);
  if constexpr (A == Activation::sigmoid) return sigmoid(z);
  if constexpr (A == Activation::tanh) return std::tanh(z);
  if constexpr (A == Activation::softplus) return softplus(z);
  if constexpr (A == Activation::gelu) return 0.5f * z * (1.0f + std::erf(z * kInvSqrt2));  // exact: z * Phi(z)
  if constexpr (A == Activation::swish) return z * sigmoid(z);
  return z;  // linear
}

// Row-parallel: v = z + bias; (store v in z); y = f(v). Softmax works on whole rows.
template <Activation A>
void bias_activation_rows(std::int64_t rows, std::int64_t cols, const float* bias, const float* z_in, float* z_out,
                          float* y) {
  const std::int64_t grain = std::max<std::int64_t>(1, kElementwiseGrain / std::max<std::int64_t>(cols, 1));
  parallel_for(0, rows, grain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r) {
      const float* zr = z_in + r * cols;
      float* zo = z_out ? z_out + r * cols : nullptr;
      float* yr = y + r * cols;
      if constexpr (A == Activation::softmax) {
        float* target = zo ? zo : yr;
        for (std::int64_t j = 0; j < cols; ++j) target[j] = zr[j] + (bias ? bias[j] : 0.0f);
        softmax_row(cols, target, yr);
      } else {
        for (std::int64_t j = 0; j < cols; ++j) {
          const float v = zr[j] + (bias ? bias[j] : 0.0f);
          if (zo) zo[j] = v;
          yr[j] = activate<A>(v);
        }
      }
    }
  });
}

void forward_any(Activation a, std::int64_t rows, std::int64_t cols, const float* bias, const float* z_in, float* z_out,
                 float* y) {
  switch (a) {
    case Activation::linear:
      return bias_activation_rows<Activation::linear>(rows, cols, bias, z_in, z_out, y);
    case Activation::relu:
      return bias_activation_rows<Activation::relu>(rows, cols, bias, z_in, z_out, y);
    case Activation::leaky_relu:
      return bias_activation_rows<Activation::leaky_relu>(rows, cols, bias, z_in, z_out, y);
    case Activation::elu:
      return bias_activation_rows<Activation::elu>(rows, cols, bias, z_in, z_out, y);
    case Activation::sigmoid:
      return bias_activation_rows<Activation::sigmoid>(rows, cols, bias, z_in, z_out, y);
    case Activation::tanh:
      return bias_activation_rows<Activation::tanh>(rows, cols, bias, z_in, z_out, y);
    case Activation::softmax:
      return bias_activation_rows<Activation::softmax>(rows, cols, bias, z_in, z_out, y);
    case Activation::softplus:
      return bias_activation_rows<Activation::softplus>(rows, cols, bias, z_in, z_out, y);
    case Activation::gelu:
      return bias_activation_rows<Activation::gelu>(rows, cols, bias, z_in, z_out, y);
    case Activation::swish:
      return bias_activation_rows<Activation::swish>(rows, cols, bias, z_in, z_out, y);
  }
}

}  // namespace

void activation_forward(Activation a, std::int64_t rows, std::int64_t cols, const float* z, float* y) {
  ProfileScope profile(ProfiledKernel::bias_activation, static_cast<double>(rows * cols),
                       8.0 * static_cast<double>(rows * cols));
  if (a == Activation::linear && y == z) return;
  forward_any(a, rows, cols, nullptr, z, nullptr, y);
}

void bias_activation_forward(Activation a, std::int64_t rows, std::int64_t cols, const float* bias, float* z,
                             float* y) {
  ProfileScope profile(ProfiledKernel::bias_activation, 2.0 * static_cast<double>(rows * cols),
                       8.0 * static_cast<double>(rows * cols));
  if (a == Activation::linear && bias == nullptr && y == z) return;
  forward_any(a, rows, cols, bias, z, (z != y && bias != nullptr) ? z : nullptr, y);
}

namespace {

// Element-wise derivative: dz = dy * f'(z) given z (only gelu/swish read it), y = f(z) and dy.
// The expressions are the reference ones, branch-free where the activation allows it, so the
// loops below vectorise (relu: compare + and) instead of paying a mispredicted branch per
// element on random signs.
template <Activation A>
inline float derivative(float z, float y, float dy) {
  if constexpr (A == Activation::relu) return y > 0.0f ? dy : 0.0f;  // y > 0 exactly where z > 0
  if constexpr (A == Activation::leaky_relu)                         // the slope is positive, so sign(y) == sign(z)
    return y > 0.0f ? dy : kLeakyReluSlope * dy;
  if constexpr (A == Activation::elu)  // for z <= 0: d/dz alpha*(e^z - 1) = alpha*e^z = y + alpha
    return y > 0.0f ? dy : dy * (y + kEluAlpha);
  if constexpr (A == Activation::sigmoid) return dy * y * (1.0f - y);
  if constexpr (A == Activation::tanh) return dy * (1.0f - y * y);
  if constexpr (A == Activation::softplus)  // f'(z) = sigmoid(z) = 1 - e^{-y}; -expm1 keeps precision for tiny y
    return -dy * std::expm1(-y);
  if constexpr (A == Activation::gelu) {  // d/dz z*Phi(z) = Phi(z) + z*phi(z)
    const float cdf = 0.5f * (1.0f + std::erf(z * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * std::exp(-0.5f * z * z);
    return dy * (cdf + z * pdf);
  }
  if constexpr (A == Activation::swish) {  // d/dz z*s(z) = s + z*s*(1-s)
    const float s = sigmoid(z);
    return dy * (s + z * s * (1.0f - s));
  }
  return dy;  // linear
}

// One contiguous span. Separate in-place and out-of-place forms with __restrict pointers: with
// dz == dy behind two pointers the compiler's run-time overlap check fails and it falls back to
// scalar code. `sum` (may be null) accumulates dz column-wise: sum[j] += dz[j].
template <Activation A, bool Sum>
inline void derivative_span(std::int64_t n, const float* __restrict z, const float* __restrict y,
                            const float* __restrict dy, float* __restrict dz, float* __restrict sum) {
  if (z != nullptr) {
    for (std::int64_t j = 0; j < n; ++j) {
      const float d = derivative<A>(z[j], y[j], dy[j]);
      dz[j] = d;
      if constexpr (Sum) sum[j] += d;
    }
  } else {
    for (std::int64_t j = 0; j < n; ++j) {
      const float d = derivative<A>(0.0f, y[j], dy[j]);
      dz[j] = d;
      if constexpr (Sum) sum[j] += d;
    }
  }
}

template <Activation A, bool Sum>
inline void derivative_span_inplace(std::int64_t n, const float* __restrict z, const float* __restrict y,
                                    float* __restrict d, float* __restrict sum) {
  if (z != nullptr) {
    for (std::int64_t j = 0; j < n; ++j) {
      const float v = derivative<A>(z[j], y[j], d[j]);
      d[j] = v;
      if constexpr (Sum) sum[j] += v;
    }
  } else {
    for (std::int64_t j = 0; j < n; ++j) {
      const float v = derivative<A>(0.0f, y[j], d[j]);
      d[j] = v;
      if constexpr (Sum) sum[j] += v;
    }
  }
}

template <Activation A, bool Sum>
inline void derivative_any(std::int64_t n, const float* z, const float* y, const float* dy, float* dz, float* sum) {
  if (dz == dy)
    derivative_span_inplace<A, Sum>(n, z, y, dz, sum);
  else
    derivative_span<A, Sum>(n, z, y, dy, dz, sum);
}

// dz = dy * f'(z) over rows x cols; with `sums`, also sums[j] = sum over rows of dz[:, j]
// (rows added in increasing order, as column_sums does). Element-wise work is split by rows
// (no sums) or by column chunks (sums: each thread owns its columns and walks every row, so
// the summation order does not depend on the thread count).
template <Activation A>
void backward_rows(std::int64_t rows, std::int64_t cols, const float* z, const float* y, const float* dy, float* dz,
                   float* sums) {
  const bool need_z = activation_backward_needs_input(A);
  if (sums == nullptr) {
    const std::int64_t n = rows * cols;
    parallel_for(0, n, kElementwiseGrain, [&](std::int64_t b, std::int64_t e) {
      derivative_any<A, false>(e - b, need_z ? z + b : nullptr, y + b, dy + b, dz + b, nullptr);
    });
    return;
  }
  // Same grain as column_sums: a thread gets enough columns times rows to be worth waking.
  const std::int64_t grain = std::max<std::int64_t>(16, (1 << 15) / std::max<std::int64_t>(rows, 1));
  parallel_for(0, cols, grain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t j = b; j < e; ++j) sums[j] = 0.0f;
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t o = r * cols + b;
      derivative_any<A, true>(e - b, need_z ? z + o : nullptr, y + o, dy + o, dz + o, sums + b);
    }
  });
}

void backward_dispatch(Activation a, std::int64_t rows, std::int64_t cols, const float* z, const float* y,
                       const float* dy, float* dz, float* sums) {
  switch (a) {
    case Activation::linear:
      return backward_rows<Activation::linear>(rows, cols, z, y, dy, dz, sums);
    case Activation::relu:
      return backward_rows<Activation::relu>(rows, cols, z, y, dy, dz, sums);
    case Activation::leaky_relu:
      return backward_rows<Activation::leaky_relu>(rows, cols, z, y, dy, dz, sums);
    case Activation::elu:
      return backward_rows<Activation::elu>(rows, cols, z, y, dy, dz, sums);
    case Activation::sigmoid:
      return backward_rows<Activation::sigmoid>(rows, cols, z, y, dy, dz, sums);
    case Activation::tanh:
      return backward_rows<Activation::tanh>(rows, cols, z, y, dy, dz, sums);
    case Activation::softplus:
      return backward_rows<Activation::softplus>(rows, cols, z, y, dy, dz, sums);
    case Activation::gelu:
      return backward_rows<Activation::gelu>(rows, cols, z, y, dy, dz, sums);
    case Activation::swish:
      return backward_rows<Activation::swish>(rows, cols, z, y, dy, dz, sums);
    case Activation::softmax:
      break;  // whole rows: handled by the callers
  }
}

}  // namespace

void activation_backward(Activation a, std::int64_t rows, std::int64_t cols, const float* z, const float* y,
                         const float* dy, float* dz) {
  ProfileScope profile(ProfiledKernel::activation_backward, static_cast<double>(rows * cols),
                       12.0 * static_cast<double>(rows * cols));
  if (a == Activation::linear && dz == dy) return;
  if (a == Activation::softmax) {
    softmax_rows_backward(rows, cols, y, dy, dz);
    return;
  }
  backward_dispatch(a, rows, cols, z, y, dy, dz, nullptr);
}

void activation_backward_column_sums(Activation a, std::int64_t rows, std::int64_t cols, const float* z, const float* y,
                                     const float* dy, float* dz, float* sums) {
  ProfileScope profile(ProfiledKernel::activation_backward, 2.0 * static_cast<double>(rows * cols),
                       12.0 * static_cast<double>(rows * cols));
  if (a == Activation::softmax) {
    softmax_rows_backward(rows, cols, y, dy, dz);
    column_sums(rows, cols, dz, sums);
    return;
  }
  backward_dispatch(a, rows, cols, z, y, dy, dz, sums);
}

void bias_activation_backward(Activation a, std::int64_t rows, std::int64_t cols, const float* z, const float* y,
                              const float* dy, float* dz, float* bias_grad) {
  ProfileScope profile(ProfiledKernel::activation_backward, 2.0 * static_cast<double>(rows * cols),
                       12.0 * static_cast<double>(rows * cols));
  if (a == Activation::linear) {
    if (dz != dy) std::copy(dy, dy + rows * cols, dz);
    if (bias_grad != nullptr) column_sums(rows, cols, dz, bias_grad);
  } else if (bias_grad != nullptr) {
    activation_backward_column_sums(a, rows, cols, z, y, dy, dz, bias_grad);
  } else {
    activation_backward(a, rows, cols, z, y, dy, dz);
  }
}

void bias_activation_backward_blocked(Activation a, std::int64_t rows, std::int64_t cols, const float* z,
                                      const float* y, const float* dy, float* dz, float* bias_grad, float* partials) {
  ProfileScope profile(ProfiledKernel::activation_backward, 2.0 * static_cast<double>(rows * cols),
                       12.0 * static_cast<double>(rows * cols));
  const std::int64_t blocks = column_sum_blocks(rows);
  parallel_for(0, blocks, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t block = b; block < e; ++block) {
      const std::int64_t r0 = block * kColumnSumBlockRows;
      const std::int64_t n = std::min(rows, r0 + kColumnSumBlockRows) - r0;
      const std::int64_t o = r0 * cols;
      // Nested inside this region, both run on this thread.
      bias_activation_backward(a, n, cols, z ? z + o : nullptr, y ? y + o : nullptr, dy + o, dz + o, nullptr);
      column_sums(n, cols, dz + o, partials + block * cols);
    }
  });
  for (std::int64_t j = 0; j < cols; ++j) bias_grad[j] = 0.0f;
  for (std::int64_t block = 0; block < blocks; ++block)
    for (std::int64_t j = 0; j < cols; ++j) bias_grad[j] += partials[block * cols + j];
}

}  // namespace gradstep
