// General matrix multiply, row-major:  C = alpha * op(A) * op(B) + beta * C
//
//   op(A) is M x K: A itself (lda >= K) or, with trans_a, the transpose of a K x M matrix (lda >= M).
//   op(B) is K x N: B itself (ldb >= N) or, with trans_b, the transpose of an N x K matrix (ldb >= K).
//   C is M x N with ldc >= N. beta == 0 means C is write-only (NaNs in C do not propagate).
//
// Transposes are never materialised: packing reads A and B with the right strides. The result
// of every element is summed over K in the same order whatever the thread count, so results
// are bitwise identical for 1 or N threads. The kernel used (AVX-512, AVX2+FMA or portable)
// follows active_isa() (core/cpu.hpp).
#pragma once

#include <cstdint>

namespace gradstep {

void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
          const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
          std::int64_t ldc);

}  // namespace gradstep
