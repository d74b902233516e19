// Batch normalisation (Ioffe & Szegedy, ICML 2015) over the last axis (channels-last), Keras 3
// semantics. With C channels and R = batch * (positions per sample) rows:
//
//   training:   mean_c = sum_r x_rc / R,   var_c = sum_r (x_rc - mean_c)^2 / R   (biased)
//               x_hat = (x - mean) / sqrt(var + eps),   y = gamma * x_hat + beta
//               moving_mean = moving_mean * momentum + mean * (1 - momentum)   (same for variance)
//   inference:  y = gamma * (x - moving_mean) / sqrt(moving_variance + eps) + beta
//   backward (training, the compact form):
//               dbeta = sum_r dy,   dgamma = sum_r dy * x_hat
//               dx = gamma / (R * sqrt(var + eps)) * (R * dy - dbeta - x_hat * dgamma)
//
// Conventions: `momentum` is the weight of the OLD moving value (Keras; PyTorch's momentum=0.1
// is Keras' 0.9), and the moving variance uses the biased batch variance (PyTorch: unbiased).
// Statistics are summed per channel in double, top to bottom: thread-count independent.
#pragma once

#include "core/memory.hpp"
#include "layers/layer.hpp"

namespace gradstep {

class BatchNormalization : public Layer {
 public:
  BatchNormalization(float momentum, float epsilon, bool center, bool scale, Initializer beta_initializer,
                     Initializer gamma_initializer, Initializer moving_mean_initializer,
                     Initializer moving_variance_initializer);
  std::string class_name() const override { return "BatchNormalization"; }

  Shape build(const Shape& input_shape) override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(const std::vector<float*>& values, const std::vector<float*>& grads) override;
  void reserve(std::int64_t batch) override {}
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

  // The statistics the last forward pass normalised with, per channel: the mean and
  // 1/sqrt(variance + epsilon); the batch's when used_batch_statistics(), else the moving ones.
  const float* last_mean() const { return mean_.data(); }
  const float* last_inv_std() const { return inv_std_.data(); }
  bool used_batch_statistics() const { return last_training_; }
  float epsilon() const { return epsilon_; }

 private:
  std::int64_t channels() const { return input_shape_.back(); }
  std::int64_t rows(std::int64_t batch) const { return batch * (input_size() / channels()); }

  float momentum_, epsilon_;
  bool center_, scale_;
  Initializer beta_init_, gamma_init_, moving_mean_init_, moving_variance_init_;

  float* gamma_ = nullptr;
  float* beta_ = nullptr;
  float* dgamma_ = nullptr;
  float* dbeta_ = nullptr;
  float* moving_mean_ = nullptr;
  float* moving_variance_ = nullptr;

  // Per-channel statistics of the last forward pass (batch or moving), reused by backward.
  AlignedBuffer mean_, inv_std_, sum_dy_, sum_dy_xhat_;
  // Double-precision per-channel accumulators, sized at build: no allocation per batch.
  std::vector<double> sum_a_, sum_b_;
  bool last_training_ = false;
};

}  // namespace gradstep
