// The recurrent step kernels built with AVX2 + FMA (see recurrent_impl.hpp), with sigmoid and
// tanh 8 at a time: the same range reduction and polynomials as the scalar exp_poly/tanh_poly,
// with fused multiply-adds (so the last bits may differ from the portable build).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/recurrent_isa.hpp"

#if GRADSTEP_X86
#include <immintrin.h>

namespace gradstep {
namespace avx2 {

namespace {

inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
  const __m256i n = _mm256_cvttps_epi32(fx);
  const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(p, scale);
}

// 1/d: the 12-bit estimate refined by one Newton step (r' = r (2 - d r)), ~22 bits: cheaper than
// a division, which dominated these loops.
inline __m256 reciprocal8(__m256 d) {
  const __m256 r = _mm256_rcp_ps(d);
  return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f)));
}

inline __m256 sigmoid8(__m256 z) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return reciprocal8(_mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), z))));
}

inline __m256 tanh8(__m256 z) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 a = _mm256_andnot_ps(sign, z);
  const __m256 zz = _mm256_mul_ps(z, z);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, zz, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, zz, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, zz, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, zz, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, zz), z, z);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp8(_mm256_add_ps(a, a));
  const __m256 t = _mm256_fnmadd_ps(_mm256_set1_ps(2.0f), reciprocal8(_mm256_add_ps(e, one)), one);
  const __m256 large = _mm256_or_ps(t, _mm256_and_ps(sign, z));  // copy the sign of z
  return _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

}  // namespace

inline std::int64_t sigmoid_rows(std::int64_t n, const float* z, float* y) {
  std::int64_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(y + j, sigmoid8(_mm256_loadu_ps(z + j)));
  return j;
}

inline std::int64_t tanh_rows(std::int64_t n, const float* z, float* y) {
  std::int64_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(y + j, tanh8(_mm256_loadu_ps(z + j)));
  return j;
}

#include "kernels/recurrent_impl.hpp"

}  // namespace avx2
}  // namespace gradstep
#endif
