#include "layers/convolution.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/parallel.hpp"
#include "kernels/gemm.hpp"
#include "kernels/reduce.hpp"
#include "layers/pooling.hpp"

namespace gradstep {

namespace {

void check_options(const ConvOptions& o, const std::string& name) {
  if (o.rank != 1 && o.rank != 2) throw std::invalid_argument(name + ": rank must be 1 or 2");
  if (o.filters <= 0)
    throw std::invalid_argument(name + ": filters must be a positive integer, got " + std::to_string(o.filters));
  const auto check = [&](const std::vector<std::int64_t>& v, const char* what) {
    if (static_cast<int>(v.size()) != o.rank)
      throw std::invalid_argument(name + ": " + what + " must have " + std::to_string(o.rank) + " entries, got " +
                                  shape_str(v));
    for (auto d : v)
      if (d <= 0) throw std::invalid_argument(name + ": " + what + " must be positive, got " + shape_str(v));
  };
  check(o.kernel, "kernel_size");
  check(o.strides, "strides");
  check(o.dilation, "dilation_rate");
}

// The spatial axes of an input shape: (T, C) -> H = 1, W = T; (H, W, C) as is.
void spatial_axes(int rank, const Shape& input, std::int64_t& H, std::int64_t& W) {
  H = rank == 1 ? 1 : input[0];
  W = rank == 1 ? input[0] : input[1];
}

Window2D conv_window(const ConvOptions& o, const Shape& input, const std::string& name) {
  if (static_cast<int>(input.size()) != o.rank + 1)
    throw std::invalid_argument(name + ": expected an input of rank " + std::to_string(o.rank + 2) + " (batch, " +
                                (o.rank == 1 ? "steps" : "rows, cols") + ", channels), got shape " +
                                batch_shape_str(input));
  std::int64_t H, W;
  spatial_axes(o.rank, input, H, W);
  Window2D g;
  g.channels = input.back();
  const int r = o.rank;
  g.h = r == 1 ? window_axis(1, 1, 1, 1, Padding::valid)
               : window_axis(H, o.kernel[0], o.strides[0], o.dilation[0], o.padding);
  g.w = window_axis(W, o.kernel[r - 1], o.strides[r - 1], o.dilation[r - 1], o.padding);
  if (g.h.output <= 0 || g.w.output <= 0)
    throw std::invalid_argument(name + ": kernel_size " + shape_str(o.kernel) + " with dilation_rate " +
                                shape_str(o.dilation) + " is larger than its " + padding_name(o.padding) +
                                "-padded input of shape " + batch_shape_str(input));
  return g;
}

Shape kernel_shape(const ConvOptions& o, std::int64_t in_channels, bool transposed) {
  Shape shape(o.kernel.begin(), o.kernel.end());
  shape.push_back(transposed ? o.filters : in_channels);
  shape.push_back(transposed ? in_channels : o.filters);
  return shape;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Kernel gradient

std::int64_t kernel_gradient_partials(std::int64_t rows, std::int64_t patch, std::int64_t filters) {
  // Blocked only when the result is too small for the GEMM's own split (< ~2 x 32 x 32 values)
  // and there are several blocks of rows.
  if (patch * filters > 2048 || rows < 2 * kKernelGradientBlockRows) return 0;
  return (rows + kKernelGradientBlockRows - 1) / kKernelGradientBlockRows;
}

void kernel_gradient(std::int64_t rows, std::int64_t patch, std::int64_t filters, const float* P, const float* dz,
                     float* dK, float* partials) {
  const std::int64_t blocks = kernel_gradient_partials(rows, patch, filters);
  if (blocks == 0) {
    gemm(true, false, patch, filters, rows, 1.0f, P, patch, dz, filters, 0.0f, dK, filters);
    return;
  }
  const std::int64_t size = patch * filters;
  parallel_for(0, blocks, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t block = b; block < e; ++block) {
      const std::int64_t r0 = block * kKernelGradientBlockRows;
      const std::int64_t r1 = std::min(rows, r0 + kKernelGradientBlockRows);
      gemm(true, false, patch, filters, r1 - r0, 1.0f, P + r0 * patch, patch, dz + r0 * filters, filters, 0.0f,
           partials + block * size, filters);
    }
  });
  for (std::int64_t i = 0; i < size; ++i) dK[i] = partials[i];
  for (std::int64_t block = 1; block < blocks; ++block) {
    const float* part = partials + block * size;
    for (std::int64_t i = 0; i < size; ++i) dK[i] += part[i];
  }
}

// ---------------------------------------------------------------------------------------------
// Convolution

Convolution::Convolution(ConvOptions options) : options_(std::move(options)) {
  check_options(options_, class_name());
  if (options_.padding == Padding::causal && options_.rank != 1)
    throw std::invalid_argument("Conv2D: padding='causal' is only for Conv1D");
}

Shape Convolution::build(const Shape& input_shape) {
  window_ = conv_window(options_, input_shape, class_name());
  input_shape_ = input_shape;
  output_shape_ = options_.rank == 1 ? Shape{window_.w.output, options_.filters}
                                     : Shape{window_.h.output, window_.w.output, options_.filters};
  built_ = true;
  return output_shape_;
}

std::vector<ParamSpec> Convolution::param_specs() const {
  std::vector<ParamSpec> specs;
  specs.push_back({"kernel", kernel_shape(options_, window_.channels, false), options_.kernel_initializer, true});
  if (options_.use_bias) specs.push_back({"bias", {options_.filters}, options_.bias_initializer, true});
  return specs;
}

void Convolution::bind(const std::vector<float*>& values, const std::vector<float*>& grads) {
  K_ = values.at(0);
  dK_ = grads.at(0);
  if (options_.use_bias) {
    b_ = values.at(1);
    db_ = grads.at(1);
  }
}

// ---------------------------------------------------------------------------------------------
// Sample chunks
//
// With many samples per batch, the batch is cut into chunks of whole samples (by the data: the
// cut depends on the batch size and the layer's shapes, never on the thread count). One thread
// takes a chunk through every step of the pass while its patches are in its cache, chunks in
// parallel: forward is im2col -> GEMM -> bias + activation, backward is activation backward ->
// bias and kernel partial sums -> dP = dz K^T -> col2im. So a pass is one parallel region instead
// of one per step, and the largest buffer (the patches) is written and read while it is hot. The
// per-chunk partial sums of dK and db are added in chunk order afterwards: the same bits for any
// thread count. Few samples (predict on a handful of images) keep the whole-batch path, whose
// GEMM splits each product between the threads. Chunks go to whichever thread is free
// (parallel_for_each_dynamic): results depend on the chunk, never on its thread.
namespace {
constexpr std::int64_t kChunkMinRows = 512;            // output pixels per chunk, at least (GEMM efficiency)
constexpr std::int64_t kChunkMax = 64;                 // chunks per batch, at most
constexpr std::int64_t kChunkPartialFloats = 1 << 22;  // all chunks' kernel-gradient partials, at most
constexpr std::int64_t kChunkMinCount = 4;             // fewer chunks: the whole-batch path
}  // namespace

// At most this many chunks, so that their kernel-gradient partial sums fit kChunkPartialFloats.
std::int64_t Convolution::max_chunks() const {
  const std::int64_t kernel = window_.patch_size() * options_.filters;
  return std::max<std::int64_t>(1, std::min(kChunkMax, kChunkPartialFloats / kernel));
}

std::int64_t Convolution::chunk_samples(std::int64_t batch) const {
  // About one chunk per kChunkMinRows output pixels, at most max_chunks(), rounded down to a
  // power of two so that 1, 2, 4, ... threads get equal shares.
  const std::int64_t wanted = std::min(max_chunks(), batch * window_.output_pixels() / kChunkMinRows);
  std::int64_t count = 1;
  while (count * 2 <= wanted) count *= 2;
  return (batch + count - 1) / count;
}

std::int64_t Convolution::chunks(std::int64_t batch) const {
  const std::int64_t samples = chunk_samples(batch);
  return (batch + samples - 1) / samples;
}

bool Convolution::chunked(std::int64_t batch) const { return chunks(batch) >= kChunkMinCount; }

// The chunk's patch matrix (samples s0..s1): the input itself for a pointwise kernel, else its
// im2col in this thread's slot.
const float* Convolution::chunk_patches(const float* x, std::int64_t s0, std::int64_t s1) {
  if (window_.is_pointwise()) return x + s0 * window_.output_pixels() * window_.patch_size();
  float* scratch = thread_patches((s1 - s0) * window_.output_pixels());
  im2col(window_, s1 - s0, x + s0 * input_size(), scratch);
  return scratch;
}

// z = patches K + b per chunk, then y = f(z); with `pool` (fused max pooling), y is the pooled
// output instead, z is not used (each chunk's z goes to a per-thread slot) and may be null.
void Convolution::forward_chunked(const float* x, float* z, float* y, std::int64_t batch, Layer* pool_layer) {
  auto* pool = static_cast<Pooling*>(pool_layer);
  const std::int64_t P = window_.patch_size(), F = options_.filters, pixels = window_.output_pixels();
  const std::int64_t samples = chunk_samples(batch), count = chunks(batch);
  const std::int64_t pooled_size = pool ? pool->output_size() : 0;
  const float* bias = options_.use_bias ? b_ : nullptr;
  // Where z is not kept apart from y, the bias (and ReLU, unless pooling comes first) ride in the
  // GEMM's epilogue, applied to each tile while it is in cache; otherwise a separate pass.
  const bool in_place = z == y || pool != nullptr;
  const bool fused = in_place && fits_gemm_epilogue(pool != nullptr ? Activation::linear : options_.activation);
  const GemmEpilogue epilogue{bias, pool == nullptr && options_.activation == Activation::relu};
  packed_K_.pack(false, P, F, K_, F);
  reserve_thread_slots();
  parallel_for_each_dynamic(0, count, [&](std::int64_t chunk) {
    const std::int64_t s0 = chunk * samples, s1 = std::min(batch, s0 + samples);
    const std::int64_t r0 = s0 * pixels, n = (s1 - s0) * pixels;
    // With pooling, z is scratch: this thread's slot (the backward's dz slot, free during the
    // forward) keeps it in cache; a slice of the batch-sized buffer would be written back to
    // memory (W3's first layer: 2.8 MB per step) only to be overwritten by the next step.
    float* zc = pool != nullptr ? thread_dz(n) : z + r0 * F;
    gemm_prepacked(false, n, 1.0f, chunk_patches(x, s0, s1), P, packed_K_, 0.0f, zc, F,
                   fused ? epilogue : GemmEpilogue{});
    if (pool == nullptr) {
      if (!fused) bias_activation_forward(options_.activation, n, F, bias, zc, y + r0 * F);
      return;
    }
    if (!fused) bias_activation_forward(Activation::linear, n, F, bias, zc, zc);
    // Pool the chunk's z while it is in cache, then ReLU the (4x smaller) pooled values.
    float* pooled = y + s0 * pooled_size;
    max_pool_forward(pool->window(), s1 - s0, zc, pooled, pool->argmax() + s0 * pooled_size);
    if (options_.activation == Activation::relu)
      activation_forward(Activation::relu, s1 - s0, pooled_size, pooled, pooled);
  });
}

bool Convolution::can_fuse_max_pool(Layer& next) const {
  auto* pool = dynamic_cast<Pooling*>(&next);
  return pool != nullptr && pool->is_max() && !fused_output_ &&
         (options_.activation == Activation::relu || options_.activation == Activation::linear);
}

void Convolution::forward_pooled(const float* x, float* pooled, Layer& pool, std::int64_t batch) {
  forward_chunked(x, nullptr, pooled, batch, &pool);
}

void Convolution::backward_pooled(const float* x, const float* pooled, const float* dpooled, float* dx, Layer& pool,
                                  std::int64_t batch) {
  // dz lives in this thread's slot (thread_dz), not in a model buffer.
  backward_chunked(x, nullptr, nullptr, nullptr, dx, batch, pooled, dpooled, &pool);
}

// Per-thread scratch of the chunked passes: a chunk's patches and (fused pooling) its dz, in
// slots of the largest chunk any batch up to the capacity has, one slot per thread, so that they
// stay in that thread's cache. More threads than at reserve time (set_num_threads) get more
// slots: the buffers only grow, before the parallel region.
void Convolution::reserve_thread_slots() {
  const auto threads = static_cast<std::size_t>(get_num_threads());
  const auto rows = static_cast<std::size_t>(chunk_rows_);
  if (!window_.is_pointwise() && thread_patches_.size() < threads * rows * window_.patch_size())
    thread_patches_.resize(threads * rows * window_.patch_size());
  if (thread_dz_.size() < threads * rows * options_.filters) thread_dz_.resize(threads * rows * options_.filters);
}

float* Convolution::thread_patches(std::int64_t rows) {
  if (rows > chunk_rows_) throw std::logic_error("Convolution: a chunk larger than reserved");
  return thread_patches_.data() + thread_index() * chunk_rows_ * window_.patch_size();
}

float* Convolution::thread_dz(std::int64_t rows) {
  if (rows > chunk_rows_) throw std::logic_error("Convolution: a chunk larger than reserved");
  return thread_dz_.data() + thread_index() * chunk_rows_ * options_.filters;
}

void Convolution::backward_chunked(const float* x, const float* z, const float* y, float* dy, float* dx,
                                   std::int64_t batch, const float* pooled, const float* dpooled, Layer* pool_layer) {
  auto* pool = static_cast<Pooling*>(pool_layer);
  const std::int64_t pooled_size = pool ? pool->output_size() : 0;
  const std::int32_t* argmax = pool ? pool->argmax() : nullptr;
  const std::int64_t P = window_.patch_size(), F = options_.filters, pixels = window_.output_pixels();
  const std::int64_t samples = chunk_samples(batch), count = chunks(batch), in_size = input_size();
  const bool pointwise = window_.is_pointwise();
  const bool patches_from_image = !pointwise && kernel_gradient_reads_image(window_);
  const Activation activation = fused_output_ ? Activation::linear : options_.activation;
  if (dx != nullptr) packed_Kt_.pack(true, F, P, K_, F);
  reserve_thread_slots();
  float* partial_dK = chunk_dK_.data();
  float* partial_db = options_.use_bias ? chunk_db_.data() : nullptr;
  parallel_for_each_dynamic(0, count, [&](std::int64_t chunk) {
    const std::int64_t s0 = chunk * samples, s1 = std::min(batch, s0 + samples);
    const std::int64_t r0 = s0 * pixels, n = (s1 - s0) * pixels;
    float* dz = pool != nullptr ? thread_dz(n) : dy + r0 * F;
    if (pool != nullptr) {
      // Fused max pooling: dz = the pooled gradient at each window's maximum, where the
      // (ReLU'd) pooled output is positive: what pooling backward then ReLU backward give.
      // The bias gradient (column sums of dz) is summed as dz is written.
      max_pool_relu_backward(pool->window(), s1 - s0, dpooled + s0 * pooled_size, argmax + s0 * pooled_size,
                             pooled + s0 * pooled_size, options_.activation == Activation::relu, dz,
                             partial_db ? partial_db + chunk * F : nullptr);
    } else {
      bias_activation_backward(activation, n, F, z ? z + r0 * F : nullptr, y + r0 * F, dz, dz,
                               partial_db ? partial_db + chunk * F : nullptr);
    }
    // The patches read from the input in place where the windows allow it; else the chunk's
    // patches again (recomputed into this thread's slot rather than kept from forward in a
    // batch-sized buffer: writing that buffer cost more than a second im2col).
    if (patches_from_image)
      kernel_gradient_image(window_, s1 - s0, x + s0 * in_size, F, dz, partial_dK + chunk * P * F);
    else
      kernel_gradient_rows(n, P, F, chunk_patches(x, s0, s1), dz, partial_dK + chunk * P * F);
    if (dx == nullptr) return;
    if (pointwise) {
      gemm_prepacked(false, n, 1.0f, dz, F, packed_Kt_, 0.0f, dx + r0 * P, P);
    } else {
      // This chunk's patches are not needed any more: their slot takes dP = dz K^T.
      float* dpatches = thread_patches(n);
      gemm_prepacked(false, n, 1.0f, dz, F, packed_Kt_, 0.0f, dpatches, P);
      col2im(window_, s1 - s0, dpatches, dx + s0 * in_size);
    }
  });
  // The partial sums, added in chunk order (each element by one thread).
  const auto add_chunks = [count](std::int64_t size, const float* partials, float* out) {
    parallel_for(0, size, 256, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        float sum = partials[i];
        for (std::int64_t chunk = 1; chunk < count; ++chunk) sum += partials[chunk * size + i];
        out[i] = sum;
      }
    });
  };
  add_chunks(P * F, partial_dK, dK_);
  if (partial_db != nullptr) add_chunks(F, partial_db, db_);
}

void Convolution::reserve(std::int64_t batch) {
  // Enough partials for any batch up to `batch` (a smaller batch can have more, smaller chunks).
  const std::int64_t pixels = window_.output_pixels();
  const std::int64_t most_chunks = std::min(max_chunks(), (batch * pixels + kChunkMinRows - 1) / kChunkMinRows + 1);
  if (most_chunks >= kChunkMinCount) {
    chunk_dK_.resize(static_cast<std::size_t>(most_chunks * window_.patch_size() * options_.filters));
    if (options_.use_bias) chunk_db_.resize(static_cast<std::size_t>(most_chunks * options_.filters));
  }
  // Batches up to `batch` that run whole need a batch-sized patch buffer; chunked ones a slot per
  // thread of their largest chunk.
  std::int64_t whole_rows = 0;
  for (std::int64_t b = 1; b <= batch; ++b) {
    if (chunked(b))
      chunk_rows_ = std::max(chunk_rows_, chunk_samples(b) * window_.output_pixels());
    else
      whole_rows = rows(b);
  }
  if (!window_.is_pointwise()) patches_.resize(static_cast<std::size_t>(whole_rows * window_.patch_size()));
  if (most_chunks >= kChunkMinCount) reserve_thread_slots();
  if (keeps_preactivation()) preactivation_.resize(static_cast<std::size_t>(rows(batch) * options_.filters));
  const std::int64_t partials = kernel_gradient_partials(rows(batch), window_.patch_size(), options_.filters);
  if (partials > 0) partial_dK_.resize(static_cast<std::size_t>(partials * window_.patch_size() * options_.filters));
  if (options_.use_bias)
    partial_db_.resize(static_cast<std::size_t>(column_sum_blocks(rows(batch)) * options_.filters));
}

void Convolution::forward(const float* x, float* y, std::int64_t batch, const StepContext&) {
  const std::int64_t m = rows(batch), P = window_.patch_size(), F = options_.filters;
  if (chunked(batch)) {
    forward_chunked(x, keeps_preactivation() ? preactivation_.data() : y, y, batch);
    return;
  }
  const float* patches = x;
  if (!window_.is_pointwise()) {
    im2col(window_, batch, x, patches_.data());
    patches = patches_.data();
  }
  if (!keeps_preactivation() && fits_gemm_epilogue(options_.activation)) {
    const GemmEpilogue epilogue{options_.use_bias ? b_ : nullptr, options_.activation == Activation::relu};
    gemm(false, false, m, F, P, 1.0f, patches, P, K_, F, 0.0f, y, F, epilogue);
    return;
  }
  float* z = keeps_preactivation() ? preactivation_.data() : y;
  gemm(false, false, m, F, P, 1.0f, patches, P, K_, F, 0.0f, z, F);
  bias_activation_forward(options_.activation, m, F, options_.use_bias ? b_ : nullptr, z, y);
}

void Convolution::backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) {
  const std::int64_t m = rows(batch), P = window_.patch_size(), F = options_.filters;
  float* dz = dy;
  const float* z = keeps_preactivation() ? preactivation_.data() : nullptr;
  if (chunked(batch)) {
    backward_chunked(x, z, y, dy, dx, batch);
    return;
  }
  // dz = dy * f'(z) and the bias gradient in fixed row blocks, each block summed while in cache
  // (many pixels, few filters: a split by columns would leave each thread 16-column rows).
  const Activation activation = fused_output_ ? Activation::linear : options_.activation;
  if (options_.use_bias)
    bias_activation_backward_blocked(activation, m, F, z, y, dy, dz, db_, partial_db_.data());
  else
    bias_activation_backward(activation, m, F, z, y, dy, dz, nullptr);
  const bool pointwise = window_.is_pointwise();
  const float* patches = pointwise ? x : patches_.data();
  kernel_gradient(m, P, F, patches, dz, dK_, partial_dK_.data());
  if (dx == nullptr) return;
  if (pointwise) {
    gemm(false, true, m, P, F, 1.0f, dz, F, K_, F, 0.0f, dx, P);
    return;
  }
  // The patches are not needed any more: their buffer takes dP = dz K^T.
  float* dpatches = patches_.data();
  gemm(false, true, m, P, F, 1.0f, dz, F, K_, F, 0.0f, dpatches, P);
  col2im(window_, batch, dpatches, dx);
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose

ConvTranspose::ConvTranspose(ConvOptions options) : options_(std::move(options)) {
  check_options(options_, "Conv2DTranspose");
  if (options_.rank != 2) throw std::invalid_argument("Conv2DTranspose: rank must be 2");
  if (options_.padding == Padding::causal)
    throw std::invalid_argument("Conv2DTranspose: padding must be 'valid' or 'same', got 'causal'");
}

Shape ConvTranspose::build(const Shape& input_shape) {
  if (input_shape.size() != 3)
    throw std::invalid_argument(
        "Conv2DTranspose: expected an input of rank 4 (batch, rows, cols, channels), got shape " +
        batch_shape_str(input_shape));
  const auto& o = options_;
  window_.channels = o.filters;
  window_.h = transposed_window_axis(input_shape[0], o.kernel[0], o.strides[0], o.dilation[0], o.padding);
  window_.w = transposed_window_axis(input_shape[1], o.kernel[1], o.strides[1], o.dilation[1], o.padding);
  input_shape_ = input_shape;
  output_shape_ = {window_.h.input, window_.w.input, o.filters};
  built_ = true;
  return output_shape_;
}

std::vector<ParamSpec> ConvTranspose::param_specs() const {
  std::vector<ParamSpec> specs;
  specs.push_back({"kernel", kernel_shape(options_, input_shape_.back(), true), options_.kernel_initializer, true});
  if (options_.use_bias) specs.push_back({"bias", {options_.filters}, options_.bias_initializer, true});
  return specs;
}

void ConvTranspose::bind(const std::vector<float*>& values, const std::vector<float*>& grads) {
  K_ = values.at(0);
  dK_ = grads.at(0);
  if (options_.use_bias) {
    b_ = values.at(1);
    db_ = grads.at(1);
  }
}

void ConvTranspose::reserve(std::int64_t batch) {
  patches_.resize(static_cast<std::size_t>(batch * window_.output_pixels() * window_.patch_size()));
  if (keeps_preactivation()) preactivation_.resize(static_cast<std::size_t>(batch * output_size()));
}

void ConvTranspose::forward(const float* x, float* y, std::int64_t batch, const StepContext&) {
  const std::int64_t m = batch * window_.output_pixels(), P = window_.patch_size(), C = input_shape_.back();
  gemm(false, true, m, P, C, 1.0f, x, C, K_, C, 0.0f, patches_.data(), P);
  float* z = keeps_preactivation() ? preactivation_.data() : y;
  col2im(window_, batch, patches_.data(), z);
  bias_activation_forward(options_.activation, batch * window_.input_pixels(), options_.filters,
                          options_.use_bias ? b_ : nullptr, z, y);
}

void ConvTranspose::backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) {
  const std::int64_t m = batch * window_.output_pixels(), P = window_.patch_size(), C = input_shape_.back();
  float* dz = dy;
  const float* z = keeps_preactivation() ? preactivation_.data() : nullptr;
  bias_activation_backward(options_.activation, batch * window_.input_pixels(), options_.filters, z, y, dy, dz,
                           options_.use_bias ? db_ : nullptr);
  float* dpatches = patches_.data();
  im2col(window_, batch, dz, dpatches);
  gemm(true, false, P, C, m, 1.0f, dpatches, P, x, C, 0.0f, dK_, C);
  if (dx != nullptr) gemm(false, false, m, C, P, 1.0f, dpatches, P, K_, C, 0.0f, dx, C);
}

}  // namespace gradstep
