// Adam (Kingma & Ba, ICLR 2015); AMSGrad: Reddi et al., ICLR 2018.
//   t = iterations + 1
//   m = m + (g - m) * (1 - beta_1)
//   v = beta_2 * v + (1 - beta_2) * g^2
//   amsgrad: v_max = max(v_max, v), and v_max replaces v below
// Keras 3 (convention keras, the default): eps is the paper's "epsilon hat", added to the
// uncorrected sqrt(v)
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t);   w -= alpha * m / (sqrt(v) + eps)
// PyTorch (convention torch; torch.optim.Adam): eps added to the bias-corrected sqrt(v_hat)
//   w -= lr * m_hat / (sqrt(v_hat) + eps),   m_hat = m / (1 - beta_1^t),  v_hat = v / (1 - beta_2^t)
//   (computed as torch does: w -= (lr / (1 - beta_1^t)) * m / (sqrt(v) / sqrt(1 - beta_2^t) + eps))
// The two agree up to a rescaling of eps by sqrt(1 - beta_2^t).
#pragma once

#include <cmath>

#include "core/convention.hpp"
#include "kernels/optim.hpp"
#include "optimizers/optimizer.hpp"

namespace gradstep {

class Adam : public Optimizer {
 public:
  Adam(float learning_rate, float beta_1, float beta_2, float epsilon, bool amsgrad,
       Convention convention = Convention::keras)
      : Optimizer(learning_rate),
        beta_1_(beta_1),
        beta_2_(beta_2),
        epsilon_(epsilon),
        amsgrad_(amsgrad),
        convention_(convention) {
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
  Convention convention() const { return convention_; }

 protected:
  void prepare_step(float lr) override {
    const double t = static_cast<double>(iterations()) + 1.0;
    const double bc1 = 1.0 - std::pow(static_cast<double>(beta_1_), t);
    const double bc2_sqrt = std::sqrt(1.0 - std::pow(static_cast<double>(beta_2_), t));
    alpha_ = static_cast<float>(lr * bc2_sqrt / bc1);
    step_size_ = static_cast<float>(lr / bc1);
    bc2_sqrt_ = static_cast<float>(bc2_sqrt);
  }
  void update(std::int64_t b, std::int64_t e, float* w, const float* g, float) override {
    float* second_max = amsgrad_ ? slot(2, b) : nullptr;
    if (convention_ == Convention::torch)
      optim::adam_torch(e - b, w + b, g + b, slot(0, b), slot(1, b), second_max, step_size_, bc2_sqrt_, beta_1_,
                        beta_2_, epsilon_);
    else
      optim::adam(e - b, w + b, g + b, slot(0, b), slot(1, b), second_max, alpha_, beta_1_, beta_2_, epsilon_);
  }
  // Keras' rule has a loop that sums the training figures' squares too (kernels/optim.hpp).
  bool update_and_square(std::int64_t b, std::int64_t e, float* w, const float* g, float, float lr_times_wd,
                         kernels::NormLanes& squares) override {
    if (convention_ == Convention::torch) return false;
    optim::adam_squares(e - b, w + b, g + b, slot(0, b), slot(1, b), amsgrad_ ? slot(2, b) : nullptr, alpha_, beta_1_,
                        beta_2_, epsilon_, lr_times_wd, squares);
    return true;
  }

 private:
  float beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
  Convention convention_;
  float alpha_ = 0.0f, step_size_ = 0.0f, bc2_sqrt_ = 1.0f;
};

}  // namespace gradstep
