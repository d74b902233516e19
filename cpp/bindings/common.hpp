// Helpers shared by the bind_*.cpp files: NumPy <-> raw pointer conversions and shape checks.
// Validation with user-facing wording happens in Python; these checks are the C++ boundary's
// last line of defence (std::invalid_argument becomes ValueError).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>

#include "core/tensor.hpp"

namespace gradstep {
namespace bindings {

namespace py = pybind11;

// float32, C-contiguous: a zero-copy view when the input already is, a converted copy otherwise.
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
using IndexArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

inline Shape array_shape(const py::array& a) {
  Shape s;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s.push_back(static_cast<std::int64_t>(a.shape(i)));
  return s;
}

// Checks that `a` holds rows of `row_size` floats and returns the number of rows.
inline std::int64_t rows_of(const py::array& a, std::int64_t row_size, const char* name) {
  if (a.ndim() < 1) throw std::invalid_argument(std::string(name) + " must have a batch axis, got a scalar");
  const std::int64_t rows = static_cast<std::int64_t>(a.shape(0));
  if (rows == 0) return 0;
  if (static_cast<std::int64_t>(a.size()) != rows * row_size)
    throw std::invalid_argument(std::string(name) + ": expected rows of " + std::to_string(row_size) +
                                " values, got shape " + shape_str(array_shape(a)));
  return rows;
}

inline py::array_t<float> new_array(const Shape& shape) {
  std::vector<py::ssize_t> dims(shape.begin(), shape.end());
  return py::array_t<float>(dims);
}

void init_core(py::module_& m);
void init_kernels(py::module_& m);
void init_layers(py::module_& m);
void init_losses(py::module_& m);
void init_optimizers(py::module_& m);
void init_model(py::module_& m);

}  // namespace bindings
}  // namespace gradstep
