// Custom: an optimizer whose rule is a callback (the Python bindings pass a user's NumPy
// function; see python/gradstep/optimizers/custom.py). apply() clips as every optimizer does;
// then, for each variable that is not frozen, one after the other in segment order:
//   decoupled weight decay  w -= lr * weight_decay * w,   then  callback(that variable).
// The callback gets the variable's parameters, its (clipped) gradient, the same segment of each
// slot (zero-initialised by build(), kept across steps), the 1-based step and the learning rate.
// It runs serially: a Python callback takes the GIL, so a parallel pass would gain nothing.
#pragma once

#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernels/optim.hpp"
#include "optimizers/optimizer.hpp"

namespace gradstep {

class Custom : public Optimizer {
 public:
  struct Segment {
    std::size_t index;          // which variable (segment of build())
    std::int64_t size;          // its number of parameters
    float* params;              // its parameters, updated in place
    const float* grads;         // its gradient (already clipped)
    std::vector<float*> slots;  // its part of each slot, in slot_names() order
    std::int64_t step;          // iterations() + 1
    float learning_rate;
  };
  using Callback = std::function<void(const Segment&)>;

  Custom(float learning_rate, std::vector<std::string> slot_names, Callback callback)
      : Optimizer(learning_rate), slot_names_(std::move(slot_names)), callback_(std::move(callback)) {
    std::set<std::string> seen;
    for (const auto& name : slot_names_) {
      if (name.empty()) throw std::invalid_argument("slots: a slot name must not be empty");
      if (!seen.insert(name).second) throw std::invalid_argument("slots: duplicate slot name '" + name + "'");
    }
    if (!callback_) throw std::invalid_argument("Custom: update must be a callable");
  }
  std::string class_name() const override { return "Custom"; }
  std::vector<std::string> slot_names() const override { return slot_names_; }

 protected:
  bool elementwise() const override { return false; }
  void update_pass(float* params, const float* grads, float lr) override {
    const float lr_times_wd = lr * weight_decay();
    Segment seg{0, 0, nullptr, nullptr, std::vector<float*>(num_slots()), iterations() + 1, lr};
    for (std::size_t i = 0; i < segments().size(); ++i) {
      const ParamSegment& s = segments()[i];
      if (segment_frozen(i) || s.size == 0) continue;
      if (lr_times_wd != 0.0f) optim::decay(s.size, params + s.offset, lr_times_wd);
      seg.index = i;
      seg.size = s.size;
      seg.params = params + s.offset;
      seg.grads = grads + s.offset;
      for (std::size_t k = 0; k < seg.slots.size(); ++k) seg.slots[k] = slot(k, s.offset);
      callback_(seg);
    }
  }
  // update_pass never calls the element-wise rule.
  void update(std::int64_t, std::int64_t, float*, const float*, float) override {
    throw std::logic_error("Custom.update: the rule runs per variable in update_pass");
  }

 private:
  std::vector<std::string> slot_names_;
  Callback callback_;
};

}  // namespace gradstep
