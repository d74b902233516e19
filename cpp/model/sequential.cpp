#include "model/sequential.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "kernels/regularize.hpp"

namespace gradstep {

void Sequential::add(LayerPtr layer) {
  if (!layer) throw std::invalid_argument("Sequential.add: layer is null");
  if (built_) throw std::logic_error("Sequential.add: cannot add layers to a built model");
  layers_.push_back(std::move(layer));
}

void Sequential::build(const Shape& input_shape, std::uint64_t seed) {
  if (layers_.empty()) throw std::invalid_argument("Sequential.build: the model has no layers");
  for (auto d : input_shape)
    if (d <= 0) throw std::invalid_argument("Sequential.build: input shape must be positive, got " + shape_str(input_shape));
  input_shape_ = input_shape;
  seed_ = seed;
  Shape shape = input_shape;
  for (auto& layer : layers_) shape = layer->build(shape);
  output_shape_ = shape;

  // Lay out every parameter: trainable ones back to back in params_, the rest in state_.
  param_info_.clear();
  num_trainable_ = num_state_ = 0;
  for (std::size_t li = 0; li < layers_.size(); ++li) {
    for (const auto& spec : layers_[li]->param_specs()) {
      ParamInfo info;
      info.layer = li;
      info.name = spec.name;
      info.shape = spec.shape;
      info.trainable = spec.trainable;
      info.regularizer = layers_[li]->regularizer(spec.name);
      std::int64_t& cursor = spec.trainable ? num_trainable_ : num_state_;
      info.segment = {cursor, shape_size(spec.shape)};
      cursor += info.segment.size;
      param_info_.push_back(info);
    }
  }
  params_.resize(static_cast<std::size_t>(num_trainable_));
  grads_.resize(static_cast<std::size_t>(num_trainable_));
  state_.resize(static_cast<std::size_t>(num_state_));
  grads_.fill_zero();

  std::size_t pi = 0;
  for (std::size_t li = 0; li < layers_.size(); ++li) {
    const auto specs = layers_[li]->param_specs();
    std::vector<float*> values, grads;
    for (std::size_t k = 0; k < specs.size(); ++k, ++pi) {
      const ParamInfo& info = param_info_[pi];
      float* value = param_data(pi);
      specs[k].initializer.fill(info.shape, rng::derive_key(seed, li + 1, k + 1), value);
      values.push_back(value);
      grads.push_back(param_grad(pi));
    }
    layers_[li]->bind(values, grads);
    layers_[li]->set_rng_key(rng::derive_key(seed, li + 1, 0xD0D0));
  }
  built_ = true;
  capacity_ = 0;
  activations_.clear();
  activations_.resize(layers_.size());
}

float* Sequential::param_data(std::size_t i) {
  const ParamInfo& info = param_info_.at(i);
  return (info.trainable ? params_.data() : state_.data()) + info.segment.offset;
}

float* Sequential::param_grad(std::size_t i) {
  const ParamInfo& info = param_info_.at(i);
  return info.trainable ? grads_.data() + info.segment.offset : nullptr;
}

void Sequential::compile(std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer, std::vector<Metric> metrics) {
  require_built("compile");
  if (!loss || !optimizer) throw std::invalid_argument("Sequential.compile: loss and optimizer are required");
  loss_ = std::move(loss);
  optimizer_ = std::move(optimizer);
  metrics_ = std::move(metrics);
  // A softmax/sigmoid output followed by its cross-entropy is computed from the logits.
  const std::string fusable = loss_->fusable_activation();
  fused_ = !fusable.empty() && layers_.back()->can_fuse_output_activation(fusable);
  layers_.back()->set_fused_output(fused_);
  capacity_ = 0;  // the output layer may need a logits buffer now
  if (!optimizer_->built()) {
    std::vector<ParamSegment> segments;
    for (const auto& info : param_info_)
      if (info.trainable) segments.push_back(info.segment);
    optimizer_->build(segments);
  } else if (optimizer_->num_params() != num_trainable_) {
    throw std::invalid_argument("Sequential.compile: the optimizer was built for " +
                                std::to_string(optimizer_->num_params()) + " parameters, the model has " +
                                std::to_string(num_trainable_));
  }
}

std::int64_t Sequential::target_width() const {
  if (loss_ && loss_->sparse_targets()) return 1;
  return shape_size(output_shape_);
}

void Sequential::require_built(const char* what) const {
  if (!built_) throw std::logic_error(std::string("Sequential.") + what + ": the model is not built");
}

void Sequential::require_compiled(const char* what) const {
  require_built(what);
  if (!compiled()) throw std::logic_error(std::string("Sequential.") + what + ": the model is not compiled");
}

void Sequential::reserve(std::int64_t batch) {
  if (batch <= capacity_) return;
  const auto rows = static_cast<std::size_t>(batch);
  std::int64_t widest = shape_size(input_shape_);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->reserve(batch);
    activations_[i].resize(rows * static_cast<std::size_t>(layers_[i]->output_size()));
    widest = std::max(widest, layers_[i]->output_size());
  }
  input_.resize(rows * static_cast<std::size_t>(shape_size(input_shape_)));
  targets_.resize(rows * static_cast<std::size_t>(shape_size(output_shape_)));
  sample_weights_.resize(rows);
  grad_front_.resize(rows * static_cast<std::size_t>(widest));
  grad_back_.resize(rows * static_cast<std::size_t>(widest));
  capacity_ = batch;
}

const float* Sequential::gather(const float* src, std::int64_t width, const std::int64_t* indices,
                                std::int64_t batch, AlignedBuffer& dst) {
  if (src == nullptr) return nullptr;
  if (indices == nullptr) return src;  // contiguous rows: read them in place, no copy
  float* out = dst.data();
  const std::int64_t grain = std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(width, 1));
  parallel_for(0, batch, grain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r)
      std::memcpy(out + r * width, src + indices[r] * width, static_cast<std::size_t>(width) * sizeof(float));
  });
  return out;
}

void Sequential::forward_pass(const float* x, std::int64_t batch, const StepContext& ctx) {
  const float* in = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->forward(in, activations_[i].data(), batch, ctx);
    in = activations_[i].data();
  }
}

void Sequential::backward_pass(const float* x, std::int64_t batch, float* dx_out) {
  float* dy = grad_front_.data();
  float* spare = grad_back_.data();
  for (std::size_t i = layers_.size(); i-- > 0;) {
    const float* layer_in = i == 0 ? x : activations_[i - 1].data();
    float* dx = i > 0 ? spare : dx_out;
    layers_[i]->backward(layer_in, activations_[i].data(), dy, dx, batch);
    std::swap(dy, spare);
  }
}

BatchResult Sequential::loss_and_metrics(const float* y, const float* sample_weight, std::int64_t batch,
                                         bool want_grad) {
  BatchResult result;
  result.samples = batch;
  const std::int64_t out_size = shape_size(output_shape_);
  const std::int64_t cols = output_shape_.empty() ? 1 : output_shape_.back();
  const std::int64_t rows = batch * (out_size / cols);  // loss rows: every position of the last axis
  const float* prediction = fused_ ? layers_.back()->logits() : output();
  // Per-sample weights apply to every row of a sample; the loss sums over rows / rows.
  const float* row_weights = sample_weight;
  if (sample_weight != nullptr && rows != batch) {
    const std::int64_t per = rows / batch;
    row_weights_.resize(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) row_weights_.data()[r] = sample_weight[r / per];
    row_weights = row_weights_.data();
  }
  const double total = loss_->compute(prediction, y, row_weights, rows, cols, 1.0f / static_cast<float>(rows),
                                      want_grad ? grad_front_.data() : nullptr, fused_);
  // Report per-sample means: the loss of a sample is the mean over its rows.
  result.loss_sum = total * static_cast<double>(batch) / static_cast<double>(rows);
  for (Metric m : metrics_) {
    result.metric_sums.push_back(metric_sum(m, output(), y, rows, cols) * static_cast<double>(batch) /
                                 static_cast<double>(rows));
  }
  return result;
}

double Sequential::regularization(bool add_gradient) {
  double penalty = 0.0;
  for (std::size_t i = 0; i < param_info_.size(); ++i) {
    const ParamInfo& info = param_info_[i];
    if (!info.trainable || !info.regularizer.active()) continue;
    penalty += add_l1_l2_penalty(info.segment.size, param_data(i), add_gradient ? param_grad(i) : nullptr,
                                 info.regularizer.l1, info.regularizer.l2);
  }
  return penalty;
}

BatchResult Sequential::train_batch(const float* x, const float* y, const float* sample_weight,
                                    const std::int64_t* indices, std::int64_t batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  require_compiled("train_batch");
  if (batch <= 0) throw std::invalid_argument("train_batch: batch must be positive");
  reserve(batch);
  const float* xb = gather(x, shape_size(input_shape_), indices, batch, input_);
  const float* yb = gather(y, target_width(), indices, batch, targets_);
  const float* wb = gather(sample_weight, 1, indices, batch, sample_weights_);
  StepContext ctx{true, seed_, static_cast<std::uint64_t>(optimizer_->iterations())};
  forward_pass(xb, batch, ctx);
  BatchResult result = loss_and_metrics(yb, wb, batch, /*want_grad=*/true);
  backward_pass(xb, batch, nullptr);
  // Penalties join the reported loss (as Keras adds its regularization losses) and their
  // gradients the data gradient, before clipping and the update.
  result.loss_sum += regularization(/*add_gradient=*/true) * static_cast<double>(batch);
  optimizer_->apply(params_.data(), grads_.data());
  return result;
}

BatchResult Sequential::test_batch(const float* x, const float* y, const float* sample_weight,
                                   const std::int64_t* indices, std::int64_t batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  require_compiled("test_batch");
  if (batch <= 0) throw std::invalid_argument("test_batch: batch must be positive");
  reserve(batch);
  const float* xb = gather(x, shape_size(input_shape_), indices, batch, input_);
  const float* yb = gather(y, target_width(), indices, batch, targets_);
  const float* wb = gather(sample_weight, 1, indices, batch, sample_weights_);
  forward_pass(xb, batch, StepContext{false, seed_, 0});
  BatchResult result = loss_and_metrics(yb, wb, batch, /*want_grad=*/false);
  result.loss_sum += regularization(/*add_gradient=*/false) * static_cast<double>(batch);
  return result;
}

void Sequential::predict(const float* x, std::int64_t n, float* out, std::int64_t batch_size) {
  std::lock_guard<std::mutex> lock(mutex_);
  require_built("predict");
  if (batch_size <= 0) throw std::invalid_argument("predict: batch_size must be positive");
  const std::int64_t in = shape_size(input_shape_), width = shape_size(output_shape_);
  reserve(std::min(n, batch_size));
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t rows = std::min(batch_size, n - start);
    forward_pass(x + start * in, rows, StepContext{false, seed_, 0});
    std::memcpy(out + start * width, output(), static_cast<std::size_t>(rows * width) * sizeof(float));
  }
}

void Sequential::forward(const float* x, std::int64_t n, float* out, bool training) {
  std::lock_guard<std::mutex> lock(mutex_);
  require_built("forward");
  reserve(n);
  const std::uint64_t step = optimizer_ ? static_cast<std::uint64_t>(optimizer_->iterations()) : 0;
  forward_pass(x, n, StepContext{training, seed_, step});
  std::memcpy(out, output(), static_cast<std::size_t>(n * shape_size(output_shape_)) * sizeof(float));
}

void Sequential::forward_backward(const float* x, std::int64_t n, const float* dy, float* y, float* dx,
                                  bool training) {
  std::lock_guard<std::mutex> lock(mutex_);
  require_built("forward_backward");
  reserve(n);
  const std::int64_t width = shape_size(output_shape_);
  const std::uint64_t step = optimizer_ ? static_cast<std::uint64_t>(optimizer_->iterations()) : 0;
  forward_pass(x, n, StepContext{training, seed_, step});
  std::memcpy(y, output(), static_cast<std::size_t>(n * width) * sizeof(float));
  std::memcpy(grad_front_.data(), dy, static_cast<std::size_t>(n * width) * sizeof(float));
  // The upstream gradient is with respect to the output, not the logits: unfuse for this pass.
  layers_.back()->set_fused_output(false);
  try {
    backward_pass(x, n, dx);
  } catch (...) {
    layers_.back()->set_fused_output(fused_);
    throw;
  }
  layers_.back()->set_fused_output(fused_);
}

}  // namespace gradstep
