// The recurrent step kernels built with AVX-512 (see recurrent_impl.hpp): sigmoid and tanh 16
// at a time, with the range reduction and polynomials of the scalar exp_poly/tanh_poly, fused
// multiply-adds and a refined reciprocal (so the last bits may differ from the other builds).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/recurrent_isa.hpp"

#if GRADSTEP_X86
#include <immintrin.h>

namespace gradstep {
namespace avx512 {

namespace {

inline __m512 exp16(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
  const __m512 fx = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)),
                                         _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, fx);  // p * 2^fx
}

// 1/d: the 14-bit estimate refined by one Newton step (r' = r (2 - d r)).
inline __m512 reciprocal16(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

inline __m512 sigmoid16(__m512 z) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return reciprocal16(_mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), z))));
}

inline __m512 tanh16(__m512 z) {
  const __m512 a = _mm512_abs_ps(z);
  const __m512 zz = _mm512_mul_ps(z, z);
  __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
  p = _mm512_fmadd_ps(p, zz, _mm512_set1_ps(2.06390887954e-2f));
  p = _mm512_fmadd_ps(p, zz, _mm512_set1_ps(-5.37397155531e-2f));
  p = _mm512_fmadd_ps(p, zz, _mm512_set1_ps(1.33314422036e-1f));
  p = _mm512_fmadd_ps(p, zz, _mm512_set1_ps(-3.33332819422e-1f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, zz), z, z);
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 e = exp16(_mm512_add_ps(a, a));
  const __m512 t = _mm512_fnmadd_ps(_mm512_set1_ps(2.0f), reciprocal16(_mm512_add_ps(e, one)), one);
  // copy the sign of z onto t
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(z), _mm512_set1_epi32(static_cast<int>(0x80000000u)));
  const __m512 large = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t), sign));
  const __mmask16 near_zero = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(near_zero, large, small);
}

}  // namespace

inline std::int64_t sigmoid_rows(std::int64_t n, const float* z, float* y) {
  std::int64_t j = 0;
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(y + j, sigmoid16(_mm512_loadu_ps(z + j)));
  return j;
}

inline std::int64_t tanh_rows(std::int64_t n, const float* z, float* y) {
  std::int64_t j = 0;
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(y + j, tanh16(_mm512_loadu_ps(z + j)));
  return j;
}

#include "kernels/recurrent_impl.hpp"

}  // namespace avx512
}  // namespace gradstep
#endif
