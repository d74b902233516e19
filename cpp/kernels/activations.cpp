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

void activation_forward(Activation a, std::int64_t rows, std::int64_t cols, const float* z, float* y) {
  const std::int64_t n = rows * cols;
  switch (a) {
    case Activation::linear:
      if (y != z) map_elements(n, [&](std::int64_t i) { y[i] = z[i]; });
      return;
    case Activation::relu:
      map_elements(n, [&](std::int64_t i) { y[i] = z[i] > 0.0f ? z[i] : 0.0f; });
      return;
    case Activation::leaky_relu:
      map_elements(n, [&](std::int64_t i) { y[i] = z[i] > 0.0f ? z[i] : kLeakyReluSlope * z[i]; });
      return;
    case Activation::elu:
      map_elements(n, [&](std::int64_t i) { y[i] = z[i] > 0.0f ? z[i] : kEluAlpha * std::expm1(z[i]); });
      return;
    case Activation::sigmoid:
      map_elements(n, [&](std::int64_t i) { y[i] = sigmoid(z[i]); });
      return;
    case Activation::tanh:
      map_elements(n, [&](std::int64_t i) { y[i] = std::tanh(z[i]); });
      return;
    case Activation::softmax:
      softmax_rows(rows, cols, z, y);
      return;
    case Activation::softplus:
      map_elements(n, [&](std::int64_t i) { y[i] = softplus(z[i]); });
      return;
    case Activation::gelu:  // exact form: x * Phi(x), Phi the standard normal CDF
      map_elements(n, [&](std::int64_t i) { y[i] = 0.5f * z[i] * (1.0f + std::erf(z[i] * kInvSqrt2)); });
      return;
    case Activation::swish:
      map_elements(n, [&](std::int64_t i) { y[i] = z[i] * sigmoid(z[i]); });
      return;
  }
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
