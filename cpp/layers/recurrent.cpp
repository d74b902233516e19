#include "layers/recurrent.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "core/parallel.hpp"
#include "core/profile.hpp"
#include "core/rng.hpp"
#include "kernels/gemm.hpp"
#include "kernels/recurrent.hpp"

namespace gradstep {

Recurrent::Recurrent(RecurrentOptions options, int gates, const std::string& name)
    : options_(std::move(options)), gates_(gates) {
  if (options_.units <= 0)
    throw std::invalid_argument(name + ": units must be a positive integer, got " + std::to_string(options_.units));
  for (auto [a, what] : {std::pair{options_.activation, "activation"},
                         std::pair{options_.recurrent_activation, "recurrent_activation"}}) {
    if (!recurrent_activation_supported(a))
      throw std::invalid_argument(name + ": " + what + " '" + activation_name(a) +
                                  "' is not supported in recurrent layers; use tanh, sigmoid, relu or linear");
  }
  for (auto [rate, what] :
       {std::pair{options_.dropout, "dropout"}, std::pair{options_.recurrent_dropout, "recurrent_dropout"}})
    if (!(rate >= 0.0f && rate < 1.0f))
      throw std::invalid_argument(name + ": " + what + " must be in [0, 1), got " + std::to_string(rate));
  if (options_.has_seed) rng_key_ = rng::derive_key(options_.seed, 0x2EC);
}

void Recurrent::set_rng_key(std::uint64_t key) {
  if (!options_.has_seed) rng_key_ = key;
}

Shape Recurrent::build(const Shape& input_shape) {
  if (input_shape.size() != 2)
    throw std::invalid_argument("expected an input of shape (timesteps, features), got " + shape_str(input_shape));
  steps_ = input_shape[0];
  features_ = input_shape[1];
  input_shape_ = input_shape;
  output_shape_ = options_.return_sequences ? Shape{steps_, options_.units} : Shape{options_.units};
  built_ = true;
  return output_shape_;
}

std::vector<ParamSpec> Recurrent::param_specs() const {
  const std::int64_t width = gates_ * options_.units;
  std::vector<ParamSpec> specs;
  specs.push_back({"kernel", {features_, width}, options_.kernel_initializer, true});
  specs.push_back({"recurrent_kernel", {options_.units, width}, options_.recurrent_initializer, true});
  if (options_.use_bias) specs.push_back({"bias", bias_shape(), bias_initializer(), true});
  return specs;
}

void Recurrent::bind(const std::vector<float*>& values, const std::vector<float*>& grads) {
  W_ = values.at(0);
  U_ = values.at(1);
  dW_ = grads.at(0);
  dU_ = grads.at(1);
  if (options_.use_bias) {
    b_ = values.at(2);
    db_ = grads.at(2);
  }
}

void Recurrent::reserve(std::int64_t batch) {
  const auto rows = static_cast<std::size_t>(batch * steps_);
  const auto units = static_cast<std::size_t>(options_.units);
  z_.resize(rows * static_cast<std::size_t>(gates_) * units);
  h_prev_.resize(rows * units);
  if (options_.recurrent_dropout > 0.0f) h_dropped_.resize(rows * units);
  if (options_.dropout > 0.0f) x_dropped_.resize(rows * static_cast<std::size_t>(features_));
  h_last_.resize(static_cast<std::size_t>(batch) * units);
  input_mask_.resize(static_cast<std::size_t>(batch * features_));
  recurrent_mask_.resize(static_cast<std::size_t>(batch) * units);
  dh_.resize(static_cast<std::size_t>(batch) * units);
  dh_prev_.resize(static_cast<std::size_t>(batch) * units);
  dh_direct_.resize(static_cast<std::size_t>(batch) * units);
  if (options_.use_bias) bias_sums_.resize(static_cast<std::size_t>(batch * bias_gradient_sources() * gates_) * units);
  reserve_cell(batch);
}

void Recurrent::draw_dropout_mask(std::uint64_t key, std::uint64_t step, float rate, std::int64_t n,
                                  float* mask) const {
  const float keep = 1.0f / (1.0f - rate);
  for (std::int64_t i = 0; i < n; ++i)
    mask[i] = rng::to_unit_float(rng::philox_block(key, step, static_cast<std::uint64_t>(i))[0]) >= rate ? keep : 0.0f;
}

float* Recurrent::hd_rows(std::int64_t t) {
  return (dropping_state_ ? h_dropped_.data() : h_prev_.data()) + t * options_.units;
}

void Recurrent::forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) {
  const std::int64_t T = steps_, F = features_, units = options_.units, width = gates_ * units;
  dropping_inputs_ = ctx.training && options_.dropout > 0.0f;
  dropping_state_ = ctx.training && options_.recurrent_dropout > 0.0f;

  // 1. Input dropout: one mask per sequence, the same at every step.
  const float* xd = x;
  if (dropping_inputs_) {
    draw_dropout_mask(rng::derive_key(rng_key_, 1), ctx.step, options_.dropout, batch * F, input_mask_.data());
    float* out = x_dropped_.data();
    const float* m = input_mask_.data();
    parallel_for(0, batch, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t n = b; n < e; ++n)
        for (std::int64_t t = 0; t < T; ++t)
          for (std::int64_t f = 0; f < F; ++f) out[(n * T + t) * F + f] = x[(n * T + t) * F + f] * m[n * F + f];
    });
    xd = out;
  }
  if (dropping_state_)
    draw_dropout_mask(rng::derive_key(rng_key_, 2), ctx.step, options_.recurrent_dropout, batch * units,
                      recurrent_mask_.data());

  // 2. Input projections of every step: one GEMM over batch*T rows, plus the input bias.
  const std::int64_t rows = batch * T;
  // The input bias (GRU: row 0 of its (2, 3u) bias) rides in the GEMM's epilogue, added to each
  // tile in cache (the same bits as a pass of z += b afterwards).
  gemm(false, false, rows, width, F, 1.0f, xd, F, W_, width, 0.0f, z_.data(), width, GemmEpilogue{b_, false});

  // 3. The time loop, each thread on its own samples. The state before step 0 is zero.
  U_packed_.pack(false, units, width, U_, width);
  float* h_prev = h_prev_.data();
  parallel_for(0, batch, kMinRowsPerThread, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t n = begin; n < end; ++n)
      std::memset(h_prev + (n * T + time_of(0)) * units, 0, static_cast<std::size_t>(units) * sizeof(float));
    for (std::int64_t s = 0; s < T; ++s) {
      StepRows step;
      step.begin = begin;
      step.end = end;
      step.t = time_of(s);
      step.previous = s == 0 ? -1 : time_of(s - 1);
      if (s + 1 < T) {
        step.h_next = h_prev + time_of(s + 1) * units;
        step.h_next_stride = T * units;
      } else {
        step.h_next = h_last_.data();
        step.h_next_stride = units;
      }
      // (At s = 0 this writes zeros: the state before the first step is zero. The dU GEMM of
      // the backward pass reads those rows.)
      if (dropping_state_) {
        const float* m = recurrent_mask_.data();
        float* hd = h_dropped_.data();
        for (std::int64_t n = begin; n < end; ++n)
          for (std::int64_t j = 0; j < units; ++j)
            hd[(n * T + step.t) * units + j] = h_prev[(n * T + step.t) * units + j] * m[n * units + j];
      }
      step_forward(step);
    }
  });

  // 4. Outputs: the state after each step (in processing order), or the last one.
  if (!options_.return_sequences) {
    std::memcpy(y, h_last_.data(), static_cast<std::size_t>(batch * units) * sizeof(float));
    return;
  }
  parallel_for(0, batch, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t n = b; n < e; ++n)
      for (std::int64_t s = 0; s < T; ++s) {
        float* out = y + (n * T + s) * units;
        const float* state = s + 1 < T ? h_prev + (n * T + time_of(s + 1)) * units : h_last_.data() + n * units;
        if (options_.zero_output_for_mask && masked(n, time_of(s)))
          std::memset(out, 0, static_cast<std::size_t>(units) * sizeof(float));
        else
          std::memcpy(out, state, static_cast<std::size_t>(units) * sizeof(float));
      }
  });
}

// bias_sums_ row (n, source) += the source's row (n, t), for the step's samples, right after
// step_backward wrote them. Each sample's sum runs over its steps in the loop's order, on the
// one thread that owns the sample: the same bits for any thread count.
void Recurrent::accumulate_bias_gradient(const StepRows& step) {
  const std::int64_t width = gates_ * options_.units, sources = bias_gradient_sources();
  ProfileScope profile(ProfiledKernel::bias_gradient, static_cast<double>((step.end - step.begin) * sources * width),
                       8.0 * static_cast<double>((step.end - step.begin) * sources * width));
  for (std::int64_t source = 0; source < sources; ++source) {
    const float* rows = bias_gradient_source(source);
    for (std::int64_t n = step.begin; n < step.end; ++n) {
      float* __restrict sum = bias_sums_.data() + (n * sources + source) * width;
      const float* __restrict in = rows + (n * steps_ + step.t) * width;
      for (std::int64_t j = 0; j < width; ++j) sum[j] += in[j];
    }
  }
}

// db = the samples' sums, added in sample order.
void Recurrent::finish_bias_gradient(std::int64_t batch) {
  const std::int64_t width = gates_ * options_.units, sources = bias_gradient_sources();
  ProfileScope profile(ProfiledKernel::bias_gradient, static_cast<double>(batch * sources * width),
                       4.0 * static_cast<double>(batch * sources * width));
  for (std::int64_t source = 0; source < sources; ++source) {
    float* out = db_ + source * width;
    for (std::int64_t j = 0; j < width; ++j) out[j] = 0.0f;
    for (std::int64_t n = 0; n < batch; ++n) {
      const float* sum = bias_sums_.data() + (n * sources + source) * width;
      for (std::int64_t j = 0; j < width; ++j) out[j] += sum[j];
    }
  }
}

void Recurrent::backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) {
  const std::int64_t T = steps_, F = features_, units = options_.units, width = gates_ * units;
  // Every step multiplies by U^T: pack it once for the whole loop.
  U_transposed_packed_.pack(true, width, units, U_, width);
  begin_backward(batch);
  // The time loop backwards, each thread on its own samples (as in forward).
  parallel_for(0, batch, kMinRowsPerThread, [&](std::int64_t begin, std::int64_t end) {
    float* dh = dh_.data();  // dL/d(state after step s), rows [begin, end)
    float* dh_prev = dh_prev_.data();
    const auto bytes = static_cast<std::size_t>(units) * sizeof(float);
    for (std::int64_t n = begin; n < end; ++n) {
      if (options_.return_sequences)
        std::memset(dh + n * units, 0, bytes);
      else
        std::memcpy(dh + n * units, dy + n * units, bytes);
    }
    if (db_ != nullptr) {
      const std::int64_t sums = bias_gradient_sources() * width;
      std::memset(bias_sums_.data() + begin * sums, 0, static_cast<std::size_t>((end - begin) * sums) * sizeof(float));
    }
    for (std::int64_t s = T - 1; s >= 0; --s) {
      StepRows step;
      step.begin = begin;
      step.end = end;
      step.t = time_of(s);
      step.previous = s == 0 ? -1 : time_of(s - 1);
      if (options_.return_sequences) {
        for (std::int64_t n = begin; n < end; ++n) {
          if (options_.zero_output_for_mask && masked(n, step.t)) continue;  // a constant 0 output
          const float* g = dy + (n * T + s) * units;
          for (std::int64_t j = 0; j < units; ++j) dh[n * units + j] += g[j];
        }
      }
      const bool direct = step_backward(step, dh, dh_direct_.data());
      if (db_ != nullptr) accumulate_bias_gradient(step);
      if (s == 0) break;  // no gradient for the (zero) initial state
      // dL/dh_prev = dZ_recurrent U^T (times the recurrent mask) + the direct part; at a masked
      // row the state was carried, so the gradient passes through unchanged.
      gemm_prepacked(false, end - begin, 1.0f, recurrent_gradient() + (begin * T + step.t) * width, T * width,
                     U_transposed_packed_, 0.0f, dh_prev + begin * units, units);
      const float* rmask = recurrent_mask_.data();
      const float* dd = dh_direct_.data();
      for (std::int64_t n = begin; n < end; ++n) {
        float* out = dh_prev + n * units;
        const float* in = dh + n * units;
        if (masked(n, step.t)) {
          std::memcpy(out, in, bytes);
          continue;
        }
        if (dropping_state_)
          for (std::int64_t j = 0; j < units; ++j) out[j] *= rmask[n * units + j];
        if (direct)
          for (std::int64_t j = 0; j < units; ++j) out[j] += dd[n * units + j];
      }
      std::swap(dh, dh_prev);
    }
  });

  // Weight gradients over all batch*T rows at once.
  const std::int64_t rows = batch * T;
  const float* xd = dropping_inputs_ ? x_dropped_.data() : x;
  gemm(true, false, F, width, rows, 1.0f, xd, F, z_.data(), width, 0.0f, dW_, width);
  // Rows of the first step multiply a zero state: their h rows are zero, so they add nothing.
  const float* hd = dropping_state_ ? h_dropped_.data() : h_prev_.data();
  gemm(true, false, units, width, rows, 1.0f, hd, units, recurrent_gradient(), width, 0.0f, dU_, width);
  if (db_ != nullptr) finish_bias_gradient(batch);
  if (dx == nullptr) return;
  gemm(false, true, rows, F, width, 1.0f, z_.data(), width, W_, width, 0.0f, dx, F);
  if (dropping_inputs_) {
    const float* m = input_mask_.data();
    for (std::int64_t n = 0; n < batch; ++n)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t f = 0; f < F; ++f) dx[(n * T + t) * F + f] *= m[n * F + f];
  }
}

}  // namespace gradstep
