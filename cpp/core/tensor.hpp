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

// "(None, 28, 28, 1)": a per-sample shape with the batch axis in front, as Keras prints it.
inline std::string batch_shape_str(const Shape& shape) {
  std::string s = "(None";
  for (auto d : shape) s += ", " + std::to_string(d);
  return s + ")";
}


}  // namespace gradstep
