// Optimizer base: what every optimizer shares (Keras 3 base optimizer).
//
// One step, over all parameters held in one flat buffer (the model's), in Keras' order:
//   1. clip the gradients: clipnorm (each variable to its own L2 norm: g * c / max(|g|, c)),
//      or global_clipnorm (all variables together: g * c / max(|G|, c)), or clipvalue
//      (element-wise to [-v, v]); at most one of the three is set;
//   2. decoupled weight decay (Loshchilov & Hutter 2019): w -= lr * weight_decay * w;
//   3. the optimizer's own rule (subclass), element-wise, in one parallel pass (a subclass whose
//      rule is not element-wise C++, Custom, overrides update_pass and takes steps 2-3 itself);
//   4. iterations += 1.
// A "variable" is a ParamSegment of the flat buffer (one Keras weight: a kernel, a bias).
// Slots (momentum, velocity, ...) are flat buffers with the same layout as the parameters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/memory.hpp"
#include "kernels/norms.hpp"

namespace gradstep {

struct ParamSegment {
  std::int64_t offset = 0;
  std::int64_t size = 0;
};

// Watches one step block by block (the training figures, model/tracking.hpp). Given an observer,
// a step runs its decay and rule over the observer's blocks instead of its own chunks: the rule
// is element-wise, so the parameters come out bitwise the same. Each block's hooks run on the
// thread that updates it, just before and just after the update, while the block is in cache.
// The first hook still pays for bringing the block in ahead of the rule (about 5% of a W1 step
// with Adam, measured); a rule that sums the squares in its own loop (update_and_square, Adam)
// replaces both hooks and costs next to nothing.
class UpdateObserver {
 public:
  struct Block {
    std::size_t variable;     // the segment of Optimizer::build() that holds the block
    std::int64_t begin, end;  // elements of the flat buffers
  };
  virtual ~UpdateObserver() = default;
  // In order, back to back, covering every segment (frozen ones too: their hooks run, their update
  // does not).
  virtual const std::vector<Block>& update_blocks() const = 0;
  virtual void before_block(std::size_t k, const float* w, const float* g) = 0;
  virtual void after_block(std::size_t k, const float* w) = 0;
  // Instead of the two hooks, for a block whose rule summed the squares in its own loop
  // (Optimizer::update_and_square).
  virtual void add_block_squares(std::size_t k, const kernels::NormLanes& squares) = 0;
};

class Optimizer {
 public:
  explicit Optimizer(float learning_rate);
  virtual ~Optimizer() = default;
  virtual std::string class_name() const = 0;
  virtual std::vector<std::string> slot_names() const = 0;

  // Allocates zeroed slots for parameters laid out as `segments` (contiguous from offset 0).
  void build(const std::vector<ParamSegment>& segments);
  bool built() const { return built_; }
  std::int64_t num_params() const { return total_; }
  const std::vector<ParamSegment>& segments() const { return segments_; }

  // One update; clips `grads` in place.
  void apply(float* params, float* grads);
  // The same update, watched block by block. Needs can_observe(): an element-wise C++ rule and no
  // clipping (clipping rescales the gradients before any block is seen, and an observer wants
  // them as the loss gave them).
  void apply_observed(float* params, float* grads, UpdateObserver& observer);
  bool can_observe() const { return elementwise() && !clipping(); }
  // False for a rule that is not an element-wise C++ loop (Custom calls Python per variable).
  virtual bool elementwise() const { return true; }
  bool clipping() const { return clipnorm_ > 0.0f || clipvalue_ > 0.0f || global_clipnorm_ > 0.0f; }
  // Variables left out of the updates (frozen layers, Keras' trainable=False), one flag per
  // segment of build(): their parameters and slots stay as they are, and clipping (clipnorm,
  // global_clipnorm, clipvalue) sees only the others. With nothing frozen, apply() is bitwise
  // what it was.
  void set_frozen(const std::vector<bool>& frozen_per_segment);
  bool segment_frozen(std::size_t i) const { return frozen_.at(i); }

  float* slot_data(std::size_t i) { return slots_.at(i).data(); }
  std::size_t num_slots() const { return slots_.size(); }

  float learning_rate() const { return learning_rate_; }
  void set_learning_rate(float lr);
  float weight_decay() const { return weight_decay_; }
  void set_weight_decay(float wd);
  float clipnorm() const { return clipnorm_; }
  float clipvalue() const { return clipvalue_; }
  float global_clipnorm() const { return global_clipnorm_; }
  // Sets the clipping mode; 0 disables. At most one may be positive.
  void set_clipping(float clipnorm, float clipvalue, float global_clipnorm);
  std::int64_t iterations() const { return iterations_; }
  void set_iterations(std::int64_t it) { iterations_ = it; }

 protected:
  // Called once per step before the parallel pass (e.g. Adam's bias-corrected step size).
  virtual void prepare_step(float lr) {}
  // The rule over elements [begin, end) of the flat buffers.
  virtual void update(std::int64_t begin, std::int64_t end, float* w, const float* g, float lr) = 0;
  // Steps 2-3 of apply() (decay, then the rule) over every variable that is not frozen. The default
  // runs decay and update() over the active ranges in one parallel pass.
  virtual void update_pass(float* params, const float* grads, float lr);
  // Decay and rule over [begin, end), adding the block's squares to `squares` as
  // UpdateObserver::add_block_squares wants them, in the rule's own loop. A rule that has no such
  // loop returns false without touching anything (the observer's hooks then run around update()).
  virtual bool update_and_square(std::int64_t begin, std::int64_t end, float* w, const float* g, float lr,
                                 float lr_times_wd, kernels::NormLanes& squares) {
    return false;
  }
  // Called after build() allocated zeroed slots (Adagrad's initial accumulator).
  virtual void init_slots() {}
  float* slot(std::size_t i, std::int64_t begin) { return slots_[i].data() + begin; }

  std::vector<AlignedBuffer> slots_;

 private:
  void clip_gradients(float* grads);

  float learning_rate_;
  float weight_decay_ = 0.0f;
  float clipnorm_ = 0.0f, clipvalue_ = 0.0f, global_clipnorm_ = 0.0f;
  std::int64_t iterations_ = 0;
  std::vector<ParamSegment> segments_;
  std::vector<bool> frozen_;                 // per segment
  std::vector<ParamSegment> active_ranges_;  // maximal runs of segments that are not frozen
  std::int64_t total_ = 0;
  bool built_ = false;
};

// Validation helpers shared by the optimizers (std::invalid_argument naming the argument).
void require_non_negative(const char* name, float value);
void require_unit_interval(const char* name, float value);  // [0, 1)

}  // namespace gradstep
