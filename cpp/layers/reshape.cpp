#include "layers/reshape.hpp"

#include <cstring>
#include <stdexcept>

namespace gradstep {

Reshape::Reshape(Shape target, bool flatten) : target_(std::move(target)), flatten_(flatten) {
  if (flatten_) return;
  int inferred = 0;
  for (auto d : target_) {
    if (d == -1)
      ++inferred;
    else if (d <= 0)
      throw std::invalid_argument("Reshape: target_shape entries must be positive or -1, got " + shape_str(target_));
  }
  if (inferred > 1) throw std::invalid_argument("Reshape: at most one -1 in target_shape, got " + shape_str(target_));
  if (target_.empty()) throw std::invalid_argument("Reshape: target_shape must not be empty");
}

Shape Reshape::build(const Shape& input_shape) {
  const std::int64_t size = shape_size(input_shape);
  Shape out = flatten_ ? Shape{size} : target_;
  std::int64_t known = 1;
  std::int64_t* unknown = nullptr;
  for (auto& d : out) {
    if (d == -1)
      unknown = &d;
    else
      known *= d;
  }
  if (unknown != nullptr) {
    if (known == 0 || size % known != 0)
      throw std::invalid_argument("Reshape: cannot reshape input of shape " + batch_shape_str(input_shape) +
                                  " to target_shape " + shape_str(target_));
    *unknown = size / known;
  }
  if (shape_size(out) != size)
    throw std::invalid_argument("Reshape: target_shape " + shape_str(target_) + " has " +
                                std::to_string(shape_size(out)) + " values per sample, the input " +
                                batch_shape_str(input_shape) + " has " + std::to_string(size));
  input_shape_ = input_shape;
  output_shape_ = out;
  built_ = true;
  return output_shape_;
}

void Reshape::forward(const float* x, float* y, std::int64_t batch, const StepContext&) {
  if (y != x) std::memcpy(y, x, static_cast<std::size_t>(batch * input_size()) * sizeof(float));
}

void Reshape::backward(const float*, const float*, float* dy, float* dx, std::int64_t batch) {
  if (dx != nullptr && dx != dy) std::memcpy(dx, dy, static_cast<std::size_t>(batch * input_size()) * sizeof(float));
}

}  // namespace gradstep
