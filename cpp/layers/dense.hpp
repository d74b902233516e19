// Dense (fully connected) layer, Keras semantics: applied to the last axis of its input.
//
//   forward:  z = x W + b,  y = f(z)           x: (rows, in), W: (in, units), b: (units)
//   backward: dz = dy * f'(z)
//             dW = x^T dz,  db = sum_rows dz,  dx = dz W^T
// where rows = batch * (product of the input's leading axes).
#pragma once

#include "core/memory.hpp"
#include "kernels/activations.hpp"
#include "layers/layer.hpp"

namespace gradstep {

class Dense : public Layer {
 public:
  Dense(std::int64_t units, Activation activation, bool use_bias, Initializer kernel_initializer,
        Initializer bias_initializer);
  std::string class_name() const override { return "Dense"; }

  Shape build(const Shape& input_shape) override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(const std::vector<float*>& values, const std::vector<float*>& grads) override;
  void reserve(std::int64_t batch) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

  bool can_fuse_output_activation(const std::string& activation) const override {
    return activation == activation_name(activation_);
  }
  void set_fused_output(bool fused) override { fused_output_ = fused; }
  const float* logits() const override { return keeps_preactivation() ? preactivation_.data() : nullptr; }

  // Applied per position of the leading axes, so a time axis and its mask carry through.
  MaskUse mask_use() const override { return MaskUse::pass_through; }

  std::int64_t units() const { return units_; }
  Activation activation() const { return activation_; }

 private:
  bool keeps_preactivation() const { return fused_output_ || activation_backward_needs_input(activation_); }
  std::int64_t rows(std::int64_t batch) const { return batch * (input_size() / in_features_); }

  std::int64_t units_;
  Activation activation_;
  bool use_bias_;
  Initializer kernel_initializer_, bias_initializer_;
  bool fused_output_ = false;

  std::int64_t in_features_ = 0;
  float* W_ = nullptr;
  float* b_ = nullptr;
  float* dW_ = nullptr;
  float* db_ = nullptr;
  AlignedBuffer preactivation_;  // z, kept only when backward needs it
};

}  // namespace gradstep
