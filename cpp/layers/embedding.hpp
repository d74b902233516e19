// Embedding (Keras 3): integer indices -> rows of a trainable table.
//   forward:  y[p, :] = E[x[p], :]            E: (input_dim, output_dim), one row per index
//   backward: dE[i, :] = sum over positions p with x[p] == i of dy[p, :]   (a scatter-add)
// It reads the model's input as int64 indices (never through float32), so it must be the first
// layer. An index outside [0, input_dim) raises std::invalid_argument naming its position.
// With mask_zero, index 0 is padding: the layer emits a mask (x != 0) for the layers after it.
// The scatter-add is split by columns of E, each thread adding the positions in order: the
// same bits for any thread count.
#pragma once

#include "core/memory.hpp"
#include "layers/layer.hpp"

namespace gradstep {

class Embedding : public Layer {
 public:
  Embedding(std::int64_t input_dim, std::int64_t output_dim, Initializer initializer, bool mask_zero);
  std::string class_name() const override { return "Embedding"; }

  Shape build(const Shape& input_shape) override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(const std::vector<float*>& values, const std::vector<float*>& grads) override;
  void reserve(std::int64_t batch) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

  bool takes_indices() const override { return true; }
  void forward_indices(const std::int64_t* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward_indices(const std::int64_t* x, float* dy, std::int64_t batch) override;

  bool produces_mask() const override { return mask_zero_; }
  const float* output_mask() const override { return mask_zero_ ? mask_.data() : nullptr; }

 private:
  std::int64_t input_dim_, output_dim_;
  Initializer initializer_;
  bool mask_zero_;
  float* E_ = nullptr;
  float* dE_ = nullptr;
  AlignedBuffer mask_;
};

}  // namespace gradstep
