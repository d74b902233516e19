// GRU (Cho et al. 2014), Keras 3's default reset_after=True form (the cuDNN / PyTorch one):
//   x = input W + b_input,  q = h_prev U + b_recurrent        (bias (2, 3u): input row, recurrent row)
//   z = ract(x_z + q_z),  r = ract(x_r + q_r),  hh = act(x_h + r * q_h)
//   h = z * h_prev + (1 - z) * hh
// Gate order z, r, h in the kernels (PyTorch: r, z, n, with h = (1 - z) * n + z * h_prev: the
// same cell). The time loop, masks and dropout are Recurrent's; the gate arithmetic is
// kernels/recurrent.hpp.
#pragma once

#include "layers/recurrent.hpp"

namespace gradstep {

class GRU : public Recurrent {
 public:
  explicit GRU(RecurrentOptions options);
  std::string class_name() const override { return "GRU"; }

 protected:
  void reserve_cell(std::int64_t batch) override;
  Shape bias_shape() const override { return {2, 3 * options_.units}; }
  float* recurrent_gradient() override { return dq_.data(); }
  std::int64_t bias_gradient_sources() const override { return 2; }
  const float* bias_gradient_source(std::int64_t source) override { return source == 0 ? z_.data() : dq_.data(); }
  void step_forward(const StepRows& step) override;
  bool step_backward(const StepRows& step, const float* dh, float* dh_direct) override;

 private:
  AlignedBuffer q_;   // (batch, 3u): h_prev U + b_recurrent of the current step
  AlignedBuffer qh_;  // (batch, T, u): its h block, kept for the backward pass
  AlignedBuffer dq_;  // (batch, T, 3u): dL/dq, the rows multiplied by U
};

}  // namespace gradstep
