// Loss: the interface of every loss (Keras 3 semantics).
//
// y_pred is (rows, cols); y_true is (rows, cols), or (rows,) class labels for sparse losses.
// The per-row loss reduces over the last axis (a mean for regression-style losses, a sum over
// classes for cross-entropies); the batch loss is sum_r w_r * loss_r / rows (Keras'
// "sum_over_batch_size": divided by the number of rows, not by the sum of weights).
#pragma once

#include <cstdint>
#include <string>

#include "core/memory.hpp"

namespace gradstep {

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string class_name() const = 0;
  virtual bool sparse_targets() const { return false; }

  // The output activation this loss can absorb ("softmax", "sigmoid") when it is not from_logits:
  // the model then hands it the pre-activation and both are computed as one stable function.
  virtual std::string fusable_activation() const { return ""; }

  // Virtual so that a loss defined in Python (bindings/bind_losses.cpp) can take the whole batch in
  // one call instead of one call per row. Returns sum_r w_r * loss_r (w = 1 when sample_weight is null). When grad is
  // not null, writes grad = grad_scale * w_r * d loss_r / d y_pred. With `logits_of_fused_activation`, y_pred holds the
  // pre-activation of fusable_activation() and grad is taken with respect to it.
  virtual double compute(const float* y_pred, const float* y_true, const float* sample_weight, std::int64_t rows,
                         std::int64_t cols, float grad_scale, float* grad, bool logits_of_fused_activation = false);

 protected:
  // Loss of one row and, if grad_row is not null, d loss / d y_pred_row times grad_factor.
  virtual double row(const float* y_pred, const float* y_true, std::int64_t cols, float grad_factor, float* grad_row,
                     bool fused) const = 0;
  // Called once per batch before the rows (Hinge inspects all labels here).
  virtual void prepare(const float* y_true, std::int64_t rows, std::int64_t cols) {}
  std::int64_t true_width(std::int64_t cols) const { return sparse_targets() ? 1 : cols; }

 private:
  AlignedBuffer row_losses_;  // per-row losses, summed in row order: thread-count independent
};

// The probability clip Keras applies before taking logs (keras.config.epsilon()).
constexpr float kProbabilityEpsilon = 1e-7f;

}  // namespace gradstep
