// Tensor: a float32, row-major, N-d shape over either owned 64-byte-aligned storage or a
// borrowed pointer (a zero-copy view of a NumPy array). No math lives here: kernels are free
// functions over raw pointers (kernels/), so this type stays a shape plus a pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/memory.hpp"

namespace gradstep {

using Shape = std::vector<std::int64_t>;

inline std::int64_t shape_size(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

inline std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// The most elements one tensor of a model may have (2^40, 4 TiB of floats): a shape beyond it,
// or whose size overflows int64, comes from a bad configuration (or a hostile model file) and is
// refused before anything is allocated.
constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;

// shape_size() that refuses non-positive dimensions and sizes above kMaxElements (computed
// without overflow); `what` names the tensor in the message.
inline std::int64_t checked_shape_size(const Shape& shape, const std::string& what) {
  std::int64_t n = 1;
  for (auto d : shape) {
    if (d <= 0) throw std::invalid_argument(what + " has a non-positive dimension: " + shape_str(shape));
    if (d > kMaxElements / n)
      throw std::invalid_argument(what + " " + shape_str(shape) + " has more than 2^40 elements");
    n *= d;
  }
  return n;
}

// "(None, 28, 28, 1)": a per-sample shape with the batch axis in front, as Keras prints it.
inline std::string batch_shape_str(const Shape& shape) {
  std::string s = "(None";
  for (auto d : shape) s += ", " + std::to_string(d);
  return s + ")";
}

}  // namespace gradstep
