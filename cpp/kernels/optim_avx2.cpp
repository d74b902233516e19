// AVX2 Adam update: 8 lanes per step. Compiled with -mavx2 -mfma (CMake, by file name) and
// entered only when active_isa() allows AVX2.
//
// The update is bound by the square root and the division (one each per parameter): at the
// x86-64 baseline the compiler vectorises the scalar loop 4 lanes wide with sqrtps/divps, and
// the 8-lane forms have about the same throughput per instruction on Zen 3, so this halves
// their cost (measured: 235k parameters, 157 us -> 100 us per update). The arithmetic is the
// scalar loop's, operation by operation, without FMA (see optim_isa.hpp and the pragma below): results are bitwise
// identical to the generic path.
#include <immintrin.h>

#include "kernels/optim_isa.hpp"

// GCC implements _mm256_mul_ps / _mm256_add_ps as plain vector arithmetic, and C++ (unlike ISO C)
// defaults to -ffp-contract=fast: with -mfma it would fuse m + (g - m) * c into one FMA and the
// AVX2 lanes would differ from the scalar tail (and from the generic path) in the last bit.
// Keep every operation separately rounded, as in optim.cpp.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace gradstep {
namespace optim {

std::int64_t adam_avx2(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_hat, float alpha,
                       float beta_1, float beta_2, float eps) {
  const __m256 one_minus_b1 = _mm256_set1_ps(1.0f - beta_1);
  const __m256 one_minus_b2 = _mm256_set1_ps(1.0f - beta_2);
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 ve = _mm256_set1_ps(eps);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    __m256 mi = _mm256_loadu_ps(m + i);
    __m256 vi = _mm256_loadu_ps(v + i);
    // m += (g - m) * (1 - b1)
    mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), one_minus_b1));
    // v += (g*g - v) * (1 - b2)
    vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gi, gi), vi), one_minus_b2));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    __m256 second = vi;
    if (v_hat != nullptr) {
      // std::max(v_hat, v) == (v_hat < v ? v : v_hat) == maxps(v, v_hat) (NaN: v_hat in both).
      second = _mm256_max_ps(vi, _mm256_loadu_ps(v_hat + i));
      _mm256_storeu_ps(v_hat + i, second);
    }
    // w -= (m * alpha) / (sqrt(second) + eps)
    const __m256 step = _mm256_div_ps(_mm256_mul_ps(mi, va), _mm256_add_ps(_mm256_sqrt_ps(second), ve));
    _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_loadu_ps(w + i), step));
  }
  return i;
}

namespace {
// One 8-lane Adam step of adam_squares_avx2 at w + i, adding its squares to three accumulators.
inline void adam_squares_8(std::int64_t i, float* w, const float* g, float* m, float* v, float* v_hat, __m256 alpha,
                           __m256 one_minus_b1, __m256 one_minus_b2, __m256 eps, __m256 decay_factor, bool decay,
                           __m256& sum_g, __m256& sum_w, __m256& sum_update) {
  const __m256 gi = _mm256_loadu_ps(g + i);
  const __m256 before = _mm256_loadu_ps(w + i);
  __m256 wi = decay ? _mm256_sub_ps(before, _mm256_mul_ps(before, decay_factor)) : before;
  __m256 mi = _mm256_loadu_ps(m + i);
  __m256 vi = _mm256_loadu_ps(v + i);
  mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), one_minus_b1));
  vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gi, gi), vi), one_minus_b2));
  _mm256_storeu_ps(m + i, mi);
  _mm256_storeu_ps(v + i, vi);
  __m256 second = vi;
  if (v_hat != nullptr) {
    second = _mm256_max_ps(vi, _mm256_loadu_ps(v_hat + i));
    _mm256_storeu_ps(v_hat + i, second);
  }
  const __m256 step = _mm256_div_ps(_mm256_mul_ps(mi, alpha), _mm256_add_ps(_mm256_sqrt_ps(second), eps));
  wi = _mm256_sub_ps(wi, step);
  _mm256_storeu_ps(w + i, wi);
  const __m256 change = _mm256_sub_ps(wi, before);
  sum_g = _mm256_add_ps(sum_g, _mm256_mul_ps(gi, gi));
  sum_w = _mm256_add_ps(sum_w, _mm256_mul_ps(before, before));
  sum_update = _mm256_add_ps(sum_update, _mm256_mul_ps(change, change));
}
}  // namespace

// adam_avx2 with the decay in front and the figures' squares, kept in registers: vector j of each
// group of 32 elements adds to lanes [8j, 8j + 8), i.e. element i to lane i mod kNormLanes.
std::int64_t adam_squares_avx2(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_hat, float alpha,
                               float beta_1, float beta_2, float eps, float lr_times_wd, kernels::NormLanes& squares) {
  static_assert(kernels::kNormLanes == 32, "four vectors per lane group");
  const __m256 one_minus_b1 = _mm256_set1_ps(1.0f - beta_1);
  const __m256 one_minus_b2 = _mm256_set1_ps(1.0f - beta_2);
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 ve = _mm256_set1_ps(eps);
  const __m256 vd = _mm256_set1_ps(lr_times_wd);
  const bool decay = lr_times_wd != 0.0f;
  __m256 sg[4], sw[4], su[4];
  for (int j = 0; j < 4; ++j) {
    sg[j] = _mm256_loadu_ps(squares.g + 8 * j);
    sw[j] = _mm256_loadu_ps(squares.w + 8 * j);
    su[j] = _mm256_loadu_ps(squares.update + 8 * j);
  }
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int j = 0; j < 4; ++j)
      adam_squares_8(i + 8 * j, w, g, m, v, v_hat, va, one_minus_b1, one_minus_b2, ve, vd, decay, sg[j], sw[j], su[j]);
  int j = 0;
  for (; i + 8 <= n; i += 8, ++j)
    adam_squares_8(i, w, g, m, v, v_hat, va, one_minus_b1, one_minus_b2, ve, vd, decay, sg[j], sw[j], su[j]);
  for (j = 0; j < 4; ++j) {
    _mm256_storeu_ps(squares.g + 8 * j, sg[j]);
    _mm256_storeu_ps(squares.w + 8 * j, sw[j]);
    _mm256_storeu_ps(squares.update + 8 * j, su[j]);
  }
  return i;
}

}  // namespace optim
}  // namespace gradstep
