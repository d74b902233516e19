// Aligned float storage and a counter of core allocations.
//
// Every buffer the core allocates (activations, gradients, parameters, optimizer slots, GEMM
// packing space) goes through AlignedBuffer, so a single counter tells tests whether the
// steady-state train step allocates: it must stay flat once a model has seen its batch size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace gradstep {

// 64 bytes: one cache line and one AVX-512 register, so aligned loads never split a line.
constexpr std::size_t kAlignment = 64;

// Number of AlignedBuffer allocations since the process started (monotonic).
std::uint64_t allocation_count();

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) { resize(count); }
  ~AlignedBuffer() { release(); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& other) noexcept { swap(other); }
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
    if (this != &other) {
      release();
      swap(other);
    }
    return *this;
  }

  // Grows to at least `count` floats (contents are not kept); never shrinks, so reusing a
  // buffer for a smaller batch costs nothing. New storage is zero-filled.
  void resize(std::size_t count);
  void fill_zero();

  float* data() { return data_; }
  const float* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

 private:
  void release();
  void swap(AlignedBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }
  float* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace gradstep
