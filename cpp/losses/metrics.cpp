#include "losses/metrics.hpp"

#include <cmath>
#include <stdexcept>

namespace gradstep {

Metric parse_metric(const std::string& name) {
  if (name == "binary_accuracy") return Metric::binary_accuracy;
  if (name == "categorical_accuracy") return Metric::categorical_accuracy;
  if (name == "sparse_categorical_accuracy") return Metric::sparse_categorical_accuracy;
  if (name == "mean_squared_error") return Metric::mean_squared_error;
  if (name == "mean_absolute_error") return Metric::mean_absolute_error;
  throw std::invalid_argument("metric: unknown name '" + name + "'");
}

bool metric_uses_sparse_targets(Metric m) { return m == Metric::sparse_categorical_accuracy; }

namespace {
std::int64_t argmax(const float* x, std::int64_t n) {
  std::int64_t best = 0;
  for (std::int64_t j = 1; j < n; ++j)
    if (x[j] > x[best]) best = j;
  return best;
}
}  // namespace

double metric_sum(Metric m, const float* p, const float* t, const float* weights, std::int64_t rows,
                  std::int64_t cols) {
  double total = 0.0;
  for (std::int64_t r = 0; r < rows; ++r) {
    if (weights != nullptr && weights[r] == 0.0f) continue;  // padding: the value is not even computed
    const double before = total;
    const float* pr = p + r * cols;
    switch (m) {
      case Metric::binary_accuracy: {  // Keras: threshold 0.5 (y_pred > 0.5), mean over the last axis
        const float* tr = t + r * cols;
        std::int64_t hits = 0;
        for (std::int64_t j = 0; j < cols; ++j) hits += (pr[j] > 0.5f ? 1.0f : 0.0f) == tr[j];
        total += static_cast<double>(hits) / cols;
        break;
      }
      case Metric::categorical_accuracy:
        total += argmax(pr, cols) == argmax(t + r * cols, cols) ? 1.0 : 0.0;
        break;
      case Metric::sparse_categorical_accuracy:
        total += static_cast<float>(argmax(pr, cols)) == t[r] ? 1.0 : 0.0;
        break;
      case Metric::mean_squared_error:
      case Metric::mean_absolute_error: {
        const float* tr = t + r * cols;
        double s = 0.0;
        for (std::int64_t j = 0; j < cols; ++j) {
          const double e = static_cast<double>(pr[j]) - tr[j];
          s += m == Metric::mean_squared_error ? e * e : std::fabs(e);
        }
        total += s / cols;
        break;
      }
    }
    if (weights != nullptr && weights[r] != 1.0f) total = before + (total - before) * weights[r];
  }
  return total;
}

}  // namespace gradstep
