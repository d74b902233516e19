// General matrix multiply, row-major:  C = alpha * op(A) * op(B) + beta * C
//
//   op(A) is M x K: A itself (lda >= K) or, with trans_a, the transpose of a K x M matrix (lda >= M).
//   op(B) is K x N: B itself (ldb >= N) or, with trans_b, the transpose of an N x K matrix (ldb >= K).
//   C is M x N with ldc >= N. beta == 0 means C is write-only (NaNs in C do not propagate).
//
// Transposes are never materialised: packing reads A and B with the right strides (N <= 16 takes
// a narrow path that reads op(A) in place and copies only op(B), kernels/gemm_narrow.hpp). The
// result of every element is summed over K in the same order whatever the thread count, so
// results are bitwise identical for 1 or N threads. The kernel used (AVX-512, AVX2+FMA or portable)
// follows active_isa() (core/cpu.hpp).
#pragma once

#include <cstdint>

#include "core/cpu.hpp"
#include "core/memory.hpp"

namespace gradstep {

// What the GEMM does to each element of C once its sum is complete, while the element's tile is
// still in L1:  C[i][j] = f(C[i][j] + bias[j])  (bias: N floats, or null; f: identity or ReLU).
// It replaces the separate bias + activation pass of a layer's forward (a second trip of C
// through the cache). Only f that are exact on their input are offered, and the expressions are
// those of bias_activation_forward (kernels/activations.hpp): the fused result has its bits.
// A plain aggregate without member functions on purpose: gemm_blocked.hpp is compiled once per
// instruction set, and an inline member would be one externally linked copy for all of them.
struct GemmEpilogue {
  const float* bias = nullptr;
  bool relu = false;
};

void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
          std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc,
          const GemmEpilogue& epilogue = {});

// op(B) packed once for many products with it (a recurrent kernel, multiplied at every time
// step): pack() lays it out as the GEMM's panels for the active instruction set, and
// gemm_prepacked() then packs only A. The result has the bits of gemm() with that B. The buffer
// only grows: repacking a B of the same shape allocates nothing. A narrow op(B) (N <= 16, such
// as a first convolution's 16 filters) is kept as a compact K x N copy for gemm()'s narrow path:
// the blocked panels would pad it to a 32-wide micro-kernel whose every tile is an edge tile.
class PackedB {
 public:
  void pack(bool trans_b, std::int64_t K, std::int64_t N, const float* B, std::int64_t ldb);
  std::int64_t rows() const { return K_; }
  std::int64_t cols() const { return N_; }

 private:
  friend void gemm_prepacked(bool, std::int64_t, float, const float*, std::int64_t, const PackedB&, float, float*,
                             std::int64_t, const GemmEpilogue&);
  AlignedBuffer data_;
  std::int64_t K_ = 0, N_ = 0;
  Isa isa_ = Isa::generic;
  bool narrow_ = false;
};

// C = alpha * op(A) * B + beta * C with B from PackedB::pack (K x N), op(A) M x K. Meant for a
// thread that owns its rows of C, inside a parallel region, where it is serial. (Outside one,
// the narrow path may split a large product's rows among threads, with the same bits.)
void gemm_prepacked(bool trans_a, std::int64_t M, float alpha, const float* A, std::int64_t lda, const PackedB& B,
                    float beta, float* C, std::int64_t ldc, const GemmEpilogue& epilogue = {});

}  // namespace gradstep
