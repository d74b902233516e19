#include "losses/hinge.hpp"

namespace gradstep {

void Hinge::prepare(const float* y_true, std::int64_t rows, std::int64_t cols) {
  binary_labels_ = true;
  for (std::int64_t i = 0; i < rows * cols && binary_labels_; ++i)
    binary_labels_ = y_true[i] == 0.0f || y_true[i] == 1.0f;
}

double Hinge::row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool) const {
  double s = 0.0;
  const float scale = gf / static_cast<float>(cols);
  for (std::int64_t j = 0; j < cols; ++j) {
    const float target = binary_labels_ ? 2.0f * t[j] - 1.0f : t[j];
    const float margin = 1.0f - target * p[j];
    if (margin > 0.0f) {
      s += margin;
      if (g) g[j] = -scale * target;
    } else if (g) {
      g[j] = 0.0f;
    }
  }
  return s / static_cast<double>(cols);
}

}  // namespace gradstep
