// Cross-entropy losses (Keras 3 semantics).
//
// From probabilities (from_logits=False), as Keras: probabilities are clipped to [eps, 1-eps]
// (eps = 1e-7) before the log, and categorical ones are first renormalised to sum to 1 per row.
// From logits (from_logits=True, or a softmax/sigmoid output layer fused with the loss), the
// log-sum-exp forms below are used: finite for any finite logits, and the gradient is the
// familiar "prediction minus target". The fused form differs from Keras' clipped one only where
// a probability is below 1e-7 (Keras caps the per-row loss near 16.1; the fused loss keeps
// growing, and its gradient does not vanish).
//
//   BinaryCrossentropy:   l = -mean[t log p + (1-t) log(1-p)]
//                         logits: l = mean[max(z,0) - z t + log(1 + e^-|z|)],  dl/dz = (sigmoid(z) - t)/cols
//   CategoricalCrossentropy:  l = -sum t log q,  q = p / sum(p)
//                         logits: l = sum(t) * logsumexp(z) - sum t z,  dl/dz = sum(t) softmax(z) - t
//   SparseCategoricalCrossentropy: as categorical with t = one_hot(label)
#pragma once

#include "losses/loss.hpp"

namespace gradstep {

class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(bool from_logits) : from_logits_(from_logits) {}
  std::string class_name() const override { return "BinaryCrossentropy"; }
  std::string fusable_activation() const override { return from_logits_ ? "" : "sigmoid"; }
  bool from_logits() const { return from_logits_; }

 protected:
  double row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool fused) const override;

 private:
  bool from_logits_;
};

class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(bool from_logits) : from_logits_(from_logits) {}
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  std::string fusable_activation() const override { return from_logits_ ? "" : "softmax"; }
  bool from_logits() const { return from_logits_; }

 protected:
  double row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool fused) const override;

 private:
  bool from_logits_;
};

class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits) : from_logits_(from_logits) {}
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  bool sparse_targets() const override { return true; }
  std::string fusable_activation() const override { return from_logits_ ? "" : "softmax"; }
  bool from_logits() const { return from_logits_; }

 protected:
  double row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool fused) const override;

 private:
  bool from_logits_;
};

}  // namespace gradstep
