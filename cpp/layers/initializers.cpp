#include "layers/initializers.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/rng.hpp"

namespace gradstep {

namespace {

Initializer variance_scaling(float scale, Initializer::Mode mode, Initializer::Distribution dist) {
  Initializer init;
  init.kind = Initializer::Kind::variance_scaling;
  init.scale = scale;
  init.mode = mode;
  init.distribution = dist;
  return init;
}

// Keras' fan computation: a kernel (..., fan_in, fan_out) with a receptive field of prod(...).
void compute_fans(const Shape& shape, double& fan_in, double& fan_out) {
  if (shape.empty()) {
    fan_in = fan_out = 1.0;
  } else if (shape.size() == 1) {
    fan_in = fan_out = static_cast<double>(shape[0]);
  } else {
    double receptive = 1.0;
    for (std::size_t i = 0; i + 2 < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
    fan_in = static_cast<double>(shape[shape.size() - 2]) * receptive;
    fan_out = static_cast<double>(shape[shape.size() - 1]) * receptive;
  }
}

// Normal truncated at two standard deviations by redrawing (Keras' truncated_normal).
double truncated_standard_normal(std::uint64_t key, std::uint64_t index) {
  for (std::uint32_t attempt = 0; attempt < 1000; ++attempt) {
    const double z = rng::normal(key, /*stream=*/1, index, attempt);
    if (std::fabs(z) <= 2.0) return z;
  }
  return 0.0;  // unreachable in practice: P(|z| > 2) ~ 0.0455 per attempt
}

// Keras' Orthogonal (Saxe et al., "Exact solutions to the nonlinear dynamics of learning in deep
// linear neural networks", 2014): the kernel viewed as (rows = prod(shape[:-1]), cols), a
// standard-normal matrix of shape (max, min) orthonormalised by QR with the signs fixed so that R
// has a positive diagonal, transposed when rows < cols, times `gain`. Rows (or columns) are then
// orthonormal: a recurrent kernel neither grows nor shrinks the state at initialisation.
// Modified Gram-Schmidt in double gives that Q directly (its R has a positive diagonal).
void fill_orthogonal(const Shape& shape, std::uint64_t key, float gain, float* out) {
  const std::int64_t n = shape_size(shape);
  if (n == 0) return;
  const std::int64_t cols = shape.empty() ? 1 : shape.back();
  const std::int64_t rows = n / cols;
  const std::int64_t tall = std::max(rows, cols), narrow = std::min(rows, cols);
  // q is column-major: column j is q[j * tall .. (j + 1) * tall).
  std::vector<double> q(static_cast<std::size_t>(tall * narrow));
  for (std::int64_t i = 0; i < tall * narrow; ++i) q[i] = rng::normal(key, 1, static_cast<std::uint64_t>(i));
  for (std::int64_t j = 0; j < narrow; ++j) {
    double* qj = q.data() + j * tall;
    for (std::int64_t k = 0; k < j; ++k) {
      const double* qk = q.data() + k * tall;
      double dot = 0.0;
      for (std::int64_t i = 0; i < tall; ++i) dot += qk[i] * qj[i];
      for (std::int64_t i = 0; i < tall; ++i) qj[i] -= dot * qk[i];
    }
    double norm = 0.0;
    for (std::int64_t i = 0; i < tall; ++i) norm += qj[i] * qj[i];
    norm = std::sqrt(norm);
    for (std::int64_t i = 0; i < tall; ++i) qj[i] = norm > 0.0 ? qj[i] / norm : 0.0;
  }
  // rows >= cols: out[r][c] = q[r][c] (Q is rows x cols); otherwise out = Q^T (Q is cols x rows).
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      const double v = rows >= cols ? q[c * tall + r] : q[r * tall + c];
      out[r * cols + c] = static_cast<float>(gain * v);
    }
}

}  // namespace

Initializer Initializer::from_name(const std::string& name) {
  Initializer init;
  if (name == "zeros") {
    init.kind = Kind::zeros;
  } else if (name == "ones") {
    init.kind = Kind::ones;
  } else if (name == "random_uniform") {
    init.kind = Kind::random_uniform;
  } else if (name == "random_normal") {
    init.kind = Kind::random_normal;
  } else if (name == "truncated_normal") {
    init.kind = Kind::truncated_normal;
  } else if (name == "glorot_uniform") {
    init = variance_scaling(1.0f, Mode::fan_avg, Distribution::uniform);
  } else if (name == "glorot_normal") {
    init = variance_scaling(1.0f, Mode::fan_avg, Distribution::truncated_normal);
  } else if (name == "he_uniform") {
    init = variance_scaling(2.0f, Mode::fan_in, Distribution::uniform);
  } else if (name == "he_normal") {
    init = variance_scaling(2.0f, Mode::fan_in, Distribution::truncated_normal);
  } else if (name == "lecun_uniform") {
    init = variance_scaling(1.0f, Mode::fan_in, Distribution::uniform);
  } else if (name == "lecun_normal") {
    init = variance_scaling(1.0f, Mode::fan_in, Distribution::truncated_normal);
  } else if (name == "orthogonal") {
    init.kind = Kind::orthogonal;
    init.scale = 1.0f;
  } else {
    throw std::invalid_argument("initializer: unknown name '" + name +
                                "'; expected one of zeros, ones, constant, random_uniform, random_normal, "
                                "truncated_normal, glorot_uniform, glorot_normal, he_uniform, he_normal, "
                                "lecun_uniform, lecun_normal, orthogonal");
  }
  return init;
}

void Initializer::fill(const Shape& shape, std::uint64_t key, float* out) const {
  fill_values(shape, key, out);
  const std::int64_t n = shape_size(shape);
  for (std::int64_t i = std::max<std::int64_t>(ones_from, 0); i < std::min(ones_to, n); ++i) out[i] = 1.0f;
}

void Initializer::fill_values(const Shape& shape, std::uint64_t key, float* out) const {
  const std::int64_t n = shape_size(shape);
  if (has_seed) key = rng::derive_key(seed, 0x5EED);
  switch (kind) {
    case Kind::zeros:
      for (std::int64_t i = 0; i < n; ++i) out[i] = 0.0f;
      return;
    case Kind::ones:
      for (std::int64_t i = 0; i < n; ++i) out[i] = 1.0f;
      return;
    case Kind::constant:
      for (std::int64_t i = 0; i < n; ++i) out[i] = value;
      return;
    case Kind::random_uniform:
      for (std::int64_t i = 0; i < n; ++i) out[i] = minval + (maxval - minval) * rng::uniform(key, 0, i);
      return;
    case Kind::random_normal:
      for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(mean + stddev * rng::normal(key, 1, i));
      return;
    case Kind::truncated_normal:
      for (std::int64_t i = 0; i < n; ++i)
        out[i] = static_cast<float>(mean + stddev * truncated_standard_normal(key, i));
      return;
    case Kind::variance_scaling: {
      double fan_in, fan_out;
      compute_fans(shape, fan_in, fan_out);
      const double fan = mode == Mode::fan_in ? fan_in : mode == Mode::fan_out ? fan_out : (fan_in + fan_out) / 2.0;
      const double variance = scale / std::max(1.0, fan);
      if (distribution == Distribution::uniform) {
        const double limit = std::sqrt(3.0 * variance);
        for (std::int64_t i = 0; i < n; ++i)
          out[i] = static_cast<float>(-limit + 2.0 * limit * rng::uniform(key, 0, i));
      } else if (distribution == Distribution::untruncated_normal) {
        const double sd = std::sqrt(variance);
        for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(sd * rng::normal(key, 1, i));
      } else {
        // 0.8796... is the standard deviation of a unit normal truncated at +-2 (Keras' constant).
        const double sd = std::sqrt(variance) / 0.87962566103423978;
        for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(sd * truncated_standard_normal(key, i));
      }
      return;
    }
    case Kind::orthogonal:
      fill_orthogonal(shape, key, scale, out);
      return;
  }
}

}  // namespace gradstep
