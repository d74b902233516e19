// Adam (Kingma & Ba, ICLR 2015) in Keras 3's form; AMSGrad: Reddi et al., ICLR 2018.
//   t = iterations + 1
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m += (g - m) * (1 - beta_1)
//   v += (g^2 - v) * (1 - beta_2)
//   amsgrad: v_hat = max(v_hat, v), and v_hat replaces v below
//   w -= alpha * m / (sqrt(v) + eps)
// Epsilon is the paper's "epsilon hat" (added to the uncorrected sqrt(v)); PyTorch adds eps to
// sqrt(v_hat_corrected). The two agree up to a rescaling of eps by sqrt(1 - beta_2^t).
#pragma once

#include <cmath>

#include "kernels/optim.hpp"
#include "optimizers/optimizer.hpp"

namespace gradstep {

class Adam : public Optimizer {
 public:
  Adam(float learning_rate, float beta_1, float beta_2, float epsilon, bool amsgrad)
      : Optimizer(learning_rate), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon), amsgrad_(amsgrad) {
    require_unit_interval("beta_1", beta_1);
    require_unit_interval("beta_2", beta_2);
    require_non_negative("epsilon", epsilon);
  }
  std::string class_name() const override { return "Adam"; }
  std::vector<std::string> slot_names() const override {
    if (amsgrad_) return {"momentum", "velocity", "velocity_hat"};
    return {"momentum", "velocity"};
  }
  float beta_1() const { return beta_1_; }
  float beta_2() const { return beta_2_; }
  float epsilon() const { return epsilon_; }
  bool amsgrad() const { return amsgrad_; }

 protected:
  void prepare_step(float lr) override {
    const double t = static_cast<double>(iterations()) + 1.0;
    alpha_ = static_cast<float>(lr * std::sqrt(1.0 - std::pow(static_cast<double>(beta_2_), t)) /
                                (1.0 - std::pow(static_cast<double>(beta_1_), t)));
  }
  void update(std::int64_t b, std::int64_t e, float* w, const float* g, float) override {
    optim::adam(e - b, w + b, g + b, slot(0, b), slot(1, b), amsgrad_ ? slot(2, b) : nullptr, alpha_, beta_1_, beta_2_,
                epsilon_);
  }

 private:
  float beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
  float alpha_ = 0.0f;
};

}  // namespace gradstep
