// UpSampling2D(size=(fh, fw)), interpolation "nearest", Keras semantics (channels_last):
//   y[n, i, j, c] = x[n, i / fh, j / fw, c];  dx[n, i, j, c] = sum of dy over its fh x fw block.
#pragma once

#include "layers/layer.hpp"

namespace gradstep {

class UpSampling2D : public Layer {
 public:
  UpSampling2D(std::int64_t fh, std::int64_t fw);
  std::string class_name() const override { return "UpSampling2D"; }

  Shape build(const Shape& input_shape) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

 private:
  std::int64_t fh_, fw_;
};

}  // namespace gradstep
