#include "layers/upsampling.hpp"

#include <stdexcept>
#include <string>

#include "kernels/conv.hpp"

namespace gradstep {

UpSampling2D::UpSampling2D(std::int64_t fh, std::int64_t fw) : fh_(fh), fw_(fw) {
  if (fh <= 0 || fw <= 0)
    throw std::invalid_argument("UpSampling2D: size must be positive, got (" + std::to_string(fh) + ", " +
                                std::to_string(fw) + ")");
}

Shape UpSampling2D::build(const Shape& input_shape) {
  if (input_shape.size() != 3)
    throw std::invalid_argument("UpSampling2D: expected an input of rank 4 (batch, rows, cols, channels), got shape " +
                                batch_shape_str(input_shape));
  input_shape_ = input_shape;
  output_shape_ = {input_shape[0] * fh_, input_shape[1] * fw_, input_shape[2]};
  built_ = true;
  return output_shape_;
}

void UpSampling2D::forward(const float* x, float* y, std::int64_t batch, const StepContext&) {
  upsample_nearest_forward(batch, input_shape_[0], input_shape_[1], input_shape_[2], fh_, fw_, x, y);
}

void UpSampling2D::backward(const float*, const float*, float* dy, float* dx, std::int64_t batch) {
  if (dx != nullptr)
    upsample_nearest_backward(batch, input_shape_[0], input_shape_[1], input_shape_[2], fh_, fw_, dy, dx);
}

}  // namespace gradstep
