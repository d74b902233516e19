// Thread count, barrier and fork handling behind parallel.hpp.
//
// Thread count. OpenMP keeps the count as a per-thread setting (the nthreads ICV): OMP_NUM_THREADS
// sets the initial value, omp_set_num_threads changes it for the calling thread only, and that is
// the call threadpoolctl makes. gradstep.set_num_threads(n) is process-wide, as it has always
// been: it bumps a generation counter, and each thread that next asks for the count applies n to
// its own ICV once (then reads omp_get_max_threads() as usual). So a later
// threadpoolctl.threadpool_limits(1) on that thread still wins until it is lifted, and nothing
// here touches OpenMP settings the user did not ask to change.
//
// fork(). libgomp keeps its worker threads in a pool tied to the thread that started them. After
// fork() only the forking thread exists in the child, but libgomp still believes its pool does:
// the next parallel region would wait forever for workers that are not there (libgomp registers
// no fork handler; LLVM's libomp does). So a child forked after this process started OpenMP
// workers runs gradstep serially: same results, one core. A child forked before any parallel
// region (or started with the "spawn"/"forkserver" methods) has all its threads.
#include "core/parallel.hpp"

#include <atomic>
#include <stdexcept>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define GRADSTEP_POSIX 1
#else
#define GRADSTEP_POSIX 0
#endif

namespace gradstep {

namespace {

// 0: never set; OpenMP's own count applies.
std::atomic<int> g_requested_threads{0};
std::atomic<unsigned> g_generation{0};
thread_local unsigned t_applied_generation = 0;

std::atomic<bool> g_team_started{false};
std::atomic<std::int64_t> g_regions{0};
std::atomic<bool> g_serial_after_fork{false};

#if GRADSTEP_POSIX
void child_after_fork() {
  if (g_team_started.load(std::memory_order_relaxed)) g_serial_after_fork.store(true, std::memory_order_relaxed);
}
#endif

}  // namespace

namespace detail {
void note_team_started() {
  g_regions.fetch_add(1, std::memory_order_relaxed);
  if (g_team_started.load(std::memory_order_relaxed)) return;
#if GRADSTEP_POSIX
  // Registered once, before the first worker exists (pthread_atfork is thread-safe).
  static const int registered = pthread_atfork(nullptr, nullptr, child_after_fork);
  (void)registered;
#endif
  g_team_started.store(true, std::memory_order_relaxed);
}
}  // namespace detail

int get_num_threads() {
  if (g_serial_after_fork.load(std::memory_order_relaxed)) return 1;
#if GRADSTEP_OPENMP
  const unsigned generation = g_generation.load(std::memory_order_acquire);
  if (generation != t_applied_generation) {
    t_applied_generation = generation;
    omp_set_num_threads(g_requested_threads.load(std::memory_order_relaxed));
  }
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1, got " + std::to_string(n));
  g_requested_threads.store(n, std::memory_order_relaxed);
  g_generation.fetch_add(1, std::memory_order_acq_rel);
}

std::int64_t parallel_region_count() { return g_regions.load(std::memory_order_relaxed); }

bool in_parallel_region() {
#if GRADSTEP_OPENMP
  return omp_in_parallel() != 0;
#else
  return false;
#endif
}

int thread_index() {
#if GRADSTEP_OPENMP
  return omp_in_parallel() ? omp_get_thread_num() : 0;
#else
  return 0;
#endif
}

void TeamBarrier::wait() {
#if GRADSTEP_OPENMP
#pragma omp barrier
#endif
}

}  // namespace gradstep
