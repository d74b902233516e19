// Hinge loss (Keras): labels in {0, 1} are first mapped to {-1, 1} (when every label of the
// batch is 0 or 1); then per row  l = mean max(1 - t p, 0),  d/dp = -t/cols where 1 - t p > 0.
#pragma once

#include "losses/loss.hpp"

namespace gradstep {

class Hinge : public Loss {
 public:
  std::string class_name() const override { return "Hinge"; }

 protected:
  void prepare(const float* y_true, std::int64_t rows, std::int64_t cols) override;
  double row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool) const override;

 private:
  bool binary_labels_ = false;
};

}  // namespace gradstep
