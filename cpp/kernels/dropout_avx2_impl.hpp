// The AVX2 pieces of the Dropout forward (kernels/dropout_avx2.cpp), shared with the AVX-512
// version (dropout_avx512.cpp), which computes Philox 16 blocks per vector and writes the
// elements through the same 8-block transpose. Include only in a file built with -mavx2.
//
// Needs: <immintrin.h>, <cstdint>.

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
