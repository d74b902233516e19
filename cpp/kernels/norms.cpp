#include "kernels/norms.hpp"

#include "core/cpu.hpp"

namespace gradstep {
namespace kernels {

double lane_total(const float* lanes) {
  double s = 0.0;
  for (int k = 0; k < kNormLanes; ++k) s += lanes[k];
  return s;
}

namespace generic {
#include "kernels/norms_impl.hpp"
}  // namespace generic

#if GRADSTEP_X86
namespace avx2 {
void block_squares(std::int64_t n, const float* w, const float* g, float* copy, double* gg, double* ww);
double block_squared_differences(std::int64_t n, const float* a, const float* b);
void column_max(std::int64_t rows, std::int64_t channels, const float* y, float* alive);
}  // namespace avx2
#define GRADSTEP_NORMS_DISPATCH(call) (active_isa() != Isa::generic ? avx2::call : generic::call)
#else
#define GRADSTEP_NORMS_DISPATCH(call) (generic::call)
#endif

void block_squares(std::int64_t n, const float* w, const float* g, float* copy, double* gg, double* ww) {
  GRADSTEP_NORMS_DISPATCH(block_squares(n, w, g, copy, gg, ww));
}

double block_squared_differences(std::int64_t n, const float* a, const float* b) {
  return GRADSTEP_NORMS_DISPATCH(block_squared_differences(n, a, b));
}

void column_max(std::int64_t rows, std::int64_t channels, const float* y, float* alive) {
  GRADSTEP_NORMS_DISPATCH(column_max(rows, channels, y, alive));
}

}  // namespace kernels
}  // namespace gradstep
