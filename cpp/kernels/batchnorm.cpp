#include "kernels/batchnorm.hpp"

#include "core/cpu.hpp"

namespace gradstep {
namespace kernels {

namespace generic {
#include "kernels/batchnorm_impl.hpp"
}  // namespace generic

#if GRADSTEP_X86
#define GRADSTEP_BATCHNORM_DECLARE(isa)                                                                               \
  namespace isa {                                                                                                     \
  void batchnorm_moments(std::int64_t, std::int64_t, std::int64_t, std::int64_t, const float*, double*, double*);     \
  void batchnorm_apply(std::int64_t, std::int64_t, std::int64_t, const float*, const float*, const float*,            \
                       const float*, const float*, float*);                                                           \
  void batchnorm_grad_sums(std::int64_t, std::int64_t, std::int64_t, std::int64_t, const float*, const float*,        \
                           const float*, const float*, double*, double*);                                             \
  void batchnorm_input_grad(std::int64_t, std::int64_t, std::int64_t, std::int64_t, bool, const float*, const float*, \
                            const float*, const float*, const float*, const float*, const float*, float*);            \
  }
GRADSTEP_BATCHNORM_DECLARE(avx2)
GRADSTEP_BATCHNORM_DECLARE(avx512)
// The same loops, vectorised 4 (SSE2), 8 (AVX2) or 16 (AVX-512) floats and 2, 4 or 8 doubles wide:
// W2's two layers (128 rows of 256 and 128 channels) spend most of their time in the double sums.
#define GRADSTEP_BATCHNORM_DISPATCH(call) \
  switch (active_isa()) {                 \
    case Isa::avx512:                     \
      return avx512::call;                \
    case Isa::avx2:                       \
      return avx2::call;                  \
    default:                              \
      return generic::call;               \
  }
#else
#define GRADSTEP_BATCHNORM_DISPATCH(call) return generic::call;
#endif

void batchnorm_moments(std::int64_t rows, std::int64_t channels, std::int64_t c0, std::int64_t c1, const float* x,
                       double* sum, double* squares) {
  GRADSTEP_BATCHNORM_DISPATCH(batchnorm_moments(rows, channels, c0, c1, x, sum, squares));
}

void batchnorm_apply(std::int64_t r0, std::int64_t r1, std::int64_t channels, const float* x, const float* mean,
                     const float* inv_std, const float* gamma, const float* beta, float* y) {
  GRADSTEP_BATCHNORM_DISPATCH(batchnorm_apply(r0, r1, channels, x, mean, inv_std, gamma, beta, y));
}

void batchnorm_grad_sums(std::int64_t rows, std::int64_t channels, std::int64_t c0, std::int64_t c1, const float* x,
                         const float* dy, const float* mean, const float* inv_std, double* sum_dy,
                         double* sum_dy_xhat) {
  GRADSTEP_BATCHNORM_DISPATCH(batchnorm_grad_sums(rows, channels, c0, c1, x, dy, mean, inv_std, sum_dy, sum_dy_xhat));
}

void batchnorm_input_grad(std::int64_t r0, std::int64_t r1, std::int64_t channels, std::int64_t rows,
                          bool batch_statistics, const float* x, const float* dy, const float* mean,
                          const float* inv_std, const float* gamma, const float* sum_dy, const float* sum_dy_xhat,
                          float* dx) {
  GRADSTEP_BATCHNORM_DISPATCH(batchnorm_input_grad(r0, r1, channels, rows, batch_statistics, x, dy, mean, inv_std,
                                                   gamma, sum_dy, sum_dy_xhat, dx));
}

}  // namespace kernels
}  // namespace gradstep
