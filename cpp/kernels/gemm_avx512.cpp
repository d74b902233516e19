// AVX-512F GEMM: the blocked algorithm with a 12 x 32 intrinsics micro-kernel.
//
// Compiled with -mavx512f/dq/vl/bw (CMake, by file name) and entered only when CPUID and the
// OS report AVX-512 (Isa::avx512). Register budget (32 zmm): 12 rows x 2 vectors = 24
// accumulators, 2 B vectors, 1 broadcast of A = 27. Per k step 2 loads + 12 broadcasts feed
// 24 FMAs; two 512-bit FMA pipes with a 4-cycle latency need >= 8 independent chains.
#include <immintrin.h>

#include "kernels/gemm_blocked.hpp"
#include "kernels/gemm_isa.hpp"
#include "kernels/gemm_narrow.hpp"

namespace gradstep {

namespace {

struct Avx512Kernel {
  static constexpr int MR = 12;
  static constexpr int NR = 32;
  //   B sliver KC x NR = 192 x 32 floats = 24 KiB: fits the 32-48 KiB L1d of AVX-512 cores.
  //   A block  MC x KC = 240 x 192 floats = 180 KiB: in L2 (1-2 MiB on AVX-512 server cores).
  //   B panel  KC x NC = 192 x 4096 floats = 3 MiB: in L3.
  static constexpr std::int64_t MC = 240;
  static constexpr std::int64_t KC = 192;
  static constexpr std::int64_t NC = 4096;

  // noinline: inlined into the macro-kernel loop nest, GCC 12 ran out of zmm registers and
  // spilled a B vector to the stack inside the k loop; as its own function it spills nothing.
  // a: a panel accessor (gemm_blocked.hpp): packed sliver, or A read in place.
  template <class APanel>
  __attribute__((noinline)) static void micro(std::int64_t kc, APanel a, const float* b, float* c, std::int64_t ldc,
                                              float alpha, float beta) {
    // Constant indices after full unrolling let the compiler keep the whole array in zmm
    // registers (checked in the disassembly: no stack access in the k loop).
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      acc[i][0] = _mm512_setzero_ps();
      acc[i][1] = _mm512_setzero_ps();
    }

#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
    }

#pragma GCC unroll 2
    for (std::int64_t k = 0; k < kc; ++k) {
      const __m512 b0 = _mm512_loadu_ps(b);
      const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
      for (int i = 0; i < MR; ++i) {
        const __m512 av = _mm512_set1_ps(*a.at(i));
        acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
      }
      a.advance();
      b += NR;
    }

    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
      // C is write-only: never load it (NaN/Inf garbage in C must not reach the result).
#pragma GCC unroll 12
      for (int i = 0; i < MR; ++i) {
        float* row = c + i * ldc;
        _mm512_storeu_ps(row, _mm512_mul_ps(va, acc[i][0]));
        _mm512_storeu_ps(row + 16, _mm512_mul_ps(va, acc[i][1]));
      }
    } else {
      const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
      for (int i = 0; i < MR; ++i) {
        float* row = c + i * ldc;
        _mm512_storeu_ps(row, _mm512_fmadd_ps(va, acc[i][0], _mm512_mul_ps(vb, _mm512_loadu_ps(row))));
        _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(va, acc[i][1], _mm512_mul_ps(vb, _mm512_loadu_ps(row + 16))));
      }
    }
  }
};

// Narrow path (gemm_narrow.hpp): one zmm per row of C, its N <= 16 real lanes selected by a
// mask. 14 rows = 14 independent FMA chains (>= 8 needed for two pipes at 4 cycles), one B
// load per k, and the broadcasts of A fold into the FMAs ({1to16} memory operands), so a k step
// is 14 FMAs + 15 loads: balanced between the two FMA and the two load ports.
struct Avx512NarrowTile {
  static constexpr int R = 14;
  static constexpr int W = 16;
  static constexpr bool kLanesAreRows = false;

  template <int Rows, class APanel>
  __attribute__((noinline)) static void tile(std::int64_t kc, APanel a, const float* b, std::int64_t n, float* c,
                                             std::int64_t ldc, float alpha, float beta) {
    __m512 acc[Rows];
#pragma GCC unroll 16
    for (int r = 0; r < Rows; ++r) acc[r] = _mm512_setzero_ps();
#pragma GCC unroll 2
    for (std::int64_t k = 0; k < kc; ++k) {
      const __m512 bk = _mm512_load_ps(b);  // the padded copy: 64-byte aligned rows
#pragma GCC unroll 16
      for (int r = 0; r < Rows; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(*a.at(r)), bk, acc[r]);
      a.advance();
      b += W;
    }
    // Lanes >= n hold zeros (or NaN from 0 * inf in A): never stored.
    const __mmask16 mask = static_cast<__mmask16>((1u << n) - 1u);
    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
      // C is write-only: never load it (NaN/Inf garbage in C must not reach the result).
#pragma GCC unroll 16
      for (int r = 0; r < Rows; ++r) _mm512_mask_storeu_ps(c + r * ldc, mask, _mm512_mul_ps(va, acc[r]));
    } else {
      const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
      for (int r = 0; r < Rows; ++r) {
        float* row = c + r * ldc;
        const __m512 old = _mm512_maskz_loadu_ps(mask, row);
        _mm512_mask_storeu_ps(row, mask, _mm512_fmadd_ps(va, acc[r], _mm512_mul_ps(vb, old)));
      }
    }
  }
};

// Narrow path for a transposed A (the weight gradient X^T * dZ): a column of op(A) is a row of
// A, contiguous, so lanes can run over 16 rows of C instead of its N columns: every lane of every
// FMA is a real product (the tile above computes 16 lanes for N = 10 real ones). acc[v][j] holds
// C(i + 16v .. i + 16v + 15, j); a k step loads V vectors of A and broadcasts op(B)(k, j) for
// each j. The products and their k order are those of the other tiles, so are the bits.
// V * N accumulators: as many as fit in 32 zmm next to V vectors of A and a broadcast (>= 8
// chains for N >= 2; N = 1 has 4).
template <int N>
struct Avx512LanesAreRowsTile {
  static constexpr bool kLanesAreRows = true;
  static constexpr int V = 28 / (N + 1) < 4 ? 28 / (N + 1) : 4;
  static constexpr int R = 16 * V;
  static constexpr int W = 16;

  // a.p: op(A)(first row, first k of the slice); b: op(B)'s padded copy at that k.
  template <class APanel>
  static void tile(int rows, std::int64_t kc, APanel a, const float* b, float* c, std::int64_t ldc, float alpha,
                   float beta) {
    // A ragged last block of at most 16 rows runs one masked vector instead of V.
    if (V > 1 && rows <= 16)
      vectors<1>(rows, kc, a.p, a.ld, b, c, ldc, alpha, beta);
    else
      vectors<V>(rows, kc, a.p, a.ld, b, c, ldc, alpha, beta);
  }

  template <int Vs>
  __attribute__((noinline)) static void vectors(int rows, std::int64_t kc, const float* a, std::int64_t lda,
                                                const float* b, float* c, std::int64_t ldc, float alpha, float beta) {
    __mmask16 mask[Vs];  // lanes past `rows` are neither read from A nor stored
#pragma GCC unroll 4
    for (int v = 0; v < Vs; ++v) {
      const int left = rows - 16 * v;
      mask[v] = static_cast<__mmask16>(left >= 16 ? 0xFFFFu : left <= 0 ? 0u : (1u << left) - 1u);
    }
    __m512 acc[Vs][N];
#pragma GCC unroll 4
    for (int v = 0; v < Vs; ++v)
#pragma GCC unroll 16
      for (int j = 0; j < N; ++j) acc[v][j] = _mm512_setzero_ps();
    for (std::int64_t k = 0; k < kc; ++k) {
      __m512 av[Vs];
#pragma GCC unroll 4
      for (int v = 0; v < Vs; ++v) av[v] = _mm512_maskz_loadu_ps(mask[v], a + 16 * v);
#pragma GCC unroll 16
      for (int j = 0; j < N; ++j) {
        const __m512 bj = _mm512_set1_ps(b[j]);
#pragma GCC unroll 4
        for (int v = 0; v < Vs; ++v) acc[v][j] = _mm512_fmadd_ps(av[v], bj, acc[v][j]);
      }
      a += lda;
      b += W;
    }
    // Back to rows of C through a small transposed tile; alpha and beta are applied with the
    // blocked micro-kernel's operations (alpha*acc, or fma(alpha, acc, beta*C)) in scalar form:
    // the same roundings, so the same bits.
    alignas(64) float t[N][16 * Vs];
#pragma GCC unroll 16
    for (int j = 0; j < N; ++j)
#pragma GCC unroll 4
      for (int v = 0; v < Vs; ++v) _mm512_store_ps(&t[j][16 * v], acc[v][j]);
    for (int r = 0; r < rows; ++r) {
      float* row = c + r * ldc;
      if (beta == 0.0f) {  // C is write-only: never read (NaNs in C must not propagate)
#pragma GCC unroll 16
        for (int j = 0; j < N; ++j) row[j] = alpha * t[j][r];
      } else {
#pragma GCC unroll 16
        for (int j = 0; j < N; ++j)
          row[j] = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(alpha), _mm_set_ss(t[j][r]), _mm_set_ss(beta * row[j])));
      }
    }
  }
};

// Avx512LanesAreRowsTile<n> for a runtime n in 1..N.
template <int N>
void run_lanes_are_rows(std::int64_t n, bool trans_b, std::int64_t M, std::int64_t K, std::int64_t kc_block,
                        float alpha, const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta,
                        float* C, std::int64_t ldc, const GemmEpilogue& epilogue) {
  if (n == N) {
    gemm_detail::run_narrow_gemm<Avx512LanesAreRowsTile<N>>(true, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb,
                                                            beta, C, ldc, epilogue);
    return;
  }
  if constexpr (N > 1)
    run_lanes_are_rows<N - 1>(n, trans_b, M, K, kc_block, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
}

}  // namespace

void gemm_narrow_avx512(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                        const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                        std::int64_t ldc, const GemmEpilogue& epilogue) {
  const std::int64_t kc_block = gemm_detail::balanced_block(K, Avx512Kernel::KC, 1);  // the blocked path's slices
  // Lanes over rows pay off when they replace the row tile's 16 lanes by clearly fewer FMAs
  // (N of them per 16 rows) and the rows fill the vectors; measured: N = 10 1.4x, N = 1..4 2x,
  // N = 13 even, N = 16 0.9x, M = 20 0.9x.
  if (trans_a && N <= 12 && M >= 32) {
    run_lanes_are_rows<16>(N, trans_b, M, K, kc_block, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
    return;
  }
  gemm_detail::run_narrow_gemm<Avx512NarrowTile>(trans_a, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb, beta, C,
                                                 ldc, epilogue);
}

void gemm_avx512(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                 const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                 std::int64_t ldc, const GemmEpilogue& epilogue) {
  gemm_detail::run_blocked_gemm<Avx512Kernel>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
}

std::int64_t gemm_prepacked_b_size_avx512(std::int64_t K, std::int64_t N) {
  return gemm_detail::prepacked_b_size<Avx512Kernel>(K, N);
}

void gemm_prepack_b_avx512(bool trans_b, std::int64_t K, std::int64_t N, const float* B, std::int64_t ldb, float* dst) {
  gemm_detail::prepack_b<Avx512Kernel>(trans_b, K, N, B, ldb, dst);
}

void gemm_prepacked_avx512(bool trans_a, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                           std::int64_t lda, const float* packed_b, float beta, float* C, std::int64_t ldc,
                           const GemmEpilogue& epilogue) {
  gemm_detail::gemm_with_prepacked_b<Avx512Kernel>(trans_a, M, N, K, alpha, A, lda, packed_b, beta, C, ldc, epilogue);
}

}  // namespace gradstep
