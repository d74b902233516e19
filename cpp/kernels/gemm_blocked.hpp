// The blocked (BLIS-style) GEMM shared by every instruction set.
//
// Included ONLY by gemm_generic.cpp, gemm_avx2.cpp and gemm_avx512.cpp. Each of them defines a
// `Kernel` type (register tile MR x NR, block sizes, micro-kernel) and calls
// run_blocked_gemm<Kernel>(...). Everything here sits in an anonymous namespace on purpose:
// these translation units are compiled with different -m flags, and an inline function with
// external linkage would be merged across them by the linker, which could hand AVX-512 code to
// the baseline path. Internal linkage keeps one private copy per instruction set. For the same
// reason no std:: algorithm templates are used here (they are shared, externally linked
// instantiations).
//
// Algorithm (Goto/BLIS):
//   for jc over N in NC-wide column blocks        (thread-private part of C, see below)
//     for pc over K in KC-deep slices
//       pack op(B)[pc:pc+kc, jc:jc+nc] into NR-wide column slivers   (kc x NR each, k-major)
//       for ic over M in MC-tall row blocks
//         pack op(A)[ic:ic+mc, pc:pc+kc] into MR-tall row slivers    (kc x MR each, k-major)
//         for each NR sliver of B (stays in L1), for each MR sliver of A (streams from L2):
//           micro-kernel: MR x NR tile += sum over kc, in registers
//
// Packing reads A and B through the transpose flags and leading dimensions and zero-pads the
// ragged edges, so the micro-kernel only ever sees full MR x NR tiles; edge tiles of C go
// through a small temporary tile. alpha is applied when a tile is written; beta only on the
// first K slice (beta == 0 never reads C, so NaNs in C are overwritten), later slices add. The
// epilogue (GemmEpilogue: bias, ReLU) runs on each tile right after its last K slice is added.
//
// Determinism: each C element is  C = beta*C + alpha*acc(slice 0), then C += alpha*acc(slice s)
// in slice order, with acc a multiply-add chain over k in increasing order inside the slice.
// The K slicing depends on K only, and an element's arithmetic does not depend on where its
// tile sits (edge tiles run the same micro-kernel), so splitting C among threads changes
// nothing: 1 and N threads give bitwise identical results.
//
// Threading: C is cut into a tm x tn grid of MR/NR-aligned rectangles, one per thread. The grid
// minimises the packing traffic K*(M*tn + N*tm): with 2 threads a wide C is split by columns, a
// tall one by rows. A 1-D grid (the usual case) runs as a team that packs the operand all
// threads share once, together (try_team_gemm, barriers between blocks); otherwise, or when no
// team can be had, each rectangle runs as an independent serial GEMM with its own packing
// buffers.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/memory.hpp"
#include "core/parallel.hpp"
#include "kernels/gemm.hpp"

namespace gradstep {
namespace gemm_detail {
namespace {

using i64 = std::int64_t;

inline i64 min_i64(i64 a, i64 b) { return a < b ? a : b; }
inline i64 ceil_div(i64 a, i64 b) { return (a + b - 1) / b; }
inline i64 round_up(i64 a, i64 m) { return ceil_div(a, m) * m; }

// Splits `total` into equal blocks of at most `max_block`, each a multiple of `unit` (except
// possibly the last). Equal blocks avoid a thin remainder block (K = 784 with KC = 256 gives
// 4 x 196 rather than 3 x 256 + 16, which would pay a full C load/store for 16 k-steps).
inline i64 balanced_block(i64 total, i64 max_block, i64 unit) {
  const i64 blocks = ceil_div(total, max_block);
  i64 size = round_up(ceil_div(total, blocks), unit);
  return size < max_block ? size : max_block;
}

// ---------------------------------------------------------------------------------------------
// Packing

// Copies `width` strided streams into a k-major sliver: dst[k*W + w] = src[w*ld + k] for
// w < width (zero for width <= w < W). Used where the packed direction runs across rows of
// the source (A not transposed, B transposed). Reading 8 consecutive k from each stream into
// a small block first turns W scattered scalar loads per k into W short contiguous loads per
// 8 k, which the compiler vectorises and the hardware prefetcher follows.
template <int W>
void pack_gather(const float* src, i64 ld, i64 width, i64 kc, float* dst) {
  constexpr int kStep = 8;
  i64 k = 0;
  if (width == W) {
    for (; k + kStep <= kc; k += kStep) {
      float block[W][kStep];
      for (int w = 0; w < W; ++w)
        for (int t = 0; t < kStep; ++t) block[w][t] = src[w * ld + k + t];
      for (int t = 0; t < kStep; ++t)
        for (int w = 0; w < W; ++w) dst[(k + t) * W + w] = block[w][t];
    }
  }
  for (; k < kc; ++k)
    for (int w = 0; w < W; ++w) dst[k * W + w] = w < width ? src[w * ld + k] : 0.0f;
}

// Copies rows of a matrix whose packed direction is contiguous in memory (A transposed, B not
// transposed) into W-wide k-major slivers: sliver s gets dst_s[k*W + w] = src[k*ld + s*W + w],
// zero-padded past `width`. k is the OUTER loop so the source is read row by row, sequentially:
// walking one sliver at a time instead would stride down the rows by `ld` (e.g. 1 KiB), hitting
// the same few L1 sets and leaving the hardware prefetcher one cache line per row.
template <int W>
void pack_rows(const float* src, i64 ld, i64 width, i64 kc, float* dst) {
  const i64 full = width / W;
  const i64 rest = width - full * W;
  for (i64 k = 0; k < kc; ++k) {
    const float* row = src + k * ld;
    float* out = dst + k * W;
    // memcpy of a constant W floats compiles to a couple of vector moves (a plain loop here
    // stayed scalar: the compiler cannot rule out src/dst aliasing).
    for (i64 s = 0; s < full; ++s) std::memcpy(out + s * W * kc, row + s * W, W * sizeof(float));
    if (rest > 0)
      for (int w = 0; w < W; ++w) out[full * W * kc + w] = w < rest ? row[full * W + w] : 0.0f;
  }
}

// op(A)[0:mc, 0:kc] -> MR-tall slivers, sliver s at dst + s*MR*kc, element (k, r) at k*MR + r.
// `A` already points at op(A)(0, 0) of the block.
template <int MR>
void pack_a(bool trans_a, const float* A, i64 lda, i64 mc, i64 kc, float* dst) {
  if (trans_a) {
    // op(A)(i, k) = A[k*lda + i]: each k gives MR contiguous floats per sliver.
    pack_rows<MR>(A, lda, mc, kc, dst);
    return;
  }
  // op(A)(i, k) = A[i*lda + k]: MR row streams per sliver, each read sequentially along k.
  for (i64 i = 0; i < mc; i += MR) {
    pack_gather<MR>(A + i * lda, lda, min_i64(MR, mc - i), kc, dst);
    dst += MR * kc;
  }
}

// op(B)[0:kc, 0:nc] -> NR-wide slivers, sliver s at dst + s*NR*kc, element (k, c) at k*NR + c.
// `B` already points at op(B)(0, 0) of the block.
template <int NR>
void pack_b(bool trans_b, const float* B, i64 ldb, i64 kc, i64 nc, float* dst) {
  if (!trans_b) {
    // op(B)(k, j) = B[k*ldb + j]: each k gives NR contiguous floats per sliver.
    pack_rows<NR>(B, ldb, nc, kc, dst);
    return;
  }
  // op(B)(k, j) = B[j*ldb + k]: NR row streams per sliver, each read sequentially along k.
  for (i64 j = 0; j < nc; j += NR) {
    pack_gather<NR>(B + j * ldb, ldb, min_i64(NR, nc - j), kc, dst);
    dst += NR * kc;
  }
}

// ---------------------------------------------------------------------------------------------
// Epilogue: GemmEpilogue for the tiles of one K slice, with `bias` at the first column of the C
// block being written. `active` only on the last K slice, when the sums are complete.
struct Finish {
  const float* bias = nullptr;
  bool relu = false;
  bool active = false;
};

inline Finish finish_for(const GemmEpilogue& epilogue, bool last_slice) {
  Finish f;
  f.bias = epilogue.bias;
  f.relu = epilogue.relu;
  f.active = last_slice && (epilogue.bias != nullptr || epilogue.relu);
  return f;
}

// The same epilogue for the block starting `col` columns to the right.
inline Finish shifted(Finish f, i64 col) {
  if (f.bias != nullptr) f.bias += col;
  return f;
}

// c = f(c + bias) on rows x cols of C. The expressions of bias_activation_forward (activations.cpp:
// z + bias, then z > 0 ? z : 0), so the bits are the unfused ones. Branches on the flags sit
// outside the loops, which vectorise with this file's instruction set.
inline void finish_block(const Finish& f, float* c, i64 ldc, i64 rows, i64 cols) {
  const float* __restrict bias = f.bias;
  for (i64 r = 0; r < rows; ++r) {
    float* __restrict row = c + r * ldc;
    if (bias != nullptr && f.relu) {
      for (i64 j = 0; j < cols; ++j) {
        const float v = row[j] + bias[j];
        row[j] = v > 0.0f ? v : 0.0f;
      }
    } else if (bias != nullptr) {
      for (i64 j = 0; j < cols; ++j) row[j] = row[j] + bias[j];
    } else {
      // No bias: bias_activation_forward adds 0.0f, which turns -0 into +0; ReLU maps both to +0.
      for (i64 j = 0; j < cols; ++j) {
        const float v = row[j] + 0.0f;
        row[j] = v > 0.0f ? v : 0.0f;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A panel accessors: what the micro-kernel reads A through. at(i) is row i of the tile at the
// current k, advance() moves to the next k.

// A packed MR-tall sliver: element (k, r) at k*MR + r.
template <int MR>
struct PackedA {
  const float* p;
  const float* at(int i) const { return p + i; }
  void advance() { p += MR; }
};

// op(A) read in place: element (i, k) at i*row_stride + k*k_stride.
struct StridedA {
  const float* p;
  i64 row_stride;
  i64 k_stride;
  const float* at(int i) const { return p + i * row_stride; }
  void advance() { p += k_stride; }
};

// One MR x NR tile of C (rows x cols of it real). Ragged tiles run the same micro-kernel (same
// arithmetic) on a full temporary tile.
template <class Kernel, class APanel>
void run_tile(i64 kc, APanel a, const float* b, float* c, i64 ldc, i64 rows, i64 cols, float alpha, float beta,
              const Finish& finish) {
  constexpr int MR = Kernel::MR;
  constexpr int NR = Kernel::NR;
  if (rows == MR && cols == NR) {
    Kernel::micro(kc, a, b, c, ldc, alpha, beta);
    if (finish.active) finish_block(finish, c, ldc, MR, NR);
    return;
  }
  alignas(64) float edge_tile[MR * NR] = {};  // padding lanes: zeros, not whatever was there
  if (beta != 0.0f)
    for (i64 r = 0; r < rows; ++r)
      for (i64 cc = 0; cc < cols; ++cc) edge_tile[r * NR + cc] = c[r * ldc + cc];
  Kernel::micro(kc, a, b, edge_tile, NR, alpha, beta);
  for (i64 r = 0; r < rows; ++r)
    for (i64 cc = 0; cc < cols; ++cc) c[r * ldc + cc] = edge_tile[r * NR + cc];
  if (finish.active) finish_block(finish, c, ldc, rows, cols);
}

// ---------------------------------------------------------------------------------------------
// Macro-kernel: one packed mc x kc block of A times one packed kc x nc panel of B into C.

template <class Kernel>
void macro_kernel(i64 mc, i64 nc, i64 kc, const float* a_packed, const float* b_packed, float* C, i64 ldc, float alpha,
                  float beta, const Finish& finish) {
  constexpr int MR = Kernel::MR;
  constexpr int NR = Kernel::NR;
  // j outer, i inner: the kc x NR sliver of B is reused by every A sliver while it sits in L1.
  for (i64 j = 0; j < nc; j += NR) {
    const i64 cols = min_i64(NR, nc - j);
    const float* b = b_packed + j * kc;
    const Finish tile_finish = shifted(finish, j);
    for (i64 i = 0; i < mc; i += MR)
      run_tile<Kernel>(kc, PackedA<MR>{a_packed + i * kc}, b, C + i * ldc + j, ldc, min_i64(MR, mc - i), cols, alpha,
                       beta, tile_finish);
  }
}

// The same for a panel of B one sliver wide (nc <= NR), with A read in place: each A sliver
// would be used by a single micro-kernel call, so packing it would copy A once more than the
// multiply reads it (W1's 128 x 128 by 128 x 10 layer spent as long packing as multiplying).
// Only a ragged last sliver of rows is packed (into `a_scratch`, MR x kc), so that the
// micro-kernel never reads past A. `A` points at op(A)(0, 0) of the block.
template <class Kernel>
void macro_kernel_direct_a(bool trans_a, const float* A, i64 lda, i64 mc, i64 nc, i64 kc, const float* b_packed,
                           float* C, i64 ldc, float alpha, float beta, const Finish& finish, float* a_scratch) {
  constexpr int MR = Kernel::MR;
  for (i64 i = 0; i < mc; i += MR) {
    const i64 rows = min_i64(MR, mc - i);
    float* c = C + i * ldc;
    if (rows == MR) {
      const StridedA a = trans_a ? StridedA{A + i, 1, lda} : StridedA{A + i * lda, lda, 1};
      run_tile<Kernel>(kc, a, b_packed, c, ldc, rows, nc, alpha, beta, finish);
    } else {
      pack_a<MR>(trans_a, trans_a ? A + i : A + i * lda, lda, rows, kc, a_scratch);
      run_tile<Kernel>(kc, PackedA<MR>{a_scratch}, b_packed, c, ldc, rows, nc, alpha, beta, finish);
    }
  }
}

// All MC-tall row blocks of op(A) (columns pc .. pc+kc) times one packed kc x nc panel of B, into
// C's nc columns (C points at its column jc): gemm_rectangle's and gemm_with_prepacked_b's
// shared inner loop. A thin panel (nc <= NR) reads A in place (macro_kernel_direct_a).
template <class Kernel>
void multiply_panel(bool trans_a, i64 M, i64 mc_block, i64 nc, i64 kc, i64 pc, const float* A, i64 lda,
                    const float* b_packed, float* C, i64 ldc, float alpha, float beta, const Finish& finish,
                    float* a_packed) {
  constexpr int MR = Kernel::MR;
  constexpr int NR = Kernel::NR;
  for (i64 ic = 0; ic < M; ic += mc_block) {
    const i64 mc = min_i64(mc_block, M - ic);
    const float* a_src = trans_a ? A + pc * lda + ic : A + ic * lda + pc;
    if (nc <= NR) {
      macro_kernel_direct_a<Kernel>(trans_a, a_src, lda, mc, nc, kc, b_packed, C + ic * ldc, ldc, alpha, beta, finish,
                                    a_packed);
      continue;
    }
    pack_a<MR>(trans_a, a_src, lda, mc, kc, a_packed);
    macro_kernel<Kernel>(mc, nc, kc, a_packed, b_packed, C + ic * ldc, ldc, alpha, beta, finish);
  }
}

// ---------------------------------------------------------------------------------------------
// Serial blocked GEMM over one rectangle of C. A/B/C point at the rectangle's origin in op(A),
// op(B), C; kc_block is fixed by the caller from the full K (determinism, see top).

// Packing space, one pair per thread and per instruction set. It only grows, so once the
// largest shape has been seen a GEMM allocates nothing.
thread_local AlignedBuffer t_a_pack;
thread_local AlignedBuffer t_b_pack;

template <class Kernel>
void gemm_rectangle(bool trans_a, bool trans_b, i64 M, i64 N, i64 K, i64 kc_block, float alpha, const float* A, i64 lda,
                    const float* B, i64 ldb, float beta, float* C, i64 ldc, const GemmEpilogue& epilogue) {
  constexpr int MR = Kernel::MR;
  constexpr int NR = Kernel::NR;
  const i64 mc_block = balanced_block(M, Kernel::MC, MR);
  const i64 nc_block = balanced_block(N, Kernel::NC, NR);

  const std::size_t a_need = static_cast<std::size_t>(round_up(mc_block, MR) * kc_block);
  const std::size_t b_need = static_cast<std::size_t>(round_up(nc_block, NR) * kc_block);
  if (t_a_pack.capacity() < a_need) t_a_pack.resize(a_need);
  if (t_b_pack.capacity() < b_need) t_b_pack.resize(b_need);
  float* a_packed = t_a_pack.data();
  float* b_packed = t_b_pack.data();

  for (i64 jc = 0; jc < N; jc += nc_block) {
    const i64 nc = min_i64(nc_block, N - jc);
    for (i64 pc = 0; pc < K; pc += kc_block) {
      const i64 kc = min_i64(kc_block, K - pc);
      const float* b_src = trans_b ? B + jc * ldb + pc : B + pc * ldb + jc;
      pack_b<NR>(trans_b, b_src, ldb, kc, nc, b_packed);
      multiply_panel<Kernel>(trans_a, M, mc_block, nc, kc, pc, A, lda, b_packed, C + jc, ldc, alpha,
                             pc == 0 ? beta : 1.0f, shifted(finish_for(epilogue, pc + kc >= K), jc), a_packed);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// B packed once, multiplied many times (gemm_prepacked in gemm.hpp): the panels gemm_rectangle
// would pack for the whole of op(B), laid out one after another in its loop order (jc, then pc).
// The product then runs gemm_rectangle's loops with the same blocks, so its bits are those of
// gemm() with that B.

template <class Kernel>
i64 prepacked_b_size(i64 K, i64 N) {
  constexpr int NR = Kernel::NR;
  const i64 kc_block = balanced_block(K, Kernel::KC, 1);
  const i64 nc_block = balanced_block(N, Kernel::NC, NR);
  i64 total = 0;
  for (i64 jc = 0; jc < N; jc += nc_block)
    for (i64 pc = 0; pc < K; pc += kc_block)
      total += round_up(min_i64(nc_block, N - jc), NR) * min_i64(kc_block, K - pc);
  return total;
}

template <class Kernel>
void prepack_b(bool trans_b, i64 K, i64 N, const float* B, i64 ldb, float* dst) {
  constexpr int NR = Kernel::NR;
  const i64 kc_block = balanced_block(K, Kernel::KC, 1);
  const i64 nc_block = balanced_block(N, Kernel::NC, NR);
  for (i64 jc = 0; jc < N; jc += nc_block) {
    const i64 nc = min_i64(nc_block, N - jc);
    for (i64 pc = 0; pc < K; pc += kc_block) {
      const i64 kc = min_i64(kc_block, K - pc);
      pack_b<NR>(trans_b, trans_b ? B + jc * ldb + pc : B + pc * ldb + jc, ldb, kc, nc, dst);
      dst += round_up(nc, NR) * kc;
    }
  }
}

template <class Kernel>
void gemm_with_prepacked_b(bool trans_a, i64 M, i64 N, i64 K, float alpha, const float* A, i64 lda, const float* b_all,
                           float beta, float* C, i64 ldc, const GemmEpilogue& epilogue) {
  constexpr int MR = Kernel::MR;
  constexpr int NR = Kernel::NR;
  const i64 kc_block = balanced_block(K, Kernel::KC, 1);
  const i64 mc_block = balanced_block(M, Kernel::MC, MR);
  const i64 nc_block = balanced_block(N, Kernel::NC, NR);
  const std::size_t a_need = static_cast<std::size_t>(round_up(mc_block, MR) * kc_block);
  if (t_a_pack.capacity() < a_need) t_a_pack.resize(a_need);
  float* a_packed = t_a_pack.data();
  const float* b_packed = b_all;
  for (i64 jc = 0; jc < N; jc += nc_block) {
    const i64 nc = min_i64(nc_block, N - jc);
    for (i64 pc = 0; pc < K; pc += kc_block) {
      const i64 kc = min_i64(kc_block, K - pc);
      multiply_panel<Kernel>(trans_a, M, mc_block, nc, kc, pc, A, lda, b_packed, C + jc, ldc, alpha,
                             pc == 0 ? beta : 1.0f, shifted(finish_for(epilogue, pc + kc >= K), jc), a_packed);
      b_packed += round_up(nc, NR) * kc;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Team GEMM: a 1-D split in which the operand every thread needs is packed once, together.
//
// Split by columns (each thread owns a column range of C), every thread multiplies the same
// packed A block; split by rows, the same packed B panel. Packed independently (gemm_rectangle
// per thread) that operand would be packed once per thread: for W1's first layer (x: 128 x 784)
// that doubled the packing of A and cost ~15% of the GEMM on 2 threads. Here each thread packs a
// contiguous share of its slivers into a shared buffer, then all wait at a barrier, then each
// runs the macro-kernel on its own part. The shared buffer alternates between two halves, so a
// thread may pack block i+1 while a slower one still multiplies block i; it cannot reach block
// i+2 before everyone has passed barrier i+1, i.e. finished block i. Arithmetic per element is
// the same as gemm_rectangle's (same K slices, same micro-kernel): results are bitwise equal.

constexpr int kMaxTeam = 64;
struct TeamSpace {
  AlignedBuffer shared[2];
  AlignedBuffer own[kMaxTeam];  // one per thread
};
thread_local TeamSpace t_team;

// [first, last) of `units` items for thread t of nt (contiguous, sizes differ by at most one).
inline void share(i64 units, int t, int nt, i64& first, i64& last) {
  first = units * t / nt;
  last = units * (t + 1) / nt;
}

// Thread t's share of a shared block `extent` rows (or columns) long, in W-wide slivers:
// pack(offset, width, dst) packs `width` of them starting at `offset` into their place `dst`.
template <int W, class Pack>
void pack_share(i64 extent, int t, int nt, i64 kc, float* block, Pack pack) {
  i64 s0, s1;
  share(ceil_div(extent, W), t, nt, s0, s1);
  const i64 width = min_i64(extent - s0 * W, (s1 - s0) * W);
  if (width > 0) pack(s0 * W, width, block + s0 * W * kc);
}

template <class Kernel>
bool try_team_gemm(int threads, bool split_columns, bool trans_a, bool trans_b, i64 M, i64 N, i64 K, i64 kc_block,
                   float alpha, const float* A, i64 lda, const float* B, i64 ldb, float beta, float* C, i64 ldc,
                   const GemmEpilogue& epilogue) {
  constexpr int MR = Kernel::MR;
  constexpr int NR = Kernel::NR;
  if (threads > kMaxTeam || in_parallel_region()) return false;
  const i64 m_units = ceil_div(M, MR);
  const i64 n_units = ceil_div(N, NR);
  // Every thread must walk the same sequence of shared blocks (same barrier count).
  i64 mc_block, nc_block, own_need, shared_need;
  if (split_columns) {
    const i64 widest = ceil_div(n_units, threads) * NR;
    if (widest > Kernel::NC) return false;  // a thread's columns must fit one NC panel
    mc_block = balanced_block(M, Kernel::MC, MR);
    nc_block = widest;
    shared_need = round_up(mc_block, MR) * kc_block;
    own_need = nc_block * kc_block;
  } else {
    const i64 tallest = ceil_div(m_units, threads) * MR;
    mc_block = balanced_block(tallest, Kernel::MC, MR);
    nc_block = balanced_block(N, Kernel::NC, NR);
    shared_need = round_up(nc_block, NR) * kc_block;
    own_need = round_up(mc_block, MR) * kc_block;
  }
  // Allocate before the team starts: nothing inside may throw.
  for (AlignedBuffer& buffer : t_team.shared)
    if (buffer.capacity() < static_cast<std::size_t>(shared_need)) buffer.resize(static_cast<std::size_t>(shared_need));
  for (int t = 0; t < threads; ++t)
    if (t_team.own[t].capacity() < static_cast<std::size_t>(own_need))
      t_team.own[t].resize(static_cast<std::size_t>(own_need));
  float* shared[2] = {t_team.shared[0].data(), t_team.shared[1].data()};
  float* own[kMaxTeam];
  for (int t = 0; t < threads; ++t) own[t] = t_team.own[t].data();

  TeamBarrier barrier(threads);
  return run_team(threads, [&](int t, int nt) {
    int step = 0;
    if (split_columns) {
      i64 u0, u1;
      share(n_units, t, nt, u0, u1);
      const i64 n0 = u0 * NR, n1 = min_i64(N, u1 * NR);
      const i64 nc = n1 > n0 ? n1 - n0 : 0;
      for (i64 pc = 0; pc < K; pc += kc_block) {
        const i64 kc = min_i64(kc_block, K - pc);
        if (nc > 0) pack_b<NR>(trans_b, trans_b ? B + n0 * ldb + pc : B + pc * ldb + n0, ldb, kc, nc, own[t]);
        const float beta_here = pc == 0 ? beta : 1.0f;
        // (A thread without columns leaves its bias pointer alone: n0 may lie past N.)
        const Finish finish = shifted(finish_for(epilogue, pc + kc >= K), nc > 0 ? n0 : 0);
        for (i64 ic = 0; ic < M; ic += mc_block) {
          const i64 mc = min_i64(mc_block, M - ic);
          float* a_packed = shared[step++ & 1];
          pack_share<MR>(mc, t, nt, kc, a_packed, [&](i64 offset, i64 rows, float* dst) {
            const i64 r0 = ic + offset;
            pack_a<MR>(trans_a, trans_a ? A + pc * lda + r0 : A + r0 * lda + pc, lda, rows, kc, dst);
          });
          barrier.wait();
          if (nc > 0)
            macro_kernel<Kernel>(mc, nc, kc, a_packed, own[t], C + ic * ldc + n0, ldc, alpha, beta_here, finish);
        }
      }
      return;
    }
    i64 u0, u1;
    share(m_units, t, nt, u0, u1);
    const i64 m0 = u0 * MR, m1 = min_i64(M, u1 * MR);
    for (i64 jc = 0; jc < N; jc += nc_block) {
      const i64 nc = min_i64(nc_block, N - jc);
      for (i64 pc = 0; pc < K; pc += kc_block) {
        const i64 kc = min_i64(kc_block, K - pc);
        float* b_packed = shared[step++ & 1];
        pack_share<NR>(nc, t, nt, kc, b_packed, [&](i64 offset, i64 cols, float* dst) {
          const i64 c0 = jc + offset;
          pack_b<NR>(trans_b, trans_b ? B + c0 * ldb + pc : B + pc * ldb + c0, ldb, kc, cols, dst);
        });
        barrier.wait();
        const float beta_here = pc == 0 ? beta : 1.0f;
        const Finish finish = shifted(finish_for(epilogue, pc + kc >= K), jc);
        for (i64 ic = m0; ic < m1; ic += mc_block) {
          const i64 mc = min_i64(mc_block, m1 - ic);
          pack_a<MR>(trans_a, trans_a ? A + pc * lda + ic : A + ic * lda + pc, lda, mc, kc, own[t]);
          macro_kernel<Kernel>(mc, nc, kc, own[t], b_packed, C + ic * ldc + jc, ldc, alpha, beta_here, finish);
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Thread partition and entry point.

// Each thread gets at least this many flops (about 25 us of work at 80 GFLOP/s). A fork/join
// costs a few microseconds on an idle machine, but on a busy one (other processes on the
// cores) every region waits for the slowest thread to be scheduled: tiny regions then cost
// 10-100x their work (W1's 128x128x10 layer-3 GEMMs, 0.3 MFLOP, were parallel at the old
// threshold of 2^17). W1's layer-1 and layer-2 GEMMs (51 and 8.4 MFLOP) stay parallel.
constexpr i64 kMinFlopsPerThread = 1 << 21;

struct Grid {
  i64 rows = 1;  // tm
  i64 cols = 1;  // tn
};

// Chooses tm x tn <= threads (every thread gets at least one MR x NR tile) minimising the
// packing traffic M*tn + N*tm; ties prefer more threads.
inline Grid choose_grid(int threads, i64 M, i64 N, i64 m_units, i64 n_units) {
  Grid best;
  double best_cost = -1.0;
  for (i64 t = threads; t >= 1; --t) {
    for (i64 tm = 1; tm <= t; ++tm) {
      if (t % tm != 0) continue;
      const i64 tn = t / tm;
      if (tm > m_units || tn > n_units) continue;
      const double cost = static_cast<double>(M) * tn + static_cast<double>(N) * tm;
      if (best_cost < 0.0 || cost < best_cost) {
        best_cost = cost;
        best.rows = tm;
        best.cols = tn;
      }
    }
    if (best_cost >= 0.0) break;  // the largest usable thread count wins
  }
  return best;
}

template <class Kernel>
void run_blocked_gemm(bool trans_a, bool trans_b, i64 M, i64 N, i64 K, float alpha, const float* A, i64 lda,
                      const float* B, i64 ldb, float beta, float* C, i64 ldc, const GemmEpilogue& epilogue) {
  if (M <= 0 || N <= 0 || K <= 0) return;  // gemm() handles these; keep the driver safe
  constexpr int MR = Kernel::MR;
  constexpr int NR = Kernel::NR;
  // Depends on K only: the summation order of every element is fixed before threads exist.
  const i64 kc_block = balanced_block(K, Kernel::KC, 1);

  const i64 m_units = ceil_div(M, MR);
  const i64 n_units = ceil_div(N, NR);
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  int threads = get_num_threads();
  const double by_work = flops / static_cast<double>(kMinFlopsPerThread);
  if (by_work < threads) threads = by_work < 1.0 ? 1 : static_cast<int>(by_work);
  if (threads > 1 && in_parallel_region()) threads = 1;

  if (threads <= 1) {
    gemm_rectangle<Kernel>(trans_a, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
    return;
  }

  const Grid grid = choose_grid(threads, M, N, m_units, n_units);
  const i64 parts = grid.rows * grid.cols;
  if (parts > 1 && (grid.rows == 1 || grid.cols == 1) &&
      try_team_gemm<Kernel>(static_cast<int>(parts), grid.rows == 1, trans_a, trans_b, M, N, K, kc_block, alpha, A, lda,
                            B, ldb, beta, C, ldc, epilogue))
    return;
  parallel_for(0, parts, 1, [&](i64 first, i64 last) {
    for (i64 part = first; part < last; ++part) {
      const i64 pr = part / grid.cols;
      const i64 pcol = part % grid.cols;
      // Boundaries on MR / NR multiples so full tiles stay full.
      const i64 m0 = min_i64(M, (m_units * pr / grid.rows) * MR);
      const i64 m1 = min_i64(M, (m_units * (pr + 1) / grid.rows) * MR);
      const i64 n0 = min_i64(N, (n_units * pcol / grid.cols) * NR);
      const i64 n1 = min_i64(N, (n_units * (pcol + 1) / grid.cols) * NR);
      if (m0 >= m1 || n0 >= n1) continue;
      const float* a_origin = trans_a ? A + m0 : A + m0 * lda;
      const float* b_origin = trans_b ? B + n0 * ldb : B + n0;
      GemmEpilogue part_epilogue = epilogue;
      if (part_epilogue.bias != nullptr) part_epilogue.bias += n0;
      gemm_rectangle<Kernel>(trans_a, trans_b, m1 - m0, n1 - n0, K, kc_block, alpha, a_origin, lda, b_origin, ldb, beta,
                             C + m0 * ldc + n0, ldc, part_epilogue);
    }
  });
}

}  // namespace
}  // namespace gemm_detail
}  // namespace gradstep
