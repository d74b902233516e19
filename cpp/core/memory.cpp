#include "core/memory.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace gradstep {

namespace {
std::atomic<std::uint64_t> g_allocations{0};

float* allocate_aligned(std::size_t count) {
  if (count == 0) return nullptr;
  std::size_t bytes = count * sizeof(float);
  bytes = (bytes + kAlignment - 1) / kAlignment * kAlignment;  // aligned_alloc wants a multiple
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (p == nullptr) throw std::bad_alloc();
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  std::memset(p, 0, bytes);
  return static_cast<float*>(p);
}
}  // namespace

std::uint64_t allocation_count() { return g_allocations.load(std::memory_order_relaxed); }

void AlignedBuffer::release() {
  std::free(data_);
  data_ = nullptr;
  size_ = capacity_ = 0;
}

void AlignedBuffer::resize(std::size_t count) {
  if (count <= capacity_) {
    size_ = count;
    return;
  }
  float* fresh = allocate_aligned(count);
  std::free(data_);
  data_ = fresh;
  size_ = capacity_ = count;
}

void AlignedBuffer::fill_zero() {
  if (data_ != nullptr) std::memset(data_, 0, size_ * sizeof(float));
}

}  // namespace gradstep
