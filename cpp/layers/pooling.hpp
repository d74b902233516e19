// Pooling, Keras semantics (channels_last), for 1-D (T, C) and 2-D (H, W, C) inputs:
//   MaxPooling:      y = max over the window;    dx[argmax] += dy (the first maximum)
//   AveragePooling:  y = mean over the window's input pixels (padding not counted);
//                    dx += dy / count over the window
//   Global*Pooling:  the window is the whole input; the output is (C,)
// strides default to pool_size (Keras' strides=None); padding "valid" or "same".
#pragma once

#include <vector>

#include "kernels/conv.hpp"
#include "layers/layer.hpp"

namespace gradstep {

enum class PoolMode { max, average };

class Pooling : public Layer {
 public:
  // pool and strides have `rank` entries; ignored (whole input) when global.
  Pooling(int rank, PoolMode mode, bool global, std::vector<std::int64_t> pool, std::vector<std::int64_t> strides,
          Padding padding);
  std::string class_name() const override;

  Shape build(const Shape& input_shape) override;
  void reserve(std::int64_t batch) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

  // For a convolution that computes this max pooling in its own pass (Convolution::fuse_max_pool):
  // the window and the argmax buffer (reserved for the batch) that backward reads.
  bool is_max() const { return mode_ == PoolMode::max; }
  const Window2D& window() const { return window_; }
  std::int32_t* argmax() { return argmax_.data(); }

 private:
  int rank_;
  PoolMode mode_;
  bool global_;
  std::vector<std::int64_t> pool_, strides_;
  Padding padding_;
  Window2D window_;
  std::vector<std::int32_t> argmax_;  // max pooling: where each output came from (per sample)
};

}  // namespace gradstep
