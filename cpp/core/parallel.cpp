// The thread pool behind parallel_for (see parallel.hpp for why it is not OpenMP).
//
// One worker per extra thread, created on first use and kept for the life of the process. Each
// worker has a mailbox: the dispatching thread writes the task into it and bumps its ticket; the
// worker, waiting for the ticket to change, runs the task and decrements the pool's `pending`
// count. The dispatcher runs chunk 0 itself, then waits for `pending` to reach zero.
//
// Waiting, on both sides, is: spin on the atomic with the CPU's pause hint; after 20 us, call
// sched_yield between short bursts so that any other runnable thread on this core (another
// process, or our own dispatcher when the OS put it here) gets the core; a worker that
// has spun for GRADSTEP_SPIN_US microseconds (default 300: longer than the gaps between the
// parallel steps of a train step and between two train steps called from Python, far shorter
// than anything a person would notice as a busy core) goes to sleep on a condition variable.
//
// fork(): only the forking thread exists in the child, so a child handler drops the pool (its
// memory is leaked, it may hold locked mutexes) and the child builds a new one on first use.
// (A fork from inside a parallel chunk would leave the child waiting for workers that do not
// exist there; gradstep's chunks never fork.)
#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <sched.h>
#define GRADSTEP_POSIX 1
#else
#define GRADSTEP_POSIX 0
#endif

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#endif

namespace gradstep {

namespace {

// 0 means "not set by the user": use OMP_NUM_THREADS or the number of usable cores.
std::atomic<int> g_num_threads{0};
thread_local bool t_in_region = false;

// First positive integer of OMP_NUM_THREADS ("4" or "4,2" for nested levels), else 0.
int threads_from_environment() {
  const char* value = std::getenv("OMP_NUM_THREADS");
  if (value == nullptr) return 0;
  char* end = nullptr;
  const long n = std::strtol(value, &end, 10);
  return end != value && n > 0 && n < 4096 ? static_cast<int>(n) : 0;
}

int usable_cores() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

int default_threads() {
  static const int n = [] {
    const int from_env = threads_from_environment();
    return from_env > 0 ? from_env : usable_cores();
  }();
  return n;
}

std::chrono::nanoseconds spin_budget() {
  static const std::chrono::nanoseconds budget = [] {
    long microseconds = 300;
    if (const char* value = std::getenv("GRADSTEP_SPIN_US")) {
      char* end = nullptr;
      const long n = std::strtol(value, &end, 10);
      if (end != value && n >= 0) microseconds = n < 10000000 ? n : 10000000;  // at most 10 s
    }
    return std::chrono::nanoseconds(microseconds * 1000);
  }();
  return budget;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  _mm_pause();
#endif
}

// Waits shorter than this are pure spinning: most waits inside a train step end within a few
// microseconds, and a sched_yield call (a system call, and a trip through the scheduler) would
// only delay noticing that they had.
constexpr std::chrono::nanoseconds kYieldAfter{20000};

// Spins until done() (true) or until `budget` has passed (false); a negative budget spins
// forever. Between bursts of 16 checks the thread yields its core to whichever other thread is
// runnable on it; when none is, sched_yield returns at once.
template <typename Done>
bool spin_until(Done done, std::chrono::nanoseconds budget) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    for (int i = 0; i < 16; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    if (budget.count() >= 0 && waited >= budget) return false;
    if (waited >= kYieldAfter) std::this_thread::yield();
  }
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A worker that starts its task kLateStartNs after the dispatch, or finishes kLateFinishNs and
// more than half the caller's own time after the caller, was not running: its core is busy with
// other processes, or the OS put it on the caller's core, behind the caller (a waiting worker
// reacts within microseconds, a sleeping one within ~0.1 ms, and shares are equal).
// Two such late dispatches in a row make the pool run everything serially for 200 ms, then try
// threads again. With the second core taken, a static split makes every parallel step wait for
// a thread that gets half a core: W1 at 2 threads with one busy process on the machine took
// 1.2-2.1 s/epoch against 0.8 s serial, and 0.9-1.0 s with this back-off. The thread count never
// changes results.
constexpr std::int64_t kLateStartNs = 1000000;
constexpr std::int64_t kLateFinishNs = 200000;
constexpr std::int64_t kBackOffNs = 200000000;

struct alignas(64) Worker {
  std::atomic<std::uint64_t> ticket{0};
  // The mailbox: written by the dispatcher before it bumps `ticket`, read by the worker after.
  detail::PoolTask task = nullptr;
  void* context = nullptr;
  int index = 0;
  int count = 0;
  std::int64_t started_ns = 0;  // when the worker picked up its last task (read after `pending`)
  std::atomic<bool> sleeping{false};
  std::mutex mutex;
  std::condition_variable wake;
};

struct Pool {
  std::mutex dispatch;            // held by the thread whose parallel_for is running
  std::vector<Worker*> workers;   // never freed: workers live as long as the process
  std::size_t max_workers = static_cast<std::size_t>(-1);  // lowered if thread creation fails
  // Back-off when the cores are taken (see run_on_pool); guarded by `dispatch`.
  int late_in_a_row = 0;
  std::int64_t serial_until_ns = 0;
  alignas(64) std::atomic<int> pending{0};
};

std::atomic<Pool*> g_pool{nullptr};

void worker_main(Pool* pool, Worker* self) {
  t_in_region = true;  // a worker never starts nested parallel work
  std::uint64_t seen = 0;
  for (;;) {
    const auto new_ticket = [&] { return self->ticket.load(std::memory_order_acquire) != seen; };
    if (!spin_until(new_ticket, spin_budget())) {
      std::unique_lock<std::mutex> lock(self->mutex);
      // seq_cst pairs with the dispatcher's ticket bump then `sleeping` read: either it sees
      // sleeping == true and notifies (under the mutex), or we see the new ticket here.
      self->sleeping.store(true, std::memory_order_seq_cst);
      while (self->ticket.load(std::memory_order_seq_cst) == seen) self->wake.wait(lock);
      self->sleeping.store(false, std::memory_order_relaxed);
    }
    seen = self->ticket.load(std::memory_order_acquire);
    self->started_ns = now_ns();
    self->task(self->context, self->index, self->count);  // parallel_for's chunks never throw
    pool->pending.fetch_sub(1, std::memory_order_release);
  }
}

#if GRADSTEP_POSIX
void drop_pool_in_child() { g_pool.store(nullptr, std::memory_order_relaxed); }
#endif

Pool& get_pool() {
  Pool* pool = g_pool.load(std::memory_order_acquire);
  if (pool != nullptr) return *pool;
  static std::once_flag registered;
#if GRADSTEP_POSIX
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, drop_pool_in_child); });
#else
  (void)registered;
#endif
  Pool* fresh = new Pool();
  if (g_pool.compare_exchange_strong(pool, fresh, std::memory_order_acq_rel)) return *fresh;
  delete fresh;  // another thread won the race
  return *pool;
}

}  // namespace

int get_num_threads() {
  const int n = g_num_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : default_threads();
}

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1, got " + std::to_string(n));
  g_num_threads.store(n, std::memory_order_relaxed);
}

bool in_parallel_region() { return t_in_region; }

void TeamBarrier::wait() {
  const unsigned phase = phase_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == threads_ - 1) {
    arrived_.store(0, std::memory_order_relaxed);
    phase_.store(phase + 1, std::memory_order_release);
    return;
  }
  spin_until([&] { return phase_.load(std::memory_order_acquire) != phase; }, std::chrono::nanoseconds(-1));
}

namespace detail {

bool run_on_pool(int num_threads, PoolTask task, void* context) {
  if (num_threads < 2) return false;
  Pool& pool = get_pool();
  std::unique_lock<std::mutex> busy(pool.dispatch, std::try_to_lock);
  if (!busy.owns_lock()) return false;
  const std::int64_t dispatched_ns = now_ns();
  if (dispatched_ns < pool.serial_until_ns) return false;
  const std::size_t needed = static_cast<std::size_t>(num_threads - 1);
  if (needed > pool.max_workers) return false;  // more than the OS gave us before
  try {
    pool.workers.reserve(needed);
    while (pool.workers.size() < needed) {
      std::unique_ptr<Worker> worker(new Worker());
      std::thread(worker_main, &pool, worker.get()).detach();
      pool.workers.push_back(worker.release());  // cannot throw: reserved
    }
  } catch (const std::exception&) {
    // The OS refused a thread (or memory): remember how many we have, so that later calls do not
    // try again, and run this one serially.
    pool.max_workers = pool.workers.size();
    return false;
  }

  pool.pending.store(num_threads - 1, std::memory_order_relaxed);
  for (int t = 1; t < num_threads; ++t) {
    Worker& worker = *pool.workers[static_cast<std::size_t>(t - 1)];
    worker.task = task;
    worker.context = context;
    worker.index = t;
    worker.count = num_threads;
    worker.ticket.fetch_add(1, std::memory_order_seq_cst);
    if (worker.sleeping.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lock(worker.mutex);
      worker.wake.notify_one();
    }
  }
  t_in_region = true;
  task(context, 0, num_threads);
  t_in_region = false;
  const std::int64_t own_done_ns = now_ns();
  spin_until([&] { return pool.pending.load(std::memory_order_acquire) == 0; },
             std::chrono::nanoseconds(-1));
  std::int64_t last_start = dispatched_ns;
  for (int t = 1; t < num_threads; ++t)
    last_start = std::max(last_start, pool.workers[static_cast<std::size_t>(t - 1)]->started_ns);
  const std::int64_t own_ns = own_done_ns - dispatched_ns;
  const std::int64_t waited_ns = now_ns() - own_done_ns;
  const bool late = last_start - dispatched_ns > kLateStartNs || waited_ns > std::max(kLateFinishNs, own_ns / 2);
  if (!late) {
    pool.late_in_a_row = 0;
  } else if (++pool.late_in_a_row >= 2) {
    pool.late_in_a_row = 0;
    pool.serial_until_ns = now_ns() + kBackOffNs;
  }
  return true;
}

}  // namespace detail

}  // namespace gradstep
