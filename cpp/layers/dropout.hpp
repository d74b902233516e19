// Dropout (Srivastava et al., JMLR 2014), inverted form as Keras:
//   training:  keep_i ~ Bernoulli(1 - rate);  y_i = x_i * keep_i / (1 - rate);  dx_i = dy_i * keep_i / (1 - rate)
//   inference: y = x
// The mask of element i at optimizer step t is a pure function of (layer key, t, i) through the
// counter-based RNG (core/rng.hpp): the same for any number of threads, and recomputable.
#pragma once

#include "core/memory.hpp"
#include "layers/layer.hpp"

namespace gradstep {

class Dropout : public Layer {
 public:
  Dropout(float rate, bool has_seed, std::uint64_t seed);
  std::string class_name() const override { return "Dropout"; }

  Shape build(const Shape& input_shape) override;
  void reserve(std::int64_t batch) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;
  void set_rng_key(std::uint64_t key) override;

  // Applied per position of the leading axes, so a time axis and its mask carry through.
  MaskUse mask_use() const override { return MaskUse::pass_through; }

  float rate() const { return rate_; }

 private:
  float rate_;
  bool has_seed_;
  std::uint64_t seed_;
  bool last_training_ = false;
  AlignedBuffer mask_;  // 0 or 1/(1-rate) per element of the last training forward
};

}  // namespace gradstep
