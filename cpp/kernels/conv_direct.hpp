// Direct convolution for inputs with few channels (an image's first layer: 1 or 3 channels).
//
// im2col + GEMM is a poor fit there: the patch matrix is kh*kw*C wide (9 for a 3x3 kernel on one
// channel), so building it costs more than the multiply, and the GEMM's K loop is too short to
// amortise loading and storing its tiles. Here each output pixel's `filters` values are
// accumulated straight from the input:
//   z[p, f] = sum over window taps t = (i, j, c) of x[pixel(p, t)] * K[t, f]       (taps in order)
// and the kernel gradient is
//   dK[t, f] = sum over output pixels p of x[pixel(p, t)] * dz[p, f]
// summed in fixed blocks of kDirectBlockPixels pixels, the blocks added in order: the same bits
// for any thread count. The loops run over f innermost (contiguous, vectorised); the AVX2 and
// AVX-512 builds contract multiply-adds into FMAs, so their bits differ from the generic build's
// in the last place (as the GEMM's ISA paths do), never between thread counts.
#pragma once

#include <cstdint>

#include "kernels/conv.hpp"

namespace gradstep {

// Whether the direct kernels are used for this geometry (few input channels, small windows).
bool direct_conv_suits(const Window2D& g);
// Tests switch the direct kernels off to check the im2col path on the same shapes; layers decide
// when they are built.
void set_direct_conv_enabled(bool enabled);
bool direct_conv_enabled();

constexpr std::int64_t kDirectBlockPixels = 1024;
inline std::int64_t direct_conv_blocks(std::int64_t pixels) { return (pixels + kDirectBlockPixels - 1) / kDirectBlockPixels; }

// z (batch * OH * OW, F) = conv(x, K); K is (kh * kw * C, F) row-major.
void direct_conv_forward(const Window2D& g, std::int64_t batch, std::int64_t filters, const float* x, const float* K,
                         float* z);
// dK (kh * kw * C, F); partials holds direct_conv_blocks(batch * OH * OW) * kh * kw * C * F floats.
void direct_conv_kernel_gradient(const Window2D& g, std::int64_t batch, std::int64_t filters, const float* x,
                                 const float* dz, float* dK, float* partials);
// dx (batch, H, W, C) = the input gradient (overwritten), split by samples.
void direct_conv_input_gradient(const Window2D& g, std::int64_t batch, std::int64_t filters, const float* dz,
                                const float* K, float* dx);

namespace conv_isa {
// Per-ISA builds of the two hot loops (conv_direct_avx2.cpp, conv_direct_avx512.cpp); entered
// only after active_isa() says the CPU has the instructions.
#if GRADSTEP_X86
void forward_rows_avx2(const Window2D& g, std::int64_t filters, const float* x, const float* K, float* z,
                       std::int64_t first_row, std::int64_t last_row);
void forward_rows_avx512(const Window2D& g, std::int64_t filters, const float* x, const float* K, float* z,
                         std::int64_t first_row, std::int64_t last_row);
void kernel_gradient_block_avx2(const Window2D& g, std::int64_t filters, const float* x, const float* dz,
                                std::int64_t first_pixel, std::int64_t last_pixel, float* dK);
void kernel_gradient_block_avx512(const Window2D& g, std::int64_t filters, const float* x, const float* dz,
                                  std::int64_t first_pixel, std::int64_t last_pixel, float* dK);
#endif
}  // namespace conv_isa

}  // namespace gradstep
