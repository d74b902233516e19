// conv_direct_loops.hpp built with AVX-512 (multiply-adds contracted into FMAs).
#include "kernels/conv_direct.hpp"
#include "kernels/conv_direct_loops.hpp"

namespace gradstep {
namespace conv_isa {

void forward_rows_avx512(const Window2D& g, std::int64_t filters, const float* x, const float* K, float* z,
                       std::int64_t first_row, std::int64_t last_row) {
  direct_forward_rows(g, filters, x, K, z, first_row, last_row);
}

void kernel_gradient_block_avx512(const Window2D& g, std::int64_t filters, const float* x, const float* dz,
                                std::int64_t first_pixel, std::int64_t last_pixel, float* dK) {
  direct_kernel_gradient_block(g, filters, x, dz, first_pixel, last_pixel, dK);
}

}  // namespace conv_isa
}  // namespace gradstep
