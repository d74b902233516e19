// RMSprop (Hinton, Coursera lecture 6e, 2012; centered form: Graves, arXiv:1308.0850).
//   v = rho * v + (1 - rho) * g^2
//   centered:  a = rho * a + (1 - rho) * g
// Keras 3 (convention keras, the default): eps INSIDE the square root, lr inside the momentum
//   denom = sqrt(v - a^2 + eps)   (centered)   or   sqrt(v + eps)
//   inc = lr * g / denom
//   momentum > 0:  mom = momentum * mom + inc;  w -= mom      else  w -= inc
// PyTorch (convention torch; torch.optim.RMSprop): eps OUTSIDE the root, lr outside the momentum
//   denom = sqrt(v - a^2) + eps   (centered)   or   sqrt(v) + eps
//   momentum > 0:  buf = momentum * buf + g / denom;  w -= lr * buf   else  w -= lr * g / denom
#pragma once

#include "core/convention.hpp"
#include "kernels/optim.hpp"
#include "optimizers/optimizer.hpp"

namespace gradstep {

class RMSprop : public Optimizer {
 public:
  RMSprop(float learning_rate, float rho, float momentum, float epsilon, bool centered,
          Convention convention = Convention::keras)
      : Optimizer(learning_rate),
        rho_(rho),
        momentum_(momentum),
        epsilon_(epsilon),
        centered_(centered),
        convention_(convention) {
    require_unit_interval("rho", rho);
    require_non_negative("momentum", momentum);
    require_non_negative("epsilon", epsilon);
  }
  std::string class_name() const override { return "RMSprop"; }
  std::vector<std::string> slot_names() const override {
    std::vector<std::string> names{"velocity"};
    if (momentum_ > 0.0f) names.push_back("momentum");
    if (centered_) names.push_back("average_gradient");
    return names;
  }
  float rho() const { return rho_; }
  float momentum() const { return momentum_; }
  float epsilon() const { return epsilon_; }
  bool centered() const { return centered_; }
  Convention convention() const { return convention_; }

 protected:
  void update(std::int64_t b, std::int64_t e, float* w, const float* g, float lr) override {
    float* mom = momentum_ > 0.0f ? slot(1, b) : nullptr;
    float* avg = centered_ ? slot(momentum_ > 0.0f ? 2 : 1, b) : nullptr;
    if (convention_ == Convention::torch)
      optim::rmsprop_torch(e - b, w + b, g + b, slot(0, b), avg, mom, lr, rho_, momentum_, epsilon_);
    else
      optim::rmsprop(e - b, w + b, g + b, slot(0, b), avg, mom, lr, rho_, momentum_, epsilon_);
  }

 private:
  float rho_, momentum_, epsilon_;
  bool centered_;
  Convention convention_;
};

}  // namespace gradstep
