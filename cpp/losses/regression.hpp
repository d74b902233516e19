// Regression losses (per row: a mean over the last axis).
//   MeanSquaredError:   mean (p - t)^2                 d/dp = 2 (p - t) / cols
//   MeanAbsoluteError:  mean |p - t|                   d/dp = sign(p - t) / cols
//   Huber(delta):       mean of 0.5 e^2 if |e| <= delta else delta*|e| - 0.5 delta^2,  e = p - t
//                       d/dp = e if |e| <= delta else delta*sign(e), over cols
#pragma once

#include "losses/loss.hpp"

namespace gradstep {

class MeanSquaredError : public Loss {
 public:
  std::string class_name() const override { return "MeanSquaredError"; }

 protected:
  double row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool) const override;
};

class MeanAbsoluteError : public Loss {
 public:
  std::string class_name() const override { return "MeanAbsoluteError"; }

 protected:
  double row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool) const override;
};

class Huber : public Loss {
 public:
  explicit Huber(float delta);
  std::string class_name() const override { return "Huber"; }
  float delta() const { return delta_; }

 protected:
  double row(const float* p, const float* t, std::int64_t cols, float gf, float* g, bool) const override;

 private:
  float delta_;
};

}  // namespace gradstep
