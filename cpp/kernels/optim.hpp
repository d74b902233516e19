// Optimizer update loops over a flat range of parameters. Each rule is element-wise, so the
// model runs one of these over all of its parameters (one flat buffer) in a single parallel
// pass. Formulas are Keras 3's; see cpp/optimizers/ for the papers and conventions.
#pragma once

#include <cstdint>

#include "kernels/norms.hpp"

namespace gradstep {
namespace optim {

// Decoupled weight decay (Loshchilov & Hutter): w -= lr * wd * w.
void decay(std::int64_t n, float* w, float lr_times_wd);

// Gradient clipping helpers.
void scale(std::int64_t n, float* g, float factor);
void clip_values(std::int64_t n, float* g, float limit);

// w -= lr * g
void sgd(std::int64_t n, float* w, const float* g, float lr);
// m = momentum*m - lr*g;  w += m  (nesterov: w += momentum*m - lr*g)
void sgd_momentum(std::int64_t n, float* w, const float* g, float* m, float lr, float momentum, bool nesterov);

// v = rho*v + (1-rho)*g^2;  [centered: a = rho*a + (1-rho)*g;  denom = v - a^2 + eps, else v + eps]
// inc = lr*g/sqrt(denom);  momentum > 0: mom = momentum*mom + inc, w -= mom; else w -= inc
void rmsprop(std::int64_t n, float* w, const float* g, float* v, float* average_grad, float* mom, float lr, float rho,
             float momentum, float eps);

// m += (g-m)*(1-b1);  v += (g^2-v)*(1-b2);  [amsgrad: vhat = max(vhat, v), use vhat]
// w -= alpha*m/(sqrt(v)+eps), alpha = lr*sqrt(1-b2^t)/(1-b1^t) computed by the caller.
void adam(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_hat, float alpha, float beta_1,
          float beta_2, float eps);

// decay(n, w, lr_times_wd) then adam(...), bitwise, in one loop that also adds g^2, w^2 before
// the decay and the step's (w after - w before)^2 to `squares` (the training figures watch the
// step for the price of a few multiply-adds: Adam is bound by its sqrt and division).
void adam_squares(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_hat, float alpha, float beta_1,
                  float beta_2, float eps, float lr_times_wd, kernels::NormLanes& squares);

// PyTorch's rules (convention="torch"; torch.optim.SGD/RMSprop/Adam, dampening 0):
// v = momentum*v + g;  w -= lr*v  (nesterov: w -= lr*(g + momentum*v))
void sgd_momentum_torch(std::int64_t n, float* w, const float* g, float* v, float lr, float momentum, bool nesterov);

// v = rho*v + (1-rho)*g^2;  [centered: a += (g-a)*(1-rho);  denom = sqrt(v - a^2) + eps, else sqrt(v) + eps]
// momentum > 0: buf = momentum*buf + g/denom, w -= lr*buf; else w -= lr*g/denom
void rmsprop_torch(std::int64_t n, float* w, const float* g, float* v, float* average_grad, float* buf, float lr,
                   float rho, float momentum, float eps);

// m += (g-m)*(1-b1);  v = b2*v + (1-b2)*g^2;  [amsgrad: vmax = max(vmax, v), use vmax]
// w -= step_size * m / (sqrt(v)/bc2_sqrt + eps), step_size = lr/(1-b1^t), bc2_sqrt = sqrt(1-b2^t).
void adam_torch(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_max, float step_size,
                float bc2_sqrt, float beta_1, float beta_2, float eps);

// acc += g^2;  w -= lr*g/sqrt(acc + eps)
void adagrad(std::int64_t n, float* w, const float* g, float* acc, float lr, float eps);

}  // namespace optim
}  // namespace gradstep
