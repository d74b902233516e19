#include "layers/embedding.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/parallel.hpp"

namespace gradstep {

Embedding::Embedding(std::int64_t input_dim, std::int64_t output_dim, Initializer initializer, bool mask_zero)
    : input_dim_(input_dim), output_dim_(output_dim), initializer_(initializer), mask_zero_(mask_zero) {
  if (input_dim <= 0)
    throw std::invalid_argument("Embedding: input_dim must be a positive integer, got " + std::to_string(input_dim));
  if (output_dim <= 0)
    throw std::invalid_argument("Embedding: output_dim must be a positive integer, got " + std::to_string(output_dim));
}

Shape Embedding::build(const Shape& input_shape) {
  input_shape_ = input_shape;
  output_shape_ = input_shape;
  output_shape_.push_back(output_dim_);
  built_ = true;
  return output_shape_;
}

std::vector<ParamSpec> Embedding::param_specs() const {
  return {{"embeddings", {input_dim_, output_dim_}, initializer_, true}};
}

void Embedding::bind(const std::vector<float*>& values, const std::vector<float*>& grads) {
  E_ = values.at(0);
  dE_ = grads.at(0);
}

void Embedding::reserve(std::int64_t batch) {
  if (mask_zero_) mask_.resize(static_cast<std::size_t>(batch * input_size()));
}

void Embedding::forward(const float*, float*, std::int64_t, const StepContext&) {
  throw std::logic_error("Embedding reads integer indices: it must be the model's first layer");
}

void Embedding::backward(const float*, const float*, float*, float*, std::int64_t) {
  throw std::logic_error("Embedding reads integer indices: it must be the model's first layer");
}

void Embedding::forward_indices(const std::int64_t* x, float* y, std::int64_t batch, const StepContext&) {
  const std::int64_t positions = batch * input_size();
  for (std::int64_t p = 0; p < positions; ++p)
    if (x[p] < 0 || x[p] >= input_dim_)
      throw std::invalid_argument("Embedding: index " + std::to_string(x[p]) + " at position " + std::to_string(p) +
                                  " of the batch (flattened) is out of range [0, " + std::to_string(input_dim_) + ")");
  const auto bytes = static_cast<std::size_t>(output_dim_) * sizeof(float);
  parallel_for(0, positions, std::max<std::int64_t>(1, 8192 / output_dim_), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) std::memcpy(y + p * output_dim_, E_ + x[p] * output_dim_, bytes);
  });
  if (mask_zero_)
    for (std::int64_t p = 0; p < positions; ++p) mask_.data()[p] = x[p] != 0 ? 1.0f : 0.0f;
}

void Embedding::backward_indices(const std::int64_t* x, float* dy, std::int64_t batch) {
  const std::int64_t positions = batch * input_size();
  // Split by columns of E: each thread owns columns [b, e) of every row and adds the positions
  // in order, so repeated indices accumulate in the same order whatever the thread count.
  parallel_for(0, output_dim_, 8, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = 0; i < input_dim_; ++i) std::fill(dE_ + i * output_dim_ + b, dE_ + i * output_dim_ + e, 0.0f);
    for (std::int64_t p = 0; p < positions; ++p) {
      float* row = dE_ + x[p] * output_dim_;
      const float* g = dy + p * output_dim_;
      for (std::int64_t j = b; j < e; ++j) row[j] += g[j];
    }
  });
}

}  // namespace gradstep
