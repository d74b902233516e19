// The window kernels' inner loops (window_impl.hpp) compiled for AVX2 (CMake sets the flags
// by file name); entered only when active_isa() allows it.
#include <cstring>
#include <type_traits>

#include "kernels/window_isa.hpp"

#if GRADSTEP_X86
namespace gradstep {
namespace avx2 {
using i64 = std::int64_t;
#define WINDOW_VECTOR_BYTES 32
#define KGRAD_ROWS_PER_BLOCK 6  // 2 x 6 accumulators + 2 loads + 1 broadcast: 16 ymm registers
#include "kernels/window_impl.hpp"
#undef KGRAD_ROWS_PER_BLOCK
#undef WINDOW_VECTOR_BYTES
}  // namespace avx2
}  // namespace gradstep
#endif
