// Glass-box training: per-layer figures accumulated by Sequential::train_batch while tracking is
// on (Python: fit(..., track=[...])). Each figure is summed over the batches it counts in; the
// caller divides by the count (an epoch average) and resets.
//
//   grad_norm     per trainable weight: ||g||_2 of the gradient the optimizer receives, i.e. the
//                 loss gradient plus the regulariser gradients, BEFORE clipping.
//   update_ratio  per trainable weight: ||w_after - w_before||_2 / ||w_before||_2 over the step
//                 (everything the optimizer changed, weight decay included). A batch whose
//                 ||w_before|| is 0 (a zero-initialised bias at step 1) does not count.
//   dead_relu     per ReLU layer (Dense/Conv with activation="relu", Activation("relu")): the
//                 fraction of units that output 0 for every sample of the batch (Karpathy). A unit
//                 is a channel of the last axis: for a convolution, a filter that is 0 at every
//                 position of every sample. A convolution fused with its max pooling is measured
//                 on the pooled output (positions the pooling drops are not seen).
//   bn_stats      per BatchNormalization layer that normalised with batch statistics (training,
//                 not frozen): "abs_mean" = mean over channels of |batch mean|, "std" = mean over
//                 channels of the batch standard deviation sqrt(biased batch variance).
// Frozen weights do not count for grad_norm and update_ratio (the optimizer receives nothing).
//
// Cost: nothing when off (one flag per batch). On, grad_norm and update_ratio take one of three
// paths, all giving the same bits:
//   1. Adam (Keras convention) sums g^2, w^2 and (w after - w before)^2 in its own update loop
//      (optim::adam_squares), in registers: free, since Adam waits on its sqrt and division.
//   2. Other element-wise optimizers run their update block by block (Optimizer::apply_observed)
//      between two hooks: before a block, sum g^2 and w^2 and copy it into a per-thread buffer;
//      after, sum (w - copy)^2 while it is still in cache. The first hook pays for reading w and
//      g from L2/L3 before the rule does, which does not overlap with the rule's own traffic.
//   3. With clipping (grad_norm is the gradient before clipping) and for Custom rules: the same
//      sums in separate passes over the whole buffers, before and after Optimizer::apply().
// dead_relu makes one pass over each ReLU layer's output; bn_stats is O(channels). Buffers are
// sized by configure() (and the per-thread copies at the first step on more threads): no
// allocation per batch. Sums run over fixed blocks of kernels::kNormBlock values, each block in
// kNormLanes lanes (element i to lane i mod kNormLanes), added in block order: the same bits for
// any thread count, ISA and path. Measured on W1 in benchmarks/README.md ("Tracking overhead").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/memory.hpp"
#include "kernels/norms.hpp"
#include "optimizers/optimizer.hpp"

namespace gradstep {

struct TrackingOptions {
  bool grad_norm = false;
  bool update_ratio = false;
  bool dead_relu = false;
  bool bn_stats = false;
  bool any() const { return grad_norm || update_ratio || dead_relu || bn_stats; }
};

// One figure of one layer: the sum of its per-batch values over the batches that counted.
struct TrackedFigure {
  std::string figure;  // "grad_norm", "update_ratio", "dead_relu" or "bn_stats"
  std::size_t layer = 0;
  std::string part;  // the weight ("kernel", ...), the BN summary ("abs_mean", "std"), or ""
  double sum = 0.0;
  std::int64_t count = 0;
};

class Tracker : public UpdateObserver {
 public:
  // A trainable weight of the model, in the flat parameter buffer.
  struct Weight {
    std::size_t layer;
    std::string name;
    ParamSegment segment;
  };
  // A ReLU layer: its figure reads `channels` values per row of the output of layer `source`
  // (the layer itself, or the max pooling fused into it).
  struct ReluLayer {
    std::size_t layer, source;
    std::int64_t channels;
  };

  // Allocates every buffer the tracked figures need and zeroes the sums. The figures are listed
  // in the order: grad_norm, update_ratio (one per weight each), dead_relu, bn_stats.
  void configure(const TrackingOptions& options, const std::vector<Weight>& weights,
                 const std::vector<ReluLayer>& relu_layers, const std::vector<std::size_t>& bn_layers);
  const TrackingOptions& options() const { return options_; }
  bool active() const { return options_.any(); }
  const std::vector<ReluLayer>& relu_layers() const { return relu_layers_; }
  const std::vector<std::size_t>& bn_layers() const { return bn_layers_; }
  // One flag per weight of configure(): frozen weights do not count.
  void set_frozen(const std::vector<bool>& frozen) { frozen_ = frozen; }
  void reset();
  const std::vector<TrackedFigure>& figures() const { return figures_; }

  // One training step's update, with grad_norm and update_ratio measured around it.
  void update(Optimizer& optimizer, float* params, float* grads);
  // UpdateObserver: the hooks of the blocked path.
  const std::vector<UpdateObserver::Block>& update_blocks() const override { return blocks_; }
  void before_block(std::size_t k, const float* w, const float* g) override;
  void after_block(std::size_t k, const float* w) override;
  void add_block_squares(std::size_t k, const kernels::NormLanes& squares) override;
  // relu_layers()[k]'s output for this batch: `rows` rows of its channels.
  void add_dead_relu(std::size_t k, const float* y, std::int64_t rows);
  // bn_layers()[k]'s batch statistics: per-channel mean and 1/sqrt(variance + epsilon).
  void add_bn_stats(std::size_t k, const float* mean, const float* inv_std, std::int64_t channels, float epsilon);

 private:
  // The separate passes (Custom optimizers, clipping): before apply(), gradient norms, weight
  // norms and a copy of the weights; after it, the update norms.
  void before_update(const float* params, const float* grads);
  void after_update(const float* params);
  // Per weight, its blocks' sums in block order, into the figures.
  void add_gradient_and_weight_norms();
  void add_update_ratios();
  // The hooks' per-thread copy of the block being updated (thread_index()'s slot).
  float* block_copy();

  TrackingOptions options_;
  std::vector<Weight> weights_;
  std::vector<bool> frozen_;
  std::vector<ReluLayer> relu_layers_;
  std::vector<std::size_t> bn_layers_;
  std::vector<TrackedFigure> figures_;
  std::size_t first_update_ = 0, first_relu_ = 0, first_bn_ = 0;  // their first index in figures_
  // Fixed pieces of one weight each (kernels::kNormBlock values): the unit of parallel work and of
  // the summation order.
  std::vector<UpdateObserver::Block> blocks_;
  std::vector<double> block_grad_, block_weight_, block_update_;  // per block: sums of squares
  std::vector<double> weight_norm_;                               // per weight, before the update
  AlignedBuffer before_;  // the weights before the update (update_ratio): all of them, or one block per thread
  AlignedBuffer alive_;   // dead_relu: per channel, 1 once a nonzero output is seen
};

}  // namespace gradstep
