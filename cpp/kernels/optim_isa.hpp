// Per-instruction-set optimizer loops, internal to the kernels (like gemm_isa.hpp).
//
// Only optim.cpp calls these, after checking active_isa(). They compute exactly the scalar
// formulas of optim.cpp with the same operations in the same order (no FMA contraction: the
// intrinsics spell out every multiply and add; sqrt and division are correctly rounded in both),
// so every ISA path gives bitwise the same parameters.
#pragma once

#include <cstdint>

#include "kernels/norms.hpp"

namespace gradstep {
namespace optim {

#if GRADSTEP_X86
// Same contract as optim::adam (kernels/optim.hpp). Returns how many leading elements it
// handled (a multiple of 8); the caller finishes the tail with the scalar loop.
std::int64_t adam_avx2(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_hat, float alpha,
                       float beta_1, float beta_2, float eps);
// Same contract as optim::adam_squares; returns the leading elements handled, as adam_avx2.
std::int64_t adam_squares_avx2(std::int64_t n, float* w, const float* g, float* m, float* v, float* v_hat, float alpha,
                               float beta_1, float beta_2, float eps, float lr_times_wd, kernels::NormLanes& squares);
#endif

}  // namespace optim
}  // namespace gradstep
