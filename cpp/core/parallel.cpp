#include "core/parallel.hpp"

#include <atomic>
#include <stdexcept>

namespace gradstep {

namespace {
// 0 means "not set by the user": use what OpenMP chose (OMP_NUM_THREADS or the core count).
std::atomic<int> g_num_threads{0};
}  // namespace

int get_num_threads() {
  int n = g_num_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
#if GRADSTEP_HAS_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1, got " + std::to_string(n));
  g_num_threads.store(n, std::memory_order_relaxed);
}

bool in_parallel_region() {
#if GRADSTEP_HAS_OPENMP
  return omp_in_parallel() != 0;
#else
  return false;
#endif
}

}  // namespace gradstep
