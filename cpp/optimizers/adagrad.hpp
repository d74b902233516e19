// Adagrad (Duchi, Hazan & Singer, JMLR 2011), Keras 3 form:
//   acc starts at initial_accumulator_value
//   acc += g^2
//   w -= lr * g / sqrt(acc + eps)            (eps inside the root, as Keras)
#pragma once

#include "kernels/optim.hpp"
#include "optimizers/optimizer.hpp"

namespace gradstep {

class Adagrad : public Optimizer {
 public:
  Adagrad(float learning_rate, float initial_accumulator_value, float epsilon)
      : Optimizer(learning_rate), initial_accumulator_value_(initial_accumulator_value), epsilon_(epsilon) {
    require_non_negative("initial_accumulator_value", initial_accumulator_value);
    require_non_negative("epsilon", epsilon);
  }
  std::string class_name() const override { return "Adagrad"; }
  std::vector<std::string> slot_names() const override { return {"accumulator"}; }
  float initial_accumulator_value() const { return initial_accumulator_value_; }
  float epsilon() const { return epsilon_; }

 protected:
  void init_slots() override {
    float* acc = slots_[0].data();
    for (std::int64_t i = 0; i < num_params(); ++i) acc[i] = initial_accumulator_value_;
  }
  void update(std::int64_t b, std::int64_t e, float* w, const float* g, float lr) override {
    optim::adagrad(e - b, w + b, g + b, slot(0, b), lr, epsilon_);
  }

 private:
  float initial_accumulator_value_, epsilon_;
};

}  // namespace gradstep
