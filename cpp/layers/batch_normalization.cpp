#include "layers/batch_normalization.hpp"

#include "core/profile.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/parallel.hpp"
#include "kernels/batchnorm.hpp"

namespace gradstep {

namespace {
// At least 64k values per thread: W2's layers (128 x 256 and 128 x 128 values) run on one thread.
// Measured on this 2-vCPU machine, W2 at 2 threads: split over the threads with 8k-value grains
// its two layers took 187 us per step, on one thread 85-96 us (a parallel region's start and end
// cost more than a vectorised pass over 16-32k values). Channel-chunked loops read every row for
// their channels, in chunks of at least 16 channels (one AVX-512 vector of floats).
std::int64_t channel_grain(std::int64_t rows) {
  return std::max<std::int64_t>(16, (1 << 16) / std::max<std::int64_t>(rows, 1));
}
std::int64_t row_grain(std::int64_t channels) {
  return std::max<std::int64_t>(1, (1 << 16) / std::max<std::int64_t>(channels, 1));
}
}  // namespace

BatchNormalization::BatchNormalization(float momentum, float epsilon, bool center, bool scale,
                                       Initializer beta_initializer, Initializer gamma_initializer,
                                       Initializer moving_mean_initializer, Initializer moving_variance_initializer,
                                       Convention convention)
    : momentum_(momentum),
      epsilon_(epsilon),
      center_(center),
      scale_(scale),
      convention_(convention),
      beta_init_(beta_initializer),
      gamma_init_(gamma_initializer),
      moving_mean_init_(moving_mean_initializer),
      moving_variance_init_(moving_variance_initializer) {
  if (!(momentum >= 0.0f && momentum <= 1.0f))
    throw std::invalid_argument("BatchNormalization: momentum must be in [0, 1], got " + std::to_string(momentum));
  if (!(epsilon > 0.0f))
    throw std::invalid_argument("BatchNormalization: epsilon must be > 0, got " + std::to_string(epsilon));
}

Shape BatchNormalization::build(const Shape& input_shape) {
  if (input_shape.empty() || input_shape.back() <= 0)
    throw std::invalid_argument("BatchNormalization: input needs a channel (last) axis, got shape " +
                                shape_str(input_shape));
  input_shape_ = output_shape_ = input_shape;
  built_ = true;
  return output_shape_;
}

std::vector<ParamSpec> BatchNormalization::param_specs() const {
  const Shape shape{channels()};
  std::vector<ParamSpec> specs;
  if (scale_) specs.push_back({"gamma", shape, gamma_init_, true});
  if (center_) specs.push_back({"beta", shape, beta_init_, true});
  specs.push_back({"moving_mean", shape, moving_mean_init_, false});
  specs.push_back({"moving_variance", shape, moving_variance_init_, false});
  return specs;
}

void BatchNormalization::bind(const std::vector<float*>& values, const std::vector<float*>& grads) {
  std::size_t i = 0;
  if (scale_) {
    gamma_ = values[i];
    dgamma_ = grads[i];
    ++i;
  }
  if (center_) {
    beta_ = values[i];
    dbeta_ = grads[i];
    ++i;
  }
  moving_mean_ = values[i];
  moving_variance_ = values[i + 1];
  // Per-channel scratch, allocated here and not in build(): build only plans shapes (a model
  // file's shapes are checked against its arrays before anything is allocated).
  const auto c = static_cast<std::size_t>(channels());
  mean_.resize(c);
  inv_std_.resize(c);
  sum_dy_.resize(c);
  sum_dy_xhat_.resize(c);
  sum_a_.assign(c, 0.0);
  sum_b_.assign(c, 0.0);
  reduce_buffer_.assign(2 * c + 1, 0.0);
}

void BatchNormalization::forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) {
  const std::int64_t C = channels(), R = rows(batch);
  ProfileScope profile(ProfiledKernel::batchnorm, 6.0 * static_cast<double>(R * C), 12.0 * static_cast<double>(R * C));
  float* mean = mean_.data();
  float* inv_std = inv_std_.data();
  // Keras 3: a frozen BatchNormalization normalises with its moving statistics, even in training.
  last_training_ = ctx.training && !frozen();
  if (last_training_) {
    if (R < 2)
      throw std::invalid_argument(
          "BatchNormalization: training needs at least 2 values per channel to estimate a variance, got a batch "
          "of " +
          std::to_string(batch) + " sample(s) with " + std::to_string(R) +
          " value(s) per channel; use a "
          "batch size of at least 2");
    // Pass 1: per-channel sum and sum of squares (double), then mean, 1/std and the moving averages
    // (with synchronised statistics, the sums of every process in between).
    double* sum = sum_a_.data();
    double* squares = sum_b_.data();
    const auto statistics = [&](std::int64_t cb, std::int64_t ce, double count) {
      for (std::int64_t c = cb; c < ce; ++c) {
        const double m = sum[c] / count;
        const double var = std::max(0.0, squares[c] / count - m * m);
        mean[c] = static_cast<float>(m);
        inv_std[c] = static_cast<float>(1.0 / std::sqrt(var + epsilon_));
        if (convention_ == Convention::torch) {
          const double unbiased = var * count / (count - 1.0);
          moving_mean_[c] = moving_mean_[c] * (1.0f - momentum_) + static_cast<float>(m) * momentum_;
          moving_variance_[c] = moving_variance_[c] * (1.0f - momentum_) + static_cast<float>(unbiased) * momentum_;
        } else {
          moving_mean_[c] = moving_mean_[c] * momentum_ + static_cast<float>(m) * (1.0f - momentum_);
          moving_variance_[c] = moving_variance_[c] * momentum_ + static_cast<float>(var) * (1.0f - momentum_);
        }
      }
    };
    if (!statistics_reducer_) {
      parallel_for(0, C, channel_grain(R), [&](std::int64_t cb, std::int64_t ce) {
        kernels::batchnorm_moments(R, C, cb, ce, x, sum, squares);
        statistics(cb, ce, static_cast<double>(R));
      });
    } else {
      parallel_for(0, C, channel_grain(R), [&](std::int64_t cb, std::int64_t ce) {
        kernels::batchnorm_moments(R, C, cb, ce, x, sum, squares);
      });
      statistics(0, C, reduce_channel_sums(sum, squares, R));
    }
  } else {
    for (std::int64_t c = 0; c < C; ++c) {
      mean[c] = moving_mean_[c];
      inv_std[c] = 1.0f / std::sqrt(moving_variance_[c] + epsilon_);
    }
  }
  // Pass 2: y = gamma * (x - mean) * inv_std + beta.
  const float* gamma = scale_ ? gamma_ : nullptr;
  const float* beta = center_ ? beta_ : nullptr;
  parallel_for(0, R, row_grain(C), [&](std::int64_t rb, std::int64_t re) {
    kernels::batchnorm_apply(rb, re, C, x, mean, inv_std, gamma, beta, y);
  });
}

void BatchNormalization::backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) {
  const std::int64_t C = channels(), R = rows(batch);
  ProfileScope profile(ProfiledKernel::batchnorm, 10.0 * static_cast<double>(R * C), 16.0 * static_cast<double>(R * C));
  const float* mean = mean_.data();
  const float* inv_std = inv_std_.data();
  float* sum_dy = sum_dy_.data();
  float* sum_dy_xhat = sum_dy_xhat_.data();
  // Per-channel sums of dy and dy * x_hat (fixed top-to-bottom order).
  parallel_for(0, C, channel_grain(R), [&](std::int64_t cb, std::int64_t ce) {
    double* s1 = sum_a_.data();
    double* s2 = sum_b_.data();
    kernels::batchnorm_grad_sums(R, C, cb, ce, x, dy, mean, inv_std, s1, s2);
    for (std::int64_t c = cb; c < ce; ++c) {
      sum_dy[c] = static_cast<float>(s1[c]);
      sum_dy_xhat[c] = static_cast<float>(s2[c]);
    }
  });
  if (scale_) std::copy(sum_dy_xhat, sum_dy_xhat + C, dgamma_);
  if (center_) std::copy(sum_dy, sum_dy + C, dbeta_);
  if (dx == nullptr) return;
  const float* gamma = scale_ ? gamma_ : nullptr;
  const bool batch_statistics = last_training_;
  std::int64_t rows = R;  // the rows the batch statistics came from
  if (statistics_reducer_ && batch_statistics) {
    rows = static_cast<std::int64_t>(reduce_channel_sums(sum_a_.data(), sum_b_.data(), R));
    for (std::int64_t c = 0; c < C; ++c) {
      sum_dy[c] = static_cast<float>(sum_a_[c]);
      sum_dy_xhat[c] = static_cast<float>(sum_b_[c]);
    }
  }
  parallel_for(0, R, row_grain(C), [&](std::int64_t rb, std::int64_t re) {
    kernels::batchnorm_input_grad(rb, re, C, rows, batch_statistics, x, dy, mean, inv_std, gamma, sum_dy, sum_dy_xhat,
                                  dx);
  });
}

double BatchNormalization::reduce_channel_sums(double* a, double* b, std::int64_t rows) {
  const std::int64_t C = channels();
  reduce_buffer_.resize(static_cast<std::size_t>(2 * C + 1));
  std::copy(a, a + C, reduce_buffer_.begin());
  std::copy(b, b + C, reduce_buffer_.begin() + C);
  reduce_buffer_[static_cast<std::size_t>(2 * C)] = static_cast<double>(rows);
  statistics_reducer_(reduce_buffer_.data(), 2 * C + 1);
  std::copy(reduce_buffer_.begin(), reduce_buffer_.begin() + C, a);
  std::copy(reduce_buffer_.begin() + C, reduce_buffer_.begin() + 2 * C, b);
  return reduce_buffer_[static_cast<std::size_t>(2 * C)];
}

}  // namespace gradstep
