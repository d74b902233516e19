#include "model/sequential.hpp"

#include "core/profile.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "kernels/regularize.hpp"
#include "layers/activation_layer.hpp"
#include "layers/batch_normalization.hpp"
#include "layers/dense.hpp"

namespace gradstep {

void Sequential::add(LayerPtr layer) {
  if (!layer) throw std::invalid_argument("Sequential.add: layer is null");
  if (built_) throw std::logic_error("Sequential.add: cannot add layers to a built model");
  layers_.push_back(std::move(layer));
}

void Sequential::plan(const Shape& input_shape) {
  if (built_) throw std::logic_error("Sequential.plan: the model is already built");
  if (layers_.empty()) throw std::invalid_argument("Sequential.build: the model has no layers");
  for (auto d : input_shape)
    if (d <= 0)
      throw std::invalid_argument("Sequential.build: input shape must be positive, got " + shape_str(input_shape));
  checked_shape_size(input_shape, "the input shape");
  input_shape_ = input_shape;
  layers_planned_ = 0;
  Shape shape = input_shape;
  // Masks flow from the layer that makes one (Embedding(mask_zero=True), Masking) through the
  // layers that keep the time axis, to a recurrent layer or the loss. A layer that would see a
  // mask it cannot honour is refused before it is built (so the error names it).
  input_masked_.assign(layers_.size(), false);
  bool masked = false;
  std::int64_t mask_positions = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = *layers_[i];
    if (i > 0 && layer.takes_indices())
      throw std::invalid_argument(layer.class_name() +
                                  " reads integer indices, so it must be the first layer of the model");
    if (masked && !layer.produces_mask()) {
      if (layer.mask_use() == Layer::MaskUse::unsupported)
        throw std::invalid_argument(
            "its input carries a padding mask (from Embedding(mask_zero=True) or Masking) and " + layer.class_name() +
            " does not support masking; put it before the masking layer or after the layer that consumes the mask "
            "(a recurrent layer with return_sequences=False)");
      const std::int64_t positions = shape.empty() ? 1 : shape_size(shape) / shape.back();
      if (positions != mask_positions)
        throw std::invalid_argument("its input " + shape_str(shape) + " no longer has the " +
                                    std::to_string(mask_positions) + " time steps of the padding mask");
      input_masked_[i] = true;
    }
    shape = layer.build(shape);
    checked_shape_size(shape, "its output shape");
    if (layer.produces_mask()) {
      masked = true;
      mask_positions = shape.empty() ? 1 : shape_size(shape) / shape.back();
    } else if (masked && layer.mask_use() == Layer::MaskUse::consume) {
      masked = false;
    }
    layers_planned_ = i + 1;
  }
  output_masked_ = masked;
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
      info.segment = {cursor, checked_shape_size(spec.shape, layers_[li]->class_name() + " " + spec.name)};
      cursor += info.segment.size;
      if (cursor > kMaxElements) throw std::invalid_argument("the model has more than 2^40 parameters");
      param_info_.push_back(info);
    }
  }
}

void Sequential::build(const Shape& input_shape, std::uint64_t seed) {
  plan(input_shape);
  seed_ = seed;
  pool_fusers_.assign(layers_.size(), nullptr);
  for (std::size_t i = 0; i + 1 < layers_.size(); ++i) {
    auto* conv = dynamic_cast<Convolution*>(layers_[i].get());
    if (conv != nullptr && !input_masked_[i + 1] && conv->can_fuse_max_pool(*layers_[i + 1])) pool_fusers_[i] = conv;
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

void Sequential::compile(std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer,
                         std::vector<Metric> metrics) {
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
  apply_frozen_to_optimizer();
}

void Sequential::set_layer_frozen(std::size_t index, bool frozen) {
  require_built("set_layer_frozen");
  if (index >= layers_.size())
    throw std::out_of_range("set_layer_frozen: layer " + std::to_string(index) + " of " +
                            std::to_string(layers_.size()));
  std::lock_guard<std::mutex> lock(mutex_);
  layers_[index]->set_frozen(frozen);
  for (auto& info : param_info_)
    if (info.layer == index && info.trainable) info.frozen = frozen;
  apply_frozen_to_optimizer();
  apply_frozen_to_tracker();
}

void Sequential::apply_frozen_to_optimizer() {
  if (!optimizer_ || !optimizer_->built()) return;
  std::vector<bool> flags;
  for (const auto& info : param_info_)
    if (info.trainable) flags.push_back(info.frozen);
  optimizer_->set_frozen(flags);
}

namespace {
bool outputs_relu(Layer& layer) {
  if (auto* dense = dynamic_cast<Dense*>(&layer)) return dense->activation() == Activation::relu;
  if (auto* conv = dynamic_cast<Convolution*>(&layer)) return conv->activation() == Activation::relu;
  if (auto* act = dynamic_cast<ActivationLayer*>(&layer)) return act->activation() == Activation::relu;
  return false;
}
}  // namespace

void Sequential::set_tracking(const TrackingOptions& options) {
  require_built("set_tracking");
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Tracker::Weight> weights;
  for (const auto& info : param_info_)
    if (info.trainable) weights.push_back({info.layer, info.name, info.segment});
  std::vector<Tracker::ReluLayer> relu;
  std::vector<std::size_t> bn;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = *layers_[i];
    if (outputs_relu(layer)) {
      // A convolution that computes its max pooling in the same pass may never write its own
      // output in full: measure on the pooled output (always, so the figure does not depend on
      // the batch size).
      const std::size_t source = pool_fusers_[i] != nullptr ? i + 1 : i;
      const Shape& shape = layers_[source]->output_shape();
      relu.push_back({i, source, shape.empty() ? 1 : shape.back()});
    }
    if (dynamic_cast<BatchNormalization*>(&layer) != nullptr) bn.push_back(i);
  }
  tracker_.configure(options, weights, relu, bn);
  apply_frozen_to_tracker();
}

void Sequential::apply_frozen_to_tracker() {
  if (!tracker_.active()) return;
  std::vector<bool> flags;
  if (tracker_.options().grad_norm || tracker_.options().update_ratio)
    for (const auto& info : param_info_)
      if (info.trainable) flags.push_back(info.frozen);
  tracker_.set_frozen(flags);
}

void Sequential::track_activations(std::int64_t batch) {
  ProfileScope profile(ProfiledKernel::tracking, 0.0, 0.0);
  const auto& relu = tracker_.relu_layers();
  for (std::size_t k = 0; k < relu.size(); ++k) {
    const Layer& source = *layers_[relu[k].source];
    const std::int64_t rows = batch * (source.output_size() / relu[k].channels);
    tracker_.add_dead_relu(k, activations_[relu[k].source].data(), rows);
  }
  const auto& bn = tracker_.bn_layers();
  for (std::size_t k = 0; k < bn.size(); ++k) {
    const auto& layer = static_cast<const BatchNormalization&>(*layers_[bn[k]]);
    if (layer.used_batch_statistics())
      tracker_.add_bn_stats(k, layer.last_mean(), layer.last_inv_std(), layer.output_shape().back(), layer.epsilon());
  }
}

std::int64_t Sequential::target_positions() const {
  return output_shape_.empty() ? 1 : shape_size(output_shape_) / output_shape_.back();
}

std::int64_t Sequential::target_width() const {
  // Sparse labels: one class index per loss position (e.g. (T,) for a (T, classes) output).
  if (loss_ && loss_->sparse_targets()) return target_positions();
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
  if (takes_indices())
    index_input_.resize(rows * static_cast<std::size_t>(shape_size(input_shape_)));
  else
    input_.resize(rows * static_cast<std::size_t>(shape_size(input_shape_)));
  targets_.resize(rows * static_cast<std::size_t>(shape_size(output_shape_)));
  sample_weights_.resize(rows * static_cast<std::size_t>(target_positions()));
  row_weights_.resize(rows * static_cast<std::size_t>(target_positions()));
  grad_front_.resize(rows * static_cast<std::size_t>(widest));
  grad_back_.resize(rows * static_cast<std::size_t>(widest));
  capacity_ = batch;
}

template <typename T>
const T* Sequential::gather(const T* src, std::int64_t width, const std::int64_t* indices, std::int64_t batch, T* out) {
  if (src == nullptr) return nullptr;
  if (indices == nullptr) return src;  // contiguous rows: read them in place, no copy
  ProfileScope profile(ProfiledKernel::gather, 0.0, 2.0 * static_cast<double>(batch * width) * sizeof(T));
  const std::int64_t grain = std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(width, 1));
  parallel_for(0, batch, grain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r)
      std::memcpy(out + r * width, src + indices[r] * width, static_cast<std::size_t>(width) * sizeof(T));
  });
  return out;
}

const void* Sequential::gather_input(const void* x, const std::int64_t* indices, std::int64_t batch) {
  const std::int64_t width = shape_size(input_shape_);
  if (takes_indices()) return gather(static_cast<const std::int64_t*>(x), width, indices, batch, index_input_.data());
  return gather(static_cast<const float*>(x), width, indices, batch, input_.data());
}

void Sequential::forward_pass(const void* x, std::int64_t batch, const StepContext& ctx) {
  const float* in = static_cast<const float*>(x);
  const float* mask = nullptr;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = *layers_[i];
    layer.set_input_mask(input_masked_[i] ? mask : nullptr);
    if (pool_fusers_[i] != nullptr && pool_fusers_[i]->fuses_pool(batch)) {
      // Convolution + max pooling in one pass (the convolution's own output buffer is not used).
      pool_fusers_[i]->forward_pooled(in, activations_[i + 1].data(), *layers_[i + 1], batch);
      in = activations_[++i].data();
      mask = nullptr;
      continue;
    }
    if (i == 0 && layer.takes_indices())
      layer.forward_indices(static_cast<const std::int64_t*>(x), activations_[i].data(), batch, ctx);
    else
      layer.forward(in, activations_[i].data(), batch, ctx);
    in = activations_[i].data();
    if (layer.produces_mask())
      mask = layer.output_mask();
    else if (!input_masked_[i] || layer.mask_use() != Layer::MaskUse::pass_through)
      mask = nullptr;
  }
  output_mask_ = output_masked_ ? mask : nullptr;
}

void Sequential::backward_pass(const void* x, std::int64_t batch, float* dx_out) {
  float* dy = grad_front_.data();
  float* spare = grad_back_.data();
  for (std::size_t i = layers_.size(); i-- > 0;) {
    if (i == 0 && layers_[0]->takes_indices()) {
      layers_[0]->backward_indices(static_cast<const std::int64_t*>(x), dy, batch);
      break;
    }
    if (i > 0 && pool_fusers_[i - 1] != nullptr && pool_fusers_[i - 1]->fuses_pool(batch)) {
      --i;  // the convolution, which runs the backward of the pooling layer above it too
      const float* layer_in = i == 0 ? static_cast<const float*>(x) : activations_[i - 1].data();
      pool_fusers_[i]->backward_pooled(layer_in, activations_[i + 1].data(), dy, i > 0 ? spare : dx_out,
                                       *layers_[i + 1], batch);
      std::swap(dy, spare);
      continue;
    }
    const float* layer_in = i == 0 ? static_cast<const float*>(x) : activations_[i - 1].data();
    float* dx = i > 0 ? spare : dx_out;
    layers_[i]->backward(layer_in, activations_[i].data(), dy, dx, batch);
    std::swap(dy, spare);
  }
}

BatchResult Sequential::loss_and_metrics(const float* y, const float* sample_weight, std::int64_t weight_width,
                                         std::int64_t batch, bool want_grad) {
  ProfileScope profile(ProfiledKernel::loss, 0.0, 0.0);
  BatchResult result;
  result.samples = batch;
  const std::int64_t cols = output_shape_.empty() ? 1 : output_shape_.back();
  const std::int64_t per = target_positions();  // loss rows per sample: every position of the last axis
  const std::int64_t rows = batch * per;
  const float* prediction = fused_ ? layers_.back()->logits() : output();
  const float* mask = output_mask_;  // (batch, per) or null
  // Row weights: the sample's weight (one per sample, or one per position), times the mask.
  const float* row_weights = sample_weight;
  if ((sample_weight != nullptr && weight_width != per) || mask != nullptr) {
    float* w = row_weights_.data();
    for (std::int64_t r = 0; r < rows; ++r) {
      const float base = sample_weight == nullptr ? 1.0f : sample_weight[weight_width == per ? r : r / per];
      w[r] = mask != nullptr ? base * mask[r] : base;
    }
    row_weights = w;
  }
  // The loss is the mean over loss rows; with a mask, over the unmasked ones (Keras divides
  // the weighted sum by the number of valid positions).
  double valid = static_cast<double>(rows);
  if (mask != nullptr) {
    valid = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) valid += mask[r];
  }
  const float scale = valid > 0.0 ? static_cast<float>(1.0 / valid) : 0.0f;
  const double total =
      loss_->compute(prediction, y, row_weights, rows, cols, scale, want_grad ? grad_front_.data() : nullptr, fused_);
  // Report per-sample means: the loss of a batch is weighted by its sample count, as Keras.
  result.loss_sum = valid > 0.0 ? total * static_cast<double>(batch) / valid : 0.0;
  // Metrics: sums over rows / per, over a weight of valid / per samples.
  result.metric_weight = valid / static_cast<double>(per);
  for (Metric m : metrics_)
    result.metric_sums.push_back(metric_sum(m, output(), y, mask, rows, cols) / static_cast<double>(per));
  return result;
}

double Sequential::regularization(bool add_gradient) {
  ProfileScope profile(ProfiledKernel::regularization, 0.0, 0.0);
  double penalty = 0.0;
  for (std::size_t i = 0; i < param_info_.size(); ++i) {
    const ParamInfo& info = param_info_[i];
    if (!info.trainable || info.frozen || !info.regularizer.active()) continue;
    penalty += add_l1_l2_penalty(info.segment.size, param_data(i), add_gradient ? param_grad(i) : nullptr,
                                 info.regularizer.l1, info.regularizer.l2);
  }
  return penalty;
}

BatchResult Sequential::run_batch(bool training, const void* x, const float* y, const float* sample_weight,
                                  std::int64_t weight_width, const std::int64_t* indices, std::int64_t batch) {
  const char* what = training ? "train_batch" : "test_batch";
  require_compiled(what);
  ProfileScope profile(ProfiledKernel::train_step, 0.0, 0.0);  // root: what no kernel below claims
  if (batch <= 0) throw std::invalid_argument(std::string(what) + ": batch must be positive");
  if (sample_weight != nullptr && weight_width != 1 && weight_width != target_positions())
    throw std::invalid_argument(std::string(what) + ": sample_weight must have 1 or " +
                                std::to_string(target_positions()) + " values per sample, got " +
                                std::to_string(weight_width));
  reserve(batch);
  const void* xb = gather_input(x, indices, batch);
  const float* yb = gather(y, target_width(), indices, batch, targets_.data());
  const float* wb = gather(sample_weight, weight_width, indices, batch, sample_weights_.data());
  if (!training) {
    forward_pass(xb, batch, StepContext{false, seed_, 0});
    BatchResult result = loss_and_metrics(yb, wb, weight_width, batch, /*want_grad=*/false);
    result.loss_sum += regularization(/*add_gradient=*/false) * static_cast<double>(batch);
    return result;
  }
  StepContext ctx{true, seed_, static_cast<std::uint64_t>(optimizer_->iterations())};
  forward_pass(xb, batch, ctx);
  const bool tracking = tracker_.active();
  if (tracking) track_activations(batch);
  BatchResult result = loss_and_metrics(yb, wb, weight_width, batch, /*want_grad=*/true);
  backward_pass(xb, batch, nullptr);
  // Penalties join the reported loss (as Keras adds its regularization losses) and their
  // gradients the data gradient, before clipping and the update.
  result.loss_sum += regularization(/*add_gradient=*/true) * static_cast<double>(batch);
  if (gradient_reducer_) gradient_reducer_(grads_.data(), num_trainable_, result.metric_weight);
  if (tracking)
    tracker_.update(*optimizer_, params_.data(), grads_.data());
  else
    optimizer_->apply(params_.data(), grads_.data());
  return result;
}

double Sequential::objective(const void* x, const float* y, const float* sample_weight, std::int64_t weight_width,
                             std::int64_t batch, bool want_grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  require_compiled("objective");
  if (batch <= 0) throw std::invalid_argument("objective: batch must be positive");
  if (sample_weight != nullptr && weight_width != 1 && weight_width != target_positions())
    throw std::invalid_argument("objective: sample_weight must have 1 or " + std::to_string(target_positions()) +
                                " values per sample, got " + std::to_string(weight_width));
  reserve(batch);
  // Training-mode forward passes update BatchNormalization's moving statistics: put them back.
  const std::vector<float> saved_state(state_.data(), state_.data() + num_state_);
  try {
    forward_pass(x, batch, StepContext{true, seed_, kDirectCallStream + direct_training_calls_});
  } catch (...) {
    std::copy(saved_state.begin(), saved_state.end(), state_.data());
    throw;
  }
  std::copy(saved_state.begin(), saved_state.end(), state_.data());
  const BatchResult result = loss_and_metrics(y, sample_weight, weight_width, batch, want_grad);
  if (want_grad) backward_pass(x, batch, nullptr);
  return result.loss_sum / static_cast<double>(batch) + regularization(want_grad);
}

BatchResult Sequential::train_batch(const void* x, const float* y, const float* sample_weight,
                                    std::int64_t weight_width, const std::int64_t* indices, std::int64_t batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  return run_batch(true, x, y, sample_weight, weight_width, indices, batch);
}

BatchResult Sequential::test_batch(const void* x, const float* y, const float* sample_weight, std::int64_t weight_width,
                                   const std::int64_t* indices, std::int64_t batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  return run_batch(false, x, y, sample_weight, weight_width, indices, batch);
}

void Sequential::predict(const void* x, std::int64_t n, float* out, std::int64_t batch_size) {
  std::lock_guard<std::mutex> lock(mutex_);
  require_built("predict");
  if (batch_size <= 0) throw std::invalid_argument("predict: batch_size must be positive");
  const std::int64_t in = shape_size(input_shape_), width = shape_size(output_shape_);
  reserve(std::min(n, batch_size));
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t rows = std::min(batch_size, n - start);
    const void* xs = takes_indices() ? static_cast<const void*>(static_cast<const std::int64_t*>(x) + start * in)
                                     : static_cast<const void*>(static_cast<const float*>(x) + start * in);
    forward_pass(xs, rows, StepContext{false, seed_, 0});
    std::memcpy(out + start * width, output(), static_cast<std::size_t>(rows * width) * sizeof(float));
  }
}

StepContext Sequential::direct_context(bool training) {
  if (!training) return StepContext{false, seed_, 0};
  return StepContext{true, seed_, kDirectCallStream + direct_training_calls_++};
}

void Sequential::forward(const void* x, std::int64_t n, float* out, bool training) {
  std::lock_guard<std::mutex> lock(mutex_);
  require_built("forward");
  reserve(n);
  forward_pass(x, n, direct_context(training));
  std::memcpy(out, output(), static_cast<std::size_t>(n * shape_size(output_shape_)) * sizeof(float));
}

void Sequential::forward_backward(const void* x, std::int64_t n, const float* dy, float* y, float* dx, bool training) {
  std::lock_guard<std::mutex> lock(mutex_);
  require_built("forward_backward");
  reserve(n);
  const std::int64_t width = shape_size(output_shape_);
  forward_pass(x, n, direct_context(training));
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
