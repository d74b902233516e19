#include "losses/cross_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gradstep {

namespace {

constexpr float kEps = kProbabilityEpsilon;

inline float clip_probability(float p) { return std::min(std::max(p, kEps), 1.0f - kEps); }

inline float sigmoid(float z) {
  if (z >= 0.0f) return 1.0f / (1.0f + std::exp(-z));
  const float e = std::exp(z);
  return e / (1.0f + e);
}

// Categorical CE of one row from logits, for a dense target t or a one-hot `label` (t null).
// Works relative to the row maximum m: log-softmax_j = (z_j - m) - log(sum_k e^{z_k - m}), so
// nothing overflows and no precision is lost to the magnitude of m (logits of 1e4 included).
double categorical_from_logits(const float* z, const float* t, std::int64_t label, std::int64_t cols, float gf,
                               float* g) {
  float m = z[0];
  for (std::int64_t j = 1; j < cols; ++j) m = std::max(m, z[j]);
  // e^{z_j - m} is needed twice (the sum, then the gradient): narrow rows keep it on the stack
  // instead of calling exp again (same values, so the same results bit for bit).
  constexpr std::int64_t kCached = 64;
  double cached[kCached];
  const bool cache = g != nullptr && cols <= kCached;
  double sum = 0.0;
  for (std::int64_t j = 0; j < cols; ++j) {
    const double e = std::exp(static_cast<double>(z[j] - m));
    if (cache) cached[j] = e;
    sum += e;
  }
  const double log_sum = std::log(sum);
  double loss = 0.0, t_sum = 0.0;
  if (t != nullptr) {
    for (std::int64_t j = 0; j < cols; ++j) {
      if (t[j] == 0.0f) continue;
      t_sum += t[j];
      loss += static_cast<double>(t[j]) * (log_sum - static_cast<double>(z[j] - m));
    }
  } else {
    t_sum = 1.0;
    loss = log_sum - static_cast<double>(z[label] - m);
  }
  if (g != nullptr) {
    const double scale = t_sum / sum;
    for (std::int64_t j = 0; j < cols; ++j) {
      const float target = t != nullptr ? t[j] : (j == label ? 1.0f : 0.0f);
      const double e = cache ? cached[j] : std::exp(static_cast<double>(z[j] - m));
      g[j] = gf * (static_cast<float>(e * scale) - target);
    }
  }
  return loss;
}

// Categorical CE of one row from probabilities, Keras style: q = p / sum(p), clipped, -sum t log q.
double categorical_from_probabilities(const float* p, const float* t, std::int64_t label, std::int64_t cols, float gf,
                                      float* g) {
  double sum = 0.0;
  for (std::int64_t j = 0; j < cols; ++j) sum += p[j];
  const float inv_sum = static_cast<float>(1.0 / sum);
  double loss = 0.0;
  // dl/dq_j = -t_j / q_j inside the clip range (0 outside); then through q = p/S:
  // dl/dp_k = (dl/dq_k - sum_j dl/dq_j q_j) / S.
  double weighted = 0.0;
  for (std::int64_t j = 0; j < cols; ++j) {
    const float target = t != nullptr ? t[j] : (j == label ? 1.0f : 0.0f);
    if (target == 0.0f) continue;
    const float q = p[j] * inv_sum;
    const float qc = clip_probability(q);
    loss -= target * std::log(static_cast<double>(qc));
    if (q > kEps && q < 1.0f - kEps) weighted += -static_cast<double>(target);  // (-t/q) * q
  }
  if (g != nullptr) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const float target = t != nullptr ? t[j] : (j == label ? 1.0f : 0.0f);
      const float q = p[j] * inv_sum;
      const float dq = (target != 0.0f && q > kEps && q < 1.0f - kEps) ? -target / q : 0.0f;
      g[j] = gf * inv_sum * (dq - static_cast<float>(weighted));
    }
  }
  return loss;
}

std::int64_t label_of(const float* t, std::int64_t cols) {
  const float v = t[0];
  const auto label = static_cast<std::int64_t>(v);
  if (!(v >= 0.0f) || static_cast<float>(label) != v || label >= cols)
    throw std::invalid_argument("SparseCategoricalCrossentropy: label " + std::to_string(v) +
                                " is not an integer in [0, " + std::to_string(cols) + ")");
  return label;
}

}  // namespace

double BinaryCrossentropy::row(const float* p, const float* t, std::int64_t cols, float gf, float* g,
                               bool fused) const {
  double s = 0.0;
  const float scale = gf / static_cast<float>(cols);
  if (from_logits_ || fused) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const float z = p[j];
      s += std::max(z, 0.0f) - z * t[j] + std::log1p(std::exp(-std::fabs(z)));
      if (g) g[j] = scale * (sigmoid(z) - t[j]);
    }
  } else {
    for (std::int64_t j = 0; j < cols; ++j) {
      const float q = clip_probability(p[j]);
      s -= t[j] * std::log(static_cast<double>(q)) + (1.0f - t[j]) * std::log(1.0 - q);
      if (g) g[j] = (p[j] > kEps && p[j] < 1.0f - kEps) ? scale * (q - t[j]) / (q * (1.0f - q)) : 0.0f;
    }
  }
  return s / static_cast<double>(cols);
}

double CategoricalCrossentropy::row(const float* p, const float* t, std::int64_t cols, float gf, float* g,
                                    bool fused) const {
  if (from_logits_ || fused) return categorical_from_logits(p, t, -1, cols, gf, g);
  return categorical_from_probabilities(p, t, -1, cols, gf, g);
}

double SparseCategoricalCrossentropy::row(const float* p, const float* t, std::int64_t cols, float gf, float* g,
                                          bool fused) const {
  const std::int64_t label = label_of(t, cols);
  if (from_logits_ || fused) return categorical_from_logits(p, nullptr, label, cols, gf, g);
  return categorical_from_probabilities(p, nullptr, label, cols, gf, g);
}

}  // namespace gradstep
