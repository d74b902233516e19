// Threading: gradstep's own small thread pool, and parallel_for on top of it.
//
// Why not OpenMP: on this project's target machines (a 2-vCPU VM) waking a worker that has gone
// to sleep costs ~90 us, more than a whole small GEMM. libgomp makes idle workers spin a fixed
// number of iterations (GOMP_SPINCOUNT) and then sleep; no single count is right: ~30 us
// (1000) lets the worker fall asleep between the train steps of a batch loop, ~8 ms (the
// default) burns the core another process needs on a busy machine. The pool below spins for a
// bounded *time* (GRADSTEP_SPIN_US, default 300 us, see parallel.cpp), yielding the core to any
// other runnable thread after the first 20 us, and only then sleeps on a condition variable.
//
// parallel_for splits [begin, end) into contiguous chunks, one per thread (chunk t on thread t,
// t = 0 on the caller), and runs serially when the work is smaller than `min_per_thread * 2`.
// Exceptions thrown in any chunk are caught and the first is rethrown on the calling thread.
// Nested calls (from inside a chunk) and calls made while another thread is using the pool run
// serially: the split never changes results, see gemm_blocked.hpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <type_traits>

namespace gradstep {

int get_num_threads();
void set_num_threads(int n);
// True inside a parallel_for chunk (on the caller or on a worker).
bool in_parallel_region();

namespace detail {
using PoolTask = void (*)(void* context, int thread_index, int num_threads);
// Runs task(context, t, num_threads) for every t in [0, num_threads): t = 0 on the calling
// thread, the others on pool workers, and returns when all have finished. Returns false without
// running anything when the pool is in use by another thread (the caller then runs serially).
bool run_on_pool(int num_threads, PoolTask task, void* context);
}  // namespace detail

// A barrier for the threads of one run_team call. Waiting spins (pause hint, yielding the core
// between bursts): team phases are microseconds long. Out of line on purpose: this header is
// included by translation units built with different -m flags.
class TeamBarrier {
 public:
  explicit TeamBarrier(int threads) : threads_(threads) {}
  void wait();

 private:
  const int threads_;
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> phase_{0};
};

// Runs fn(t, num_threads) on exactly `threads` threads at once (t = 0 on the caller), so fn may
// synchronise them with a TeamBarrier. Returns false without running anything when that is not
// possible (threads <= 1, called from inside a parallel region, pool in use by another thread):
// the caller then takes its serial path. fn must not throw (a thread that leaves early would
// leave the others waiting at the barrier), so allocate everything before calling.
template <typename Fn>
bool run_team(int threads, Fn&& fn) {
  if (threads <= 1 || in_parallel_region()) return false;
  struct Context {
    std::remove_reference_t<Fn>* fn;
  } context{&fn};
  // noexcept: an exception here would leave the other threads at a barrier, so it terminates.
  const detail::PoolTask member = [](void* raw, int t, int nt) noexcept {
    (*static_cast<Context*>(raw)->fn)(t, nt);
  };
  return detail::run_on_pool(threads, member, &context);
}

// fn(chunk_begin, chunk_end) is called once per non-empty chunk.
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
  struct Context {
    std::remove_reference_t<Fn>* fn;
    std::int64_t begin;
    std::int64_t end;
    std::exception_ptr error;
    std::mutex error_mutex;
  } context{&fn, begin, end, nullptr, {}};
  const detail::PoolTask chunk = [](void* raw, int t, int nt) {
    Context& c = *static_cast<Context*>(raw);
    // Contiguous shares whose sizes differ by at most one: every thread gets work.
    const std::int64_t size = c.end - c.begin;
    const std::int64_t b = c.begin + size * t / nt;
    const std::int64_t e = c.begin + size * (t + 1) / nt;
    if (b >= e) return;
    try {
      (*c.fn)(b, e);
    } catch (...) {
      std::lock_guard<std::mutex> lock(c.error_mutex);
      if (!c.error) c.error = std::current_exception();
    }
  };
  if (!detail::run_on_pool(threads, chunk, &context)) {
    fn(begin, end);
    return;
  }
  if (context.error) std::rethrow_exception(context.error);
}

}  // namespace gradstep
