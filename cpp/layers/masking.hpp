// Masking (Keras 3): a time step whose features all equal mask_value is padding.
//   mask[p] = any_j(x[p, j] != mask_value),   y[p, :] = x[p, :] * mask[p]
// (p runs over the positions of the leading axes, j over the last axis). The mask goes on to
// the layers after it (recurrent layers skip those steps; the loss ignores them).
#pragma once

#include "core/memory.hpp"
#include "layers/layer.hpp"

namespace gradstep {

class Masking : public Layer {
 public:
  explicit Masking(float mask_value) : mask_value_(mask_value) {}
  std::string class_name() const override { return "Masking"; }

  Shape build(const Shape& input_shape) override;
  void reserve(std::int64_t batch) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

  bool produces_mask() const override { return true; }
  const float* output_mask() const override { return mask_.data(); }

 private:
  std::int64_t features() const { return input_shape_.back(); }
  float mask_value_;
  AlignedBuffer mask_;
};

}  // namespace gradstep
