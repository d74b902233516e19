#include "kernels/conv_direct.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/cpu.hpp"
#include "core/parallel.hpp"
#include "kernels/conv_direct_loops.hpp"

namespace gradstep {

namespace {
using i64 = std::int64_t;

void forward_rows(const Window2D& g, i64 F, const float* x, const float* K, float* z, i64 first, i64 last) {
#if GRADSTEP_X86
  switch (active_isa()) {
    case Isa::avx512: return conv_isa::forward_rows_avx512(g, F, x, K, z, first, last);
    case Isa::avx2: return conv_isa::forward_rows_avx2(g, F, x, K, z, first, last);
    case Isa::generic: break;
  }
#endif
  direct_forward_rows(g, F, x, K, z, first, last);
}

void gradient_block(const Window2D& g, i64 F, const float* x, const float* dz, i64 first, i64 last, float* dK) {
#if GRADSTEP_X86
  switch (active_isa()) {
    case Isa::avx512: return conv_isa::kernel_gradient_block_avx512(g, F, x, dz, first, last, dK);
    case Isa::avx2: return conv_isa::kernel_gradient_block_avx2(g, F, x, dz, first, last, dK);
    case Isa::generic: break;
  }
#endif
  direct_kernel_gradient_block(g, F, x, dz, first, last, dK);
}
}  // namespace

namespace {
std::atomic<bool> g_direct_enabled{true};
}  // namespace

void set_direct_conv_enabled(bool enabled) { g_direct_enabled.store(enabled); }
bool direct_conv_enabled() { return g_direct_enabled.load(); }

bool direct_conv_suits(const Window2D& g) {
  if (!direct_conv_enabled()) return false;
  // Measured on W3/W5's first layers (1 channel, 3x3): im2col + GEMM is slower up to a patch of a
  // few dozen values; beyond that the GEMM's blocking wins.
  return g.channels <= 4 && g.patch_size() <= 64;
}

void direct_conv_forward(const Window2D& g, i64 batch, i64 filters, const float* x, const float* K, float* z) {
  const i64 rows = batch * g.h.output;
  const i64 work = g.w.output * g.patch_size() * filters;
  const i64 grain = std::max<i64>(1, (1 << 15) / std::max<i64>(work, 1));
  parallel_for(0, rows, grain, [&](i64 b, i64 e) { forward_rows(g, filters, x, K, z, b, e); });
}

void direct_conv_kernel_gradient(const Window2D& g, i64 batch, i64 filters, const float* x, const float* dz,
                                 float* dK, float* partials) {
  const i64 pixels = batch * g.output_pixels();
  const i64 blocks = direct_conv_blocks(pixels);
  const i64 size = g.patch_size() * filters;
  parallel_for(0, blocks, 1, [&](i64 b, i64 e) {
    for (i64 block = b; block < e; ++block) {
      float* part = partials + block * size;
      std::memset(part, 0, static_cast<std::size_t>(size) * sizeof(float));
      gradient_block(g, filters, x, dz, block * kDirectBlockPixels, std::min(pixels, (block + 1) * kDirectBlockPixels),
                     part);
    }
  });
  std::memcpy(dK, partials, static_cast<std::size_t>(size) * sizeof(float));
  for (i64 block = 1; block < blocks; ++block) {
    const float* part = partials + block * size;
    for (i64 i = 0; i < size; ++i) dK[i] += part[i];
  }
}

void direct_conv_input_gradient(const Window2D& g, i64 batch, i64 filters, const float* dz, const float* K, float* dx) {
  const i64 C = g.channels, OH = g.h.output, OW = g.w.output, F = filters;
  const i64 sample_floats = g.input_pixels() * C;
  parallel_for(0, batch, 1, [&](i64 b, i64 e) {
    for (i64 n = b; n < e; ++n) {
      float* sample = dx + n * sample_floats;
      std::memset(sample, 0, static_cast<std::size_t>(sample_floats) * sizeof(float));
      for (i64 oh = 0; oh < OH; ++oh) {
        for (i64 ow = 0; ow < OW; ++ow) {
          const float* grad = dz + ((n * OH + oh) * OW + ow) * F;
          for (i64 i = 0; i < g.h.kernel; ++i) {
            const i64 ih = oh * g.h.stride - g.h.pad_before + i * g.h.dilation;
            if (ih < 0 || ih >= g.h.input) continue;
            for (i64 j = 0; j < g.w.kernel; ++j) {
              const i64 iw = ow * g.w.stride - g.w.pad_before + j * g.w.dilation;
              if (iw < 0 || iw >= g.w.input) continue;
              float* pixel = sample + (ih * g.w.input + iw) * C;
              const float* taps = K + (i * g.w.kernel + j) * C * F;
              for (i64 c = 0; c < C; ++c) {
                float sum = 0.0f;
                for (i64 f = 0; f < F; ++f) sum += grad[f] * taps[c * F + f];
                pixel[c] += sum;
              }
            }
          }
        }
      }
    }
  });
}

}  // namespace gradstep
