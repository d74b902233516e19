// kernels/batchnorm_impl.hpp compiled with -mavx512f (CMake, by file name); entered only when
// active_isa() allows it. No FMA contraction (C++ defaults to -ffp-contract=fast with -mfma):
// every lane rounds as the generic build does, so the bits do not depend on the instruction set.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <cstdint>

#include "kernels/batchnorm.hpp"

namespace gradstep {
namespace kernels {
namespace avx512 {
#include "kernels/batchnorm_impl.hpp"
}  // namespace avx512
}  // namespace kernels
}  // namespace gradstep
