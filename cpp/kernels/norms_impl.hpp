// The loops of kernels/norms.hpp, included into one namespace per instruction set (norms.cpp:
// generic, norms_avx2.cpp: avx2) where the compiler vectorises them for that set. Every lane
// does the same separately rounded float operations in every build: the same bits.
//
// Needs: <cstdint>, kNormLanes.

// One pass over the block for whichever of the sums and the copy are asked for: each sum keeps
// its own lanes, so its bits do not depend on which others ride along. One
// pass, because the block comes from memory here and the optimizer then finds it in cache.
template <bool kGrad, bool kCopy>
inline void squares_pass(std::int64_t n, const float* __restrict w, const float* __restrict g, float* __restrict copy,
                         double* gg, double* ww) {
  float lane_g[kNormLanes] = {}, lane_w[kNormLanes] = {};
  std::int64_t i = 0;
  for (; i + kNormLanes <= n; i += kNormLanes)
    for (int k = 0; k < kNormLanes; ++k) {
      if (kGrad) lane_g[k] += g[i + k] * g[i + k];
      if (kCopy) {
        const float v = w[i + k];
        copy[i + k] = v;
        lane_w[k] += v * v;
      }
    }
  for (int k = 0; i + k < n; ++k) {  // the tail, into the first lanes
    if (kGrad) lane_g[k] += g[i + k] * g[i + k];
    if (kCopy) {
      copy[i + k] = w[i + k];
      lane_w[k] += w[i + k] * w[i + k];
    }
  }
  if (kGrad) *gg = lane_total(lane_g);
  if (kCopy) *ww = lane_total(lane_w);
}

void block_squares(std::int64_t n, const float* w, const float* g, float* copy, double* gg, double* ww) {
  if (g != nullptr && copy != nullptr)
    squares_pass<true, true>(n, w, g, copy, gg, ww);
  else if (g != nullptr)
    squares_pass<true, false>(n, w, g, copy, gg, ww);
  else if (copy != nullptr)
    squares_pass<false, true>(n, w, g, copy, gg, ww);
}

double block_squared_differences(std::int64_t n, const float* __restrict a, const float* __restrict b) {
  float lane[kNormLanes] = {};
  std::int64_t i = 0;
  for (; i + kNormLanes <= n; i += kNormLanes)
    for (int k = 0; k < kNormLanes; ++k) {
      const float d = a[i + k] - b[i + k];
      lane[k] += d * d;
    }
  for (int k = 0; i + k < n; ++k) {
    const float d = a[i + k] - b[i + k];
    lane[k] += d * d;
  }
  return lane_total(lane);
}

void column_max(std::int64_t rows, std::int64_t channels, const float* __restrict y, float* __restrict alive) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = y + r * channels;
    for (std::int64_t c = 0; c < channels; ++c) alive[c] = alive[c] < row[c] ? row[c] : alive[c];
  }
}
