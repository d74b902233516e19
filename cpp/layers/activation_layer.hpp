// Activation layer: y = f(x) element-wise (softmax over the last axis); dx = dy * f'(x).
#pragma once

#include <algorithm>

#include "kernels/activations.hpp"
#include "layers/layer.hpp"

namespace gradstep {

class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(Activation activation) : activation_(activation) {}
  std::string class_name() const override { return "Activation"; }
  MaskUse mask_use() const override { return MaskUse::pass_through; }  // element-wise

  Shape build(const Shape& input_shape) override {
    input_shape_ = output_shape_ = input_shape;
    built_ = true;
    return output_shape_;
  }
  void forward(const float* x, float* y, std::int64_t batch, const StepContext&) override {
    activation_forward(activation_, rows(batch), last_axis(), x, y);
    last_input_ = x;
  }
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override {
    if (dx == nullptr) return;
    if (fused_output_) {
      std::copy(dy, dy + batch * input_size(), dx);
    } else {
      activation_backward(activation_, rows(batch), last_axis(), x, y, dy, dx);
    }
  }

  bool can_fuse_output_activation(const std::string& activation) const override {
    return activation == activation_name(activation_);
  }
  void set_fused_output(bool fused) override { fused_output_ = fused; }
  // The input of an activation layer is its pre-activation.
  const float* logits() const override { return last_input_; }

  Activation activation() const { return activation_; }

 private:
  std::int64_t last_axis() const { return input_shape_.empty() ? 1 : input_shape_.back(); }
  std::int64_t rows(std::int64_t batch) const { return batch * (input_size() / last_axis()); }

  Activation activation_;
  bool fused_output_ = false;
  const float* last_input_ = nullptr;
};

}  // namespace gradstep
