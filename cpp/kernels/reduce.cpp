#include "kernels/reduce.hpp"

#include "core/profile.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/parallel.hpp"

namespace gradstep {

void column_sums(std::int64_t rows, std::int64_t cols, const float* x, float* out) {
  ProfileScope profile(ProfiledKernel::bias_gradient, static_cast<double>(rows * cols),
                       4.0 * static_cast<double>(rows * cols + cols));
  // Work per column is `rows` adds; chunk columns so each thread gets enough of them.
  const std::int64_t grain = std::max<std::int64_t>(16, (1 << 15) / std::max<std::int64_t>(rows, 1));
  parallel_for(0, cols, grain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t j = b; j < e; ++j) out[j] = 0.0f;
    // Row-major walk (contiguous reads) accumulating into the chunk of out: same per-column
    // order (row 0, 1, 2, ...) as a column walk, but cache friendly.
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * cols;
      for (std::int64_t j = b; j < e; ++j) out[j] += xr[j];
    }
  });
}

void blocked_column_sums(std::int64_t rows, std::int64_t cols, const float* x, float* out, float* partials) {
  ProfileScope profile(ProfiledKernel::bias_gradient, static_cast<double>(rows * cols),
                       4.0 * static_cast<double>(rows * cols + cols));
  const std::int64_t blocks = column_sum_blocks(rows);
  parallel_for(0, blocks, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t block = b; block < e; ++block) {
      float* sums = partials + block * cols;
      for (std::int64_t j = 0; j < cols; ++j) sums[j] = 0.0f;
      const std::int64_t r1 = std::min(rows, (block + 1) * kColumnSumBlockRows);
      for (std::int64_t r = block * kColumnSumBlockRows; r < r1; ++r) {
        const float* xr = x + r * cols;
        for (std::int64_t j = 0; j < cols; ++j) sums[j] += xr[j];
      }
    }
  });
  for (std::int64_t j = 0; j < cols; ++j) out[j] = 0.0f;
  for (std::int64_t block = 0; block < blocks; ++block)
    for (std::int64_t j = 0; j < cols; ++j) out[j] += partials[block * cols + j];
}

bool all_finite(std::int64_t n, const float* x) {
  // Exponent bits all ones <=> inf or NaN. Counting them with integer compares vectorises at the
  // x86-64 baseline (a float reduction would not without -ffast-math); blocks of 4096 let a
  // chunk stop early once a bad value is seen anywhere.
  constexpr std::int64_t kBlock = 4096;
  std::atomic<bool> bad{false};
  parallel_for(0, n, 1 << 18, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t start = b; start < e && !bad.load(std::memory_order_relaxed); start += kBlock) {
      const std::int64_t stop = std::min(e, start + kBlock);
      std::int32_t count = 0;
      for (std::int64_t i = start; i < stop; ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, x + i, sizeof bits);
        count += (bits & 0x7f800000u) == 0x7f800000u;
      }
      if (count != 0) bad.store(true, std::memory_order_relaxed);
    }
  });
  return !bad.load();
}

double sum_of_squares(std::int64_t n, const float* x) {
  double s = 0.0;
  for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

}  // namespace gradstep
