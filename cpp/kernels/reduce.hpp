// Reductions with a fixed summation order, so results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace gradstep {

// out[j] = sum_r x[r*cols + j]  (bias gradients). Parallel over columns: each column is summed
// by one thread, top to bottom.
void column_sums(std::int64_t rows, std::int64_t cols, const float* x, float* out);

// Column sums of a tall, narrow matrix (convolution outputs: many pixels, few channels), where
// splitting by columns leaves each thread short rows. The rows are cut into fixed blocks of
// kColumnSumBlockRows (by the data, never by the threads); each block's sums go to its own row
// of `partials` in parallel, then the partials are added in block order: the same bits for any
// thread count (not those of column_sums: the order of additions differs). partials holds
// column_sum_blocks(rows) * cols floats.
constexpr std::int64_t kColumnSumBlockRows = 1024;
inline std::int64_t column_sum_blocks(std::int64_t rows) {
  return (rows + kColumnSumBlockRows - 1) / kColumnSumBlockRows;
}
void blocked_column_sums(std::int64_t rows, std::int64_t cols, const float* x, float* out, float* partials);

// True when no element of x[0..n) is NaN or infinite (one parallel pass, no allocation).
bool all_finite(std::int64_t n, const float* x);

// sum x[i]^2 in double, in index order (gradient norms for clipping).
double sum_of_squares(std::int64_t n, const float* x);

}  // namespace gradstep
