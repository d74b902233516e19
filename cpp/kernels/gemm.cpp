// gemm(): argument quick exits, then dispatch to the kernel set chosen by active_isa(): the narrow
// path for N <= 16 (gemm_narrow.hpp), the blocked one (gemm_blocked.hpp) otherwise.
#include "kernels/gemm.hpp"

#include "core/profile.hpp"

#include "core/cpu.hpp"
#include "kernels/gemm_isa.hpp"

#include <stdexcept>

// The build of a GEMM function for instruction set `isa` (gemm_isa.hpp): name_avx512, name_avx2
// or name_generic, all with the same signature.
#if GRADSTEP_X86
#define GRADSTEP_GEMM_KERNEL(isa, name) \
  ((isa) == Isa::avx512 ? name##_avx512 : (isa) == Isa::avx2 ? name##_avx2 : name##_generic)
#else
#define GRADSTEP_GEMM_KERNEL(isa, name) (name##_generic)
#endif

namespace gradstep {

namespace {

constexpr std::int64_t kNarrowMaxN = 16;  // gemm_narrow.hpp's widest op(B) (one zmm per row)

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

// The epilogue as a pass of its own, for the quick exits (no product to fuse it with): the
// blocked path's own finish_block, from the portable build (exact operations: the bits do not
// depend on the ISA).
void apply_epilogue(const GemmEpilogue& epilogue, std::int64_t M, std::int64_t N, float* C, std::int64_t ldc) {
  gemm_epilogue_generic(epilogue, M, N, C, ldc);
}

// The narrow path (N <= kNarrowMaxN) of instruction set `isa`, its epilogue applied per block of
// rows: what gemm() and gemm_prepacked() (with a narrow PackedB) both run.
void narrow_gemm(Isa isa, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                 const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                 std::int64_t ldc, const GemmEpilogue& epilogue) {
  GRADSTEP_GEMM_KERNEL(isa, gemm_narrow)(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
}

}  // namespace

void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
          std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc,
          const GemmEpilogue& epilogue) {
  ProfileScope profile(
      ProfiledKernel::gemm, 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K),
      4.0 * (static_cast<double>(M * K + K * N) + (beta != 0.0f ? 2.0 : 1.0) * static_cast<double>(M * N)));
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    apply_epilogue(epilogue, M, N, C, ldc);
    return;
  }
  // Narrow outputs (a classifier's 10 classes): the blocked path would pad N to its 16- or
  // 32-wide micro-kernel. The narrow path gives the same bits (gemm_narrow.hpp), so this is a
  // speed choice only; measured faster or equal for every M and K tried, on every ISA.
  if (N <= kNarrowMaxN) {
    narrow_gemm(active_isa(), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
    return;
  }
  GRADSTEP_GEMM_KERNEL(active_isa(), gemm)(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
}

void PackedB::pack(bool trans_b, std::int64_t K, std::int64_t N, const float* B, std::int64_t ldb) {
  isa_ = active_isa();
  K_ = K;
  N_ = N;
  narrow_ = N <= kNarrowMaxN;
  if (K <= 0 || N <= 0) return;
  if (narrow_) {
    // op(B), K x N row-major: the narrow path pads its own copy per call (K x 16 at most).
    data_.resize(static_cast<std::size_t>(K * N));
    float* dst = data_.data();
    for (std::int64_t k = 0; k < K; ++k)
      for (std::int64_t j = 0; j < N; ++j) dst[k * N + j] = trans_b ? B[j * ldb + k] : B[k * ldb + j];
    return;
  }
  data_.resize(static_cast<std::size_t>(GRADSTEP_GEMM_KERNEL(isa_, gemm_prepacked_b_size)(K, N)));
  GRADSTEP_GEMM_KERNEL(isa_, gemm_prepack_b)(trans_b, K, N, B, ldb, data_.data());
}

void gemm_prepacked(bool trans_a, std::int64_t M, float alpha, const float* A, std::int64_t lda, const PackedB& B,
                    float beta, float* C, std::int64_t ldc, const GemmEpilogue& epilogue) {
  ProfileScope profile(
      ProfiledKernel::gemm_prepacked,
      2.0 * static_cast<double>(M) * static_cast<double>(B.N_) * static_cast<double>(B.K_),
      4.0 * (static_cast<double>(M * B.K_ + B.K_ * B.N_) + (beta != 0.0f ? 2.0 : 1.0) * static_cast<double>(M * B.N_)));
  const std::int64_t N = B.N_, K = B.K_;
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    apply_epilogue(epilogue, M, N, C, ldc);
    return;
  }
  // The panels' layout depends on the instruction set they were packed for.
  if (B.isa_ != active_isa()) throw std::logic_error("gemm_prepacked: B was packed for another instruction set");
  if (B.narrow_) {  // the compact op(B), K x N row-major
    narrow_gemm(B.isa_, trans_a, false, M, N, K, alpha, A, lda, B.data_.data(), N, beta, C, ldc, epilogue);
    return;
  }
  GRADSTEP_GEMM_KERNEL(B.isa_, gemm_prepacked)(trans_a, M, N, K, alpha, A, lda, B.data_.data(), beta, C, ldc, epilogue);
}

}  // namespace gradstep
