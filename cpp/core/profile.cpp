#include "core/profile.hpp"

#include <memory>
#include <mutex>
#include <vector>

#include "core/parallel.hpp"

namespace gradstep {

namespace detail {
std::atomic<bool> profiling{false};
}

namespace {

constexpr int kKernels = static_cast<int>(ProfiledKernel::count);

struct ThreadCounters {
  ProfileTotals totals[kKernels];
};

// Every thread's counters, kept until the process ends (OpenMP workers outlive any one step, and
// a thread that ended leaves its counts behind rather than a dangling pointer).
std::mutex registry_mutex;
std::vector<std::unique_ptr<ThreadCounters>>& registry() {
  static std::vector<std::unique_ptr<ThreadCounters>> all;
  return all;
}

ThreadCounters& this_thread_counters() {
  thread_local ThreadCounters* mine = nullptr;
  if (mine == nullptr) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    registry().push_back(std::make_unique<ThreadCounters>());
    mine = registry().back().get();
  }
  return *mine;
}

thread_local ProfileScope* innermost = nullptr;  // the calling thread's open scopes

}  // namespace

const char* profile_kernel_name(ProfiledKernel k) {
  switch (k) {
    case ProfiledKernel::train_step:
      return "train step (glue)";
    case ProfiledKernel::gather:
      return "gather batch";
    case ProfiledKernel::gemm:
      return "gemm";
    case ProfiledKernel::gemm_prepacked:
      return "gemm (packed B)";
    case ProfiledKernel::bias_activation:
      return "bias + activation";
    case ProfiledKernel::activation_backward:
      return "activation backward";
    case ProfiledKernel::bias_gradient:
      return "bias gradient";
    case ProfiledKernel::im2col:
      return "im2col";
    case ProfiledKernel::col2im:
      return "col2im";
    case ProfiledKernel::conv_kernel_gradient:
      return "conv kernel gradient";
    case ProfiledKernel::pooling:
      return "pooling";
    case ProfiledKernel::batchnorm:
      return "batch normalization";
    case ProfiledKernel::dropout:
      return "dropout";
    case ProfiledKernel::loss:
      return "loss";
    case ProfiledKernel::recurrent_gates:
      return "recurrent gates";
    case ProfiledKernel::regularization:
      return "regularization";
    case ProfiledKernel::optimizer:
      return "optimizer update";
    case ProfiledKernel::tracking:
      return "tracking";
    case ProfiledKernel::count:
      break;
  }
  return "?";
}

void set_profiling(bool on) { detail::profiling.store(on, std::memory_order_relaxed); }

void reset_profile() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  for (auto& counters : registry())
    for (auto& t : counters->totals) t = ProfileTotals{};
}

ProfileTotals profile_totals(ProfiledKernel k) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  ProfileTotals sum;
  for (auto& counters : registry()) {
    const ProfileTotals& t = counters->totals[static_cast<int>(k)];
    sum.seconds += t.seconds;
    sum.flops += t.flops;
    sum.bytes += t.bytes;
    sum.calls += t.calls;
  }
  return sum;
}

void ProfileScope::open(ProfiledKernel kernel, double flops, double bytes) {
  ProfileTotals& totals = this_thread_counters().totals[static_cast<int>(kernel)];
  totals.flops += flops;
  totals.bytes += bytes;
  if (thread_index() != 0) return;  // another thread's share: counted, not timed
  ++totals.calls;
  kernel_ = static_cast<int>(kernel);
  parent_ = innermost;
  innermost = this;
  start_ = std::chrono::steady_clock::now();
}

void ProfileScope::close() {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  this_thread_counters().totals[kernel_].seconds += elapsed - enclosed_;
  if (parent_ != nullptr) parent_->enclosed_ += elapsed;
  innermost = parent_;
}

}  // namespace gradstep
