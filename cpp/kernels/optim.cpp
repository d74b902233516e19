#include "kernels/optim.hpp"

#include <algorithm>
#include <cmath>

#include "core/cpu.hpp"
#include "kernels/optim_isa.hpp"

namespace gradstep {
namespace optim {

void decay(std::int64_t n, float* w, float lr_times_wd) {
  for (std::int64_t i = 0; i < n; ++i) w[i] -= w[i] * lr_times_wd;
}

void scale(std::int64_t n, float* g, float factor) {
  for (std::int64_t i = 0; i < n; ++i) g[i] *= factor;
}

void clip_values(std::int64_t n, float* g, float limit) {
  for (std::int64_t i = 0; i < n; ++i) g[i] = std::min(std::max(g[i], -limit), limit);
}

void sgd(std::int64_t n, float* w, const float* g, float lr) {
  for (std::int64_t i = 0; i < n; ++i) w[i] -= lr * g[i];
}

void sgd_momentum(std::int64_t n, float* w, const float* g, float* m, float lr, float momentum, bool nesterov) {
  if (nesterov) {
    for (std::int64_t i = 0; i < n; ++i) {
      m[i] = momentum * m[i] - lr * g[i];
      w[i] += momentum * m[i] - lr * g[i];
    }
  } else {
    for (std::int64_t i = 0; i < n; ++i) {
      m[i] = momentum * m[i] - lr * g[i];
      w[i] += m[i];
    }
  }
}

void rmsprop(std::int64_t n, float* w, const float* g, float* v, float* average_grad, float* mom, float lr, float rho,
             float momentum, float eps) {
  for (std::int64_t i = 0; i < n; ++i) {
    v[i] = rho * v[i] + (1.0f - rho) * g[i] * g[i];
    float denom;
    if (average_grad != nullptr) {
      average_grad[i] = rho * average_grad[i] + (1.0f - rho) * g[i];
      denom = v[i] - average_grad[i] * average_grad[i] + eps;
    } else {
      denom = v[i] + eps;
    }
    const float increment = lr * g[i] / std::sqrt(denom);
    if (mom != nullptr) {
      mom[i] = momentum * mom[i] + increment;
      w[i] -= mom[i];
    } else {
      w[i] -= increment;
    }
  }
}

void adam(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_hat, float alpha, float beta_1,
          float beta_2, float eps) {
  const float one_minus_b1 = 1.0f - beta_1;
  const float one_minus_b2 = 1.0f - beta_2;
  std::int64_t i = 0;
#if GRADSTEP_X86
  // Same operations in the same order, 8 lanes wide (bitwise identical results).
  if (active_isa() != Isa::generic) i = adam_avx2(n, w, g, m, v, v_hat, alpha, beta_1, beta_2, eps);
#endif
  for (; i < n; ++i) {
    m[i] += (g[i] - m[i]) * one_minus_b1;
    v[i] += (g[i] * g[i] - v[i]) * one_minus_b2;
    float second = v[i];
    if (v_hat != nullptr) {
      v_hat[i] = std::max(v_hat[i], v[i]);
      second = v_hat[i];
    }
    w[i] -= (m[i] * alpha) / (std::sqrt(second) + eps);
  }
}

void adam_squares(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_hat, float alpha, float beta_1,
                  float beta_2, float eps, float lr_times_wd, kernels::NormLanes& squares) {
  const float one_minus_b1 = 1.0f - beta_1;
  const float one_minus_b2 = 1.0f - beta_2;
  std::int64_t i = 0;
#if GRADSTEP_X86
  if (active_isa() != Isa::generic)
    i = adam_squares_avx2(n, w, g, m, v, v_hat, alpha, beta_1, beta_2, eps, lr_times_wd, squares);
#endif
  for (; i < n; ++i) {
    const int lane = static_cast<int>(i % kernels::kNormLanes);
    const float before = w[i];
    float wi = before;
    if (lr_times_wd != 0.0f) wi -= wi * lr_times_wd;
    m[i] += (g[i] - m[i]) * one_minus_b1;
    v[i] += (g[i] * g[i] - v[i]) * one_minus_b2;
    float second = v[i];
    if (v_hat != nullptr) {
      v_hat[i] = std::max(v_hat[i], v[i]);
      second = v_hat[i];
    }
    wi -= (m[i] * alpha) / (std::sqrt(second) + eps);
    w[i] = wi;
    const float change = wi - before;
    squares.g[lane] += g[i] * g[i];
    squares.w[lane] += before * before;
    squares.update[lane] += change * change;
  }
}

void sgd_momentum_torch(std::int64_t n, float* w, const float* g, float* v, float lr, float momentum, bool nesterov) {
  if (nesterov) {
    for (std::int64_t i = 0; i < n; ++i) {
      v[i] = momentum * v[i] + g[i];
      w[i] -= lr * (g[i] + momentum * v[i]);
    }
  } else {
    for (std::int64_t i = 0; i < n; ++i) {
      v[i] = momentum * v[i] + g[i];
      w[i] -= lr * v[i];
    }
  }
}

void rmsprop_torch(std::int64_t n, float* w, const float* g, float* v, float* average_grad, float* buf, float lr,
                   float rho, float momentum, float eps) {
  for (std::int64_t i = 0; i < n; ++i) {
    v[i] = rho * v[i] + (1.0f - rho) * g[i] * g[i];
    float denom;
    if (average_grad != nullptr) {
      average_grad[i] += (g[i] - average_grad[i]) * (1.0f - rho);
      denom = std::sqrt(v[i] - average_grad[i] * average_grad[i]) + eps;
    } else {
      denom = std::sqrt(v[i]) + eps;
    }
    if (buf != nullptr) {
      buf[i] = momentum * buf[i] + g[i] / denom;
      w[i] -= lr * buf[i];
    } else {
      w[i] -= lr * (g[i] / denom);
    }
  }
}

void adam_torch(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_max, float step_size,
                float bc2_sqrt, float beta_1, float beta_2, float eps) {
  const float one_minus_b1 = 1.0f - beta_1;
  const float one_minus_b2 = 1.0f - beta_2;
  for (std::int64_t i = 0; i < n; ++i) {
    m[i] += (g[i] - m[i]) * one_minus_b1;
    v[i] = v[i] * beta_2 + one_minus_b2 * g[i] * g[i];
    float second = v[i];
    if (v_max != nullptr) {
      v_max[i] = std::max(v_max[i], v[i]);
      second = v_max[i];
    }
    w[i] -= step_size * (m[i] / (std::sqrt(second) / bc2_sqrt + eps));
  }
}

void adagrad(std::int64_t n, float* w, const float* g, float* acc, float lr, float eps) {
  for (std::int64_t i = 0; i < n; ++i) {
    acc[i] += g[i] * g[i];
    w[i] -= lr * g[i] / std::sqrt(acc[i] + eps);
  }
}

}  // namespace optim
}  // namespace gradstep
