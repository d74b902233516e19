#include "losses/loss.hpp"

#include <algorithm>

#include "core/parallel.hpp"

namespace gradstep {

double Loss::compute(const float* y_pred, const float* y_true, const float* sample_weight, std::int64_t rows,
                     std::int64_t cols, float grad_scale, float* grad, bool logits_of_fused_activation) {
  prepare(y_true, rows, cols);
  row_losses_.resize(static_cast<std::size_t>(rows));
  float* losses = row_losses_.data();
  const std::int64_t tw = true_width(cols);
  // A row of softmax cross-entropy costs ~0.06 us per column (exps and a log). The grain is small
  // on purpose: with 2 threads W1's 128 x 10 loss runs on both (handing work to an OpenMP thread
  // that is waiting for it costs a microsecond or two). Row losses are summed serially below, so
  // the result does not depend on the thread count.
  const std::int64_t grain = std::max<std::int64_t>(1, 512 / std::max<std::int64_t>(cols, 1));
  parallel_for(0, rows, grain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r) {
      const float w = sample_weight ? sample_weight[r] : 1.0f;
      float* grad_row = grad ? grad + r * cols : nullptr;
      losses[r] = static_cast<float>(
          w * row(y_pred + r * cols, y_true + r * tw, cols, grad_scale * w, grad_row, logits_of_fused_activation));
    }
  });
  double total = 0.0;
  for (std::int64_t r = 0; r < rows; ++r) total += losses[r];
  return total;
}

}  // namespace gradstep
