// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019): Adam whose
// weight decay is applied to the weights directly (w -= lr * weight_decay * w, before the Adam
// step, by the base class) instead of being added to the gradient. Keras 3 default decay 0.004
// (PyTorch: 0.01). The convention (Adam's epsilon placement) is Adam's; PyTorch's AdamW also
// decays first, w *= 1 - lr * weight_decay.
#pragma once

#include "optimizers/adam.hpp"

namespace gradstep {

class AdamW : public Adam {
 public:
  AdamW(float learning_rate, float weight_decay, float beta_1, float beta_2, float epsilon, bool amsgrad,
        Convention convention = Convention::keras)
      : Adam(learning_rate, beta_1, beta_2, epsilon, amsgrad, convention) {
    set_weight_decay(weight_decay);
  }
  std::string class_name() const override { return "AdamW"; }
};

}  // namespace gradstep
