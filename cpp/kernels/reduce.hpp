// Reductions with a fixed summation order, so results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace gradstep {

// out[j] = sum_r x[r*cols + j]  (bias gradients). Parallel over columns: each column is summed
// by one thread, top to bottom.
void column_sums(std::int64_t rows, std::int64_t cols, const float* x, float* out);

// True when no element of x[0..n) is NaN or infinite (one parallel pass, no allocation).
bool all_finite(std::int64_t n, const float* x);

// sum x[i]^2 in double, in index order (gradient norms for clipping).
double sum_of_squares(std::int64_t n, const float* x);

// y[r*cols + j] += b[j]  (bias add).
void add_row_vector(std::int64_t rows, std::int64_t cols, const float* b, float* y);

}  // namespace gradstep
