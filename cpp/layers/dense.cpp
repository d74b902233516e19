#include "layers/dense.hpp"

#include <stdexcept>

#include "core/parallel.hpp"
#include "kernels/activations.hpp"
#include "kernels/gemm.hpp"
#include "kernels/reduce.hpp"

namespace gradstep {

Dense::Dense(std::int64_t units, Activation activation, bool use_bias, Initializer kernel_initializer,
             Initializer bias_initializer)
    : units_(units),
      activation_(activation),
      use_bias_(use_bias),
      kernel_initializer_(kernel_initializer),
      bias_initializer_(bias_initializer) {
  if (units <= 0) throw std::invalid_argument("Dense: units must be a positive integer, got " + std::to_string(units));
}

Shape Dense::build(const Shape& input_shape) {
  if (input_shape.empty())
    throw std::invalid_argument("Dense: input must have at least one feature axis, got shape " +
                                shape_str(input_shape));
  in_features_ = input_shape.back();
  if (in_features_ <= 0)
    throw std::invalid_argument("Dense: the last input axis must be positive, got shape " + shape_str(input_shape));
  input_shape_ = input_shape;
  output_shape_ = input_shape;
  output_shape_.back() = units_;
  built_ = true;
  return output_shape_;
}

std::vector<ParamSpec> Dense::param_specs() const {
  std::vector<ParamSpec> specs;
  specs.push_back({"kernel", {in_features_, units_}, kernel_initializer_, true});
  if (use_bias_) specs.push_back({"bias", {units_}, bias_initializer_, true});
  return specs;
}

void Dense::bind(const std::vector<float*>& values, const std::vector<float*>& grads) {
  W_ = values.at(0);
  dW_ = grads.at(0);
  if (use_bias_) {
    b_ = values.at(1);
    db_ = grads.at(1);
  }
}

void Dense::reserve(std::int64_t batch) {
  // Any non-linear output may be fused with a loss (or unfused for forward_backward), so keep
  // room for z whenever there is an activation.
  if (activation_ != Activation::linear) preactivation_.resize(static_cast<std::size_t>(rows(batch) * units_));
}

void Dense::forward(const float* x, float* y, std::int64_t batch, const StepContext&) {
  const std::int64_t m = rows(batch);
  if (!keeps_preactivation() && fits_gemm_epilogue(activation_)) {
    // y = f(x W + b) with the bias and ReLU applied to each tile of the product in cache.
    const GemmEpilogue epilogue{use_bias_ ? b_ : nullptr, activation_ == Activation::relu};
    gemm(false, false, m, units_, in_features_, 1.0f, x, in_features_, W_, units_, 0.0f, y, units_, epilogue);
    return;
  }
  // With an activation whose backward needs z, z goes to its own buffer; otherwise y holds z
  // until the activation overwrites it in place.
  float* z = keeps_preactivation() ? preactivation_.data() : y;
  gemm(false, false, m, units_, in_features_, 1.0f, x, in_features_, W_, units_, 0.0f, z, units_);
  bias_activation_forward(activation_, m, units_, use_bias_ ? b_ : nullptr, z, y);
}

void Dense::backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) {
  const std::int64_t m = rows(batch);
  float* dz = dy;  // in place: the model owns dy and does not need it afterwards
  const float* z = keeps_preactivation() ? preactivation_.data() : nullptr;
  // One pass: dz = dy * f'(z) and the bias gradient (column sums of dz).
  bias_activation_backward(fused_output_ ? Activation::linear : activation_, m, units_, z, y, dy, dz,
                           use_bias_ ? db_ : nullptr);
  const auto weight_gradient = [&] {
    gemm(true, false, in_features_, units_, m, 1.0f, x, in_features_, dz, units_, 0.0f, dW_, units_);
  };
  const auto input_gradient = [&] {
    gemm(false, true, m, in_features_, units_, 1.0f, dz, units_, W_, units_, 0.0f, dx, in_features_);
  };
  // dW = x^T dz and dx = dz W^T are independent and have the same flop count (2*m*in*units).
  // With two threads they run side by side in one region, each GEMM serial on its own thread:
  // one fork/join instead of two, no duplicated packing, and the halves are exactly balanced.
  // A GEMM's result does not depend on how it is split (see gemm.hpp), so this is bitwise the
  // same as the sequential calls. The threshold is lower than the GEMM's own (2 MFLOP per
  // thread): W1's layer-3 pair (0.33 MFLOP each, ~10 us) runs side by side too, since handing a
  // task to an OpenMP thread that is spinning for one costs a microsecond or two.
  constexpr double kMinPairFlops = 1 << 18;
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(in_features_) * static_cast<double>(units_);
  if (dx != nullptr && flops >= kMinPairFlops && get_num_threads() == 2 && !in_parallel_region()) {
    parallel_for(0, 2, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t task = b; task < e; ++task) task == 0 ? weight_gradient() : input_gradient();
    });
    return;
  }
  weight_gradient();
  if (dx != nullptr) input_gradient();
}

}  // namespace gradstep
