// The window kernels' inner loops (window_impl.hpp) compiled for AVX2 (CMake sets the flags
// by file name); entered only when active_isa() allows it.
#include "kernels/window_isa.hpp"

#if GRADSTEP_X86
namespace gradstep {
namespace avx2 {
using i64 = std::int64_t;
#include "kernels/window_impl.hpp"
}  // namespace avx2
}  // namespace gradstep
#endif
