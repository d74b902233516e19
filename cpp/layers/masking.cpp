#include "layers/masking.hpp"

#include <stdexcept>

#include "core/parallel.hpp"

namespace gradstep {

Shape Masking::build(const Shape& input_shape) {
  if (input_shape.empty())
    throw std::invalid_argument("expected an input of shape (timesteps, features), got " + shape_str(input_shape));
  input_shape_ = output_shape_ = input_shape;
  built_ = true;
  return output_shape_;
}

void Masking::reserve(std::int64_t batch) { mask_.resize(static_cast<std::size_t>(batch * input_size() / features())); }

void Masking::forward(const float* x, float* y, std::int64_t batch, const StepContext&) {
  const std::int64_t F = features(), positions = batch * input_size() / F;
  float* mask = mask_.data();
  parallel_for(0, positions, std::max<std::int64_t>(1, 8192 / F), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      bool keep = false;
      for (std::int64_t j = 0; j < F; ++j) keep |= x[p * F + j] != mask_value_;
      mask[p] = keep ? 1.0f : 0.0f;
      for (std::int64_t j = 0; j < F; ++j) y[p * F + j] = keep ? x[p * F + j] : 0.0f;
    }
  });
}

void Masking::backward(const float*, const float*, float* dy, float* dx, std::int64_t batch) {
  if (dx == nullptr) return;
  const std::int64_t F = features(), positions = batch * input_size() / F;
  const float* mask = mask_.data();
  parallel_for(0, positions, std::max<std::int64_t>(1, 8192 / F), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p)
      for (std::int64_t j = 0; j < F; ++j) dx[p * F + j] = mask[p] != 0.0f ? dy[p * F + j] : 0.0f;
  });
}

}  // namespace gradstep
