// Sequential: the layer stack, its buffers, and the fused train step.
//
// All trainable parameters live in one flat buffer (gradients in a second one of the same
// layout; optimizer slots in more of the same layout), non-trainable state (e.g. moving
// statistics) in another. So the optimizer update is one parallel loop, an all-reduce is one
// call, and save/load is a handful of arrays.
//
// Buffers (gathered input and targets, each layer's output, two ping-pong gradient buffers)
// are sized for the largest batch seen and reused: in steady state a train step allocates
// nothing.
//
// Thread safety: every batch-level entry point takes the model's mutex, so concurrent calls
// from several Python threads (which release the GIL) are serialised, never interleaved.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/memory.hpp"
#include "core/tensor.hpp"
#include "layers/convolution.hpp"
#include "layers/layer.hpp"
#include "losses/loss.hpp"
#include "losses/metrics.hpp"
#include "model/tracking.hpp"
#include "optimizers/optimizer.hpp"

namespace gradstep {

struct ParamInfo {
  std::size_t layer = 0;  // index in layers()
  std::string name;       // "kernel", "bias", ...
  Shape shape;
  bool trainable = true;  // a parameter (else state, such as moving statistics)
  bool frozen = false;    // its layer is frozen: no update, no penalty (counted as non-trainable)
  ParamSegment segment;   // into trainable_params() or state() depending on `trainable`
  Regularizer regularizer;
};

struct BatchResult {
  double loss_sum = 0.0;            // sum over samples of (weighted) loss
  std::vector<double> metric_sums;  // one per compiled metric, sums over samples
  std::int64_t samples = 0;
  // What the metric sums are sums over, in samples: the batch size, or with a padding mask the
  // unmasked positions / positions per sample (a metric is metric_sums / metric_weight, summed
  // over batches first, so masked positions never count).
  double metric_weight = 0.0;
};

class Sequential {
 public:
  void add(LayerPtr layer);
  const std::vector<LayerPtr>& layers() const { return layers_; }

  // Works out every layer's output shape and every parameter's shape for `input_shape` (without
  // the batch axis), allocating nothing: param_info() is then filled in (without storage). A
  // shape that is not positive or exceeds kMaxElements raises invalid_argument; layers_planned()
  // tells how many layers were planned before it (the next one is at fault).
  void plan(const Shape& input_shape);
  std::size_t layers_planned() const { return layers_planned_; }
  // plan(), then allocate the parameters and initialise them from keys derived from `seed`, the
  // layer index and the parameter index.
  void build(const Shape& input_shape, std::uint64_t seed);
  bool built() const { return built_; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  std::uint64_t seed() const { return seed_; }

  void compile(std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer, std::vector<Metric> metrics);
  bool compiled() const { return loss_ != nullptr && optimizer_ != nullptr; }
  bool output_fused_with_loss() const { return fused_; }

  // x: rows of input_size values, float32, or int64 indices when takes_indices(); y: rows of
  // target_width() floats; sample_weight: weight_width values per row (1, or one per loss
  // position, target_positions()) or null. The batch is rows indices[0..batch) (or rows
  // 0..batch when indices is null).
  BatchResult train_batch(const void* x, const float* y, const float* sample_weight, std::int64_t weight_width,
                          const std::int64_t* indices, std::int64_t batch);
  BatchResult test_batch(const void* x, const float* y, const float* sample_weight, std::int64_t weight_width,
                         const std::int64_t* indices, std::int64_t batch);
  // Inference-mode forward pass over n rows, batch_size rows at a time, into out (n x output size).
  void predict(const void* x, std::int64_t n, float* out, std::int64_t batch_size);
  // One forward pass over n rows (training mode applies dropout / batch statistics).
  void forward(const void* x, std::int64_t n, float* out, bool training);
  // Forward, then backward of the upstream gradient dy (n x output size): writes y, dx (may be
  // null; always null for index inputs) and leaves the parameter gradients in gradients(). No update.
  void forward_backward(const void* x, std::int64_t n, const float* dy, float* y, float* dx, bool training);

  // The objective fit minimises on rows 0..batch (mean loss + weight penalties), computed as
  // train_batch does (training mode, fused output, masks, sample weights) but without an update.
  // With want_grad, its gradient is left in gradients(). Dropout masks are the same at every call
  // (the counter of direct training calls is read, not advanced) and moving statistics are
  // restored after the forward pass, so repeated calls evaluate one fixed function: what a
  // finite-difference gradient check needs.
  double objective(const void* x, const float* y, const float* sample_weight, std::int64_t weight_width,
                   std::int64_t batch, bool want_grad);

  // The model's output for the last batch (rows of output size): what the Python metric classes
  // read after train_batch / test_batch.
  const float* last_output() const { return activations_.empty() ? nullptr : activations_.back().data(); }
  // Its padding mask (rows x target_positions() floats, 1 or 0), or null when the output has none.
  const float* last_output_mask() const { return output_mask_; }
  // True when the first layer reads int64 indices (Embedding) instead of float32 values.
  bool takes_indices() const { return !layers_.empty() && layers_.front()->takes_indices(); }
  // True when the output carries a padding mask (the loss and metrics then skip masked positions).
  bool output_masked() const { return output_masked_; }
  // Freeze or unfreeze layer `index` (Keras' layer.trainable = False / True); takes effect at the
  // next train_batch.
  void set_layer_frozen(std::size_t index, bool frozen);
  std::int64_t target_width() const;
  // Loss positions per sample: the product of the output's leading axes (1 for a flat output).
  std::int64_t target_positions() const;
  std::int64_t num_trainable() const { return num_trainable_; }
  std::int64_t num_state() const { return num_state_; }
  float* trainable_params() { return params_.data(); }
  float* gradients() { return grads_.data(); }
  float* state() { return state_.data(); }
  const std::vector<ParamInfo>& param_info() const { return param_info_; }
  float* param_data(std::size_t i);
  float* param_grad(std::size_t i);
  // Training-mode forward passes made outside train_batch (model(x, training=True),
  // forward_backward): each draws its dropout masks from its own counter value, so every call
  // gets fresh masks, deterministically for a given seed and call sequence. Saved with the model.
  std::uint64_t direct_training_calls() const { return direct_training_calls_; }
  void set_direct_training_calls(std::uint64_t calls) { direct_training_calls_ = calls; }
  // Data-parallel training (gradstep.distributed). Called once per train step, after the
  // penalties' gradients are added and before clipping and the update, with the gradient buffer
  // (num_trainable() floats, the gradient of this process's batch-mean loss) and the weight of
  // that mean (its loss positions: the batch's samples, or with a padding mask the unmasked
  // positions per sample); it must leave in the buffer the gradient of the mean over every
  // process's positions. Empty (the default): one process, nothing is called.
  using GradientReducer = std::function<void(float* gradients, std::int64_t size, double weight)>;
  void set_gradient_reducer(GradientReducer reducer) { gradient_reducer_ = std::move(reducer); }
  // Glass-box training (model/tracking.hpp): with any option on, train_batch accumulates the
  // figures; tracked_figures() holds their sums and counts since the last reset_tracking().
  // set_tracking allocates what the figures need and resets them; all off costs nothing.
  void set_tracking(const TrackingOptions& options);
  const TrackingOptions& tracking() const { return tracker_.options(); }
  void reset_tracking() { tracker_.reset(); }
  const std::vector<TrackedFigure>& tracked_figures() const { return tracker_.figures(); }
  Optimizer* optimizer() { return optimizer_.get(); }
  Loss* loss() { return loss_.get(); }
  std::mutex& mutex() { return mutex_; }

 private:
  void require_built(const char* what) const;
  void apply_frozen_to_optimizer();
  void apply_frozen_to_tracker();
  // dead_relu and bn_stats of the batch that forward_pass just ran.
  void track_activations(std::int64_t batch);
  void require_compiled(const char* what) const;
  void reserve(std::int64_t batch);
  template <typename T>
  const T* gather(const T* src, std::int64_t width, const std::int64_t* indices, std::int64_t batch, T* dst);
  const void* gather_input(const void* x, const std::int64_t* indices, std::int64_t batch);
  void forward_pass(const void* x, std::int64_t batch, const StepContext& ctx);
  // Backward from the gradient in grad_front_ (dL/d output); dx_out gets dL/dx when not null.
  void backward_pass(const void* x, std::int64_t batch, float* dx_out);
  // Sum of the weight penalties; with add_gradient, their gradients are added to gradients().
  double regularization(bool add_gradient);
  BatchResult loss_and_metrics(const float* y, const float* sample_weight, std::int64_t weight_width,
                               std::int64_t batch, bool want_grad);
  BatchResult run_batch(bool training, const void* x, const float* y, const float* sample_weight,
                        std::int64_t weight_width, const std::int64_t* indices, std::int64_t batch);
  const float* output() const { return activations_.back().data(); }

  std::vector<LayerPtr> layers_;
  Shape input_shape_, output_shape_;
  std::uint64_t seed_ = 0;
  bool built_ = false;
  std::size_t layers_planned_ = 0;
  std::uint64_t direct_training_calls_ = 0;
  // Dropout counters of direct training-mode calls live in their own half of the counter space,
  // apart from the optimizer steps that train_batch uses.
  static constexpr std::uint64_t kDirectCallStream = 1ull << 63;
  StepContext direct_context(bool training);

  std::vector<ParamInfo> param_info_;
  AlignedBuffer params_, grads_, state_;
  std::int64_t num_trainable_ = 0, num_state_ = 0;

  std::shared_ptr<Loss> loss_;
  std::shared_ptr<Optimizer> optimizer_;
  std::vector<Metric> metrics_;
  bool fused_ = false;

  // Masks: which layers see one on their input (set at build), and the output's mask of the
  // last forward pass (owned by the layer that made it).
  std::vector<bool> input_masked_;
  // Layer i is a convolution that computes max pooling layer i + 1 in its own pass (when the
  // batch runs in chunks: Convolution::fuses_pool), or null.
  std::vector<Convolution*> pool_fusers_;
  GradientReducer gradient_reducer_;
  bool output_masked_ = false;
  const float* output_mask_ = nullptr;

  std::int64_t capacity_ = 0;  // rows the buffers hold
  AlignedBuffer input_, targets_, sample_weights_, row_weights_;
  std::vector<std::int64_t> index_input_;  // gathered int64 inputs (Embedding first)
  std::vector<AlignedBuffer> activations_;
  AlignedBuffer grad_front_, grad_back_;
  Tracker tracker_;

  std::mutex mutex_;
};

}  // namespace gradstep
