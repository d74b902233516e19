// SimpleRNN (Elman 1990), Keras 3's layer:  h = activation(x W + h_prev U + b)
// kernel (F, u), recurrent_kernel (u, u), bias (u). Backward: dz = dh * activation'(h).
// The time loop, masks and dropout are Recurrent's (layers/recurrent.hpp).
#pragma once

#include "layers/recurrent.hpp"

namespace gradstep {

class SimpleRNN : public Recurrent {
 public:
  explicit SimpleRNN(RecurrentOptions options);
  std::string class_name() const override { return "SimpleRNN"; }

 protected:
  void step_forward(const StepRows& step) override;
  bool step_backward(const StepRows& step, const float* dh, float* dh_direct) override;
};

}  // namespace gradstep
