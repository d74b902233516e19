// Metrics computed in C++ on the output buffer of a batch; each returns the SUM over rows of the
// per-row value, so Python can keep exact running means over an epoch.
#pragma once

#include <cstdint>
#include <string>

namespace gradstep {

enum class Metric {
  binary_accuracy,
  categorical_accuracy,
  sparse_categorical_accuracy,
  mean_squared_error,
  mean_absolute_error
};

Metric parse_metric(const std::string& name);  // canonical Keras names; throws std::invalid_argument
bool metric_uses_sparse_targets(Metric m);

// y_pred (rows, cols); y_true (rows, cols), or (rows,) labels for sparse_categorical_accuracy.
// weights: one per row (a padding mask: 0 skips the row) or null.
double metric_sum(Metric m, const float* y_pred, const float* y_true, const float* weights, std::int64_t rows,
                  std::int64_t cols);

}  // namespace gradstep
