// The window kernels' inner loops (window_impl.hpp) compiled for AVX512 (CMake sets the flags
// by file name); entered only when active_isa() allows it.
#include <cstring>
#include <type_traits>

#include "kernels/window_isa.hpp"

#if GRADSTEP_X86
namespace gradstep {
namespace avx512 {
using i64 = std::int64_t;
#define WINDOW_VECTOR_BYTES 64
#define KGRAD_ROWS_PER_BLOCK 12  // 2 x 12 accumulators + 2 loads + 1 broadcast: 32 zmm registers
#include "kernels/window_impl.hpp"
#undef KGRAD_ROWS_PER_BLOCK
#undef WINDOW_VECTOR_BYTES
}  // namespace avx512
}  // namespace gradstep
#endif
