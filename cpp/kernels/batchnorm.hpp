// Batch-normalisation kernels over a row-major (rows x channels) block, channels contiguous.
//
// Per-channel sums run over the rows top to bottom for each channel, so splitting the channels
// among threads never changes a bit. The per-element formulas keep the layer's operation order
// (no algebraic refactoring into one scale and shift), so vectorising them changed no result.
// All pointers are distinct buffers (restrict): that is what lets the compiler vectorise the
// channel loops; the layer's first version, with the optional gamma/beta tested per element and
// five arrays the compiler had to assume could overlap, ran them one float at a time.
#pragma once

#include <cstdint>

namespace gradstep {
namespace kernels {

// For channels [c0, c1): sum[c] = sum_r x[r, c], squares[c] = sum_r x[r, c]^2, in double (a
// float E[x^2] - E[x]^2 would cancel). sum/squares are indexed by channel.
void batchnorm_moments(std::int64_t rows, std::int64_t channels, std::int64_t c0, std::int64_t c1, const float* x,
                       double* sum, double* squares);

// For rows [r0, r1): y = gamma * (x - mean) * inv_std + beta (gamma == nullptr: 1, beta ==
// nullptr: 0).
void batchnorm_apply(std::int64_t r0, std::int64_t r1, std::int64_t channels, const float* x, const float* mean,
                     const float* inv_std, const float* gamma, const float* beta, float* y);

// For channels [c0, c1): sum_dy[c] = sum_r dy, sum_dy_xhat[c] = sum_r dy * xhat with
// xhat = (x - mean) * inv_std, accumulated in double.
void batchnorm_grad_sums(std::int64_t rows, std::int64_t channels, std::int64_t c0, std::int64_t c1, const float* x,
                         const float* dy, const float* mean, const float* inv_std, double* sum_dy, double* sum_dy_xhat);

// For rows [r0, r1), batch statistics (training):
//   dx = gamma * inv_std * (dy - (sum_dy + xhat * sum_dy_xhat) / rows)
// and with moving statistics (constants): dx = gamma * inv_std * dy.
void batchnorm_input_grad(std::int64_t r0, std::int64_t r1, std::int64_t channels, std::int64_t rows,
                          bool batch_statistics, const float* x, const float* dy, const float* mean,
                          const float* inv_std, const float* gamma, const float* sum_dy, const float* sum_dy_xhat,
                          float* dx);

}  // namespace kernels
}  // namespace gradstep
