#include "kernels/softmax.hpp"

#include <algorithm>
#include <cmath>

#include "core/parallel.hpp"

namespace gradstep {

namespace {
constexpr std::int64_t kRowGrainElements = 1 << 14;
std::int64_t row_grain(std::int64_t cols) {
  return std::max<std::int64_t>(1, kRowGrainElements / std::max<std::int64_t>(cols, 1));
}
}  // namespace

float logsumexp_row(std::int64_t cols, const float* z) {
  float m = z[0];
  for (std::int64_t j = 1; j < cols; ++j) m = std::max(m, z[j]);
  double s = 0.0;
  for (std::int64_t j = 0; j < cols; ++j) s += std::exp(static_cast<double>(z[j] - m));
  return m + static_cast<float>(std::log(s));
}

void softmax_row(std::int64_t cols, const float* zr, float* yr) {
  float m = zr[0];
  for (std::int64_t j = 1; j < cols; ++j) m = std::max(m, zr[j]);
  float s = 0.0f;
  for (std::int64_t j = 0; j < cols; ++j) {
    yr[j] = std::exp(zr[j] - m);
    s += yr[j];
  }
  const float inv = 1.0f / s;  // s >= 1: the max element contributes exp(0)
  for (std::int64_t j = 0; j < cols; ++j) yr[j] *= inv;
}

void softmax_rows(std::int64_t rows, std::int64_t cols, const float* z, float* y) {
  parallel_for(0, rows, row_grain(cols), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r) softmax_row(cols, z + r * cols, y + r * cols);
  });
}

void log_softmax_rows(std::int64_t rows, std::int64_t cols, const float* z, float* y) {
  parallel_for(0, rows, row_grain(cols), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r) {
      const float lse = logsumexp_row(cols, z + r * cols);
      for (std::int64_t j = 0; j < cols; ++j) y[r * cols + j] = z[r * cols + j] - lse;
    }
  });
}

void softmax_rows_backward(std::int64_t rows, std::int64_t cols, const float* y, const float* dy, float* dz) {
  parallel_for(0, rows, row_grain(cols), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r) {
      const float* yr = y + r * cols;
      const float* dyr = dy + r * cols;
      float* dzr = dz + r * cols;
      float dot = 0.0f;
      for (std::int64_t j = 0; j < cols; ++j) dot += dyr[j] * yr[j];
      for (std::int64_t j = 0; j < cols; ++j) dzr[j] = yr[j] * (dyr[j] - dot);
    }
  });
}

}  // namespace gradstep
