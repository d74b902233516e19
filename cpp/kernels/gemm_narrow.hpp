// The narrow GEMM (N <= 16) shared by every instruction set: gemm() takes it for op(B) with few
// columns, such as a classifier's output layer (W1: 128 x 128 by 128 x 10).
//
// Included ONLY by gemm_generic.cpp, gemm_avx2.cpp and gemm_avx512.cpp, after gemm_blocked.hpp
// (same anonymous-namespace rule: one private copy per instruction set). Each defines a `Tile`
// type and calls run_narrow_gemm<Tile>(...).
//
// Why not the blocked algorithm: its micro-kernel is NR = 32 (AVX-512) or 16 (AVX2) columns
// wide, so for N = 10 it computes 32 (16) lanes per row of C to keep 10. Here op(B) (K x N,
// small) is copied once into a zero-padded K x W array, W a whole number of vectors (AVX-512:
// W = 16, one masked zmm per row of op(B)); op(A) is read in place, and each block of R rows of
// C keeps R x W accumulators in registers while k runs over K:
//   acc[r] += broadcast(op(A)(i + r, k)) * op(B)(k, 0:W)
// Only the N real columns of C are read or written.
//
// A Tile either keeps rows of C in registers (lanes = columns of C; kLanesAreRows false): it has
// tile<Rows>(kc, a, b, n, c, ldc, alpha, beta) for a block of exactly Rows rows. Or, for a
// transposed A, whose columns are contiguous, lanes run over rows of C (kLanesAreRows true):
// tile(rows, kc, a, b, c, ldc, alpha, beta), rows <= R, with N fixed by the Tile.
//
// Same bits as the blocked path: K is cut into the blocked path's slices (kc_block, passed in
// from the instruction set's Kernel::KC), each slice's sum is an FMA (or multiply-add) chain
// over k in increasing order starting from zero, and it is applied to C exactly like the
// blocked micro-kernel does (C = alpha*acc + beta*C on the first slice, C = alpha*acc + C on the
// later ones, beta == 0 never reads C). So whether gemm() takes this path or the blocked one
// never changes a result (gemm_prepacked, always blocked, keeps the bits of gemm()), and rows
// are independent: any split among threads gives bitwise identical results.
//
// The epilogue (bias, ReLU; GemmEpilogue) is applied to each block of R rows right after its
// last K slice, while the block is in L1: the blocked path's finish_block, so the same bits.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/memory.hpp"
#include "core/parallel.hpp"
#include "kernels/gemm_blocked.hpp"

namespace gradstep {
namespace gemm_detail {
namespace {

// op(A) read in place, one accessor per transpose so that the strides the k loop steps with
// are compile-time constants where they can be.
// Not transposed: row r of the block at p + r*ld, k contiguous.
struct NarrowRowsA {
  const float* p;
  i64 ld;
  const float* at(int r) const { return p + r * ld; }
  void advance() { ++p; }
};
// Transposed: the block's R values for one k are contiguous, the next k is ld further.
struct NarrowColsA {
  const float* p;
  i64 ld;
  const float* at(int r) const { return p + r; }
  void advance() { p += ld; }
};

// op(B), padded copy, one per thread and instruction set (only grows).
thread_local AlignedBuffer t_narrow_b;

// dst[k*W + j] = op(B)(k, j) for j < N, 0 for N <= j < W.
template <int W>
void copy_narrow_b(bool trans_b, i64 K, i64 N, const float* B, i64 ldb, float* dst) {
  if (trans_b) {
    // op(B)(k, j) = B[j*ldb + k]: N streams along k; W floats per k are written together.
    for (i64 k = 0; k < K; ++k)
      for (int j = 0; j < W; ++j) dst[k * W + j] = j < N ? B[j * ldb + k] : 0.0f;
    return;
  }
  for (i64 k = 0; k < K; ++k) {
    float* row = dst + k * W;
    std::memcpy(row, B + k * ldb, static_cast<std::size_t>(N) * sizeof(float));
    for (i64 j = N; j < W; ++j) row[j] = 0.0f;
  }
}

// The largest power of two below r (1 for r <= 2): ragged rows at the bottom of C run in
// blocks of 8, 4, 2, 1 rows (any remainder below 2 * that is covered).
constexpr int pow2_below(int r) {
  int p = 1;
  while (p * 2 < r) p *= 2;
  return p;
}

// One block of `Rows` rows of C (`rows` <= Rows of them real: lanes-are-rows tiles mask the
// rest; the other tiles only ever get rows == Rows), all K slices.
template <class Tile, int Rows, class APanel>
void narrow_block(APanel a, i64 K, i64 kc_block, i64 a_k_step, const float* b, i64 N, float* c, i64 ldc, float alpha,
                  float beta, const Finish& finish, int rows = Rows) {
  for (i64 pc = 0; pc < K; pc += kc_block) {
    const i64 kc = min_i64(kc_block, K - pc);
    APanel slice = a;
    slice.p += pc * a_k_step;
    const float beta_here = pc == 0 ? beta : 1.0f;
    if constexpr (Tile::kLanesAreRows)
      Tile::tile(rows, kc, slice, b + pc * Tile::W, c, ldc, alpha, beta_here);
    else
      Tile::template tile<Rows>(kc, slice, b + pc * Tile::W, N, c, ldc, alpha, beta_here);
  }
  if (finish.active) finish_block(finish, c, ldc, rows, N);
}

template <class Tile, int Rows, class APanel>
void narrow_tail(i64 rows, APanel a, i64 a_row_step, i64 K, i64 kc_block, i64 a_k_step, const float* b, i64 N, float* c,
                 i64 ldc, float alpha, float beta, const Finish& finish) {
  if (rows >= Rows) {
    narrow_block<Tile, Rows>(a, K, kc_block, a_k_step, b, N, c, ldc, alpha, beta, finish);
    a.p += Rows * a_row_step;
    c += Rows * ldc;
    rows -= Rows;
  }
  if constexpr (Rows > 1)
    narrow_tail<Tile, Rows / 2>(rows, a, a_row_step, K, kc_block, a_k_step, b, N, c, ldc, alpha, beta, finish);
}

// Rows [i0, i1) of C; op(B) already copied to `b` (K x Tile::W).
template <class Tile, class APanel>
void narrow_rows(i64 i0, i64 i1, APanel a, i64 a_row_step, i64 K, i64 kc_block, i64 a_k_step, const float* b, i64 N,
                 float* C, i64 ldc, float alpha, float beta, const Finish& finish) {
  constexpr int R = Tile::R;
  a.p += i0 * a_row_step;
  float* c = C + i0 * ldc;
  i64 i = i0;
  for (; i + R <= i1; i += R) {
    narrow_block<Tile, R>(a, K, kc_block, a_k_step, b, N, c, ldc, alpha, beta, finish);
    a.p += R * a_row_step;
    c += R * ldc;
  }
  if constexpr (Tile::kLanesAreRows) {
    if (i < i1)
      narrow_block<Tile, R>(a, K, kc_block, a_k_step, b, N, c, ldc, alpha, beta, finish, static_cast<int>(i1 - i));
  } else {
    narrow_tail<Tile, pow2_below(R)>(i1 - i, a, a_row_step, K, kc_block, a_k_step, b, N, c, ldc, alpha, beta, finish);
  }
}

// C = alpha * op(A) * op(B) + beta * C for N <= Tile::W (gemm() calls it for N <= 16); kc_block as
// the blocked path computes it for the same K (same bits, see top).
template <class Tile>
void run_narrow_gemm(bool trans_a, bool trans_b, i64 M, i64 N, i64 K, i64 kc_block, float alpha, const float* A,
                     i64 lda, const float* B, i64 ldb, float beta, float* C, i64 ldc, const GemmEpilogue& epilogue) {
  if (M <= 0 || N <= 0 || K <= 0) return;  // gemm() handles these; keep the driver safe
  constexpr int R = Tile::R;
  constexpr int W = Tile::W;
  const std::size_t b_need = static_cast<std::size_t>(K * W);
  if (t_narrow_b.capacity() < b_need) t_narrow_b.resize(b_need);
  float* b = t_narrow_b.data();
  copy_narrow_b<W>(trans_b, K, N, B, ldb, b);

  // Same thread rule as the blocked path (kMinFlopsPerThread): small products stay serial.
  const i64 blocks = ceil_div(M, R);
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const double by_work = flops / static_cast<double>(kMinFlopsPerThread);
  i64 threads = get_num_threads();
  if (by_work < static_cast<double>(threads)) threads = by_work < 1.0 ? 1 : static_cast<i64>(by_work);
  if (threads > blocks) threads = blocks;
  const i64 min_blocks = threads <= 1 ? blocks : ceil_div(blocks, threads);

  const Finish finish = finish_for(epilogue, true);
  auto run = [&](auto a, i64 a_row_step, i64 a_k_step) {
    parallel_for(0, blocks, min_blocks, [&](i64 first, i64 last) {
      narrow_rows<Tile>(first * R, min_i64(M, last * R), a, a_row_step, K, kc_block, a_k_step, b, N, C, ldc, alpha,
                        beta, finish);
    });
  };
  if constexpr (Tile::kLanesAreRows)
    run(NarrowColsA{A, lda}, 1, lda);  // op(A) = A^T only (the caller checks)
  else if (trans_a)
    run(NarrowColsA{A, lda}, 1, lda);
  else
    run(NarrowRowsA{A, lda}, lda, 1);
}

}  // namespace
}  // namespace gemm_detail
}  // namespace gradstep
