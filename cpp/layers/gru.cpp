#include "layers/gru.hpp"

#include "core/profile.hpp"

#include <cstring>

#include "kernels/gemm.hpp"
#include "kernels/recurrent.hpp"

namespace gradstep {

GRU::GRU(RecurrentOptions options) : Recurrent(std::move(options), 3, "GRU") {}

void GRU::reserve_cell(std::int64_t batch) {
  const std::int64_t units = options_.units;
  q_.resize(static_cast<std::size_t>(batch * 3 * units));
  qh_.resize(static_cast<std::size_t>(batch * steps_ * units));
  dq_.resize(static_cast<std::size_t>(batch * steps_ * 3 * units));
}

void GRU::step_forward(const StepRows& step) {
  const std::int64_t T = steps_, units = options_.units, width = 3 * units;
  if (step.previous >= 0)
    gemm_prepacked(false, step.end - step.begin, 1.0f, hd_rows(step.t) + step.begin * T * units, T * units, U_packed_,
                   0.0f, q_.data() + step.begin * width, width);
  const float* recurrent_bias = b_ != nullptr ? b_ + width : nullptr;
  const auto bytes = static_cast<std::size_t>(units) * sizeof(float);
  ProfileScope profile(ProfiledKernel::recurrent_gates,
                       10.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(options_.units),
                       16.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(options_.units));
  for (std::int64_t n = step.begin; n < step.end; ++n) {
    const float* h_prev = step.previous >= 0 ? h_prev_row(n, step.t) : nullptr;
    float* h = step.h_next + n * step.h_next_stride;
    if (masked(n, step.t)) {
      h_prev ? std::memcpy(h, h_prev, bytes) : std::memset(h, 0, bytes);
      continue;
    }
    float* q = q_.data() + n * width;
    const float* bias = recurrent_bias;  // added inside gru_step_forward, where q is read anyway
    if (h_prev == nullptr) {             // no state (the first step): q = 0 + b, written out
      std::memset(q, 0, static_cast<std::size_t>(width) * sizeof(float));
      if (recurrent_bias != nullptr)
        for (std::int64_t j = 0; j < width; ++j) q[j] += recurrent_bias[j];
      bias = nullptr;
    }
    if (n + 1 < step.end) {
      prefetch_row(row(z_, width, n + 1, step.t), width);
      prefetch_row(row(qh_, units, n + 1, step.t), units);
    }
    gru_step_forward(units, options_.activation, options_.recurrent_activation, row(z_, width, n, step.t), q, bias,
                     h_prev, row(qh_, units, n, step.t), h);
  }
}

bool GRU::step_backward(const StepRows& step, const float* dh, float* dh_direct) {
  const std::int64_t units = options_.units, width = 3 * units;
  ProfileScope profile(ProfiledKernel::recurrent_gates,
                       20.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(options_.units),
                       24.0 * static_cast<double>(step.end - step.begin) * static_cast<double>(options_.units));
  for (std::int64_t n = step.begin; n < step.end; ++n) {
    float* dx = row(z_, width, n, step.t);
    float* dq = row(dq_, width, n, step.t);
    if (masked(n, step.t)) {
      std::memset(dx, 0, static_cast<std::size_t>(width) * sizeof(float));
      std::memset(dq, 0, static_cast<std::size_t>(width) * sizeof(float));
      continue;
    }
    if (n + 1 < step.end) {
      prefetch_row(row(z_, width, n + 1, step.t), width);
      prefetch_row(row(dq_, width, n + 1, step.t), width);
      prefetch_row(row(qh_, units, n + 1, step.t), units);
      if (step.previous >= 0) prefetch_row(h_prev_row(n + 1, step.t), units);
    }
    const float* h_prev = step.previous >= 0 ? h_prev_row(n, step.t) : nullptr;
    gru_step_backward(units, options_.activation, options_.recurrent_activation, dx, dq, row(qh_, units, n, step.t),
                      h_prev, dh + n * units, dh_direct + n * units);
  }
  return true;
}

}  // namespace gradstep
