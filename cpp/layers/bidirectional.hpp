// Bidirectional (Schuster & Paliwal 1997), Keras 3's wrapper: one recurrent layer reads the
// sequence forwards, a copy with go_backwards reads it backwards, and their outputs merge:
//   concat: [y_f, y_b] (last axis),  sum: y_f + y_b,  mul: y_f * y_b,  ave: (y_f + y_b) / 2
// With return_sequences the backward layer's output (in its processing order) is flipped back
// in time first, so step t of both refers to input step t. Backward: the merge's derivative
// splits dy between the two, and dx = dx_f + dx_b.
// Weights: the forward layer's, then the backward layer's (Keras order), named forward_* and
// backward_*.
#pragma once

#include <memory>

#include "core/memory.hpp"
#include "layers/recurrent.hpp"

namespace gradstep {

class Bidirectional : public Layer {
 public:
  enum class Merge { concat, sum, mul, ave };
  Bidirectional(std::shared_ptr<Recurrent> forward_layer, std::shared_ptr<Recurrent> backward_layer, Merge merge);
  std::string class_name() const override { return "Bidirectional"; }

  Shape build(const Shape& input_shape) override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(const std::vector<float*>& values, const std::vector<float*>& grads) override;
  void reserve(std::int64_t batch) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;
  void set_rng_key(std::uint64_t key) override;

  MaskUse mask_use() const override { return forward_->mask_use(); }
  void set_input_mask(const float* mask) override;

 private:
  // Index of the backward layer's output row that pairs with row `s` of sample n.
  std::int64_t steps() const { return forward_->options().return_sequences ? input_shape_[0] : 1; }
  std::shared_ptr<Recurrent> forward_, backward_;
  Merge merge_;
  std::size_t forward_params_ = 0;
  AlignedBuffer y_forward_, y_backward_, dy_forward_, dy_backward_, dx_backward_;
};

}  // namespace gradstep
