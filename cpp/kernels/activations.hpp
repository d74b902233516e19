// Activation functions and their derivatives, as free functions over row-major (rows x cols)
// float arrays. Softmax is the only one that couples elements (over the last axis); the rest
// are element-wise.
#pragma once

#include <cstdint>
#include <string>

namespace gradstep {

enum class Activation { linear, relu, leaky_relu, elu, sigmoid, tanh, softmax, softplus, gelu, swish };

// Keras 3 defaults for the parameterised ones.
constexpr float kLeakyReluSlope = 0.2f;  // keras.activations.leaky_relu(negative_slope=0.2)
constexpr float kEluAlpha = 1.0f;        // keras.activations.elu(alpha=1.0)

Activation parse_activation(const std::string& name);  // throws std::invalid_argument
const char* activation_name(Activation a);

// True when the derivative cannot be recovered from the output alone (gelu, swish): the layer
// must then keep its pre-activation input for the backward pass.
bool activation_backward_needs_input(Activation a);

// y = f(z). y may alias z.
void activation_forward(Activation a, std::int64_t rows, std::int64_t cols, const float* z, float* y);

// z += bias (per column), then y = f(z), in one pass over each row while it is in cache (the
// Dense epilogue). z is updated in place unless it aliases y; bias may be null.
void bias_activation_forward(Activation a, std::int64_t rows, std::int64_t cols, const float* bias, float* z, float* y);

// Whether bias_activation_forward(a) in place (z == y) can ride in the epilogue of the GEMM that
// computes z instead (GemmEpilogue, kernels/gemm.hpp), with the same bits: linear and ReLU.
inline bool fits_gemm_epilogue(Activation a) { return a == Activation::linear || a == Activation::relu; }

// dz = dy * f'(z), computed from z and/or y = f(z) (z may be null unless
// activation_backward_needs_input). dz may alias dy.
void activation_backward(Activation a, std::int64_t rows, std::int64_t cols, const float* z, const float* y,
                         const float* dy, float* dz);

// activation_backward, and sums[j] = sum over rows of dz[:, j] (the bias gradient) in the same
// pass while each row is in cache. Rows are added in increasing order for every column, as
// column_sums does, so the sums are bitwise those of activation_backward + column_sums
// whatever the thread count.
void activation_backward_column_sums(Activation a, std::int64_t rows, std::int64_t cols, const float* z, const float* y,
                                     const float* dy, float* dz, float* sums);

// The backward of bias_activation_forward: dz = dy * f'(z) (dz may alias dy; linear copies
// nothing when it does), and bias_grad = column sums of dz unless bias_grad is null. The layers'
// shared epilogue (Dense, convolutions); a fused output layer passes Activation::linear.
void bias_activation_backward(Activation a, std::int64_t rows, std::int64_t cols, const float* z, const float* y,
                              const float* dy, float* dz, float* bias_grad);

// The same for tall, narrow matrices (convolution outputs): rows are cut into the fixed blocks
// of blocked_column_sums (kernels/reduce.hpp); each block's dz is computed and summed while it is
// in cache, blocks in parallel, and the partial sums are added in block order (the bits of
// activation_backward + blocked_column_sums, for any thread count). partials holds
// column_sum_blocks(rows) * cols floats.
void bias_activation_backward_blocked(Activation a, std::int64_t rows, std::int64_t cols, const float* z,
                                      const float* y, const float* dy, float* dz, float* bias_grad, float* partials);

}  // namespace gradstep
