// Portable GEMM: the blocked algorithm with a plain C++ micro-kernel.
//
// Compiled for baseline x86-64 (SSE2: 16 xmm registers of 4 floats) and for any other
// architecture. The 4 x 8 tile is 8 accumulator vectors + 2 for the B row + broadcasts of A;
// fixed trip counts let the compiler unroll the tile loops fully and keep `acc` in registers.
// (Measured on Zen 3 with GCC 12: 4 x 8 runs ~28 GFLOP/s per core; 6 x 8, which would fill all
// 16 registers, makes GCC spill accumulators and drops to ~24.)
#include "kernels/gemm_blocked.hpp"
#include "kernels/gemm_isa.hpp"
#include "kernels/gemm_narrow.hpp"

namespace gradstep {

namespace {

struct GenericKernel {
  static constexpr int MR = 4;
  static constexpr int NR = 8;
  // A block (MC x KC = 128 KiB) lives in L2, a B sliver (KC x NR = 8 KiB) in L1.
  static constexpr std::int64_t MC = 128;
  static constexpr std::int64_t KC = 256;
  static constexpr std::int64_t NC = 4096;

  // a: a panel accessor (gemm_blocked.hpp): packed sliver, or A read in place.
  template <class APanel>
  static void micro(std::int64_t kc, APanel a, const float* b, float* c, std::int64_t ldc, float alpha, float beta) {
    float acc[MR][NR] = {};
    for (std::int64_t k = 0; k < kc; ++k) {
      for (int i = 0; i < MR; ++i) {
        const float ai = *a.at(i);
        for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
      }
      a.advance();
      b += NR;
    }
    if (beta == 0.0f) {
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) c[i * ldc + j] = alpha * acc[i][j];
    } else {
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) c[i * ldc + j] = alpha * acc[i][j] + beta * c[i * ldc + j];
    }
  }
};

// Narrow path (gemm_narrow.hpp): W = N rounded up to whole 4-float vectors, and R rows so that the
// R x W accumulators take about 8 of the 16 xmm registers (8 chains hide the add latency; more
// made GCC spill in the blocked kernel, see above).
template <int Width>
struct GenericNarrowTile {
  static constexpr int W = Width;
  static constexpr bool kLanesAreRows = false;
  static constexpr int R = W == 4 ? 8 : W == 8 ? 4 : W == 12 ? 3 : 2;

  template <int Rows, class APanel>
  static void tile(std::int64_t kc, APanel a, const float* b, std::int64_t n, float* c, std::int64_t ldc, float alpha,
                   float beta) {
    float acc[Rows][W] = {};
    for (std::int64_t k = 0; k < kc; ++k) {
      for (int r = 0; r < Rows; ++r) {
        const float ar = *a.at(r);
        for (int j = 0; j < W; ++j) acc[r][j] += ar * b[j];
      }
      a.advance();
      b += W;
    }
    if (beta == 0.0f) {
      for (int r = 0; r < Rows; ++r)
        for (std::int64_t j = 0; j < n; ++j) c[r * ldc + j] = alpha * acc[r][j];
    } else {
      for (int r = 0; r < Rows; ++r)
        for (std::int64_t j = 0; j < n; ++j) c[r * ldc + j] = alpha * acc[r][j] + beta * c[r * ldc + j];
    }
  }
};

}  // namespace

void gemm_narrow_generic(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                         const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                         std::int64_t ldc, const GemmEpilogue& epilogue) {
  using gemm_detail::run_narrow_gemm;
  const std::int64_t kc_block = gemm_detail::balanced_block(K, GenericKernel::KC, 1);  // the blocked path's slices
  if (N <= 4)
    run_narrow_gemm<GenericNarrowTile<4>>(trans_a, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb, beta, C, ldc,
                                          epilogue);
  else if (N <= 8)
    run_narrow_gemm<GenericNarrowTile<8>>(trans_a, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb, beta, C, ldc,
                                          epilogue);
  else if (N <= 12)
    run_narrow_gemm<GenericNarrowTile<12>>(trans_a, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb, beta, C, ldc,
                                           epilogue);
  else
    run_narrow_gemm<GenericNarrowTile<16>>(trans_a, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb, beta, C, ldc,
                                           epilogue);
}

void gemm_generic(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                  const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                  std::int64_t ldc, const GemmEpilogue& epilogue) {
  gemm_detail::run_blocked_gemm<GenericKernel>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
                                               epilogue);
}

std::int64_t gemm_prepacked_b_size_generic(std::int64_t K, std::int64_t N) {
  return gemm_detail::prepacked_b_size<GenericKernel>(K, N);
}

void gemm_prepack_b_generic(bool trans_b, std::int64_t K, std::int64_t N, const float* B, std::int64_t ldb,
                            float* dst) {
  gemm_detail::prepack_b<GenericKernel>(trans_b, K, N, B, ldb, dst);
}

void gemm_prepacked_generic(bool trans_a, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                            std::int64_t lda, const float* packed_b, float beta, float* C, std::int64_t ldc,
                            const GemmEpilogue& epilogue) {
  gemm_detail::gemm_with_prepacked_b<GenericKernel>(trans_a, M, N, K, alpha, A, lda, packed_b, beta, C, ldc, epilogue);
}

void gemm_epilogue_generic(const GemmEpilogue& epilogue, std::int64_t M, std::int64_t N, float* C, std::int64_t ldc) {
  const gemm_detail::Finish finish = gemm_detail::finish_for(epilogue, true);
  if (finish.active) gemm_detail::finish_block(finish, C, ldc, M, N);
}

}  // namespace gradstep
