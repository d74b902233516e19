// LSTM (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000), Keras 3's layer:
//   [i | f | c | o] = x W + h_prev U + b         (kernel (F, 4u), recurrent_kernel (u, 4u), bias (4u))
//   i, f, o = recurrent_activation(.), g = activation(c block)
//   c = f * c_prev + i * g,   h = o * activation(c)
// unit_forget_bias starts the forget-gate bias at 1 (Jozefowicz et al. 2015). PyTorch's LSTM has
// the same gate order (i, f, g, o) but two biases, b_ih + b_hh, and weights transposed.
// The time loop, masks and dropout are Recurrent's (layers/recurrent.hpp); the gate arithmetic is
// kernels/recurrent.hpp.
#pragma once

#include "layers/recurrent.hpp"

namespace gradstep {

class LSTM : public Recurrent {
 public:
  LSTM(RecurrentOptions options, bool unit_forget_bias);
  std::string class_name() const override { return "LSTM"; }

 protected:
  void reserve_cell(std::int64_t batch) override;
  void begin_backward(std::int64_t batch) override;
  Initializer bias_initializer() const override;
  void step_forward(const StepRows& step) override;
  bool step_backward(const StepRows& step, const float* dh, float* dh_direct) override;

 private:
  bool unit_forget_bias_;
  AlignedBuffer c_;   // (batch, T, units): the cell state after the step that reads input t
  AlignedBuffer dc_;  // (batch, units): dL/dc carried backwards through time
};

}  // namespace gradstep
