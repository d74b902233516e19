#include "layers/pooling.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace gradstep {

Pooling::Pooling(int rank, PoolMode mode, bool global, std::vector<std::int64_t> pool,
                 std::vector<std::int64_t> strides, Padding padding)
    : rank_(rank),
      mode_(mode),
      global_(global),
      pool_(std::move(pool)),
      strides_(std::move(strides)),
      padding_(padding) {
  if (rank_ != 1 && rank_ != 2) throw std::invalid_argument(class_name() + ": rank must be 1 or 2");
  if (padding_ == Padding::causal) throw std::invalid_argument(class_name() + ": padding must be 'valid' or 'same'");
  if (!global_) {
    if (static_cast<int>(pool_.size()) != rank_ || static_cast<int>(strides_.size()) != rank_)
      throw std::invalid_argument(class_name() + ": pool_size and strides must have " + std::to_string(rank_) +
                                  " entries");
    for (std::size_t i = 0; i < pool_.size(); ++i)
      if (pool_[i] <= 0 || strides_[i] <= 0)
        throw std::invalid_argument(class_name() + ": pool_size and strides must be positive, got pool_size " +
                                    shape_str(pool_) + ", strides " + shape_str(strides_));
  }
}

std::string Pooling::class_name() const {
  const std::string kind = mode_ == PoolMode::max ? "Max" : "Average";
  const std::string dims = rank_ == 1 ? "1D" : "2D";
  return global_ ? "Global" + kind + "Pooling" + dims : kind + "Pooling" + dims;
}

Shape Pooling::build(const Shape& input_shape) {
  const std::string name = class_name();
  if (static_cast<int>(input_shape.size()) != rank_ + 1)
    throw std::invalid_argument(name + ": expected an input of rank " + std::to_string(rank_ + 2) + ", got shape " +
                                batch_shape_str(input_shape));
  const std::int64_t H = rank_ == 1 ? 1 : input_shape[0];
  const std::int64_t W = rank_ == 1 ? input_shape[0] : input_shape[1];
  window_.channels = input_shape.back();
  if (global_) {
    window_.h = window_axis(H, H, 1, 1, Padding::valid);
    window_.w = window_axis(W, W, 1, 1, Padding::valid);
  } else {
    window_.h =
        rank_ == 1 ? window_axis(1, 1, 1, 1, Padding::valid) : window_axis(H, pool_[0], strides_[0], 1, padding_);
    window_.w = window_axis(W, pool_[rank_ - 1], strides_[rank_ - 1], 1, padding_);
    if (window_.h.output <= 0 || window_.w.output <= 0)
      throw std::invalid_argument(name + ": pool_size " + shape_str(pool_) +
                                  " leaves a zero-sized output for input shape " + batch_shape_str(input_shape) +
                                  " with padding '" + padding_name(padding_) + "'");
  }
  if (shape_size(input_shape) > std::numeric_limits<std::int32_t>::max())
    throw std::invalid_argument(name + ": an input sample of " + std::to_string(shape_size(input_shape)) +
                                " values is larger than supported (2^31 - 1)");
  input_shape_ = input_shape;
  if (global_)
    output_shape_ = {window_.channels};
  else if (rank_ == 1)
    output_shape_ = {window_.w.output, window_.channels};
  else
    output_shape_ = {window_.h.output, window_.w.output, window_.channels};
  built_ = true;
  return output_shape_;
}

void Pooling::reserve(std::int64_t batch) {
  if (mode_ == PoolMode::max) argmax_.resize(static_cast<std::size_t>(batch * output_size()));
}

void Pooling::forward(const float* x, float* y, std::int64_t batch, const StepContext&) {
  if (mode_ == PoolMode::max)
    max_pool_forward(window_, batch, x, y, argmax_.data());
  else
    avg_pool_forward(window_, batch, x, y);
}

void Pooling::backward(const float*, const float*, float* dy, float* dx, std::int64_t batch) {
  if (dx == nullptr) return;
  if (mode_ == PoolMode::max)
    max_pool_backward(window_, batch, dy, argmax_.data(), dx);
  else
    avg_pool_backward(window_, batch, dy, dx);
}

}  // namespace gradstep
