// Sums of squares over one block of a flat buffer, for the training figures (model/tracking.hpp).
//
// Each loop keeps kNormLanes float accumulators (a block of at most kNormBlock values gives each
// lane at most 64 terms) and adds them in a fixed order at the end, so the result depends on
// the data only. The same loops are compiled for the x86-64 baseline and for AVX2 (norms_impl.hpp,
// without FMA contraction) and give the same bits; the AVX2 build halves the instructions.
#pragma once

#include <cstdint>

namespace gradstep {
namespace kernels {

// 2048 values: a block's parameters, gradients, its copy and two optimizer slots (40 KB) fit in
// L1 together while the optimizer updates the block between the tracker's two looks at it.
constexpr std::int64_t kNormBlock = 1 << 11;
constexpr int kNormLanes = 32;

// Per-lane sums of one block for the training figures, filled by a rule that computes them in its
// own loop (optim::adam_squares): element i of the block adds to lane i mod kNormLanes, as in
// the loops below, so the totals have the same bits whichever loop summed them.
struct NormLanes {
  float g[kNormLanes] = {};       // g^2
  float w[kNormLanes] = {};       // w^2 before the step
  float update[kNormLanes] = {};  // (w after - w before)^2
};
// sum of the lanes, in lane order, in double.
double lane_total(const float* lanes);

// One pass over n <= kNormBlock values: *gg = sum g^2 when g is not null; when copy is not null,
// copy = w and *ww = sum w^2.
void block_squares(std::int64_t n, const float* w, const float* g, float* copy, double* gg, double* ww);
// sum (a - b)^2 over n <= kNormBlock values.
double block_squared_differences(std::int64_t n, const float* a, const float* b);
// alive[c] = max(alive[c], y[r * channels + c]) over the rows: 0 stays only for a channel whose
// outputs are all <= 0 (ReLU outputs: all 0).
void column_max(std::int64_t rows, std::int64_t channels, const float* y, float* alive);

}  // namespace kernels
}  // namespace gradstep
