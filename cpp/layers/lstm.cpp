#include "layers/lstm.hpp"

#include "core/profile.hpp"

#include <cstring>

#include "kernels/gemm.hpp"
#include "kernels/recurrent.hpp"

namespace gradstep {

LSTM::LSTM(RecurrentOptions options, bool unit_forget_bias)
    : Recurrent(std::move(options), 4, "LSTM"), unit_forget_bias_(unit_forget_bias) {}

Initializer LSTM::bias_initializer() const {
  Initializer init = options_.bias_initializer;
  if (unit_forget_bias_) {  // the f block: [units, 2*units)
    init.ones_from = options_.units;
    init.ones_to = 2 * options_.units;
  }
  return init;
}

void LSTM::reserve_cell(std::int64_t batch) {
  c_.resize(static_cast<std::size_t>(batch * steps_ * options_.units));
  dc_.resize(static_cast<std::size_t>(batch * options_.units));
}

void LSTM::begin_backward(std::int64_t batch) {
  std::memset(dc_.data(), 0, static_cast<std::size_t>(batch * options_.units) * sizeof(float));
}

void LSTM::step_forward(const StepRows& step) {
  const std::int64_t T = steps_, units = options_.units, width = 4 * units;
  const std::int64_t rows = step.end - step.begin;
  float* z = z_.data() + step.t * width;
  if (step.previous >= 0)  // z += h_prev U (the input part is already there)
    gemm_prepacked(false, rows, 1.0f, hd_rows(step.t) + step.begin * T * units, T * units, U_packed_, 1.0f,
                   z + step.begin * T * width, T * width);
  const auto bytes = static_cast<std::size_t>(units) * sizeof(float);
  ProfileScope profile(ProfiledKernel::recurrent_gates,
                       10.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(units),
                       4.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(width + 3 * units));
  for (std::int64_t n = step.begin; n < step.end; ++n) {
    float* c = row(c_, units, n, step.t);
    const float* c_prev = step.previous >= 0 ? row(c_, units, n, step.previous) : nullptr;
    const float* h_prev = step.previous >= 0 ? h_prev_row(n, step.t) : nullptr;
    float* h = step.h_next + n * step.h_next_stride;
    if (masked(n, step.t)) {  // carry the state
      c_prev ? std::memcpy(c, c_prev, bytes) : std::memset(c, 0, bytes);
      h_prev ? std::memcpy(h, h_prev, bytes) : std::memset(h, 0, bytes);
      continue;
    }
    if (n + 1 < step.end) {
      prefetch_row(z + (n + 1) * T * width, width);
      prefetch_row(row(c_, units, n + 1, step.t), units);
      if (step.previous >= 0) {
        prefetch_row(row(c_, units, n + 1, step.previous), units);
        prefetch_row(h_prev_row(n + 1, step.t), units);
      }
    }
    lstm_step_forward(units, options_.activation, options_.recurrent_activation, z + n * T * width, c_prev, c, h);
  }
}

bool LSTM::step_backward(const StepRows& step, const float* dh, float* dh_direct) {
  const std::int64_t T = steps_, units = options_.units, width = 4 * units;
  float* z = z_.data() + step.t * width;
  ProfileScope profile(ProfiledKernel::recurrent_gates,
                       20.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(units),
                       4.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(2 * width + 4 * units));
  for (std::int64_t n = step.begin; n < step.end; ++n) {
    float* dz = z + n * T * width;
    if (masked(n, step.t)) {  // dc passes through unchanged
      std::memset(dz, 0, static_cast<std::size_t>(width) * sizeof(float));
      continue;
    }
    if (n + 1 < step.end) {
      prefetch_row(z + (n + 1) * T * width, width);
      prefetch_row(row(c_, units, n + 1, step.t), units);
      if (step.previous >= 0) prefetch_row(row(c_, units, n + 1, step.previous), units);
    }
    const float* c_prev = step.previous >= 0 ? row(c_, units, n, step.previous) : nullptr;
    lstm_step_backward(units, options_.activation, options_.recurrent_activation, dz, c_prev, row(c_, units, n, step.t),
                       dh + n * units, dc_.data() + n * units);
  }
  return false;
}

}  // namespace gradstep
