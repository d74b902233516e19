// Conv1D / Conv2D, Keras semantics (channels_last): cross-correlation of the input with a kernel
// of shape (kw, C, filters) or (kh, kw, C, filters), plus bias, then the activation.
//
//   forward:  P = im2col(x)                 (batch * output pixels, kh*kw*C)
//             z = P K + b,  y = f(z)        K: the kernel read as (kh*kw*C, filters)
//   backward: dz = dy * f'(z),  db = sum_rows dz
//             dK = P^T dz                   (a GEMM: summed in a fixed order, any thread count)
//             dx = col2im(dz K^T)           (skipped for the first layer)
// A 1x1 kernel with stride 1 and no padding needs no im2col: P is x itself.
// LeCun et al., "Gradient-based learning applied to document recognition" (1998); im2col as in
// Chellapilla et al., "High performance convolutional neural networks for document processing"
// (2006).
#pragma once

#include <vector>

#include "core/memory.hpp"
#include "kernels/activations.hpp"
#include "kernels/conv.hpp"
#include "kernels/gemm.hpp"
#include "layers/layer.hpp"

namespace gradstep {

struct ConvOptions {
  int rank = 2;  // 1: Conv1D over (T, C); 2: Conv2D over (H, W, C)
  std::int64_t filters = 1;
  std::vector<std::int64_t> kernel;    // rank entries
  std::vector<std::int64_t> strides;   // rank entries
  std::vector<std::int64_t> dilation;  // rank entries
  Padding padding = Padding::valid;
  Activation activation = Activation::linear;
  bool use_bias = true;
  Initializer kernel_initializer;
  Initializer bias_initializer;
};

class Convolution : public Layer {
 public:
  explicit Convolution(ConvOptions options);
  std::string class_name() const override { return options_.rank == 1 ? "Conv1D" : "Conv2D"; }

  Shape build(const Shape& input_shape) override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(const std::vector<float*>& values, const std::vector<float*>& grads) override;
  void reserve(std::int64_t batch) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

  // Conv2D/Conv1D (ReLU or linear) followed by MaxPooling: when the batch runs in chunks, each
  // chunk's convolution output is pooled while it is in cache, and the full-size activation is
  // never written (max(relu(z)) = relu(max(z)), with the same first maximum); backward scatters
  // the pooled gradient straight into the chunk's dz. The bits are those of the two layers run
  // one after the other. The model asks can_fuse_max_pool at build and calls the pooled passes
  // when fuses_pool(batch).
  bool can_fuse_max_pool(Layer& next) const;
  bool fuses_pool(std::int64_t batch) const { return chunked(batch); }
  void forward_pooled(const float* x, float* pooled, Layer& pool, std::int64_t batch);
  void backward_pooled(const float* x, const float* pooled, const float* dpooled, float* dx, Layer& pool,
                       std::int64_t batch);

  bool can_fuse_output_activation(const std::string& activation) const override {
    return activation == activation_name(options_.activation);
  }
  void set_fused_output(bool fused) override { fused_output_ = fused; }
  const float* logits() const override { return keeps_preactivation() ? preactivation_.data() : nullptr; }
  Activation activation() const { return options_.activation; }

 private:
  bool keeps_preactivation() const { return fused_output_ || activation_backward_needs_input(options_.activation); }
  std::int64_t rows(std::int64_t batch) const { return batch * window_.output_pixels(); }
  // The batch cut into chunks of whole samples (see convolution.cpp): samples per chunk and the
  // number of chunks, from the batch size and the layer's shapes only (never the thread count).
  std::int64_t max_chunks() const;
  std::int64_t chunk_samples(std::int64_t batch) const;
  std::int64_t chunks(std::int64_t batch) const;
  void reserve_thread_slots();
  float* thread_patches(std::int64_t rows);
  float* thread_dz(std::int64_t rows);
  bool chunked(std::int64_t batch) const;
  const float* chunk_patches(const float* x, std::int64_t s0, std::int64_t s1);
  void forward_chunked(const float* x, float* z, float* y, std::int64_t batch, Layer* pool = nullptr);
  void backward_chunked(const float* x, const float* z, const float* y, float* dy, float* dx, std::int64_t batch,
                        const float* pooled = nullptr, const float* dpooled = nullptr, Layer* pool = nullptr);

  ConvOptions options_;
  Window2D window_;
  bool fused_output_ = false;
  float* K_ = nullptr;
  float* b_ = nullptr;
  float* dK_ = nullptr;
  float* db_ = nullptr;
  AlignedBuffer patches_;         // whole-batch path: im2col of the last forward; reused for dP in backward
  AlignedBuffer preactivation_;   // z, kept only when backward needs it
  AlignedBuffer partial_dK_;      // kernel_gradient: one partial sum per fixed row block
  AlignedBuffer partial_db_;      // blocked_column_sums of dz, when there are many output pixels
  AlignedBuffer chunk_dK_;        // chunked path: one kernel-gradient partial sum per chunk
  AlignedBuffer chunk_db_;        // chunked path: one bias-gradient partial sum per chunk
  PackedB packed_K_;              // chunked path: K (patch x filters) in GEMM panels, per forward
  PackedB packed_Kt_;             // chunked path: K^T (filters x patch), per backward
  AlignedBuffer thread_patches_;  // chunked path: one chunk's patches per thread (hot in its cache)
  AlignedBuffer thread_dz_;       // fused max pooling: one chunk's dz per thread
  std::int64_t chunk_rows_ = 0;   // rows of a thread's slot: the largest chunk of any batch <= capacity
};

// dK = P^T dz for a small kernel (P: rows x patch, dz: rows x filters) and many rows. When the
// (patch x filters) result is too small to split between threads, the GEMM would run on one
// thread; instead the rows are cut into fixed blocks of kKernelGradientBlockRows (by the data, not
// by the threads), each block's product goes to its own partial buffer in parallel, and the
// partials are added in block order: the same bits for any thread count. `partials` holds
// kernel_gradient_partials(rows) * patch * filters floats.
constexpr std::int64_t kKernelGradientBlockRows = 2048;
std::int64_t kernel_gradient_partials(std::int64_t rows, std::int64_t patch, std::int64_t filters);
void kernel_gradient(std::int64_t rows, std::int64_t patch, std::int64_t filters, const float* P, const float* dz,
                     float* dK, float* partials);

// Conv2DTranspose, Keras semantics: the transpose (adjoint) of a Conv2D, kernel (kh, kw, filters,
// C). With K read as (kh*kw*filters, C):
//   forward:  z = col2im(x K^T) + b,  y = f(z)
//   backward: dz = dy * f'(z),  P = im2col(dz),  dK = P^T x,  dx = P K,  db = sum dz
// Output size (Keras deconv_output_length, no output_padding): valid H*s + max(k - s, 0), same H*s.
// Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016).
class ConvTranspose : public Layer {
 public:
  explicit ConvTranspose(ConvOptions options);
  std::string class_name() const override { return "Conv2DTranspose"; }

  Shape build(const Shape& input_shape) override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(const std::vector<float*>& values, const std::vector<float*>& grads) override;
  void reserve(std::int64_t batch) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

 private:
  bool keeps_preactivation() const { return activation_backward_needs_input(options_.activation); }

  ConvOptions options_;
  Window2D window_;  // the convolution this layer transposes: its input is our output
  float* K_ = nullptr;
  float* b_ = nullptr;
  float* dK_ = nullptr;
  float* db_ = nullptr;
  AlignedBuffer patches_;
  AlignedBuffer preactivation_;
};

}  // namespace gradstep
