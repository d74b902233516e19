// Weight initialisers (Keras 3 names and formulas). Values are drawn from the counter-based RNG
// keyed by a per-parameter key, element i from counter i: the same key gives the same tensor
// whatever the thread count.
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.hpp"

namespace gradstep {

struct Initializer {
  enum class Kind {
    zeros,
    ones,
    constant,
    random_uniform,
    random_normal,
    truncated_normal,
    variance_scaling,
    orthogonal
  };
  enum class Mode { fan_in, fan_out, fan_avg };
  enum class Distribution { truncated_normal, untruncated_normal, uniform };

  Kind kind = Kind::zeros;
  float value = 0.0f;                     // constant
  float minval = -0.05f, maxval = 0.05f;  // random_uniform
  float mean = 0.0f, stddev = 0.05f;      // random_normal / truncated_normal
  float scale = 1.0f;                     // variance_scaling; the gain of orthogonal
  Mode mode = Mode::fan_in;
  Distribution distribution = Distribution::truncated_normal;
  // After filling, elements [ones_from, ones_to) are set to 1 (LSTM's unit_forget_bias: the forget
  // gate starts open, Jozefowicz et al. 2015).
  std::int64_t ones_from = 0, ones_to = 0;
  bool has_seed = false;  // an explicit seed overrides the model-derived key
  std::uint64_t seed = 0;

  // Keras names: zeros, ones, glorot_uniform, glorot_normal, he_uniform, he_normal,
  // lecun_uniform, lecun_normal, random_uniform, random_normal, truncated_normal, orthogonal.
  static Initializer from_name(const std::string& name);

  // Fill `out` (shape `shape`) using `key` unless the initializer has its own seed.
  void fill(const Shape& shape, std::uint64_t key, float* out) const;

 private:
  void fill_values(const Shape& shape, std::uint64_t key, float* out) const;
};

}  // namespace gradstep
