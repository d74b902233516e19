// AVX2 Dropout forward: Philox4x32-10 for 8 blocks (32 elements) per vector, 3 vectors at a time.
//
// Compiled with -mavx2 (CMake, by file name) and entered only when active_isa() allows AVX2.
// The scalar Philox (core/rng.hpp) costs ~10% of a W2 step at one thread: 10 rounds of two
// 32x32->64-bit multiplies per 4 elements. Here the 8 blocks sit in SoA form, one block per
// 32-bit lane: the low halves come from vpmulld, the high halves from two vpmuludq (even and odd
// lanes) blended together. Integer arithmetic, so the bits are exactly those of
// rng::philox_block; a 4x8 transpose puts the 32 values back in element order (element 4k+j
// is word j of block k).
#include <immintrin.h>

#include "kernels/dropout_isa.hpp"

namespace gradstep {
namespace kernels {

namespace {

// High 32 bits of the 32x32->64 products a[i] * m (m broadcast), lane by lane.
inline __m256i mulhi_epu32(__m256i a, __m256i m) {
  const __m256i even = _mm256_mul_epu32(a, m);                        // lanes 0,2,4,6 (64-bit)
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);  // lanes 1,3,5,7 (64-bit)
  return _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

}  // namespace

namespace {

// Philox4x32-10 on S independent sets of 8 blocks (set s, word j in c[s][j]). vpmulld has a
// latency of about 10 cycles and every round depends on the last: one set leaves the
// multipliers idle most of the time, so the rounds of S sets are interleaved.
template <int S>
inline void philox_rounds(__m256i (&c)[S][4], __m256i key0, __m256i key1) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  const __m256i w0 = _mm256_set1_epi32(static_cast<int>(0x9E3779B9u));
  const __m256i w1 = _mm256_set1_epi32(static_cast<int>(0xBB67AE85u));
  __m256i k0 = key0, k1 = key1;
  for (int round = 0; round < 10; ++round) {
#pragma GCC unroll 4
    for (int set = 0; set < S; ++set) {
      const __m256i lo0 = _mm256_mullo_epi32(c[set][0], m0);
      const __m256i hi0 = mulhi_epu32(c[set][0], m0);
      const __m256i lo1 = _mm256_mullo_epi32(c[set][2], m1);
      const __m256i hi1 = mulhi_epu32(c[set][2], m1);
      c[set][0] = _mm256_xor_si256(_mm256_xor_si256(hi1, c[set][1]), k0);
      c[set][2] = _mm256_xor_si256(_mm256_xor_si256(hi0, c[set][3]), k1);
      c[set][1] = lo1;
      c[set][3] = lo0;
    }
    k0 = _mm256_add_epi32(k0, w0);
    k1 = _mm256_add_epi32(k1, w1);
  }
}

// The counters of blocks k..k+7 in SoA form: c[0] low words, c[1] high words, c[2..3] the step.
inline void load_counters(std::int64_t k, std::uint64_t step, __m256i (&c)[4]) {
  alignas(32) std::uint32_t lo[8], hi[8];
  for (int j = 0; j < 8; ++j) {
    const auto counter = static_cast<std::uint64_t>(k + j);
    lo[j] = static_cast<std::uint32_t>(counter);
    hi[j] = static_cast<std::uint32_t>(counter >> 32);
  }
  c[0] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
  c[1] = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
  c[2] = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(step)));
  c[3] = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(step >> 32)));
}

// Blocks k..k+7 (SoA in c) -> the 32 elements from 4k: mask and y.
inline void store_elements(std::int64_t k, const __m256i (&c)[4], __m256 vrate, __m256 vscale, const float* x, float* y,
                           float* mask) {
  const __m256 unit = _mm256_set1_ps(1.0f / 16777216.0f);
  // SoA (word j of blocks k..k+7 in cj) -> element order: out[q] holds blocks 2q', 2q'+1.
  const __m256i t0 = _mm256_unpacklo_epi32(c[0], c[1]);  // b0w0 b0w1 b1w0 b1w1 | b4w0 b4w1 b5w0 b5w1
  const __m256i t1 = _mm256_unpackhi_epi32(c[0], c[1]);  // b2.. b3.. | b6.. b7..
  const __m256i t2 = _mm256_unpacklo_epi32(c[2], c[3]);
  const __m256i t3 = _mm256_unpackhi_epi32(c[2], c[3]);
  const __m256i u0 = _mm256_unpacklo_epi64(t0, t2);  // block 0 | block 4
  const __m256i u1 = _mm256_unpackhi_epi64(t0, t2);  // block 1 | block 5
  const __m256i u2 = _mm256_unpacklo_epi64(t1, t3);  // block 2 | block 6
  const __m256i u3 = _mm256_unpackhi_epi64(t1, t3);  // block 3 | block 7
  const __m256i out[4] = {_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u2, u3, 0x20),
                          _mm256_permute2x128_si256(u0, u1, 0x31), _mm256_permute2x128_si256(u2, u3, 0x31)};
  const std::int64_t base = 4 * k;
  for (int q = 0; q < 4; ++q) {
    // 24 random bits -> [0, 1) exactly as rng::to_unit_float; keep = u >= rate ? scale : 0.
    const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(out[q], 8)), unit);
    const __m256 keep = _mm256_and_ps(_mm256_cmp_ps(u, vrate, _CMP_GE_OQ), vscale);
    _mm256_storeu_ps(mask + base + 8 * q, keep);
    _mm256_storeu_ps(y + base + 8 * q, _mm256_mul_ps(_mm256_loadu_ps(x + base + 8 * q), keep));
  }
}

}  // namespace

std::int64_t dropout_forward_avx2(std::uint64_t key, std::uint64_t step, std::int64_t block_begin,
                                  std::int64_t block_end, std::int64_t n, float rate, float scale, const float* x,
                                  float* y, float* mask) {
  const __m256i key0 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key)));
  const __m256i key1 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key >> 32)));
  const __m256 vrate = _mm256_set1_ps(rate);
  const __m256 vscale = _mm256_set1_ps(scale);
  // Measured on 49,152 elements (W2's two Dropout layers), Xeon AVX-512 VM: 1 set 144 us, 2 sets 110,
  // 3 sets 78, 4 sets 98 (with 16 ymm registers the fourth set spills).
  constexpr int kSets = 3;
  std::int64_t k = block_begin;
  for (; k + 8 * kSets <= block_end && 4 * (k + 8 * kSets) <= n; k += 8 * kSets) {
    __m256i c[kSets][4];
    for (int set = 0; set < kSets; ++set) load_counters(k + 8 * set, step, c[set]);
    philox_rounds<kSets>(c, key0, key1);
    for (int set = 0; set < kSets; ++set) store_elements(k + 8 * set, c[set], vrate, vscale, x, y, mask);
  }
  for (; k + 8 <= block_end && 4 * (k + 8) <= n; k += 8) {
    __m256i c[1][4];
    load_counters(k, step, c[0]);
    philox_rounds<1>(c, key0, key1);
    store_elements(k, c[0], vrate, vscale, x, y, mask);
  }
  return k;
}

}  // namespace kernels
}  // namespace gradstep
