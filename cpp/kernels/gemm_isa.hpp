// Per-instruction-set GEMM entry points, internal to the kernels.
//
// Each one is the whole blocked algorithm (gemm_blocked.hpp), or the narrow one for N <= 16
// (gemm_narrow.hpp), compiled in its own translation unit with its own -m flags and kernels, so the wide-register code
// never leaks into the baseline library. Only gemm() (gemm.cpp) should call these, after checking active_isa(): calling
// gemm_avx2/gemm_avx512 on a CPU without those registers is an illegal instruction.
//
// Same meaning and arguments as gemm() (kernels/gemm.hpp). Preconditions, guaranteed by
// gemm(): M, N, K >= 1 and alpha != 0 (the quick exits live in gemm.cpp). The blocked paths apply
// the epilogue tile by tile; gemm.cpp applies it after the narrow one (C is at most 16 wide).
#pragma once

#include <cstdint>

#include "kernels/gemm.hpp"

namespace gradstep {

void gemm_generic(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                  const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                  std::int64_t ldc, const GemmEpilogue& epilogue);

// The narrow path (gemm_narrow.hpp) for N <= 16, same bits as the blocked one (epilogue
// included): gemm() picks it.
void gemm_narrow_generic(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                         const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                         std::int64_t ldc, const GemmEpilogue& epilogue);

// C = f(C + bias) on M x N (gemm_blocked.hpp's finish_block), for the paths that apply the
// epilogue after the product; nothing for an empty epilogue.
void gemm_epilogue_generic(const GemmEpilogue& epilogue, std::int64_t M, std::int64_t N, float* C, std::int64_t ldc);

std::int64_t gemm_prepacked_b_size_generic(std::int64_t K, std::int64_t N);
void gemm_prepack_b_generic(bool trans_b, std::int64_t K, std::int64_t N, const float* B, std::int64_t ldb, float* dst);
void gemm_prepacked_generic(bool trans_a, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                            std::int64_t lda, const float* packed_b, float beta, float* C, std::int64_t ldc,
                            const GemmEpilogue& epilogue);

#if GRADSTEP_X86
std::int64_t gemm_prepacked_b_size_avx2(std::int64_t K, std::int64_t N);
void gemm_prepack_b_avx2(bool trans_b, std::int64_t K, std::int64_t N, const float* B, std::int64_t ldb, float* dst);
void gemm_prepacked_avx2(bool trans_a, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                         std::int64_t lda, const float* packed_b, float beta, float* C, std::int64_t ldc,
                         const GemmEpilogue& epilogue);
std::int64_t gemm_prepacked_b_size_avx512(std::int64_t K, std::int64_t N);
void gemm_prepack_b_avx512(bool trans_b, std::int64_t K, std::int64_t N, const float* B, std::int64_t ldb, float* dst);
void gemm_prepacked_avx512(bool trans_a, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                           std::int64_t lda, const float* packed_b, float beta, float* C, std::int64_t ldc,
                           const GemmEpilogue& epilogue);
void gemm_avx2(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
               std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc,
               const GemmEpilogue& epilogue);

void gemm_avx512(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                 const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                 std::int64_t ldc, const GemmEpilogue& epilogue);

void gemm_narrow_avx2(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                      const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                      std::int64_t ldc, const GemmEpilogue& epilogue);
void gemm_narrow_avx512(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                        const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                        std::int64_t ldc, const GemmEpilogue& epilogue);
#endif

}  // namespace gradstep
