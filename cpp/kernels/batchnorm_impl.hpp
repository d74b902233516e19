// The loops of kernels/batchnorm.hpp, included into one namespace per instruction set
// (batchnorm.cpp: generic, batchnorm_avx2.cpp, batchnorm_avx512.cpp) where the compiler
// vectorises them for that set. Every vector lane is a channel and each channel's sums run over
// the rows in order, with every operation rounded separately (no FMA contraction): the bits are
// the same on every instruction set and for any split of the channels or rows between threads.
//
// Needs: <cstdint>.

using i64 = std::int64_t;

void batchnorm_moments(i64 rows, i64 channels, i64 c0, i64 c1, const float* x, double* sum, double* squares) {
  const i64 width = c1 - c0;
  double* __restrict s = sum + c0;
  double* __restrict q = squares + c0;
  for (i64 j = 0; j < width; ++j) s[j] = q[j] = 0.0;
  for (i64 r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * channels + c0;
    for (i64 j = 0; j < width; ++j) {
      const double v = xr[j];
      s[j] += v;
      q[j] += v * v;
    }
  }
}

namespace {
// The element loop with gamma/beta presence fixed at compile time (no test per element).
template <bool kScale, bool kCenter>
void apply_rows(i64 r0, i64 r1, i64 channels, const float* x, const float* mean_in, const float* inv_std_in,
                const float* gamma_in, const float* beta_in, float* y) {
  const float* __restrict mean = mean_in;
  const float* __restrict inv_std = inv_std_in;
  const float* __restrict gamma = gamma_in;
  const float* __restrict beta = beta_in;
  for (i64 r = r0; r < r1; ++r) {
    const float* __restrict xr = x + r * channels;
    float* __restrict yr = y + r * channels;
    for (i64 c = 0; c < channels; ++c) {
      const float g = kScale ? gamma[c] : 1.0f;
      const float b = kCenter ? beta[c] : 0.0f;
      yr[c] = g * (xr[c] - mean[c]) * inv_std[c] + b;
    }
  }
}
}  // namespace

void batchnorm_apply(i64 r0, i64 r1, i64 channels, const float* x, const float* mean, const float* inv_std,
                     const float* gamma, const float* beta, float* y) {
  if (gamma && beta) return apply_rows<true, true>(r0, r1, channels, x, mean, inv_std, gamma, beta, y);
  if (gamma) return apply_rows<true, false>(r0, r1, channels, x, mean, inv_std, gamma, beta, y);
  if (beta) return apply_rows<false, true>(r0, r1, channels, x, mean, inv_std, gamma, beta, y);
  apply_rows<false, false>(r0, r1, channels, x, mean, inv_std, gamma, beta, y);
}

void batchnorm_grad_sums(i64 rows, i64 channels, i64 c0, i64 c1, const float* x, const float* dy, const float* mean_in,
                         const float* inv_std_in, double* sum_dy, double* sum_dy_xhat) {
  const i64 width = c1 - c0;
  const float* __restrict mean = mean_in + c0;
  const float* __restrict inv_std = inv_std_in + c0;
  double* __restrict s1 = sum_dy + c0;
  double* __restrict s2 = sum_dy_xhat + c0;
  for (i64 j = 0; j < width; ++j) s1[j] = s2[j] = 0.0;
  for (i64 r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * channels + c0;
    const float* __restrict dyr = dy + r * channels + c0;
    for (i64 j = 0; j < width; ++j) {
      const float xhat = (xr[j] - mean[j]) * inv_std[j];
      s1[j] += dyr[j];
      s2[j] += static_cast<double>(dyr[j]) * xhat;
    }
  }
}

namespace {
template <bool kScale, bool kBatchStatistics>
void input_grad_rows(i64 r0, i64 r1, i64 channels, i64 rows, const float* x, const float* dy, const float* mean_in,
                     const float* inv_std_in, const float* gamma_in, const float* sum_dy_in,
                     const float* sum_dy_xhat_in, float* dx) {
  const float* __restrict mean = mean_in;
  const float* __restrict inv_std = inv_std_in;
  const float* __restrict gamma = gamma_in;
  const float* __restrict sum_dy = sum_dy_in;
  const float* __restrict sum_dy_xhat = sum_dy_xhat_in;
  const float inv_rows = 1.0f / static_cast<float>(rows);
  for (i64 r = r0; r < r1; ++r) {
    const float* __restrict xr = x + r * channels;
    const float* __restrict dyr = dy + r * channels;
    float* __restrict dxr = dx + r * channels;
    for (i64 c = 0; c < channels; ++c) {
      const float g = kScale ? gamma[c] : 1.0f;
      if (kBatchStatistics) {
        const float xhat = (xr[c] - mean[c]) * inv_std[c];
        dxr[c] = g * inv_std[c] * (dyr[c] - inv_rows * (sum_dy[c] + xhat * sum_dy_xhat[c]));
      } else {
        dxr[c] = g * inv_std[c] * dyr[c];
      }
    }
  }
}
}  // namespace

void batchnorm_input_grad(i64 r0, i64 r1, i64 channels, i64 rows, bool batch_statistics, const float* x,
                          const float* dy, const float* mean, const float* inv_std, const float* gamma,
                          const float* sum_dy, const float* sum_dy_xhat, float* dx) {
  if (gamma && batch_statistics)
    return input_grad_rows<true, true>(r0, r1, channels, rows, x, dy, mean, inv_std, gamma, sum_dy, sum_dy_xhat, dx);
  if (gamma)
    return input_grad_rows<true, false>(r0, r1, channels, rows, x, dy, mean, inv_std, gamma, sum_dy, sum_dy_xhat, dx);
  if (batch_statistics)
    return input_grad_rows<false, true>(r0, r1, channels, rows, x, dy, mean, inv_std, gamma, sum_dy, sum_dy_xhat, dx);
  input_grad_rows<false, false>(r0, r1, channels, rows, x, dy, mean, inv_std, gamma, sum_dy, sum_dy_xhat, dx);
}
