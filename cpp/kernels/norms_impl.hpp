// The loops of kernels/norms.hpp, included into one namespace per instruction set (norms.cpp:
// generic, norms_avx2.cpp: avx2) where the compiler vectorises them for that set. Every lane
// does the same separately rounded float operations in every build: the same bits.
//
// Needs: <cstdint>, kNormLanes.

inline double lane_total(const float* lane) {
  double s = 0.0;
  for (int k = 0; k < kNormLanes; ++k) s += lane[k];
  return s;
}

inline double sum_squares(std::int64_t n, const float* __restrict x) {
  float lane[kNormLanes] = {};
  std::int64_t i = 0;
  for (; i + kNormLanes <= n; i += kNormLanes)
    for (int k = 0; k < kNormLanes; ++k) lane[k] += x[i + k] * x[i + k];
  for (int k = 0; i + k < n; ++k) lane[k] += x[i + k] * x[i + k];  // the tail, into the first lanes
  return lane_total(lane);
}

// sum x^2, and copy = x, in one pass (the same lanes as sum_squares).
inline double sum_squares_copy(std::int64_t n, const float* __restrict x, float* __restrict copy) {
  float lane[kNormLanes] = {};
  std::int64_t i = 0;
  for (; i + kNormLanes <= n; i += kNormLanes)
    for (int k = 0; k < kNormLanes; ++k) {
      const float v = x[i + k];
      copy[i + k] = v;
      lane[k] += v * v;
    }
  for (int k = 0; i + k < n; ++k) {
    copy[i + k] = x[i + k];
    lane[k] += x[i + k] * x[i + k];
  }
  return lane_total(lane);
}

void block_squares(std::int64_t n, const float* w, const float* g, float* copy, double* gg, double* ww) {
  if (g != nullptr) *gg = sum_squares(n, g);
  if (copy != nullptr) *ww = sum_squares_copy(n, w, copy);
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
