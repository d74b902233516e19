#include "kernels/conv.hpp"

#include "core/profile.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "core/cpu.hpp"
#include "core/parallel.hpp"
#include "kernels/reduce.hpp"
#include "kernels/window_isa.hpp"

namespace gradstep {

namespace {

using i64 = std::int64_t;

// A thread gets at least this many floats of copying: below that a fork/join costs more.
constexpr i64 kCopyGrain = 1 << 14;

i64 ceil_div(i64 a, i64 b) { return (a + b - 1) / b; }

// Input coordinate of window position k of output o on one axis (may be outside the input).
inline i64 input_index(const WindowAxis& a, i64 o, i64 k) { return o * a.stride - a.pad_before + k * a.dilation; }

inline void zero(float* p, i64 n) { std::memset(p, 0, static_cast<std::size_t>(n) * sizeof(float)); }

}  // namespace

Padding parse_padding(const std::string& name) {
  if (name == "valid") return Padding::valid;
  if (name == "same") return Padding::same;
  if (name == "causal") return Padding::causal;
  throw std::invalid_argument("padding must be 'valid', 'same' or 'causal', got '" + name + "'");
}

const char* padding_name(Padding padding) {
  switch (padding) {
    case Padding::valid:
      return "valid";
    case Padding::same:
      return "same";
    case Padding::causal:
      return "causal";
  }
  return "valid";
}

WindowAxis window_axis(i64 input, i64 kernel, i64 stride, i64 dilation, Padding padding) {
  WindowAxis a;
  a.input = input;
  a.kernel = kernel;
  a.stride = stride;
  a.dilation = dilation;
  const i64 span = a.span();
  if (padding == Padding::valid) {
    a.pad_before = 0;
    a.output = input >= span ? (input - span) / stride + 1 : 0;
  } else if (padding == Padding::same) {
    a.output = ceil_div(input, stride);
    const i64 total = std::max<i64>((a.output - 1) * stride + span - input, 0);
    a.pad_before = total / 2;
  } else {  // causal: pad span - 1 in front, then valid
    a.pad_before = span - 1;
    a.output = (input - 1) / stride + 1;
  }
  return a;
}

WindowAxis transposed_window_axis(i64 input, i64 kernel, i64 stride, i64 dilation, Padding padding) {
  // Keras (deconv_output_length): valid -> input * stride + max(span - stride, 0); same -> input * stride.
  const i64 span = dilation * (kernel - 1) + 1;
  const i64 length = padding == Padding::same ? input * stride : input * stride + std::max<i64>(span - stride, 0);
  // The convolution this transposes maps `length` back to `input`.
  WindowAxis a = window_axis(length, kernel, stride, dilation, padding);
  a.output = input;
  return a;
}

bool Window2D::is_pointwise() const {
  const auto unit = [](const WindowAxis& a) {
    return a.kernel == 1 && a.stride == 1 && a.pad_before == 0 && a.output == a.input;
  };
  return unit(h) && unit(w);
}

namespace {

// True when every window lies inside the input (no padding reached): no bounds checks needed.
bool windows_inside(const Window2D& g) {
  const auto inside = [](const WindowAxis& a) {
    return a.pad_before == 0 && (a.output - 1) * a.stride + a.span() <= a.input;
  };
  return inside(g.h) && inside(g.w);
}

}  // namespace

namespace generic {
#define WINDOW_VECTOR_BYTES 16
#define KGRAD_ROWS_PER_BLOCK 6  // 2 x 6 accumulators + 2 loads + 1 broadcast: 16 xmm registers
#include "kernels/window_impl.hpp"
#undef KGRAD_ROWS_PER_BLOCK
#undef WINDOW_VECTOR_BYTES
}  // namespace generic

// The build of a window kernel for the widest instruction set the CPU runs (core/cpu.hpp).
#if GRADSTEP_X86
#define GRADSTEP_WINDOW_KERNEL(name) \
  (active_isa() == Isa::avx512 ? avx512::name : active_isa() == Isa::avx2 ? avx2::name : generic::name)
#else
#define GRADSTEP_WINDOW_KERNEL(name) (generic::name)
#endif

namespace {

// n floats; a plain loop: the runs here are short (often C or kw*C floats), where a memcpy call
// costs more than the copy.
inline void copy_run(float* __restrict out, const float* __restrict in, i64 n) {
  for (i64 k = 0; k < n; ++k) out[k] = in[k];
}

// One patch row of output pixel (oh, ow): kh window rows of kw*C floats each.
inline void gather_patch(const Window2D& g, const float* sample, i64 oh, i64 ow, float* out) {
  const i64 C = g.channels, kw = g.w.kernel, W = g.w.input;
  const i64 first_iw = input_index(g.w, ow, 0);
  // With dilation 1 a window row is one contiguous run of the input row, clipped at the borders.
  const bool contiguous = g.w.dilation == 1;
  for (i64 i = 0; i < g.h.kernel; ++i, out += kw * C) {
    const i64 ih = input_index(g.h, oh, i);
    if (ih < 0 || ih >= g.h.input) {
      zero(out, kw * C);
      continue;
    }
    const float* row = sample + ih * W * C;
    if (contiguous) {
      const i64 lo = std::max<i64>(0, -first_iw), hi = std::min<i64>(kw, W - first_iw);  // inside: [lo, hi)
      if (lo > 0) zero(out, lo * C);
      if (hi > lo) copy_run(out + lo * C, row + (first_iw + lo) * C, (hi - lo) * C);
      if (hi < kw) zero(out + std::max(hi, lo) * C, (kw - std::max(hi, lo)) * C);
      continue;
    }
    for (i64 j = 0; j < kw; ++j) {
      const i64 iw = first_iw + j * g.w.dilation;
      if (iw >= 0 && iw < W)
        copy_run(out + j * C, row + iw * C, C);
      else
        zero(out + j * C, C);
    }
  }
}

}  // namespace

void im2col(const Window2D& g, i64 batch, const float* x, float* patches) {
  ProfileScope profile(ProfiledKernel::im2col, 0.0,
                       4.0 * static_cast<double>(batch) *
                           static_cast<double>(g.input_pixels() * g.channels + g.output_pixels() * g.patch_size()));
  const i64 OH = g.h.output, OW = g.w.output, P = g.patch_size();
  const i64 row_floats = OW * P;
  const i64 grain = std::max<i64>(1, kCopyGrain / std::max<i64>(row_floats, 1));
  if (windows_inside(g) && g.w.dilation == 1) {
    const auto row_fn = GRADSTEP_WINDOW_KERNEL(im2col_row_inside);
    parallel_for(0, batch * OH, grain, [&](i64 b, i64 e) {
      for (i64 task = b; task < e; ++task) {
        const i64 n = task / OH, oh = task % OH;
        row_fn(g, x + n * g.input_pixels() * g.channels, oh, patches + task * row_floats);
      }
    });
    return;
  }
  // One task per output row (sample n, row oh): it writes OW patch rows.
  parallel_for(0, batch * OH, grain, [&](i64 b, i64 e) {
    for (i64 task = b; task < e; ++task) {
      const i64 n = task / OH, oh = task % OH;
      const float* sample = x + n * g.input_pixels() * g.channels;
      float* out = patches + task * row_floats;
      for (i64 ow = 0; ow < OW; ++ow, out += P) gather_patch(g, sample, oh, ow, out);
    }
  });
}

void col2im(const Window2D& g, i64 batch, const float* patches, float* dx) {
  ProfileScope profile(ProfiledKernel::col2im,
                       static_cast<double>(batch) * static_cast<double>(g.output_pixels() * g.patch_size()),
                       4.0 * static_cast<double>(batch) *
                           static_cast<double>(g.input_pixels() * g.channels + g.output_pixels() * g.patch_size()));
  const i64 C = g.channels, OH = g.h.output, OW = g.w.output, P = g.patch_size();
  const i64 sample_floats = g.input_pixels() * C;
  // By samples: each sample's pixels receive their patch rows in one fixed order.
  const i64 grain = std::max<i64>(1, kCopyGrain / std::max<i64>(OH * OW * P, 1));
  if (windows_inside(g) && g.w.dilation == 1) {
    const auto sample_fn = GRADSTEP_WINDOW_KERNEL(col2im_sample_inside);
    parallel_for(0, batch, grain, [&](i64 b, i64 e) {
      for (i64 n = b; n < e; ++n) {
        zero(dx + n * sample_floats, sample_floats);
        sample_fn(g, patches + n * OH * OW * P, dx + n * sample_floats);
      }
    });
    return;
  }
  parallel_for(0, batch, grain, [&](i64 b, i64 e) {
    for (i64 n = b; n < e; ++n) {
      float* sample = dx + n * sample_floats;
      zero(sample, sample_floats);
      const float* in = patches + n * OH * OW * P;
      for (i64 oh = 0; oh < OH; ++oh) {
        for (i64 ow = 0; ow < OW; ++ow) {
          for (i64 i = 0; i < g.h.kernel; ++i) {
            const i64 ih = input_index(g.h, oh, i);
            const bool row_inside = ih >= 0 && ih < g.h.input;
            for (i64 j = 0; j < g.w.kernel; ++j, in += C) {
              const i64 iw = input_index(g.w, ow, j);
              if (!row_inside || iw < 0 || iw >= g.w.input) continue;
              float* target = sample + (ih * g.w.input + iw) * C;
              for (i64 c = 0; c < C; ++c) target[c] += in[c];
            }
          }
        }
      }
    }
  });
}

namespace {

// Calls visit(ih, iw) for the input pixels of output pixel (oh, ow), window order.
template <typename Visit>
inline void for_window(const Window2D& g, i64 oh, i64 ow, Visit visit) {
  for (i64 i = 0; i < g.h.kernel; ++i) {
    const i64 ih = input_index(g.h, oh, i);
    if (ih < 0 || ih >= g.h.input) continue;
    for (i64 j = 0; j < g.w.kernel; ++j) {
      const i64 iw = input_index(g.w, ow, j);
      if (iw >= 0 && iw < g.w.input) visit(ih, iw);
    }
  }
}

// Runs fn(n, oh) for every output row, split over threads.
template <typename Fn>
void for_output_rows(const Window2D& g, i64 batch, Fn fn) {
  const i64 row_work = g.w.output * g.channels * g.h.kernel * g.w.kernel;
  const i64 grain = std::max<i64>(1, kCopyGrain / std::max<i64>(row_work, 1));
  parallel_for(0, batch * g.h.output, grain, [&](i64 b, i64 e) {
    for (i64 task = b; task < e; ++task) fn(task / g.h.output, task % g.h.output);
  });
}

// Runs fn(n) for every sample, split over threads (backward passes that add into dx).
template <typename Fn>
void for_samples(const Window2D& g, i64 batch, Fn fn) {
  const i64 work = g.output_pixels() * g.channels * g.h.kernel * g.w.kernel;
  const i64 grain = std::max<i64>(1, kCopyGrain / std::max<i64>(work, 1));
  parallel_for(0, batch, grain, [&](i64 b, i64 e) {
    for (i64 n = b; n < e; ++n) fn(n);
  });
}

}  // namespace

namespace {

// out/where = max over (out, pixel) per channel: a larger value wins, and so does a NaN (NaN
// propagates, as in the frameworks); ties keep the first maximum. Branch-free so that it
// vectorises.
inline void max_update(i64 C, const float* __restrict pixel, std::int32_t base, float* __restrict out,
                       std::int32_t* __restrict where) {
  for (i64 c = 0; c < C; ++c) {
    const float v = pixel[c];
    const bool take = v > out[c] || v != v;
    out[c] = take ? v : out[c];
    where[c] = take ? base + static_cast<std::int32_t>(c) : where[c];
  }
}

inline void max_first(i64 C, const float* __restrict pixel, std::int32_t base, float* __restrict out,
                      std::int32_t* __restrict where) {
  for (i64 c = 0; c < C; ++c) {
    out[c] = pixel[c];
    where[c] = base + static_cast<std::int32_t>(c);
  }
}

}  // namespace

void max_pool_forward(const Window2D& g, i64 batch, const float* x, float* y, std::int32_t* argmax) {
  ProfileScope profile(ProfiledKernel::pooling,
                       static_cast<double>(batch) * static_cast<double>(g.output_pixels() * g.channels),
                       4.0 * static_cast<double>(batch) *
                           static_cast<double>(g.input_pixels() * g.channels + g.output_pixels() * g.channels));
  const i64 C = g.channels, OW = g.w.output;
  if (windows_inside(g)) {
    // The common case (valid pooling): plain loops over the window, the same order and result.
    const auto row_fn = GRADSTEP_WINDOW_KERNEL(max_pool_row_inside);
    for_output_rows(g, batch, [&](i64 n, i64 oh) {
      const i64 row = (n * g.h.output + oh) * OW * C;
      row_fn(g, x + n * g.input_pixels() * C, oh, y + row, argmax + row);
    });
    return;
  }
  for_output_rows(g, batch, [&](i64 n, i64 oh) {
    const float* sample = x + n * g.input_pixels() * C;
    const i64 row = (n * g.h.output + oh) * OW * C;
    for (i64 ow = 0; ow < OW; ++ow) {
      float* out = y + row + ow * C;
      std::int32_t* where = argmax + row + ow * C;
      bool first = true;
      for_window(g, oh, ow, [&](i64 ih, i64 iw) {
        const i64 offset = (ih * g.w.input + iw) * C;
        if (first)
          max_first(C, sample + offset, static_cast<std::int32_t>(offset), out, where);
        else
          max_update(C, sample + offset, static_cast<std::int32_t>(offset), out, where);
        first = false;
      });
    }
  });
}

void kernel_gradient_rows(i64 n, i64 P, i64 F, const float* patches, const float* dz, float* out) {
  ProfileScope profile(ProfiledKernel::conv_kernel_gradient, 2.0 * static_cast<double>(n * P * F),
                       4.0 * static_cast<double>(n * P + n * F + P * F));
  GRADSTEP_WINDOW_KERNEL(kernel_gradient_rows)(n, P, F, patches, dz, out);
}

bool kernel_gradient_reads_image(const Window2D& g) {
  const i64 run = g.w.kernel * g.channels;
  return windows_inside(g) && g.w.dilation == 1 && (run >= 12 || (run == 3 && g.h.kernel == 3));
}

void kernel_gradient_image(const Window2D& g, i64 samples, const float* x, i64 F, const float* dz, float* out) {
  if (!kernel_gradient_reads_image(g)) throw std::logic_error("kernel_gradient_image: windows not supported");
  const i64 n = samples * g.output_pixels(), P = g.patch_size();
  // Operands as read: the samples' pixels (not n x P patches), dz and the result.
  ProfileScope profile(ProfiledKernel::conv_kernel_gradient, 2.0 * static_cast<double>(n * P * F),
                       4.0 * static_cast<double>(samples * g.input_pixels() * g.channels + n * F + P * F));
  GRADSTEP_WINDOW_KERNEL(kernel_gradient_image)(g, samples, x, F, dz, out);
}

void max_pool_relu_backward(const Window2D& g, i64 batch, const float* dy, const std::int32_t* argmax, const float* y,
                            bool relu, float* dz, float* column_sum) {
  ProfileScope profile(ProfiledKernel::pooling,
                       static_cast<double>(batch) * static_cast<double>(g.output_pixels() * g.channels),
                       4.0 * static_cast<double>(batch) *
                           static_cast<double>(g.input_pixels() * g.channels + g.output_pixels() * g.channels));
  const i64 per_out = g.output_pixels() * g.channels, per_in = g.input_pixels() * g.channels;
  const bool tiled = windows_inside(g) && g.h.stride == g.h.kernel && g.w.stride == g.w.kernel;
  const auto tiled_fn = GRADSTEP_WINDOW_KERNEL(max_pool_backward_tiled);
  if (column_sum != nullptr && tiled) {
    // The bias gradient rides along: samples in order, each adding its rows into column_sum.
    for (i64 c = 0; c < g.channels; ++c) column_sum[c] = 0.0f;
    for (i64 n = 0; n < batch; ++n)
      tiled_fn(g, dy + n * per_out, argmax + n * per_out, y + n * per_out, relu, dz + n * per_in, column_sum);
    return;
  }
  for_samples(g, batch, [&](i64 n) {
    const float* grad = dy + n * per_out;
    const float* out = y + n * per_out;
    const std::int32_t* where = argmax + n * per_out;
    float* sample = dz + n * per_in;
    if (tiled) {
      tiled_fn(g, grad, where, out, relu, sample, nullptr);
      return;
    }
    zero(sample, per_in);
    // Branch-free: whether the pooled output is positive is a coin toss for the predictor.
    if (relu) {
      for (i64 k = 0; k < per_out; ++k) sample[where[k]] += out[k] > 0.0f ? grad[k] : 0.0f;
    } else {
      for (i64 k = 0; k < per_out; ++k) sample[where[k]] += grad[k];
    }
  });
  if (column_sum != nullptr) column_sums(batch * g.input_pixels(), g.channels, dz, column_sum);
}

void max_pool_backward(const Window2D& g, i64 batch, const float* dy, const std::int32_t* argmax, float* dx) {
  ProfileScope profile(ProfiledKernel::pooling,
                       static_cast<double>(batch) * static_cast<double>(g.output_pixels() * g.channels),
                       4.0 * static_cast<double>(batch) *
                           static_cast<double>(g.input_pixels() * g.channels + g.output_pixels() * g.channels));
  const i64 per_sample_out = g.output_pixels() * g.channels;
  const i64 per_sample_in = g.input_pixels() * g.channels;
  for_samples(g, batch, [&](i64 n) {
    float* sample = dx + n * per_sample_in;
    zero(sample, per_sample_in);
    const float* grad = dy + n * per_sample_out;
    const std::int32_t* where = argmax + n * per_sample_out;
    for (i64 k = 0; k < per_sample_out; ++k) sample[where[k]] += grad[k];
  });
}

namespace {
i64 window_count(const Window2D& g, i64 oh, i64 ow) {
  i64 count = 0;
  for_window(g, oh, ow, [&](i64, i64) { ++count; });
  return count;
}
}  // namespace

void avg_pool_forward(const Window2D& g, i64 batch, const float* x, float* y) {
  ProfileScope profile(ProfiledKernel::pooling,
                       static_cast<double>(batch) * static_cast<double>(g.output_pixels() * g.channels),
                       4.0 * static_cast<double>(batch) *
                           static_cast<double>(g.input_pixels() * g.channels + g.output_pixels() * g.channels));
  const i64 C = g.channels, OW = g.w.output;
  for_output_rows(g, batch, [&](i64 n, i64 oh) {
    const float* sample = x + n * g.input_pixels() * C;
    float* out_row = y + (n * g.h.output + oh) * OW * C;
    for (i64 ow = 0; ow < OW; ++ow) {
      float* out = out_row + ow * C;
      zero(out, C);
      for_window(g, oh, ow, [&](i64 ih, i64 iw) {
        const float* pixel = sample + (ih * g.w.input + iw) * C;
        for (i64 c = 0; c < C; ++c) out[c] += pixel[c];
      });
      const float inverse = 1.0f / static_cast<float>(window_count(g, oh, ow));
      for (i64 c = 0; c < C; ++c) out[c] *= inverse;
    }
  });
}

void avg_pool_backward(const Window2D& g, i64 batch, const float* dy, float* dx) {
  ProfileScope profile(ProfiledKernel::pooling,
                       static_cast<double>(batch) * static_cast<double>(g.output_pixels() * g.channels),
                       4.0 * static_cast<double>(batch) *
                           static_cast<double>(g.input_pixels() * g.channels + g.output_pixels() * g.channels));
  const i64 C = g.channels, OH = g.h.output, OW = g.w.output;
  const i64 per_sample_in = g.input_pixels() * C;
  for_samples(g, batch, [&](i64 n) {
    float* sample = dx + n * per_sample_in;
    zero(sample, per_sample_in);
    const float* grad = dy + n * OH * OW * C;
    for (i64 oh = 0; oh < OH; ++oh) {
      for (i64 ow = 0; ow < OW; ++ow, grad += C) {
        const float inverse = 1.0f / static_cast<float>(window_count(g, oh, ow));
        for_window(g, oh, ow, [&](i64 ih, i64 iw) {
          float* pixel = sample + (ih * g.w.input + iw) * C;
          for (i64 c = 0; c < C; ++c) pixel[c] += grad[c] * inverse;
        });
      }
    }
  });
}

void upsample_nearest_forward(i64 batch, i64 H, i64 W, i64 C, i64 fh, i64 fw, const float* x, float* y) {
  const i64 OH = H * fh, OW = W * fw;
  const i64 grain = std::max<i64>(1, kCopyGrain / std::max<i64>(OW * C, 1));
  parallel_for(0, batch * OH, grain, [&](i64 b, i64 e) {
    for (i64 task = b; task < e; ++task) {
      const i64 n = task / OH, oh = task % OH;
      const float* in_row = x + (n * H + oh / fh) * W * C;
      float* out = y + task * OW * C;
      for (i64 ow = 0; ow < OW; ++ow, out += C)
        std::memcpy(out, in_row + (ow / fw) * C, static_cast<std::size_t>(C) * sizeof(float));
    }
  });
}

void upsample_nearest_backward(i64 batch, i64 H, i64 W, i64 C, i64 fh, i64 fw, const float* dy, float* dx) {
  const i64 OW = W * fw;
  const i64 grain = std::max<i64>(1, kCopyGrain / std::max<i64>(fh * OW * C, 1));
  parallel_for(0, batch * H, grain, [&](i64 b, i64 e) {
    for (i64 task = b; task < e; ++task) {  // input row (n, h) gathers output rows h*fh .. h*fh+fh-1
      float* out = dx + task * W * C;
      zero(out, W * C);
      for (i64 r = 0; r < fh; ++r) {
        const float* grad = dy + (task * fh + r) * OW * C;
        for (i64 w = 0; w < W; ++w)
          for (i64 s = 0; s < fw; ++s)
            for (i64 c = 0; c < C; ++c) out[w * C + c] += grad[(w * fw + s) * C + c];
      }
    }
  });
}

void zero_pad_forward(i64 batch, i64 H, i64 W, i64 C, i64 top, i64 bottom, i64 left, i64 right, const float* x,
                      float* y) {
  const i64 OH = H + top + bottom, OW = W + left + right;
  const i64 grain = std::max<i64>(1, kCopyGrain / std::max<i64>(OW * C, 1));
  parallel_for(0, batch * OH, grain, [&](i64 b, i64 e) {
    for (i64 task = b; task < e; ++task) {
      const i64 n = task / OH, oh = task % OH;
      float* out = y + task * OW * C;
      const i64 h = oh - top;
      if (h < 0 || h >= H) {
        zero(out, OW * C);
        continue;
      }
      zero(out, left * C);
      std::memcpy(out + left * C, x + (n * H + h) * W * C, static_cast<std::size_t>(W * C) * sizeof(float));
      zero(out + (left + W) * C, right * C);
    }
  });
}

void zero_pad_backward(i64 batch, i64 H, i64 W, i64 C, i64 top, i64 bottom, i64 left, i64 right, const float* dy,
                       float* dx) {
  const i64 OH = H + top + bottom, OW = W + left + right;
  const i64 grain = std::max<i64>(1, kCopyGrain / std::max<i64>(W * C, 1));
  parallel_for(0, batch * H, grain, [&](i64 b, i64 e) {
    for (i64 task = b; task < e; ++task) {
      const i64 n = task / H, h = task % H;
      std::memcpy(dx + task * W * C, dy + ((n * OH + h + top) * OW + left) * C,
                  static_cast<std::size_t>(W * C) * sizeof(float));
    }
  });
}

}  // namespace gradstep
