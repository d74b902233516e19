#include "kernels/regularize.hpp"

#include <cmath>

namespace gradstep {

double add_l1_l2_penalty(std::int64_t n, const float* w, float* g, float l1, float l2) {
  double abs_sum = 0.0, square_sum = 0.0;
  const float two_l2 = 2.0f * l2;
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = w[i];
    abs_sum += std::fabs(v);
    square_sum += static_cast<double>(v) * v;
    if (g != nullptr) {
      const float sign = v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
      g[i] += l1 * sign + two_l2 * v;
    }
  }
  return l1 * abs_sum + l2 * square_sum;
}

}  // namespace gradstep
