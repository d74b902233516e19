// Threading: the one seam between gradstep's kernels and OpenMP.
//
// Every kernel that runs on more than one thread goes through this header: parallel_for for
// independent chunks (parallel_for_each_dynamic when they are handed out one at a time),
// run_team + TeamBarrier for a fixed team whose members wait for each other
// (the team GEMM). Behind it is OpenMP (`#pragma omp parallel`, `omp barrier`), so the runtime
// is the one the Python ecosystem already knows how to steer: OMP_NUM_THREADS, OMP_WAIT_POLICY,
// OMP_PROC_BIND and threadpoolctl all reach it. Built without OpenMP (-DGRADSTEP_OPENMP=OFF, or a
// compiler that has none) the same code runs serially: get_num_threads() is then always 1.
//
// Determinism: parallel_for gives thread t of nt the contiguous share [n*t/nt, n*(t+1)/nt), and
// no kernel lets the split change its arithmetic (reductions are partitioned by the data, not by
// the threads; see gemm_blocked.hpp), so results are bitwise identical for any thread count.
//
// Exceptions never cross an OpenMP region: parallel_for catches them in every chunk and rethrows
// the first on the calling thread. A team's function must not throw at all (a member that left
// early would leave the others waiting at a barrier).
//
// Nested calls (a parallel_for inside a chunk) run serially on the calling thread.
#pragma once

#include <cstdint>
#include <exception>
#include <type_traits>

#if GRADSTEP_OPENMP
#include <omp.h>
#endif

namespace gradstep {

// Threads a parallel region of gradstep uses: gradstep.set_num_threads(n) if called, else
// OpenMP's own choice for this thread (OMP_NUM_THREADS, threadpoolctl's limit, or the number of
// usable cores). 1 in a serial build, and in a child process forked after the parent ran
// parallel regions (libgomp's worker threads do not exist there; see parallel.cpp).
int get_num_threads();
// n >= 1. Process-wide: every Python thread that calls into gradstep picks it up.
void set_num_threads(int n);
// True inside a parallel region (of gradstep's or of any other code on the same OpenMP runtime).
bool in_parallel_region();
// 0 .. get_num_threads() - 1 inside a parallel region (this thread's slot in per-thread scratch
// space), 0 outside.
int thread_index();
// Multi-threaded regions started so far (parallel_for and run_team calls that used threads).
std::int64_t parallel_region_count();
constexpr bool has_openmp() { return GRADSTEP_OPENMP != 0; }

namespace detail {
// Called before each multi-threaded region: counts it, and records that this process has
// started OpenMP worker threads (see the fork note in parallel.cpp).
void note_team_started();
}  // namespace detail

// A barrier for the members of one run_team call. Out of line on purpose: this header is
// included by translation units built with different -m flags.
class TeamBarrier {
 public:
  explicit TeamBarrier(int threads) : threads_(threads) {}
  void wait();
  int threads() const { return threads_; }

 private:
  const int threads_;
};

// Runs fn(t, threads) on exactly `threads` threads at once (t = 0 on the caller), so fn may
// synchronise them with a TeamBarrier. Returns false without running anything when that is not
// possible (threads <= 1, serial build, inside a parallel region, or OpenMP gives fewer threads:
// OMP_DYNAMIC, OMP_THREAD_LIMIT): the caller then takes its serial path. fn must not throw, so
// allocate everything before calling.
template <typename Fn>
bool run_team(int threads, Fn&& fn) {
  if (threads <= 1 || threads > get_num_threads() || in_parallel_region()) return false;
#if GRADSTEP_OPENMP
  bool complete = true;
  detail::note_team_started();
#pragma omp parallel num_threads(threads)
  {
    // Every member sees the same team size, so either all run fn or none does.
    if (omp_get_num_threads() == threads) {
      [&]() noexcept { fn(omp_get_thread_num(), threads); }();
    } else if (omp_get_thread_num() == 0) {
      complete = false;
    }
  }
  return complete;
#else
  (void)fn;
  return false;
#endif
}

// fn(chunk_begin, chunk_end) is called once per non-empty chunk; the work is split only when
// every thread gets at least `min_per_thread` items (a fork/join costs about a microsecond, more
// than a small layer's whole element-wise pass).
template <typename Fn>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t min_per_thread, Fn&& fn) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  int threads = get_num_threads();
  if (min_per_thread < 1) min_per_thread = 1;
  const std::int64_t max_useful = n / min_per_thread;
  if (max_useful < threads) threads = static_cast<int>(max_useful < 1 ? 1 : max_useful);
  if (threads <= 1 || in_parallel_region()) {
    fn(begin, end);
    return;
  }
#if GRADSTEP_OPENMP
  std::exception_ptr error;
  detail::note_team_started();
#pragma omp parallel num_threads(threads)
  {
    // Contiguous shares whose sizes differ by at most one: every thread gets work.
    const std::int64_t t = omp_get_thread_num();
    const std::int64_t nt = omp_get_num_threads();
    const std::int64_t b = begin + n * t / nt;
    const std::int64_t e = begin + n * (t + 1) / nt;
    if (b < e) {
      try {
        fn(b, e);
      } catch (...) {
#pragma omp critical(gradstep_parallel_for_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
#endif
}

// fn(i) for each i in [begin, end), the items handed out one at a time to whichever thread is
// free (OpenMP's dynamic schedule): for many similar items whose results do not depend on the
// thread that computes them (a convolution's sample chunks, each with its own partial sums).
// With static shares, a thread that the host deschedules for a while (a VM's shared vCPU) holds
// up the whole region with its fixed half; here the other thread takes more items instead.
template <typename Fn>
void parallel_for_each_dynamic(std::int64_t begin, std::int64_t end, Fn&& fn) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  int threads = get_num_threads();
  if (n < threads) threads = static_cast<int>(n);
  if (threads <= 1 || in_parallel_region()) {
    for (std::int64_t i = begin; i < end; ++i) fn(i);
    return;
  }
#if GRADSTEP_OPENMP
  std::exception_ptr error;
  detail::note_team_started();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t i = begin; i < end; ++i) {
    try {
      fn(i);
    } catch (...) {
#pragma omp critical(gradstep_parallel_for_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
#endif
}

}  // namespace gradstep
