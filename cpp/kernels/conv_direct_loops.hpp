// The loops of the direct convolution (conv_direct.hpp), included by conv_direct.cpp (x86-64
// baseline) and by conv_direct_avx2.cpp / conv_direct_avx512.cpp (wider vectors). Internal
// linkage on purpose: each translation unit keeps its own copy, built for its instruction set.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/conv.hpp"

namespace gradstep {
namespace {

// Output rows (n, oh) in [first_row, last_row): z[p, :] = sum over taps in order.
inline void direct_forward_rows(const Window2D& g, std::int64_t F, const float* x, const float* K, float* z,
                                std::int64_t first_row, std::int64_t last_row) {
  const std::int64_t C = g.channels, OH = g.h.output, OW = g.w.output;
  for (std::int64_t row = first_row; row < last_row; ++row) {
    const std::int64_t n = row / OH, oh = row % OH;
    const float* sample = x + n * (g.h.input * g.w.input) * C;
    for (std::int64_t ow = 0; ow < OW; ++ow) {
      float* __restrict out = z + (row * OW + ow) * F;
      for (std::int64_t f = 0; f < F; ++f) out[f] = 0.0f;
      for (std::int64_t i = 0; i < g.h.kernel; ++i) {
        const std::int64_t ih = oh * g.h.stride - g.h.pad_before + i * g.h.dilation;
        if (ih < 0 || ih >= g.h.input) continue;
        for (std::int64_t j = 0; j < g.w.kernel; ++j) {
          const std::int64_t iw = ow * g.w.stride - g.w.pad_before + j * g.w.dilation;
          if (iw < 0 || iw >= g.w.input) continue;
          const float* pixel = sample + (ih * g.w.input + iw) * C;
          const float* taps = K + (i * g.w.kernel + j) * C * F;
          for (std::int64_t c = 0; c < C; ++c) {
            const float v = pixel[c];
            const float* __restrict k = taps + c * F;
            for (std::int64_t f = 0; f < F; ++f) out[f] += v * k[f];
          }
        }
      }
    }
  }
}

// dK += sum over output pixels [first, last) of x[pixel(p, t)] * dz[p, :], pixels in order.
inline void direct_kernel_gradient_block(const Window2D& g, std::int64_t F, const float* x, const float* dz,
                                         std::int64_t first, std::int64_t last, float* dK) {
  const std::int64_t C = g.channels, OH = g.h.output, OW = g.w.output;
  for (std::int64_t p = first; p < last; ++p) {
    const std::int64_t n = p / (OH * OW), oh = (p / OW) % OH, ow = p % OW;
    const float* sample = x + n * (g.h.input * g.w.input) * C;
    const float* __restrict grad = dz + p * F;
    for (std::int64_t i = 0; i < g.h.kernel; ++i) {
      const std::int64_t ih = oh * g.h.stride - g.h.pad_before + i * g.h.dilation;
      if (ih < 0 || ih >= g.h.input) continue;
      for (std::int64_t j = 0; j < g.w.kernel; ++j) {
        const std::int64_t iw = ow * g.w.stride - g.w.pad_before + j * g.w.dilation;
        if (iw < 0 || iw >= g.w.input) continue;
        const float* pixel = sample + (ih * g.w.input + iw) * C;
        float* taps = dK + (i * g.w.kernel + j) * C * F;
        for (std::int64_t c = 0; c < C; ++c) {
          const float v = pixel[c];
          float* __restrict out = taps + c * F;
          for (std::int64_t f = 0; f < F; ++f) out[f] += v * grad[f];
        }
      }
    }
  }
}

}  // namespace
}  // namespace gradstep
