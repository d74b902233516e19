// L1/L2 weight penalties: value and gradient in one pass over a weight tensor.
#pragma once

#include <cstdint>

namespace gradstep {

// Returns l1 * sum|w| + l2 * sum w^2 and adds its gradient l1 * sign(w) + 2 * l2 * w to g
// (sign(0) = 0, the subgradient every framework uses) unless g is null. Sums in index order
// (deterministic).
double add_l1_l2_penalty(std::int64_t n, const float* w, float* g, float l1, float l2);

}  // namespace gradstep
