// ZeroPadding2D(padding=((top, bottom), (left, right))), Keras semantics (channels_last): zeros
// around each sample's rows and columns; backward crops the gradient back to the input.
#pragma once

#include "layers/layer.hpp"

namespace gradstep {

class ZeroPadding2D : public Layer {
 public:
  ZeroPadding2D(std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right);
  std::string class_name() const override { return "ZeroPadding2D"; }

  Shape build(const Shape& input_shape) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

 private:
  std::int64_t top_, bottom_, left_, right_;
};

}  // namespace gradstep
