// Reshape(target_shape) and Flatten, Keras semantics: the same values in the same (row-major)
// order under another per-sample shape; one target axis may be -1 (inferred). Backward copies
// the gradient back. Flatten is Reshape to (size,).
#pragma once

#include "layers/layer.hpp"

namespace gradstep {

class Reshape : public Layer {
 public:
  // flatten: target is ignored and the output is (product of the input axes,).
  Reshape(Shape target, bool flatten);
  std::string class_name() const override { return flatten_ ? "Flatten" : "Reshape"; }

  Shape build(const Shape& input_shape) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

 private:
  Shape target_;
  bool flatten_;
};

}  // namespace gradstep
