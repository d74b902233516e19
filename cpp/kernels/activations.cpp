#include "kernels/activations.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/parallel.hpp"
#include "kernels/softmax.hpp"

namespace gradstep {

namespace {

// Below this many elements per thread a parallel region costs more than it saves.
constexpr std::int64_t kElementwiseGrain = 1 << 14;

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
    case Activation::linear: return "linear";
    case Activation::relu: return "relu";
    case Activation::leaky_relu: return "leaky_relu";
    case Activation::elu: return "elu";
    case Activation::sigmoid: return "sigmoid";
    case Activation::tanh: return "tanh";
    case Activation::softmax: return "softmax";
    case Activation::softplus: return "softplus";
    case Activation::gelu: return "gelu";
    case Activation::swish: return "swish";
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

template <Activation A>
void dispatch_forward(std::int64_t rows, std::int64_t cols, const float* bias, const float* z_in, float* z_out,
                      float* y) {
  bias_activation_rows<A>(rows, cols, bias, z_in, z_out, y);
}

void forward_any(Activation a, std::int64_t rows, std::int64_t cols, const float* bias, const float* z_in,
                 float* z_out, float* y) {
  switch (a) {
    case Activation::linear: return dispatch_forward<Activation::linear>(rows, cols, bias, z_in, z_out, y);
    case Activation::relu: return dispatch_forward<Activation::relu>(rows, cols, bias, z_in, z_out, y);
    case Activation::leaky_relu: return dispatch_forward<Activation::leaky_relu>(rows, cols, bias, z_in, z_out, y);
    case Activation::elu: return dispatch_forward<Activation::elu>(rows, cols, bias, z_in, z_out, y);
    case Activation::sigmoid: return dispatch_forward<Activation::sigmoid>(rows, cols, bias, z_in, z_out, y);
    case Activation::tanh: return dispatch_forward<Activation::tanh>(rows, cols, bias, z_in, z_out, y);
    case Activation::softmax: return dispatch_forward<Activation::softmax>(rows, cols, bias, z_in, z_out, y);
    case Activation::softplus: return dispatch_forward<Activation::softplus>(rows, cols, bias, z_in, z_out, y);
    case Activation::gelu: return dispatch_forward<Activation::gelu>(rows, cols, bias, z_in, z_out, y);
    case Activation::swish: return dispatch_forward<Activation::swish>(rows, cols, bias, z_in, z_out, y);
  }
}

}  // namespace

void activation_forward(Activation a, std::int64_t rows, std::int64_t cols, const float* z, float* y) {
  if (a == Activation::linear && y == z) return;
  forward_any(a, rows, cols, nullptr, z, nullptr, y);
}

void bias_activation_forward(Activation a, std::int64_t rows, std::int64_t cols, const float* bias, float* z,
                             float* y) {
  if (a == Activation::linear && bias == nullptr && y == z) return;
  forward_any(a, rows, cols, bias, z, (z != y && bias != nullptr) ? z : nullptr, y);
}

void activation_backward(Activation a, std::int64_t rows, std::int64_t cols, const float* z, const float* y,
                         const float* dy, float* dz) {
  const std::int64_t n = rows * cols;
  switch (a) {
    case Activation::linear:
      if (dz != dy) map_elements(n, [&](std::int64_t i) { dz[i] = dy[i]; });
      return;
    case Activation::relu:  // y > 0 exactly where z > 0
      map_elements(n, [&](std::int64_t i) { dz[i] = y[i] > 0.0f ? dy[i] : 0.0f; });
      return;
    case Activation::leaky_relu:  // the slope is positive, so sign(y) == sign(z)
      map_elements(n, [&](std::int64_t i) { dz[i] = y[i] > 0.0f ? dy[i] : kLeakyReluSlope * dy[i]; });
      return;
    case Activation::elu:  // for z <= 0: d/dz alpha*(e^z - 1) = alpha*e^z = y + alpha
      map_elements(n, [&](std::int64_t i) { dz[i] = y[i] > 0.0f ? dy[i] : dy[i] * (y[i] + kEluAlpha); });
      return;
    case Activation::sigmoid:
      map_elements(n, [&](std::int64_t i) { dz[i] = dy[i] * y[i] * (1.0f - y[i]); });
      return;
    case Activation::tanh:
      map_elements(n, [&](std::int64_t i) { dz[i] = dy[i] * (1.0f - y[i] * y[i]); });
      return;
    case Activation::softmax:
      softmax_rows_backward(rows, cols, y, dy, dz);
      return;
    case Activation::softplus:  // f'(z) = sigmoid(z) = 1 - e^{-y}; -expm1 keeps precision for tiny y
      map_elements(n, [&](std::int64_t i) { dz[i] = -dy[i] * std::expm1(-y[i]); });
      return;
    case Activation::gelu:  // d/dz z*Phi(z) = Phi(z) + z*phi(z)
      map_elements(n, [&](std::int64_t i) {
        const float x = z[i];
        const float cdf = 0.5f * (1.0f + std::erf(x * kInvSqrt2));
        const float pdf = kInvSqrt2Pi * std::exp(-0.5f * x * x);
        dz[i] = dy[i] * (cdf + x * pdf);
      });
      return;
    case Activation::swish:  // d/dz z*s(z) = s + z*s*(1-s)
      map_elements(n, [&](std::int64_t i) {
        const float s = sigmoid(z[i]);
        dz[i] = dy[i] * (s + z[i] * s * (1.0f - s));
      });
      return;
  }
}

}  // namespace gradstep
