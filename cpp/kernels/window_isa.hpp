// The per-instruction-set builds of the window kernels' inner loops (internal to
// kernels/conv.cpp, which picks one by active_isa()); see window_impl.hpp.
#pragma once

#include <cstdint>

#include "kernels/conv.hpp"

namespace gradstep {

#define GRADSTEP_WINDOW_DECLARATIONS                                                                                   \
  void im2col_row_inside(const Window2D& g, const float* sample, std::int64_t oh, float* out);                         \
  void col2im_sample_inside(const Window2D& g, const float* patches, float* dx);                                       \
  void max_pool_row_inside(const Window2D& g, const float* sample, std::int64_t oh, float* y, std::int32_t* argmax);   \
  void max_pool_backward_tiled(const Window2D& g, const float* dy, const std::int32_t* argmax, const float* y,         \
                               bool relu, float* dz, float* column_sum);                                               \
  void kernel_gradient_rows(std::int64_t n, std::int64_t P, std::int64_t F, const float* patches, const float* dz,     \
                            float* out);                                                                               \
  void kernel_gradient_image(const Window2D& g, std::int64_t samples, const float* x, std::int64_t F, const float* dz, \
                             float* out);

namespace generic {
GRADSTEP_WINDOW_DECLARATIONS
}  // namespace generic
#if GRADSTEP_X86
namespace avx2 {
GRADSTEP_WINDOW_DECLARATIONS
}  // namespace avx2
namespace avx512 {
GRADSTEP_WINDOW_DECLARATIONS
}  // namespace avx512
#endif

#undef GRADSTEP_WINDOW_DECLARATIONS

}  // namespace gradstep
