// gemm(): argument quick exits, then dispatch to the kernel set chosen by active_isa().
#include "kernels/gemm.hpp"

#include "core/cpu.hpp"
#include "kernels/gemm_isa.hpp"

namespace gradstep {

namespace {

// C = beta * C, the whole result when op(A)*op(B) contributes nothing (K == 0 or alpha == 0).
// beta == 0 writes zeros without reading C, like the full product does.
void scale_c(std::int64_t M, std::int64_t N, float beta, float* C, std::int64_t ldc) {
  if (beta == 1.0f) return;
  for (std::int64_t i = 0; i < M; ++i) {
    float* row = C + i * ldc;
    if (beta == 0.0f) {
      for (std::int64_t j = 0; j < N; ++j) row[j] = 0.0f;
    } else {
      for (std::int64_t j = 0; j < N; ++j) row[j] *= beta;
    }
  }
}

}  // namespace

void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
          const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
          std::int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  switch (active_isa()) {
#if GRADSTEP_X86
    case Isa::avx512:
      gemm_avx512(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
    case Isa::avx2:
      gemm_avx2(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
#endif
    default:
      gemm_generic(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
  }
}

}  // namespace gradstep
