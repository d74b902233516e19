// Counter-based random numbers (Philox4x32-10; Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC 2011).
//
// A random value is a pure function of (key, counter): there is no generator state to carry
// between calls or threads. Keys are derived from the user's seed and a purpose (layer index,
// "shuffle", "dropout", ...); counters from (step, element index). So a dropout mask or an
// initial weight is the same whatever the number of threads and whatever ran before it.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace gradstep {
namespace rng {

// splitmix64 finaliser: spreads a 64-bit value over all bits; used to derive keys.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Key for a purpose under a seed, e.g. derive_key(seed, layer_index, param_index).
inline std::uint64_t derive_key(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0) {
  return mix64(mix64(seed ^ mix64(a)) ^ mix64(b + 0x632BE59BD9B4E019ull));
}

// One Philox4x32-10 block: four independent 32-bit values for the 128-bit counter (hi, lo).
inline std::array<std::uint32_t, 4> philox_block(std::uint64_t key, std::uint64_t counter_hi,
                                                 std::uint64_t counter_lo) {
  std::uint32_t c0 = static_cast<std::uint32_t>(counter_lo);
  std::uint32_t c1 = static_cast<std::uint32_t>(counter_lo >> 32);
  std::uint32_t c2 = static_cast<std::uint32_t>(counter_hi);
  std::uint32_t c3 = static_cast<std::uint32_t>(counter_hi >> 32);
  std::uint32_t k0 = static_cast<std::uint32_t>(key);
  std::uint32_t k1 = static_cast<std::uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = 0xD2511F53ull * c0;
    const std::uint64_t p1 = 0xCD9E8D57ull * c2;
    const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<std::uint32_t>(p1);
    c3 = static_cast<std::uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;  // Weyl sequence bumps of the key between rounds
    k1 += 0xBB67AE85u;
  }
  return {c0, c1, c2, c3};
}

// 24 random bits -> float in [0, 1): every value exactly representable, never 1.
inline float to_unit_float(std::uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }
// 53 random bits -> double in [0, 1).
inline double to_unit_double(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// Uniform [0,1) for element `index` of stream `stream` under `key`.
inline float uniform(std::uint64_t key, std::uint64_t stream, std::uint64_t index) {
  return to_unit_float(philox_block(key, stream, index)[0]);
}

// Standard normal for element `index` (Box-Muller on two 53-bit uniforms; attempt selects a
// fresh block, used by truncated sampling).
inline double normal(std::uint64_t key, std::uint64_t stream, std::uint64_t index, std::uint32_t attempt = 0) {
  const auto b = philox_block(key, stream ^ (static_cast<std::uint64_t>(attempt) << 48), index);
  const double u1 = 1.0 - to_unit_double(b[0], b[1]);  // (0, 1]: log is finite
  const double u2 = to_unit_double(b[2], b[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// Uniform integer in [0, bound) (bound >= 1), via 64-bit multiply-shift (bias < 2^-32 for
// bounds below 2^32, irrelevant for shuffling).
inline std::uint64_t uniform_int(std::uint64_t key, std::uint64_t stream, std::uint64_t index, std::uint64_t bound) {
  const auto b = philox_block(key, stream, index);
  const std::uint64_t r = (static_cast<std::uint64_t>(b[0]) << 32) | b[1];
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(r) * bound) >> 64);
}

}  // namespace rng
}  // namespace gradstep
