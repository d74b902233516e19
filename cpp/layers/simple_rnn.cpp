#include "layers/simple_rnn.hpp"

#include "core/profile.hpp"

#include <cstring>

#include "kernels/gemm.hpp"
#include "kernels/recurrent.hpp"

namespace gradstep {

SimpleRNN::SimpleRNN(RecurrentOptions options) : Recurrent(std::move(options), 1, "SimpleRNN") {}

void SimpleRNN::step_forward(const StepRows& step) {
  const std::int64_t T = steps_, units = options_.units;
  float* z = z_.data() + step.t * units;
  if (step.previous >= 0)
    gemm_prepacked(false, step.end - step.begin, 1.0f, hd_rows(step.t) + step.begin * T * units, T * units, U_packed_,
                   1.0f, z + step.begin * T * units, T * units);
  const auto bytes = static_cast<std::size_t>(units) * sizeof(float);
  ProfileScope profile(ProfiledKernel::recurrent_gates,
                       10.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(options_.units),
                       16.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(options_.units));
  for (std::int64_t n = step.begin; n < step.end; ++n) {
    float* h = step.h_next + n * step.h_next_stride;
    if (masked(n, step.t)) {
      const float* h_prev = step.previous >= 0 ? h_prev_row(n, step.t) : nullptr;
      h_prev ? std::memcpy(h, h_prev, bytes) : std::memset(h, 0, bytes);
      continue;
    }
    float* zn = z + n * T * units;
    activation_row(options_.activation, units, zn, zn);  // z now holds h (for the backward pass)
    std::memcpy(h, zn, bytes);
  }
}

bool SimpleRNN::step_backward(const StepRows& step, const float* dh, float* dh_direct) {
  const std::int64_t T = steps_, units = options_.units;
  float* z = z_.data() + step.t * units;
  ProfileScope profile(ProfiledKernel::recurrent_gates,
                       20.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(options_.units),
                       24.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(options_.units));
  for (std::int64_t n = step.begin; n < step.end; ++n) {
    float* dz = z + n * T * units;
    if (masked(n, step.t))
      std::memset(dz, 0, static_cast<std::size_t>(units) * sizeof(float));
    else
      simple_rnn_step_backward(units, options_.activation, dz, dh + n * units, dz);
  }
  return false;
}

}  // namespace gradstep
