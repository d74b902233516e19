// SGD with optional (Nesterov) momentum (Sutskever et al., ICML 2013), in one of two forms:
//   momentum == 0:  w -= lr * g                        (both conventions)
//   Keras 3 (convention keras, the default):
//                   m = momentum * m - lr * g
//                   w += m                             (classical)
//                   w += momentum * m - lr * g         (nesterov)
//   PyTorch (convention torch; torch.optim.SGD with dampening 0):
//                   v = momentum * v + g
//                   w -= lr * v                        (classical)
//                   w -= lr * (g + momentum * v)       (nesterov)
// For a constant lr the two give the same trajectory (m = -lr * v); when lr changes between
// steps (a schedule) Keras' slot remembers the old rates and PyTorch's does not.
#pragma once

#include <stdexcept>
#include <string>

#include "core/convention.hpp"
#include "kernels/optim.hpp"
#include "optimizers/optimizer.hpp"

namespace gradstep {

class SGD : public Optimizer {
 public:
  SGD(float learning_rate, float momentum, bool nesterov, Convention convention = Convention::keras)
      : Optimizer(learning_rate), momentum_(momentum), nesterov_(nesterov), convention_(convention) {
    // Keras 3's rule (and the Python wrapper's): momentum in [0, 1].
    if (!(momentum >= 0.0f && momentum <= 1.0f))
      throw std::invalid_argument("momentum must be in [0.0, 1.0], got " + std::to_string(momentum));
  }
  std::string class_name() const override { return "SGD"; }
  std::vector<std::string> slot_names() const override {
    if (momentum_ > 0.0f) return {"momentum"};
    return {};
  }
  float momentum() const { return momentum_; }
  bool nesterov() const { return nesterov_; }
  Convention convention() const { return convention_; }

 protected:
  void update(std::int64_t b, std::int64_t e, float* w, const float* g, float lr) override {
    if (momentum_ == 0.0f) {
      optim::sgd(e - b, w + b, g + b, lr);
    } else if (convention_ == Convention::torch) {
      optim::sgd_momentum_torch(e - b, w + b, g + b, slot(0, b), lr, momentum_, nesterov_);
    } else {
      optim::sgd_momentum(e - b, w + b, g + b, slot(0, b), lr, momentum_, nesterov_);
    }
  }

 private:
  float momentum_;
  bool nesterov_;
  Convention convention_;
};

}  // namespace gradstep
