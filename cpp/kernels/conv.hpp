// Window kernels for convolution and pooling over channels-last (NHWC) tensors.
//
// A 2-D window operation reads, for output pixel (oh, ow), the input pixels
//   ih = oh * stride_h - pad_top  + i * dilation_h,   i in [0, kh)
//   iw = ow * stride_w - pad_left + j * dilation_w,   j in [0, kw)
// and treats pixels outside the input as padding. 1-D operations are the same with H = 1.
//
// Convolution is im2col + GEMM: im2col copies each output pixel's receptive field into one row of
// a (pixels, kh*kw*C) matrix ("patches"), so the convolution is patches @ kernel with the Keras
// kernel (kh, kw, C, filters) read as a (kh*kw*C, filters) matrix, and its output is already
// NHWC. col2im is the adjoint: it adds each patch row back onto the pixels it came from, which
// is the input gradient of a convolution and the forward pass of a transposed convolution.
//
// Every function splits its work by samples or by output rows only, and every output element is
// summed in a fixed order (window positions in increasing order), so results do not depend on
// the number of threads. Called inside a parallel region (a convolution's sample chunks,
// layers/convolution.cpp) they run serially on the calling thread. For windows that lie inside
// the input (valid padding) the inner loops have AVX2 and AVX-512 builds (window_impl.hpp,
// chosen by CPUID) giving the same bits as the portable one.
#pragma once

#include <cstdint>
#include <string>

namespace gradstep {

enum class Padding { valid, same, causal };
Padding parse_padding(const std::string& name);
const char* padding_name(Padding padding);

// One spatial axis of a window operation.
struct WindowAxis {
  std::int64_t input = 1;
  std::int64_t kernel = 1;
  std::int64_t stride = 1;
  std::int64_t dilation = 1;
  std::int64_t pad_before = 0;
  std::int64_t output = 1;
  std::int64_t span() const { return dilation * (kernel - 1) + 1; }  // the dilated window
};

// Keras' output length and padding for a convolution/pooling axis: "valid" pads nothing,
// "same" gives ceil(input / stride) outputs with the padding split as evenly as possible (the
// extra one after), "causal" pads span - 1 before (1-D convolutions). output is 0 when the
// window does not fit.
WindowAxis window_axis(std::int64_t input, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                       Padding padding);

// Keras' output length of a transposed convolution axis (no output_padding) and the axis of the
// convolution it transposes (input = that output length, output = `input`).
WindowAxis transposed_window_axis(std::int64_t input, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                                  Padding padding);

struct Window2D {
  WindowAxis h, w;
  std::int64_t channels = 1;
  std::int64_t input_pixels() const { return h.input * w.input; }
  std::int64_t output_pixels() const { return h.output * w.output; }
  std::int64_t patch_size() const { return h.kernel * w.kernel * channels; }
  // True when patches == input (1x1 kernel, stride 1, no padding): im2col can be skipped.
  bool is_pointwise() const;
};

// patches (batch * OH * OW, kh * kw * C) from x (batch, H, W, C); padding reads as 0.
void im2col(const Window2D& g, std::int64_t batch, const float* x, float* patches);
// dx (batch, H, W, C) = sum of each patch row added back onto its pixels (dx is overwritten).
void col2im(const Window2D& g, std::int64_t batch, const float* patches, float* dx);

// out (P x F) = patches^T dz over n rows (patches n x P, dz n x F), serial, every element summed
// over the rows in increasing order: a convolution's kernel gradient for one chunk of samples.
void kernel_gradient_rows(std::int64_t n, std::int64_t P, std::int64_t F, const float* patches, const float* dz,
                          float* out);
// The same for the patches of `samples` samples of x (batch-major NHWC), read from x in place
// instead of from an im2col copy (same bits). Only where kernel_gradient_reads_image(g): windows
// inside the input, dilation 1 along W, and kernel rows of kw*C >= 12 floats, or a 3 x 3 kernel
// over one channel (a grayscale image's first convolution: its 9 columns make one block). Other
// short rows would leave the register blocks mostly empty; the copy is cheaper there.
bool kernel_gradient_reads_image(const Window2D& g);
void kernel_gradient_image(const Window2D& g, std::int64_t samples, const float* x, std::int64_t F, const float* dz,
                           float* out);

// Max pooling: y (batch, OH, OW, C); argmax[k] is the index within its sample of the input
// element that y[k] came from (the first maximum; padding never wins). Windows lying wholly in
// the padding cannot occur (Keras' "same" keeps at least one input pixel per window).
void max_pool_forward(const Window2D& g, std::int64_t batch, const float* x, float* y, std::int32_t* argmax);
void max_pool_backward(const Window2D& g, std::int64_t batch, const float* dy, const std::int32_t* argmax, float* dx);
// max_pool_backward followed by the backward of a ReLU before the pooling (relu: y, the pooled
// output, is that ReLU's output, so the gradient passes only where y > 0), into dz. With
// `column_sum` (C floats, or null), also the bias gradient: column_sums(batch * input pixels, C,
// dz), with its bits; for windows that tile the input it is summed while dz is written, instead
// of a second pass over dz. Samples then run in order on the calling thread.
void max_pool_relu_backward(const Window2D& g, std::int64_t batch, const float* dy, const std::int32_t* argmax,
                            const float* y, bool relu, float* dz, float* column_sum = nullptr);
// Average pooling over the input pixels of each window (padding not counted, as Keras).
void avg_pool_forward(const Window2D& g, std::int64_t batch, const float* x, float* y);
void avg_pool_backward(const Window2D& g, std::int64_t batch, const float* dy, float* dx);

// Nearest-neighbour upsampling: y[n, oh, ow, c] = x[n, oh / fh, ow / fw, c]; backward sums
// each fh x fw block (row-major order).
void upsample_nearest_forward(std::int64_t batch, std::int64_t H, std::int64_t W, std::int64_t C, std::int64_t fh,
                              std::int64_t fw, const float* x, float* y);
void upsample_nearest_backward(std::int64_t batch, std::int64_t H, std::int64_t W, std::int64_t C, std::int64_t fh,
                               std::int64_t fw, const float* dy, float* dx);

// Zero padding: y (batch, H + top + bottom, W + left + right, C) with x in the middle; backward
// crops.
void zero_pad_forward(std::int64_t batch, std::int64_t H, std::int64_t W, std::int64_t C, std::int64_t top,
                      std::int64_t bottom, std::int64_t left, std::int64_t right, const float* x, float* y);
void zero_pad_backward(std::int64_t batch, std::int64_t H, std::int64_t W, std::int64_t C, std::int64_t top,
                       std::int64_t bottom, std::int64_t left, std::int64_t right, const float* dy, float* dx);

}  // namespace gradstep
