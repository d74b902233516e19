// Batch normalisation (Ioffe & Szegedy, ICML 2015) over the last axis (channels-last), Keras 3
// semantics. With C channels and R = batch * (positions per sample) rows:
//
//   training:   mean_c = sum_r x_rc / R,   var_c = sum_r (x_rc - mean_c)^2 / R   (biased)
//               x_hat = (x - mean) / sqrt(var + eps),   y = gamma * x_hat + beta
//               keras (default):  moving = moving * momentum + batch_stat * (1 - momentum)
//               torch:            moving = moving * (1 - momentum) + batch_stat * momentum
//               batch_stat: mean for moving_mean; for moving_variance var (keras, biased) or
//               var * R / (R - 1) (torch, unbiased; normalisation still uses the biased var)
//   inference:  y = gamma * (x - moving_mean) / sqrt(moving_variance + eps) + beta
//   backward (training, the compact form):
//               dbeta = sum_r dy,   dgamma = sum_r dy * x_hat
//               dx = gamma / (R * sqrt(var + eps)) * (R * dy - dbeta - x_hat * dgamma)
//
// Conventions: with convention keras `momentum` is the weight of the OLD moving value and the
// moving variance uses the biased batch variance (Keras 3); with convention torch `momentum` is
// the weight of the NEW value and the moving variance takes the unbiased one (torch.nn.BatchNorm*).
// Statistics are summed per channel in double, top to bottom: thread-count independent.
#pragma once

#include <functional>

#include "core/convention.hpp"
#include "core/memory.hpp"
#include "layers/layer.hpp"

namespace gradstep {

class BatchNormalization : public Layer {
 public:
  BatchNormalization(float momentum, float epsilon, bool center, bool scale, Initializer beta_initializer,
                     Initializer gamma_initializer, Initializer moving_mean_initializer,
                     Initializer moving_variance_initializer, Convention convention = Convention::keras);
  std::string class_name() const override { return "BatchNormalization"; }

  Shape build(const Shape& input_shape) override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(const std::vector<float*>& values, const std::vector<float*>& grads) override;
  void reserve(std::int64_t batch) override {}
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;

  // Synchronised batch statistics (gradstep.distributed, fit(sync_batchnorm=True)): reduce(values,
  // n) must replace n doubles by their sums over every process. In training, forward reduces
  // [per-channel sum of x, of x^2, rows] and normalises with the statistics of all processes'
  // rows; backward reduces [per-channel sum of dy, of dy * x_hat, rows] for the input gradient.
  // gamma's and beta's gradients stay this process's own sums: the model's gradient reducer adds
  // them up with the other parameters'. Exact when every process's dy has the same scale, i.e.
  // the processes' slices hold equally many loss positions (the rows of the global batch split
  // evenly). Empty (the default): this process's rows only.
  using StatisticsReducer = std::function<void(double* values, std::int64_t n)>;
  void set_statistics_reducer(StatisticsReducer reducer) { statistics_reducer_ = std::move(reducer); }
  // The statistics the last forward pass normalised with, per channel: the mean and
  // 1/sqrt(variance + epsilon); the batch's when used_batch_statistics(), else the moving ones.
  const float* last_mean() const { return mean_.data(); }
  const float* last_inv_std() const { return inv_std_.data(); }
  bool used_batch_statistics() const { return last_training_; }
  float epsilon() const { return epsilon_; }

 private:
  std::int64_t channels() const { return input_shape_.back(); }
  // Packs [a (channels), b (channels), rows] into reduce_buffer_, reduces it over the processes,
  // unpacks the sums into a and b and returns the total rows.
  double reduce_channel_sums(double* a, double* b, std::int64_t rows);
  std::int64_t rows(std::int64_t batch) const { return batch * (input_size() / channels()); }

  float momentum_, epsilon_;
  bool center_, scale_;
  Convention convention_;
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
  StatisticsReducer statistics_reducer_;
  std::vector<double> reduce_buffer_;
};

}  // namespace gradstep
