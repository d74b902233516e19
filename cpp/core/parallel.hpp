// Threading: one place that knows whether OpenMP exists.
//
// parallel_for splits [begin, end) into contiguous chunks, one per thread, and runs serially
// when the work is smaller than `min_per_thread * 2` (a fork/join costs a few microseconds,
// more than a small layer's whole work). Exceptions thrown inside a worker are caught there
// and rethrown on the calling thread after the region: nothing escapes an OpenMP region.
#pragma once

#include <cstdint>
#include <exception>
#include <mutex>

#if GRADSTEP_HAS_OPENMP
#include <omp.h>
#endif

namespace gradstep {

int get_num_threads();
void set_num_threads(int n);
constexpr bool has_openmp() { return GRADSTEP_HAS_OPENMP != 0; }
// True when called from inside a parallel region (nested regions run serially).
bool in_parallel_region();

// fn(chunk_begin, chunk_end) is called once per non-empty chunk.
template <typename Fn>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t min_per_thread, Fn&& fn) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  int threads = get_num_threads();
  if (min_per_thread < 1) min_per_thread = 1;
  std::int64_t max_useful = n / min_per_thread;
  if (max_useful < threads) threads = static_cast<int>(max_useful < 1 ? 1 : max_useful);
  if (threads <= 1 || in_parallel_region()) {
    fn(begin, end);
    return;
  }
#if GRADSTEP_HAS_OPENMP
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int nt = omp_get_num_threads();
    const std::int64_t chunk = (n + nt - 1) / nt;
    const std::int64_t b = begin + t * chunk;
    const std::int64_t e = b + chunk < end ? b + chunk : end;
    if (b < e) {
      try {
        fn(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
#else
  fn(begin, end);
#endif
}

}  // namespace gradstep
