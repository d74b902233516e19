#include "model/tracking.hpp"

#include "core/profile.hpp"

#include <algorithm>
#include <cmath>

#include "core/parallel.hpp"
#include "kernels/norms.hpp"

namespace gradstep {

void Tracker::configure(const TrackingOptions& options, const std::vector<Weight>& weights,
                        const std::vector<ReluLayer>& relu_layers, const std::vector<std::size_t>& bn_layers) {
  options_ = options;
  weights_ = options.grad_norm || options.update_ratio ? weights : std::vector<Weight>{};
  relu_layers_ = options.dead_relu ? relu_layers : std::vector<ReluLayer>{};
  bn_layers_ = options.bn_stats ? bn_layers : std::vector<std::size_t>{};
  frozen_.assign(weights_.size(), false);

  figures_.clear();
  if (options.grad_norm)
    for (const auto& w : weights_) figures_.push_back({"grad_norm", w.layer, w.name});
  first_update_ = figures_.size();
  if (options.update_ratio)
    for (const auto& w : weights_) figures_.push_back({"update_ratio", w.layer, w.name});
  first_relu_ = figures_.size();
  for (const auto& r : relu_layers_) figures_.push_back({"dead_relu", r.layer, ""});
  first_bn_ = figures_.size();
  for (std::size_t layer : bn_layers_) {
    figures_.push_back({"bn_stats", layer, "abs_mean"});
    figures_.push_back({"bn_stats", layer, "std"});
  }

  blocks_.clear();
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    const ParamSegment& s = weights_[i].segment;
    for (std::int64_t b = 0; b < s.size; b += kernels::kNormBlock)
      blocks_.push_back({i, s.offset + b, s.offset + std::min(s.size, b + kernels::kNormBlock)});
  }
  block_grad_.assign(blocks_.size(), 0.0);
  block_weight_.assign(blocks_.size(), 0.0);
  block_update_.assign(blocks_.size(), 0.0);
  weight_norm_.assign(weights_.size(), 0.0);
  before_.resize(0);  // sized by the path the first step takes
  std::int64_t widest = 0;
  for (const auto& r : relu_layers_) widest = std::max(widest, r.channels);
  alive_.resize(static_cast<std::size_t>(widest));
}

void Tracker::reset() {
  for (auto& f : figures_) {
    f.sum = 0.0;
    f.count = 0;
  }
}

void Tracker::update(Optimizer& optimizer, float* params, float* grads) {
  ProfileScope profile(ProfiledKernel::tracking, 0.0, 0.0);
  if (weights_.empty()) {
    optimizer.apply(params, grads);
    return;
  }
  if (!optimizer.can_observe()) {
    before_update(params, grads);
    optimizer.apply(params, grads);
    after_update(params);
    return;
  }
  if (options_.update_ratio) {
    // One block-sized copy per thread that may run a block (thread_index() < get_num_threads()).
    const auto needed = static_cast<std::size_t>(get_num_threads()) * static_cast<std::size_t>(kernels::kNormBlock);
    if (before_.size() < needed) before_.resize(needed);
  }
  optimizer.apply_observed(params, grads, *this);
  add_gradient_and_weight_norms();
  add_update_ratios();
}

float* Tracker::block_copy() { return before_.data() + thread_index() * kernels::kNormBlock; }

void Tracker::before_block(std::size_t k, const float* w, const float* g) {
  const Block& b = blocks_[k];
  float* copy = options_.update_ratio ? block_copy() : nullptr;
  kernels::block_squares(b.end - b.begin, w, options_.grad_norm ? g : nullptr, copy, &block_grad_[k],
                         &block_weight_[k]);
}

void Tracker::after_block(std::size_t k, const float* w) {
  if (!options_.update_ratio) return;
  const Block& b = blocks_[k];
  block_update_[k] = kernels::block_squared_differences(b.end - b.begin, w, block_copy());
}

void Tracker::add_block_squares(std::size_t k, const kernels::NormLanes& squares) {
  block_grad_[k] = kernels::lane_total(squares.g);
  block_weight_[k] = kernels::lane_total(squares.w);
  block_update_[k] = kernels::lane_total(squares.update);
}

void Tracker::before_update(const float* params, const float* grads) {
  const bool grad = options_.grad_norm, update = options_.update_ratio;
  if (update && !blocks_.empty() && before_.size() < static_cast<std::size_t>(blocks_.back().end))
    before_.resize(static_cast<std::size_t>(blocks_.back().end));
  float* before = before_.data();
  parallel_for(0, static_cast<std::int64_t>(blocks_.size()), 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t k = first; k < last; ++k) {
      const Block& b = blocks_[k];
      kernels::block_squares(b.end - b.begin, params + b.begin, grad ? grads + b.begin : nullptr,
                             update ? before + b.begin : nullptr, &block_grad_[k], &block_weight_[k]);
    }
  });
  add_gradient_and_weight_norms();
}

void Tracker::after_update(const float* params) {
  if (!options_.update_ratio) return;
  const float* before = before_.data();
  parallel_for(0, static_cast<std::int64_t>(blocks_.size()), 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t k = first; k < last; ++k) {
      const Block& b = blocks_[k];
      block_update_[k] = kernels::block_squared_differences(b.end - b.begin, params + b.begin, before + b.begin);
    }
  });
  add_update_ratios();
}

void Tracker::add_gradient_and_weight_norms() {
  std::fill(weight_norm_.begin(), weight_norm_.end(), 0.0);
  std::size_t k = 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    double g = 0.0, w = 0.0;
    for (; k < blocks_.size() && blocks_[k].variable == i; ++k) {
      g += block_grad_[k];
      w += block_weight_[k];
    }
    weight_norm_[i] = std::sqrt(w);
    if (options_.grad_norm && !frozen_[i]) {
      figures_[i].sum += std::sqrt(g);
      ++figures_[i].count;
    }
  }
}

void Tracker::add_update_ratios() {
  if (!options_.update_ratio) return;
  std::size_t k = 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    double u = 0.0;
    for (; k < blocks_.size() && blocks_[k].variable == i; ++k) u += block_update_[k];
    if (frozen_[i] || weight_norm_[i] == 0.0) continue;
    TrackedFigure& f = figures_[first_update_ + i];
    f.sum += std::sqrt(u) / weight_norm_[i];
    ++f.count;
  }
}

void Tracker::add_dead_relu(std::size_t k, const float* y, std::int64_t rows) {
  const std::int64_t channels = relu_layers_[k].channels;
  float* alive = alive_.data();
  std::fill(alive, alive + channels, 0.0f);
  kernels::column_max(rows, channels, y, alive);
  std::int64_t dead = 0;
  for (std::int64_t c = 0; c < channels; ++c) dead += !(alive[c] > 0.0f);
  TrackedFigure& f = figures_[first_relu_ + k];
  f.sum += static_cast<double>(dead) / static_cast<double>(channels);
  ++f.count;
}

void Tracker::add_bn_stats(std::size_t k, const float* mean, const float* inv_std, std::int64_t channels,
                           float epsilon) {
  double abs_mean = 0.0, std_sum = 0.0;
  for (std::int64_t c = 0; c < channels; ++c) {
    abs_mean += std::fabs(static_cast<double>(mean[c]));
    const double inv = inv_std[c];
    std_sum += std::sqrt(std::max(0.0, 1.0 / (inv * inv) - static_cast<double>(epsilon)));
  }
  TrackedFigure* f = &figures_[first_bn_ + 2 * k];
  f[0].sum += abs_mean / static_cast<double>(channels);
  f[1].sum += std_sum / static_cast<double>(channels);
  ++f[0].count;
  ++f[1].count;
}

}  // namespace gradstep
