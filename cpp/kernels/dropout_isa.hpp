// Per-instruction-set Dropout mask generation, internal (like gemm_isa.hpp / optim_isa.hpp).
//
// Only layers/dropout.cpp calls these, after checking active_isa(). They produce exactly the
// scalar path's masks (Philox4x32-10 is integer arithmetic; the uniform -> keep/scale decision
// and y = x * keep are the same float operations), so every ISA gives bitwise the same output.
#pragma once

#include <cstdint>

namespace gradstep {
namespace kernels {

#if GRADSTEP_X86
// For Philox blocks k = block_begin, block_begin+8, ... (8 at a time) while the 8 blocks lie in
// [block_begin, block_end) and their 32 elements in [0, n): element i = 4k + lane gets
// keep = uniform(bits) >= rate ? scale : 0, mask[i] = keep, y[i] = x[i] * keep, with bits lane
// `lane` of philox_block(key, step, k). Returns the first block not handled (the caller's
// scalar loop finishes from there).
std::int64_t dropout_forward_avx2(std::uint64_t key, std::uint64_t step, std::int64_t block_begin,
                                  std::int64_t block_end, std::int64_t n, float rate, float scale, const float* x,
                                  float* y, float* mask);
// The same contract, 16 blocks per vector; only on Isa::avx512.
std::int64_t dropout_forward_avx512(std::uint64_t key, std::uint64_t step, std::int64_t block_begin,
                                    std::int64_t block_end, std::int64_t n, float rate, float scale, const float* x,
                                    float* y, float* mask);
#endif

}  // namespace kernels
}  // namespace gradstep
