#include "layers/zero_padding.hpp"

#include <stdexcept>
#include <string>

#include "kernels/conv.hpp"

namespace gradstep {

ZeroPadding2D::ZeroPadding2D(std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right)
    : top_(top), bottom_(bottom), left_(left), right_(right) {
  if (top < 0 || bottom < 0 || left < 0 || right < 0)
    throw std::invalid_argument("ZeroPadding2D: padding must be >= 0, got ((" + std::to_string(top) + ", " +
                                std::to_string(bottom) + "), (" + std::to_string(left) + ", " + std::to_string(right) +
                                "))");
}

Shape ZeroPadding2D::build(const Shape& input_shape) {
  if (input_shape.size() != 3)
    throw std::invalid_argument("ZeroPadding2D: expected an input of rank 4 (batch, rows, cols, channels), got shape " +
                                batch_shape_str(input_shape));
  input_shape_ = input_shape;
  output_shape_ = {input_shape[0] + top_ + bottom_, input_shape[1] + left_ + right_, input_shape[2]};
  built_ = true;
  return output_shape_;
}

void ZeroPadding2D::forward(const float* x, float* y, std::int64_t batch, const StepContext&) {
  zero_pad_forward(batch, input_shape_[0], input_shape_[1], input_shape_[2], top_, bottom_, left_, right_, x, y);
}

void ZeroPadding2D::backward(const float*, const float*, float* dy, float* dx, std::int64_t batch) {
  if (dx != nullptr)
    zero_pad_backward(batch, input_shape_[0], input_shape_[1], input_shape_[2], top_, bottom_, left_, right_, dy, dx);
}

}  // namespace gradstep
