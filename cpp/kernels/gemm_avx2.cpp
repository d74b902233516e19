// AVX2 + FMA GEMM: the blocked algorithm with a 6 x 16 intrinsics micro-kernel.
//
// Compiled with -mavx2 -mfma (CMake, by file name) and entered only when CPUID reports both.
// Register budget (16 ymm): 6 rows x 2 vectors = 12 accumulators, 2 B vectors, 1 broadcast of
// A. Per k step 2 loads + 6 broadcasts feed 12 FMAs: keeping Zen 3's two FMA pipes busy through
// a 4-cycle FMA latency needs >= 8 independent accumulator chains, and the tile has 12.
#include <immintrin.h>

#include "kernels/gemm_blocked.hpp"
#include "kernels/gemm_isa.hpp"
#include "kernels/gemm_narrow.hpp"

namespace gradstep {

namespace {

struct Avx2Kernel {
  static constexpr int MR = 6;
  static constexpr int NR = 16;
  // Zen 3: L1d 32 KiB, L2 512 KiB per core, L3 32 MiB shared.
  //   B sliver KC x NR = 256 x 16 floats = 16 KiB: half of L1, reused by every A sliver.
  //   A block  MC x KC = 144 x 256 floats = 144 KiB: a good share of L2, re-read per B sliver.
  //   B panel  KC x NC = 256 x 4080 floats = 4 MiB: in L3.
  static constexpr std::int64_t MC = 144;
  static constexpr std::int64_t KC = 256;
  static constexpr std::int64_t NC = 4080;

  // a: a panel accessor (gemm_blocked.hpp): packed sliver, or A read in place.
  template <class APanel>
  static void micro(std::int64_t kc, APanel a, const float* b, float* c, std::int64_t ldc, float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

    // Pull the C tile towards L1 while the k loop runs; it is touched only at the end.
    for (int i = 0; i < MR; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
    }

#pragma GCC unroll 4
    for (std::int64_t k = 0; k < kc; ++k) {
      const __m256 b0 = _mm256_loadu_ps(b);
      const __m256 b1 = _mm256_loadu_ps(b + 8);
      __m256 av;
      av = _mm256_broadcast_ss(a.at(0));
      c00 = _mm256_fmadd_ps(av, b0, c00);
      c01 = _mm256_fmadd_ps(av, b1, c01);
      av = _mm256_broadcast_ss(a.at(1));
      c10 = _mm256_fmadd_ps(av, b0, c10);
      c11 = _mm256_fmadd_ps(av, b1, c11);
      av = _mm256_broadcast_ss(a.at(2));
      c20 = _mm256_fmadd_ps(av, b0, c20);
      c21 = _mm256_fmadd_ps(av, b1, c21);
      av = _mm256_broadcast_ss(a.at(3));
      c30 = _mm256_fmadd_ps(av, b0, c30);
      c31 = _mm256_fmadd_ps(av, b1, c31);
      av = _mm256_broadcast_ss(a.at(4));
      c40 = _mm256_fmadd_ps(av, b0, c40);
      c41 = _mm256_fmadd_ps(av, b1, c41);
      av = _mm256_broadcast_ss(a.at(5));
      c50 = _mm256_fmadd_ps(av, b0, c50);
      c51 = _mm256_fmadd_ps(av, b1, c51);
      a.advance();
      b += NR;
    }

    const __m256 va = _mm256_set1_ps(alpha);
    if (beta == 0.0f) {
      // C is write-only: never load it, so NaN/Inf garbage in C cannot leak into the result.
      auto put = [&](float* row, __m256 lo, __m256 hi) {
        _mm256_storeu_ps(row, _mm256_mul_ps(va, lo));
        _mm256_storeu_ps(row + 8, _mm256_mul_ps(va, hi));
      };
      put(c + 0 * ldc, c00, c01);
      put(c + 1 * ldc, c10, c11);
      put(c + 2 * ldc, c20, c21);
      put(c + 3 * ldc, c30, c31);
      put(c + 4 * ldc, c40, c41);
      put(c + 5 * ldc, c50, c51);
    } else {
      const __m256 vb = _mm256_set1_ps(beta);
      auto update = [&](float* row, __m256 lo, __m256 hi) {
        _mm256_storeu_ps(row, _mm256_fmadd_ps(va, lo, _mm256_mul_ps(vb, _mm256_loadu_ps(row))));
        _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(va, hi, _mm256_mul_ps(vb, _mm256_loadu_ps(row + 8))));
      };
      update(c + 0 * ldc, c00, c01);
      update(c + 1 * ldc, c10, c11);
      update(c + 2 * ldc, c20, c21);
      update(c + 3 * ldc, c30, c31);
      update(c + 4 * ldc, c40, c41);
      update(c + 5 * ldc, c50, c51);
    }
  }
};

// Narrow path (gemm_narrow.hpp): V ymm per row of C (V = 1 for N <= 8, 2 for N <= 16). 12 x 1 or
// 6 x 2 accumulators: >= 8 independent FMA chains in 16 registers, next to V B vectors and a
// broadcast. The last vector's lanes past N are read and written with maskload/maskstore.
template <int V>
struct Avx2NarrowTile {
  static constexpr int R = V == 1 ? 12 : 6;
  static constexpr int W = 8 * V;
  static constexpr bool kLanesAreRows = false;

  template <int Rows, class APanel>
  static void tile(std::int64_t kc, APanel a, const float* b, std::int64_t n, float* c, std::int64_t ldc, float alpha,
                   float beta) {
    __m256 acc[Rows][V];
#pragma GCC unroll 16
    for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
#pragma GCC unroll 2
    for (std::int64_t k = 0; k < kc; ++k) {
      __m256 bk[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) bk[v] = _mm256_load_ps(b + 8 * v);  // the padded copy: aligned rows
#pragma GCC unroll 16
      for (int r = 0; r < Rows; ++r) {
        const __m256 av = _mm256_broadcast_ss(a.at(r));
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(av, bk[v], acc[r][v]);
      }
      a.advance();
      b += W;
    }
    // Lanes of the last vector below n - 8*(V-1) are real; the others are never stored.
    const __m256i last = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - 8 * (V - 1))),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 va = _mm256_set1_ps(alpha);
    const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 16
    for (int r = 0; r < Rows; ++r) {
      float* row = c + r * ldc;
      if (V == 2) {  // a full first vector (N > 8)
        const __m256 lo = beta == 0.0f ? _mm256_mul_ps(va, acc[r][0])
                                       : _mm256_fmadd_ps(va, acc[r][0], _mm256_mul_ps(vb, _mm256_loadu_ps(row)));
        _mm256_storeu_ps(row, lo);
      }
      float* tail = row + 8 * (V - 1);
      // beta == 0: C is write-only, never loaded (NaN/Inf in C must not reach the result).
      const __m256 hi = beta == 0.0f
                            ? _mm256_mul_ps(va, acc[r][V - 1])
                            : _mm256_fmadd_ps(va, acc[r][V - 1], _mm256_mul_ps(vb, _mm256_maskload_ps(tail, last)));
      _mm256_maskstore_ps(tail, last, hi);
    }
  }
};

// Narrow path for a transposed A, as in gemm_avx512.cpp: lanes over 8 rows of C (a column of
// op(A) is a row of A, contiguous), so N = 10 takes 10 FMAs per 8 rows instead of the row tile's
// 16. V * N accumulators + V vectors of A + a broadcast fit the 16 ymm; same products, same k
// order and same epilogue operations as the other tiles: same bits.
template <int N>
struct Avx2LanesAreRowsTile {
  static constexpr bool kLanesAreRows = true;
  static constexpr int V = 14 / (N + 1) < 4 ? 14 / (N + 1) : 4;
  static constexpr int R = 8 * V;
  static constexpr int W = 16;

  template <class APanel>
  static void tile(int rows, std::int64_t kc, APanel a, const float* b, float* c, std::int64_t ldc, float alpha,
                   float beta) {
    if (rows == R)
      vectors<V, false>(rows, kc, a.p, a.ld, b, c, ldc, alpha, beta);
    else if (rows <= 8)  // a ragged last block: one masked vector instead of V
      vectors<1, true>(rows, kc, a.p, a.ld, b, c, ldc, alpha, beta);
    else
      vectors<V, true>(rows, kc, a.p, a.ld, b, c, ldc, alpha, beta);
  }

  template <int Vs, bool Masked>
  __attribute__((noinline)) static void vectors(int rows, std::int64_t kc, const float* a, std::int64_t lda,
                                                const float* b, float* c, std::int64_t ldc, float alpha, float beta) {
    __m256i mask[Vs];  // Masked: lanes past `rows` are not read from A (maskload)
#pragma GCC unroll 4
    for (int v = 0; v < Vs; ++v)
      mask[v] = _mm256_cmpgt_epi32(_mm256_set1_epi32(rows - 8 * v), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 acc[Vs][N];
#pragma GCC unroll 4
    for (int v = 0; v < Vs; ++v)
#pragma GCC unroll 16
      for (int j = 0; j < N; ++j) acc[v][j] = _mm256_setzero_ps();
    for (std::int64_t k = 0; k < kc; ++k) {
      __m256 av[Vs];
#pragma GCC unroll 4
      for (int v = 0; v < Vs; ++v) av[v] = Masked ? _mm256_maskload_ps(a + 8 * v, mask[v]) : _mm256_loadu_ps(a + 8 * v);
#pragma GCC unroll 16
      for (int j = 0; j < N; ++j) {
        const __m256 bj = _mm256_broadcast_ss(b + j);
#pragma GCC unroll 4
        for (int v = 0; v < Vs; ++v) acc[v][j] = _mm256_fmadd_ps(av[v], bj, acc[v][j]);
      }
      a += lda;
      b += W;
    }
    // Back to rows of C through a small transposed tile, alpha and beta applied with the row
    // tile's operations in scalar form (same roundings).
    alignas(32) float t[N][8 * Vs];
#pragma GCC unroll 16
    for (int j = 0; j < N; ++j)
#pragma GCC unroll 4
      for (int v = 0; v < Vs; ++v) _mm256_store_ps(&t[j][8 * v], acc[v][j]);
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

// Avx2LanesAreRowsTile<n> for a runtime n in 1..N.
template <int N>
void run_lanes_are_rows(std::int64_t n, bool trans_b, std::int64_t M, std::int64_t K, std::int64_t kc_block,
                        float alpha, const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta,
                        float* C, std::int64_t ldc, const GemmEpilogue& epilogue) {
  if (n == N) {
    gemm_detail::run_narrow_gemm<Avx2LanesAreRowsTile<N>>(true, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb, beta,
                                                          C, ldc, epilogue);
    return;
  }
  if constexpr (N > 1)
    run_lanes_are_rows<N - 1>(n, trans_b, M, K, kc_block, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
}

}  // namespace

void gemm_narrow_avx2(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                      const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                      std::int64_t ldc, const GemmEpilogue& epilogue) {
  const std::int64_t kc_block = gemm_detail::balanced_block(K, Avx2Kernel::KC, 1);  // the blocked path's slices
  // Lanes over rows where they save FMAs over the row tile (N of them per 8 rows against 8 or 16
  // lanes per row): measured 1.2-1.7x for N <= 6 and 9..12; N = 7, 8 fill the row tile's single
  // vector well enough that the transposed epilogue made them 0.9x.
  if (trans_a && M >= 32 && (N <= 6 || (N >= 9 && N <= 12))) {
    run_lanes_are_rows<12>(N, trans_b, M, K, kc_block, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
    return;
  }
  if (N <= 8)
    gemm_detail::run_narrow_gemm<Avx2NarrowTile<1>>(trans_a, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb, beta, C,
                                                    ldc, epilogue);
  else
    gemm_detail::run_narrow_gemm<Avx2NarrowTile<2>>(trans_a, trans_b, M, N, K, kc_block, alpha, A, lda, B, ldb, beta, C,
                                                    ldc, epilogue);
}

void gemm_avx2(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
               std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc,
               const GemmEpilogue& epilogue) {
  gemm_detail::run_blocked_gemm<Avx2Kernel>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
}

std::int64_t gemm_prepacked_b_size_avx2(std::int64_t K, std::int64_t N) {
  return gemm_detail::prepacked_b_size<Avx2Kernel>(K, N);
}

void gemm_prepack_b_avx2(bool trans_b, std::int64_t K, std::int64_t N, const float* B, std::int64_t ldb, float* dst) {
  gemm_detail::prepack_b<Avx2Kernel>(trans_b, K, N, B, ldb, dst);
}

void gemm_prepacked_avx2(bool trans_a, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                         std::int64_t lda, const float* packed_b, float beta, float* C, std::int64_t ldc,
                         const GemmEpilogue& epilogue) {
  gemm_detail::gemm_with_prepacked_b<Avx2Kernel>(trans_a, M, N, K, alpha, A, lda, packed_b, beta, C, ldc, epilogue);
}

}  // namespace gradstep
