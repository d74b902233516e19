// AVX-512 Dropout forward: Philox4x32-10 for 16 blocks (64 elements) per vector.
//
// Compiled with -mavx512f (CMake, by file name) and entered only when active_isa() is avx512.
// As the AVX2 version (dropout_avx2.cpp), in twice the lanes: vpmulld gives the low halves of
// the products, two vpmuludq (even and odd lanes) blended under a mask the high halves. 3 sets of
// 16 blocks are in flight (measured on W2's 49,152 elements: 2 to 6 sets all take 52-55 us, where
// the multiplies' throughput is the limit; the AVX2 version takes 78 us, one AVX2 set 144 us). Each vector's two
// halves (blocks k..k+7 and k+8..k+15) go through the AVX2 transpose into element order. Integer
// arithmetic, the same float operations after it: bitwise the masks of rng::philox_block.
#include <immintrin.h>

#include <cstdint>

#include "kernels/dropout_isa.hpp"

namespace gradstep {
namespace kernels {

#include "kernels/dropout_avx2_impl.hpp"

namespace {

inline __m512i mulhi_epu32_512(__m512i a, __m512i m) {
  const __m512i even = _mm512_mul_epu32(a, m);                        // lanes 0, 2, ... (64-bit)
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);  // lanes 1, 3, ... (64-bit)
  return _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

template <int S>
inline void philox_rounds_512(__m512i (&c)[S][4], __m512i key0, __m512i key1) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  const __m512i w0 = _mm512_set1_epi32(static_cast<int>(0x9E3779B9u));
  const __m512i w1 = _mm512_set1_epi32(static_cast<int>(0xBB67AE85u));
  __m512i k0 = key0, k1 = key1;
  for (int round = 0; round < 10; ++round) {
#pragma GCC unroll 4
    for (int set = 0; set < S; ++set) {
      const __m512i lo0 = _mm512_mullo_epi32(c[set][0], m0);
      const __m512i hi0 = mulhi_epu32_512(c[set][0], m0);
      const __m512i lo1 = _mm512_mullo_epi32(c[set][2], m1);
      const __m512i hi1 = mulhi_epu32_512(c[set][2], m1);
      c[set][0] = _mm512_xor_si512(_mm512_xor_si512(hi1, c[set][1]), k0);
      c[set][2] = _mm512_xor_si512(_mm512_xor_si512(hi0, c[set][3]), k1);
      c[set][1] = lo1;
      c[set][3] = lo0;
    }
    k0 = _mm512_add_epi32(k0, w0);
    k1 = _mm512_add_epi32(k1, w1);
  }
}

// Blocks k..k+15 in SoA form (as load_counters, 16 lanes).
inline void load_counters_512(std::int64_t k, std::uint64_t step, __m512i (&c)[4]) {
  __m256i low[4], high[4];
  load_counters(k, step, low);
  load_counters(k + 8, step, high);
  for (int j = 0; j < 4; ++j) c[j] = _mm512_inserti64x4(_mm512_castsi256_si512(low[j]), high[j], 1);
}

inline void store_elements_512(std::int64_t k, const __m512i (&c)[4], __m256 vrate, __m256 vscale, const float* x,
                               float* y, float* mask) {
  __m256i low[4], high[4];
  for (int j = 0; j < 4; ++j) {
    low[j] = _mm512_castsi512_si256(c[j]);
    high[j] = _mm512_extracti64x4_epi64(c[j], 1);
  }
  store_elements(k, low, vrate, vscale, x, y, mask);
  store_elements(k + 8, high, vrate, vscale, x, y, mask);
}

}  // namespace

std::int64_t dropout_forward_avx512(std::uint64_t key, std::uint64_t step, std::int64_t block_begin,
                                    std::int64_t block_end, std::int64_t n, float rate, float scale, const float* x,
                                    float* y, float* mask) {
  const __m512i key0 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key)));
  const __m512i key1 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key >> 32)));
  const __m256 vrate = _mm256_set1_ps(rate);
  const __m256 vscale = _mm256_set1_ps(scale);
  constexpr int kSets = 3;
  std::int64_t k = block_begin;
  for (; k + 16 * kSets <= block_end && 4 * (k + 16 * kSets) <= n; k += 16 * kSets) {
    __m512i c[kSets][4];
    for (int set = 0; set < kSets; ++set) load_counters_512(k + 16 * set, step, c[set]);
    philox_rounds_512<kSets>(c, key0, key1);
    for (int set = 0; set < kSets; ++set) store_elements_512(k + 16 * set, c[set], vrate, vscale, x, y, mask);
  }
  // The rest of the chunk in 8-block steps (and the scalar loop of the caller after that).
  return dropout_forward_avx2(key, step, k, block_end, n, rate, scale, x, y, mask);
}

}  // namespace kernels
}  // namespace gradstep
