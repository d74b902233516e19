#include "losses/regression.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace gradstep {

double MeanSquaredError::row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool) const {
  double s = 0.0;
  const float scale = 2.0f * gf / static_cast<float>(cols);
  for (std::int64_t j = 0; j < cols; ++j) {
    const float e = p[j] - t[j];
    s += static_cast<double>(e) * e;
    if (g) g[j] = scale * e;
  }
  return s / static_cast<double>(cols);
}

double MeanAbsoluteError::row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool) const {
  double s = 0.0;
  const float scale = gf / static_cast<float>(cols);
  for (std::int64_t j = 0; j < cols; ++j) {
    const float e = p[j] - t[j];
    s += std::fabs(e);
    if (g) g[j] = e > 0.0f ? scale : (e < 0.0f ? -scale : 0.0f);
  }
  return s / static_cast<double>(cols);
}

Huber::Huber(float delta) : delta_(delta) {
  if (!(delta > 0.0f)) throw std::invalid_argument("Huber: delta must be > 0, got " + std::to_string(delta));
}

double Huber::row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool) const {
  double s = 0.0;
  const float scale = gf / static_cast<float>(cols);
  const double d = delta_;
  for (std::int64_t j = 0; j < cols; ++j) {
    const float e = p[j] - t[j];
    const double a = std::fabs(static_cast<double>(e));
    if (a <= d) {
      s += 0.5 * a * a;
      if (g) g[j] = scale * e;
    } else {
      s += d * a - 0.5 * d * d;
      if (g) g[j] = scale * (e > 0.0f ? delta_ : -delta_);
    }
  }
  return s / static_cast<double>(cols);
}

}  // namespace gradstep
