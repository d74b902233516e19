// Step profile: time, floating-point operations and bytes moved per kernel, for
// `python -m gradstep.benchmark --profile`.
//
// A kernel entry point opens a ProfileScope with its work: the FLOPs it performs and the bytes
// its operands occupy (each read once and each written once: a lower bound on the traffic, the
// figure a roofline uses). Off (the default), a scope is one relaxed load of a global flag and a
// branch. On:
//   - time is kept on the thread that calls into gradstep (thread 0 of every parallel region is
//     that thread), as *exclusive* time: a scope's time minus that of the scopes it encloses, so
//     the rows add up to the wall time of the outermost scopes (the train step). Work that the
//     other threads do inside a region is timed by the caller's share of it, which is the wall
//     time when the shares are balanced.
//   - FLOPs and bytes are counted on every thread (per-thread counters, no atomics), so a kernel
//     split over threads adds up to the whole.
// Read and reset the counters only while no training step runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace gradstep {

// One row of the profile. Names in profile_kernel_name().
enum class ProfiledKernel : int {
  train_step,  // Sequential::train_batch itself: glue between the kernels below (exclusive time)
  gather,      // copying the batch's rows (and targets) out of the dataset
  gemm,
  gemm_prepacked,  // recurrent: B packed once per batch
  bias_activation,
  activation_backward,
  bias_gradient,  // column sums
  im2col,
  col2im,
  conv_kernel_gradient,
  pooling,
  batchnorm,
  dropout,
  loss,
  recurrent_gates,
  regularization,
  optimizer,
  tracking,
  count
};
const char* profile_kernel_name(ProfiledKernel k);

struct ProfileTotals {
  double seconds = 0.0;  // exclusive, on the calling thread
  double flops = 0.0;
  double bytes = 0.0;
  std::int64_t calls = 0;  // scopes opened on the calling thread
};

namespace detail {
extern std::atomic<bool> profiling;
}

inline bool profiling_enabled() { return detail::profiling.load(std::memory_order_relaxed); }
void set_profiling(bool on);
void reset_profile();
// Totals of one kernel, summed over the threads.
ProfileTotals profile_totals(ProfiledKernel k);

class ProfileScope {
 public:
  ProfileScope(ProfiledKernel kernel, double flops, double bytes) {
    if (profiling_enabled()) open(kernel, flops, bytes);
  }
  ~ProfileScope() {
    if (kernel_ >= 0) close();
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  void open(ProfiledKernel kernel, double flops, double bytes);
  void close();

  int kernel_ = -1;  // -1: not timing (profiling off, or not the calling thread)
  std::chrono::steady_clock::time_point start_;
  double enclosed_ = 0.0;  // seconds of the scopes opened inside this one
  ProfileScope* parent_ = nullptr;
};

}  // namespace gradstep
