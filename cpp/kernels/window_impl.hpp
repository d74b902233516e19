// The inner loops of the window kernels for windows that lie inside the input (valid padding,
// the common case): no bounds checks, contiguous runs. Included into one namespace per
// instruction set (kernels/conv.cpp: generic; window_avx2.cpp, window_avx512.cpp), where the
// compiler vectorises the same loops for that set. Copies, maxima and sums in a fixed order:
// every build gives the same bits.
//
// Needs: i64, Window2D (kernels/conv.hpp).

// Copies of exactly N floats (N known at compile time): a few moves, no loop set-up.
template <int N>
inline void copy_fixed(float* __restrict out, const float* __restrict in) {
  for (int k = 0; k < N; ++k) out[k] = in[k];
}

inline void copy_floats(float* __restrict out, const float* __restrict in, i64 n) {
  for (i64 k = 0; k < n; ++k) out[k] = in[k];
}

template <int RUN>
inline void im2col_row_inside_impl(const Window2D& g, const float* sample, i64 oh, float* out) {
  const i64 C = g.channels, W = g.w.input, P = g.patch_size(), OW = g.w.output;
  const i64 run = g.w.kernel * C, step = g.w.stride * C;
  for (i64 i = 0; i < g.h.kernel; ++i) {
    const float* in = sample + ((oh * g.h.stride + i * g.h.dilation) * W) * C;
    float* o = out + i * run;
    for (i64 ow = 0; ow < OW; ++ow, in += step, o += P) {
      if constexpr (RUN > 0)
        copy_fixed<RUN>(o, in);
      else
        copy_floats(o, in, run);
    }
  }
}

// One output row of im2col (sample `sample`, row oh) into out (OW patch rows), dilation 1 along W.
void im2col_row_inside(const Window2D& g, const float* sample, i64 oh, float* out) {
  const i64 run = g.w.kernel * g.channels;
  if (run == 3)
    im2col_row_inside_impl<3>(g, sample, oh, out);
  else if (run == 5)
    im2col_row_inside_impl<5>(g, sample, oh, out);
  else
    im2col_row_inside_impl<0>(g, sample, oh, out);
}

// The adjoint: adds each patch row of one sample back onto its pixels (dx zeroed first), rows in
// order, dilation 1 along W.
void col2im_sample_inside(const Window2D& g, const float* patches, float* dx) {
  const i64 C = g.channels, W = g.w.input, OH = g.h.output, OW = g.w.output;
  const i64 run = g.w.kernel * C;
  for (i64 oh = 0; oh < OH; ++oh) {
    for (i64 ow = 0; ow < OW; ++ow) {
      for (i64 i = 0; i < g.h.kernel; ++i, patches += run) {
        float* __restrict target = dx + ((oh * g.h.stride + i * g.h.dilation) * W + ow * g.w.stride) * C;
        const float* __restrict in = patches;
        for (i64 k = 0; k < run; ++k) target[k] += in[k];
      }
    }
  }
}

// Max pooling over a vector of channels at a time, as GCC/Clang vector types of the including
// file's width (WINDOW_VECTOR_BYTES: one zmm, ymm or xmm): the block's maximum and argmax stay in
// registers over the window, selected by compare masks. Left to itself, the compiler either set
// up a runtime-length loop per pixel (C = 16: the set-up cost more than the 4 compares of a 2 x 2
// window) or, with a constant length, unrolled it into 16 scalar chains (10x slower). The width
// must be the instruction set's own: a 64-byte vector built for AVX2 had its compares and
// selects split into scalar instructions (W3's pooling 12x slower than with AVX-512).
#if defined(__GNUC__)
#define GRADSTEP_POOL_VECTORS 1
typedef float pool_floats __attribute__((vector_size(WINDOW_VECTOR_BYTES)));
typedef std::int32_t pool_ints __attribute__((vector_size(WINDOW_VECTOR_BYTES)));
constexpr int kPoolLanes = WINDOW_VECTOR_BYTES / 4;

inline pool_floats pool_load(const float* p) {
  pool_floats v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline pool_ints pool_load(const std::int32_t* p) {
  pool_ints v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline pool_ints pool_bits(pool_floats v) {
  pool_ints b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
inline pool_floats pool_floats_of(pool_ints b) {
  pool_floats v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}
inline pool_ints pool_lane_offsets(std::int32_t first) {
#if WINDOW_VECTOR_BYTES == 64
  const pool_ints lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
#elif WINDOW_VECTOR_BYTES == 32
  const pool_ints lanes = {0, 1, 2, 3, 4, 5, 6, 7};
#else
  const pool_ints lanes = {0, 1, 2, 3};
#endif
  return lanes + first;
}

void max_pool_row_vectors(const Window2D& g, const float* sample, i64 oh, float* y, std::int32_t* argmax) {
  const i64 C = g.channels, W = g.w.input, OW = g.w.output, kh = g.h.kernel, kw = g.w.kernel;
  const i64 ih0 = oh * g.h.stride;
  for (i64 ow = 0; ow < OW; ++ow, y += C, argmax += C) {
    const i64 iw0 = ow * g.w.stride;
    for (i64 c0 = 0; c0 < C; c0 += kPoolLanes) {
      const i64 first = (ih0 * W + iw0) * C + c0;
      pool_floats best = pool_load(sample + first);
      pool_ints where = pool_lane_offsets(static_cast<std::int32_t>(first));
      for (i64 i = 0; i < kh; ++i) {
        for (i64 j = (i == 0 ? 1 : 0); j < kw; ++j) {
          const i64 offset = ((ih0 + i) * W + iw0 + j) * C + c0;
          const pool_floats v = pool_load(sample + offset);
          const pool_ints take = (v > best) | (v != v);  // a larger value or a NaN wins; ties keep the first
          best = pool_floats_of((pool_bits(v) & take) | (pool_bits(best) & ~take));
          where = (pool_lane_offsets(static_cast<std::int32_t>(offset)) & take) | (where & ~take);
        }
      }
      std::memcpy(y + c0, &best, sizeof best);
      std::memcpy(argmax + c0, &where, sizeof where);
    }
  }
}
#endif

// Max pooling of one output row (sample, row oh) for windows inside the input: y and argmax get
// OW * C values. A larger value wins, and so does a NaN; ties keep the first maximum.
void max_pool_row_inside(const Window2D& g, const float* sample, i64 oh, float* y, std::int32_t* argmax) {
  const i64 C = g.channels, W = g.w.input, OW = g.w.output, kh = g.h.kernel, kw = g.w.kernel;
#if defined(GRADSTEP_POOL_VECTORS)
  if (C % kPoolLanes == 0) return max_pool_row_vectors(g, sample, oh, y, argmax);
#endif
  const i64 ih0 = oh * g.h.stride;
  for (i64 ow = 0; ow < OW; ++ow, y += C, argmax += C) {
    const i64 iw0 = ow * g.w.stride;
    float* __restrict out = y;
    std::int32_t* __restrict where = argmax;
    const i64 first = (ih0 * W + iw0) * C;
    for (i64 c = 0; c < C; ++c) {
      out[c] = sample[first + c];
      where[c] = static_cast<std::int32_t>(first + c);
    }
    for (i64 i = 0; i < kh; ++i) {
      for (i64 j = (i == 0 ? 1 : 0); j < kw; ++j) {
        const i64 offset = ((ih0 + i) * W + iw0 + j) * C;
        const float* __restrict pixel = sample + offset;
        for (i64 c = 0; c < C; ++c) {
          const float v = pixel[c];
          const bool take = v > out[c] || v != v;
          out[c] = take ? v : out[c];
          where[c] = take ? static_cast<std::int32_t>(offset + c) : where[c];
        }
      }
    }
  }
}

// The channels [c, c + count) of one input pixel in max_pool_backward_tiled: the gradient's bits
// where this pixel was the maximum (and the output is kept), else 0, by integer masks (no
// branches); added to `sum` when given.
inline void pool_gradient_scalars(i64 count, const float* __restrict grad, const float* __restrict out,
                                  const std::int32_t* __restrict where, std::int32_t first, bool relu,
                                  float* __restrict target, float* __restrict sum) {
  for (i64 c = 0; c < count; ++c) {
    const std::uint32_t hit = static_cast<std::uint32_t>(where[c] == first + static_cast<std::int32_t>(c)) &
                              static_cast<std::uint32_t>(!relu || out[c] > 0.0f);
    std::uint32_t bits;
    std::memcpy(&bits, grad + c, sizeof bits);
    bits &= 0u - hit;
    std::memcpy(target + c, &bits, sizeof bits);
    if (sum != nullptr) sum[c] += target[c];
  }
}

// The backward of max pooling with ReLU (relu) or without, into dz of one sample, for windows
// that tile the input (stride = pool size, inside the input): every input element is in at most
// one window, so each is written once, by its window (the gradient where it was the maximum and
// the pooled output is kept, else 0), and only the strip no window covers is zeroed. The bits of
// "zero dz, add each gradient at its maximum, multiply by ReLU'".
//
// The pixels are visited in memory order (window row oh, its input row i, then window ow, its
// column j), a vector of channels at a time, so that `column_sum` (null, or C floats to add this
// sample's dz into, row by row) takes each pixel in the order column_sums would: the same bits
// without reading dz again. The strips no window covers are zeros and are not added (s + 0 == s
// for every sum that starts at +0).
void max_pool_backward_tiled(const Window2D& g, const float* dy, const std::int32_t* argmax, const float* y, bool relu,
                             float* dz, float* column_sum) {
  const i64 C = g.channels, W = g.w.input, H = g.h.input, OH = g.h.output, OW = g.w.output;
  const i64 kh = g.h.kernel, kw = g.w.kernel;
  // The pixels in memory order: fn(base, k0) for the input pixel at dz + base and its window's
  // output at k0 (oh, i, ow, j as in the comment above).
  const auto each_pixel = [&](auto&& fn) {
    for (i64 oh = 0; oh < OH; ++oh)
      for (i64 i = 0; i < kh; ++i)
        for (i64 ow = 0; ow < OW; ++ow)
          for (i64 j = 0; j < kw; ++j) fn(((oh * kh + i) * W + ow * kw + j) * C, (oh * OW + ow) * C);
  };
  i64 c0 = 0;
#if defined(GRADSTEP_POOL_VECTORS)
  // One vector of channels at a time over all pixels, its running sum in a register: summed
  // through memory, each pixel's add waited for the previous pixel's store to the same address
  // (store forwarding, ~10 cycles a pixel). Per channel the order of the additions is the same.
  for (; c0 + kPoolLanes <= C; c0 += kPoolLanes) {
    pool_floats total = column_sum != nullptr ? pool_load(column_sum + c0) : pool_floats{};
    each_pixel([&](i64 base, i64 k0) {
      const std::int32_t first = static_cast<std::int32_t>(base + c0);
      pool_ints hit = pool_load(argmax + k0 + c0) == pool_lane_offsets(first);
      if (relu) hit &= pool_load(y + k0 + c0) > 0.0f;
      const pool_floats value = pool_floats_of(pool_bits(pool_load(dy + k0 + c0)) & hit);
      std::memcpy(dz + base + c0, &value, sizeof value);
      total += value;
    });
    if (column_sum != nullptr) std::memcpy(column_sum + c0, &total, sizeof total);
  }
#endif
  if (c0 < C) {
    each_pixel([&](i64 base, i64 k0) {
      pool_gradient_scalars(C - c0, dy + k0 + c0, y + k0 + c0, argmax + k0 + c0, static_cast<std::int32_t>(base + c0),
                            relu, dz + base + c0, column_sum ? column_sum + c0 : nullptr);
    });
  }
  // The strips no window covers: columns to the right of the last window, rows below the last.
  for (i64 oh = 0; oh < OH; ++oh)
    for (i64 i = 0; i < kh; ++i) {
      float* row = dz + ((oh * kh + i) * W + OW * kw) * C;
      for (i64 k = 0; k < (W - OW * kw) * C; ++k) row[k] = 0.0f;
    }
  for (i64 k = OH * kh * W * C; k < H * W * C; ++k) dz[k] = 0.0f;
}

// ----------------------------------------------------------------------------------------------
// Kernel gradient of one chunk: out (P x F) = patches^T dz over n rows (patches n x P, dz n x F),
// every element summed over the rows in increasing order. A register block of PB patch columns x
// VB vectors of filters stays in accumulators for the whole pass over the rows: per row, PB
// broadcasts and VB loads feed PB x VB vector multiply-adds, and nothing is packed. The including
// file sets WINDOW_VECTOR_BYTES (its vector width) and KGRAD_ROWS_PER_BLOCK (PB, to fit its
// registers). Written with GCC/Clang vector types: left to itself the compiler vectorised some
// block shapes across the patch columns, one filter at a time (measured 3x slower).
#if defined(__GNUC__)
typedef float kgrad_vec __attribute__((vector_size(WINDOW_VECTOR_BYTES)));
constexpr int kKgradLanes = WINDOW_VECTOR_BYTES / 4;

inline kgrad_vec kgrad_load(const float* p) {
  kgrad_vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// x in every lane, as a broadcast the multiply-add reads from memory. The obvious
// `kgrad_vec{} + x` compiled to a scalar add of +0 (kept: it turns -0 into +0) and a register
// broadcast, two extra instructions per multiply-add pair, the broadcast on the port the second
// FMA unit shares: the 12 x 2 block ran at 65% of the GEMM micro-kernel's speed. x - (+0) is x
// for every x, -0 included, so the compiler drops it (a lane-by-lane fill compiled to something
// 8x slower). The accumulators start at +0 and never become -0, so the sums are the same bits.
inline kgrad_vec kgrad_broadcast(const float* x) { return *x - kgrad_vec{}; }

// One row's contribution to a block: PB patch values (a) times VB vectors of dz (b).
template <int PB, int VB>
inline void kernel_gradient_row(kgrad_vec (&acc)[PB][VB], const float* __restrict a, const float* __restrict b) {
  kgrad_vec bv[VB];
  for (int v = 0; v < VB; ++v) bv[v] = kgrad_load(b + v * kKgradLanes);
  for (int i = 0; i < PB; ++i) {
    const kgrad_vec broadcast = kgrad_broadcast(a + i);
    for (int v = 0; v < VB; ++v) acc[i][v] += broadcast * bv[v];
  }
}

template <int PB, int VB>
inline void kernel_gradient_store(const kgrad_vec (&acc)[PB][VB], i64 F, i64 p0, i64 f0, float* __restrict out) {
  for (int i = 0; i < PB; ++i)
    for (int v = 0; v < VB; ++v) std::memcpy(out + (p0 + i) * F + f0 + v * kKgradLanes, &acc[i][v], sizeof(kgrad_vec));
}

template <int PB, int VB>
inline void kernel_gradient_block(i64 n, i64 P, i64 F, const float* __restrict patches, const float* __restrict dz,
                                  i64 p0, i64 f0, float* __restrict out) {
  kgrad_vec acc[PB][VB];
  for (int i = 0; i < PB; ++i)
    for (int v = 0; v < VB; ++v) acc[i][v] = kgrad_vec{};
  for (i64 r = 0; r < n; ++r) kernel_gradient_row<PB, VB>(acc, patches + r * P + p0, dz + r * F + f0);
  kernel_gradient_store<PB, VB>(acc, F, p0, f0, out);
}

// The same block with the patch rows read from the image (kernel_gradient_image): the rows in
// im2col's order (sample, oh, ow), each block's PB columns at `offset` from the window's corner
// pixel, inside one kernel row's run of kw*C contiguous floats. With KR > 1 the block also takes
// the same PB columns of the next KR - 1 kernel rows (kernel_row_step floats apart in the image,
// `run` columns apart in the patch): a 3 x 3 single-channel kernel is one block of 3 x 3.
template <int PB, int VB, int KR = 1>
inline void kernel_gradient_image_block(const Window2D& g, i64 samples, const float* __restrict x, i64 offset,
                                        i64 kernel_row_step, i64 run, i64 F, const float* __restrict dz, i64 p0, i64 f0,
                                        float* __restrict out) {
  const i64 C = g.channels, OH = g.h.output, OW = g.w.output, sample_floats = g.input_pixels() * C;
  const i64 row_step = g.h.stride * g.w.input * C, column_step = g.w.stride * C;
  kgrad_vec acc[KR][PB][VB];
  for (int q = 0; q < KR; ++q)
    for (int i = 0; i < PB; ++i)
      for (int v = 0; v < VB; ++v) acc[q][i][v] = kgrad_vec{};
  const float* b = dz + f0;
  for (i64 n = 0; n < samples; ++n)
    for (i64 oh = 0; oh < OH; ++oh) {
      const float* a = x + n * sample_floats + oh * row_step + offset;
      for (i64 ow = 0; ow < OW; ++ow, a += column_step, b += F)
        for (int q = 0; q < KR; ++q) kernel_gradient_row<PB, VB>(acc[q], a + q * kernel_row_step, b);
    }
  for (int q = 0; q < KR; ++q) kernel_gradient_store<PB, VB>(acc[q], F, p0 + q * run, f0, out);
}

// The column blocks of `count` patch columns for VB vectors of filters: the widest blocks that
// fit the registers, then 8, 4 and 1 columns. block(width, j) takes columns [j, j + width), width
// as a std::integral_constant.
template <int VB, class Block>
inline void for_each_column_block(i64 count, Block&& block) {
  constexpr int PB = VB >= 2 ? KGRAD_ROWS_PER_BLOCK : 2 * KGRAD_ROWS_PER_BLOCK;
  i64 j = 0;
  for (; j + PB <= count; j += PB) block(std::integral_constant<int, PB>{}, j);
  if constexpr (PB > 8) {
    for (; j + 8 <= count; j += 8) block(std::integral_constant<int, 8>{}, j);
  }
  for (; j + 4 <= count; j += 4) block(std::integral_constant<int, 4>{}, j);
  for (; j < count; ++j) block(std::integral_constant<int, 1>{}, j);
}

template <int VB>
inline void kernel_gradient_columns(i64 n, i64 P, i64 F, const float* patches, const float* dz, i64 f0, float* out) {
  for_each_column_block<VB>(P, [&](auto width, i64 p0) {
    kernel_gradient_block<decltype(width)::value, VB>(n, P, F, patches, dz, p0, f0, out);
  });
}
#endif

void kernel_gradient_rows(i64 n, i64 P, i64 F, const float* patches, const float* dz, float* out) {
  i64 f0 = 0;
#if defined(__GNUC__)
  for (; f0 + 2 * kKgradLanes <= F; f0 += 2 * kKgradLanes) kernel_gradient_columns<2>(n, P, F, patches, dz, f0, out);
  for (; f0 + kKgradLanes <= F; f0 += kKgradLanes) kernel_gradient_columns<1>(n, P, F, patches, dz, f0, out);
#endif
  // The filters left (fewer than a vector), one at a time.
  for (; f0 < F; ++f0) {
    for (i64 p = 0; p < P; ++p) {
      float sum = 0.0f;
      for (i64 r = 0; r < n; ++r) sum += patches[r * P + p] * dz[r * F + f0];
      out[p * F + f0] = sum;
    }
  }
}

// kernel_gradient_rows over the patches of `samples` samples of x, read from x in place: the
// caller checked that the windows lie inside the input with dilation 1 along W, so kernel row q
// of a patch is kw*C contiguous floats of the image. Each output element gets the same products
// in the same order (the blocks only group elements), so the bits are those of im2col +
// kernel_gradient_rows.
void kernel_gradient_image(const Window2D& g, i64 samples, const float* x, i64 F, const float* dz, float* out) {
  const i64 C = g.channels, W = g.w.input, run = g.w.kernel * C, OH = g.h.output, OW = g.w.output;
  const i64 kernel_row_step = g.h.dilation * W * C;
  i64 f0 = 0;
#if defined(__GNUC__)
  const auto columns = [&](auto vectors, i64 f) {
    constexpr int VB = decltype(vectors)::value;
    if (run == 3 && g.h.kernel == 3) {  // 3 x 3 x 1 (or 3 x 1 x 3): all 9 columns in one block
      kernel_gradient_image_block<3, 1, 3>(g, samples, x, 0, kernel_row_step, run, F, dz, 0, f, out);
      if constexpr (VB == 2)
        kernel_gradient_image_block<3, 1, 3>(g, samples, x, 0, kernel_row_step, run, F, dz, 0, f + kKgradLanes, out);
      return;
    }
    for (i64 q = 0; q < g.h.kernel; ++q) {
      const i64 offset = q * kernel_row_step, p = q * run;
      for_each_column_block<VB>(run, [&](auto width, i64 j) {
        kernel_gradient_image_block<decltype(width)::value, VB>(g, samples, x, offset + j, kernel_row_step, run, F, dz,
                                                                p + j, f, out);
      });
    }
  };
  for (; f0 + 2 * kKgradLanes <= F; f0 += 2 * kKgradLanes) columns(std::integral_constant<int, 2>{}, f0);
  for (; f0 + kKgradLanes <= F; f0 += kKgradLanes) columns(std::integral_constant<int, 1>{}, f0);
#endif
  // The filters left (fewer than a vector), one at a time, as in kernel_gradient_rows.
  const i64 sample_floats = g.input_pixels() * C, row_step = g.h.stride * W * C, column_step = g.w.stride * C;
  for (; f0 < F; ++f0) {
    for (i64 p = 0; p < g.patch_size(); ++p) {
      const i64 offset = (p / run) * kernel_row_step + p % run;
      float sum = 0.0f;
      i64 r = 0;
      for (i64 n = 0; n < samples; ++n)
        for (i64 oh = 0; oh < OH; ++oh)
          for (i64 ow = 0; ow < OW; ++ow, ++r)
            sum += x[n * sample_floats + oh * row_step + ow * column_step + offset] * dz[r * F + f0];
      out[p * F + f0] = sum;
    }
  }
}
