#include "layers/dropout.hpp"

#include "core/profile.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/cpu.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "kernels/dropout_isa.hpp"

namespace gradstep {

Dropout::Dropout(float rate, bool has_seed, std::uint64_t seed) : rate_(rate), has_seed_(has_seed), seed_(seed) {
  if (!(rate >= 0.0f && rate < 1.0f))
    throw std::invalid_argument("Dropout: rate must be in [0, 1), got " + std::to_string(rate));
  if (has_seed_) rng_key_ = rng::derive_key(seed_, 0xD50u);
}

void Dropout::set_rng_key(std::uint64_t key) {
  if (!has_seed_) rng_key_ = key;
}

Shape Dropout::build(const Shape& input_shape) {
  input_shape_ = output_shape_ = input_shape;
  built_ = true;
  return output_shape_;
}

void Dropout::reserve(std::int64_t batch) { mask_.resize(static_cast<std::size_t>(batch * input_size())); }

void Dropout::forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) {
  const std::int64_t n = batch * input_size();
  ProfileScope profile(ProfiledKernel::dropout, static_cast<double>(n), 12.0 * static_cast<double>(n));
  last_training_ = ctx.training && rate_ > 0.0f;
  if (!last_training_) {
    std::memcpy(y, x, static_cast<std::size_t>(n) * sizeof(float));
    return;
  }
  const float scale = 1.0f / (1.0f - rate_);
  const std::uint64_t key = rng_key_;
  const std::uint64_t step = ctx.step;
  float* mask = mask_.data();
  // Work in blocks of 4 elements: one Philox block gives the 4 uniforms of elements 4k..4k+3.
  const std::int64_t blocks = (n + 3) / 4;
  [[maybe_unused]] const Isa isa = active_isa();
  parallel_for(0, blocks, 2048, [&](std::int64_t b, std::int64_t e) {
    std::int64_t k = b;
#if GRADSTEP_X86
    // 16 (AVX-512) or 8 (AVX2) blocks per vector, bitwise the same masks (kernels/dropout_avx*.cpp);
    // the scalar loop below finishes the chunk.
    if (isa == Isa::avx512)
      k = kernels::dropout_forward_avx512(key, step, b, e, n, rate_, scale, x, y, mask);
    else if (isa == Isa::avx2)
      k = kernels::dropout_forward_avx2(key, step, b, e, n, rate_, scale, x, y, mask);
#endif
    for (; k < e; ++k) {
      const auto bits = rng::philox_block(key, step, static_cast<std::uint64_t>(k));
      for (int lane = 0; lane < 4; ++lane) {
        const std::int64_t i = 4 * k + lane;
        if (i >= n) break;
        const float keep = rng::to_unit_float(bits[lane]) >= rate_ ? scale : 0.0f;
        mask[i] = keep;
        y[i] = x[i] * keep;
      }
    }
  });
}

void Dropout::backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) {
  if (dx == nullptr) return;
  const std::int64_t n = batch * input_size();
  ProfileScope profile(ProfiledKernel::dropout, static_cast<double>(n), 12.0 * static_cast<double>(n));
  if (!last_training_) {
    std::memcpy(dx, dy, static_cast<std::size_t>(n) * sizeof(float));
    return;
  }
  const float* mask = mask_.data();
  parallel_for(0, n, 1 << 15, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) dx[i] = dy[i] * mask[i];
  });
}

}  // namespace gradstep
