// SGD with optional (Nesterov) momentum, Keras 3 form (Sutskever et al., ICML 2013):
//   momentum == 0:  w -= lr * g
//   otherwise:      m = momentum * m - lr * g
//                   w += m                          (classical)
//                   w += momentum * m - lr * g      (nesterov)
// PyTorch keeps v = momentum*v + g and steps w -= lr*v: the same trajectory for a constant lr.
#pragma once

#include <stdexcept>
#include <string>

#include "kernels/optim.hpp"
#include "optimizers/optimizer.hpp"

namespace gradstep {

class SGD : public Optimizer {
 public:
  SGD(float learning_rate, float momentum, bool nesterov)
      : Optimizer(learning_rate), momentum_(momentum), nesterov_(nesterov) {
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

 protected:
  void update(std::int64_t b, std::int64_t e, float* w, const float* g, float lr) override {
    if (momentum_ > 0.0f) {
      optim::sgd_momentum(e - b, w + b, g + b, slot(0, b), lr, momentum_, nesterov_);
    } else {
      optim::sgd(e - b, w + b, g + b, lr);
    }
  }

 private:
  float momentum_;
  bool nesterov_;
};

}  // namespace gradstep
