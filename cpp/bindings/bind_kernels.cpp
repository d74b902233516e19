// Python bindings of the raw kernels, for tests and benchmarks (gradstep._core._gemm, ISA switch).
//
//   _gemm(a, b, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, c=None) -> ndarray
//       C = alpha * op(a) @ op(b) + beta * C, with op(x) = x.T when trans_x. a and b are 2-D
//       array-likes; anything that is not float32 with unit column stride is first converted
//       to a float32 C-contiguous copy. A float32 array whose rows are padded - e.g. the view
//       big[:, :n] of a C-contiguous float32 `big` - is passed WITHOUT a copy, its row stride
//       becoming the leading dimension (lda/ldb); that is how tests reach the ld != cols paths.
//       c=None: returns a new (M, N) float32 array (C starts empty: beta is irrelevant).
//       c given: must be a writable float32 2-D array of shape (M, N) with unit column stride
//       (C-contiguous, or a row-padded view like big[:, :n], giving ldc); it is updated in place
//       and returned. It must not share memory with a or b.
//       Shape mismatches raise ValueError naming the shapes; an unusable c raises TypeError.
//       The GIL is released during the multiply.
//   _set_isa(name) -> str     force "avx512" / "avx2" / "generic" (clamped to what the CPU
//                             has; returns the ISA now active). Unknown name: ValueError.
//   _active_isa() -> str, _detected_isa() -> str
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "core/cpu.hpp"
#include "kernels/gemm.hpp"
#include "kernels/reduce.hpp"

namespace py = pybind11;

namespace gradstep {
namespace bindings {

void init_kernels(py::module_& m);

namespace {

using i64 = std::int64_t;

std::string shape_text(i64 rows, i64 cols) { return "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")"; }

// A 2-D float32 matrix as the kernels see it: pointer, shape and row stride in floats.
struct MatrixArg {
  py::array owner;  // keeps the data (the caller's array or our converted copy) alive
  float* data = nullptr;
  i64 rows = 0;
  i64 cols = 0;
  i64 ld = 0;

  const char* begin_byte() const { return reinterpret_cast<const char*>(data); }
  const char* end_byte() const {
    if (rows == 0 || cols == 0) return begin_byte();
    return reinterpret_cast<const char*>(data + (rows - 1) * ld + cols);
  }
};

// True when `arr` can be handed to the kernels as is: float32, 2-D, aligned, unit column
// stride and a row stride that is a whole number of floats, at least one row long.
bool usable_without_copy(const py::array& arr) {
  if (!arr.dtype().is(py::dtype::of<float>()) || arr.ndim() != 2) return false;
  const i64 rows = arr.shape(0), cols = arr.shape(1);
  const i64 row_stride = arr.strides(0), col_stride = arr.strides(1);
  const auto address = reinterpret_cast<std::uintptr_t>(arr.data());
  if (address % alignof(float) != 0) return false;
  if (cols > 1 && col_stride != static_cast<i64>(sizeof(float))) return false;
  if (rows > 1 &&
      (row_stride % static_cast<i64>(sizeof(float)) != 0 || row_stride < cols * static_cast<i64>(sizeof(float))))
    return false;
  return true;
}

i64 leading_dimension(const py::array& arr) {
  const i64 rows = arr.shape(0), cols = arr.shape(1);
  if (rows > 1) return arr.strides(0) / static_cast<i64>(sizeof(float));
  return cols > 1 ? cols : 1;  // a single row: any ld >= cols works
}

MatrixArg input_matrix(const py::object& obj, const char* name) {
  MatrixArg m;
  py::array arr;
  if (py::isinstance<py::array>(obj) && usable_without_copy(obj.cast<py::array>())) {
    arr = obj.cast<py::array>();
  } else {
    // pybind11 raises TypeError itself when the object cannot become a float array.
    arr = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(obj);
    if (!arr) {
      throw py::type_error(std::string(name) + " must be convertible to a float32 array, got " +
                           std::string(py::str(py::type::of(obj))));
    }
  }
  if (arr.ndim() != 2) {
    std::string shape = "(";
    for (py::ssize_t d = 0; d < arr.ndim(); ++d) shape += (d ? ", " : "") + std::to_string(arr.shape(d));
    throw py::value_error(std::string(name) + " must be a 2-D array, got " + std::to_string(arr.ndim()) +
                          "-D array of shape " + shape + (arr.ndim() == 1 ? ",)" : ")"));
  }
  m.owner = arr;
  // Inputs are only read; data() (not mutable_data()) so read-only arrays are accepted too.
  m.data = const_cast<float*>(static_cast<const float*>(arr.data()));
  m.rows = arr.shape(0);
  m.cols = arr.shape(1);
  m.ld = leading_dimension(arr);
  return m;
}

MatrixArg output_matrix(const py::object& obj, i64 M, i64 N) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error("c must be a float32 numpy.ndarray, got " + std::string(py::str(py::type::of(obj))));
  }
  py::array arr = obj.cast<py::array>();
  if (!arr.dtype().is(py::dtype::of<float>())) {
    throw py::type_error("c must have dtype float32, got " + std::string(py::str(arr.dtype())));
  }
  if (!arr.writeable()) throw py::type_error("c must be writable, got a read-only array");
  if (arr.ndim() != 2) {
    throw py::value_error("c must be 2-D with shape " + shape_text(M, N) + ", got " + std::to_string(arr.ndim()) +
                          "-D array");
  }
  if (arr.shape(0) != M || arr.shape(1) != N) {
    throw py::value_error("c has shape " + shape_text(arr.shape(0), arr.shape(1)) + ", expected " + shape_text(M, N) +
                          " (the shape of op(a) @ op(b))");
  }
  if (!usable_without_copy(arr)) {
    throw py::type_error("c must be C-contiguous (or a row-padded view with unit column stride), got strides (" +
                         std::to_string(arr.strides(0)) + ", " + std::to_string(arr.strides(1)) + ")");
  }
  MatrixArg m;
  m.owner = arr;
  m.data = static_cast<float*>(arr.mutable_data());
  m.rows = M;
  m.cols = N;
  m.ld = leading_dimension(arr);
  return m;
}

bool overlaps(const MatrixArg& x, const MatrixArg& y) {
  return x.begin_byte() < y.end_byte() && y.begin_byte() < x.end_byte();
}

// The epilogue's bias argument: None, or N float32 values (kept alive by `owner`).
GemmEpilogue epilogue_arg(const py::object& bias_obj, bool relu, i64 N, py::object& owner) {
  GemmEpilogue epilogue;
  epilogue.relu = relu;
  if (bias_obj.is_none()) return epilogue;
  auto bias = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(bias_obj);
  if (!bias) throw py::type_error("bias must be array-like of numbers");
  if (bias.ndim() != 1 || bias.shape(0) != N)
    throw py::value_error("bias must have shape (" + std::to_string(N) + ",) (the columns of C), got ndim " +
                          std::to_string(bias.ndim()) +
                          (bias.ndim() == 1 ? " length " + std::to_string(bias.shape(0)) : ""));
  owner = bias;
  epilogue.bias = bias.data();
  return epilogue;
}

py::array gemm_py(const py::object& a_obj, const py::object& b_obj, bool trans_a, bool trans_b, float alpha, float beta,
                  const py::object& c_obj, const py::object& bias_obj, bool relu) {
  MatrixArg a = input_matrix(a_obj, "a");
  MatrixArg b = input_matrix(b_obj, "b");
  const i64 M = trans_a ? a.cols : a.rows;
  const i64 K = trans_a ? a.rows : a.cols;
  const i64 Kb = trans_b ? b.cols : b.rows;
  const i64 N = trans_b ? b.rows : b.cols;
  if (K != Kb) {
    throw py::value_error("inner dimensions do not match: op(a) has shape " + shape_text(M, K) +
                          " (a.shape=" + shape_text(a.rows, a.cols) + ", trans_a=" + (trans_a ? "True" : "False") +
                          "), op(b) has shape " + shape_text(Kb, N) + " (b.shape=" + shape_text(b.rows, b.cols) +
                          ", trans_b=" + (trans_b ? "True" : "False") + ")");
  }

  MatrixArg c;
  py::array result;
  if (c_obj.is_none()) {
    result = py::array_t<float>({M, N});
    c.owner = result;
    c.data = static_cast<float*>(result.mutable_data());
    c.rows = M;
    c.cols = N;
    c.ld = N > 0 ? N : 1;
    beta = 0.0f;  // fresh storage is uninitialised: never read it
  } else {
    c = output_matrix(c_obj, M, N);
    if (overlaps(c, a) || overlaps(c, b)) throw py::value_error("c must not share memory with a or b");
    result = c.owner;
  }
  py::object bias_owner;
  const GemmEpilogue epilogue = epilogue_arg(bias_obj, relu, N, bias_owner);
  if (epilogue.bias != nullptr) {
    // The epilogue reads bias while it writes C (restrict pointers): they must not overlap.
    const auto* bias_begin = reinterpret_cast<const char*>(epilogue.bias);
    const char* bias_end = bias_begin + N * static_cast<i64>(sizeof(float));
    if (bias_begin < c.end_byte() && c.begin_byte() < bias_end)
      throw py::value_error("bias must not share memory with c");
  }

  {
    py::gil_scoped_release no_gil;
    gemm(trans_a, trans_b, M, N, K, alpha, a.data, a.ld, b.data, b.ld, beta, c.data, c.ld, epilogue);
  }
  return result;
}

}  // namespace

void init_kernels(py::module_& m) {
  m.def("_gemm", &gemm_py, py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false,
        py::arg("alpha") = 1.0f, py::arg("beta") = 0.0f, py::arg("c") = py::none(), py::arg("bias") = py::none(),
        py::arg("relu") = false,
        "C = alpha * op(a) @ op(b) + beta * C in float32 (op(x) = x.T when trans_x). Returns a "
        "new array, or updates `c` in place (float32, writable, unit column stride) and returns "
        "it. Row-padded float32 views (big[:, :n]) are used without a copy, their row stride "
        "becoming the leading dimension. The epilogue: `bias` (N values) is added to every row, "
        "then ReLU when `relu`, in the GEMM's tiles (GemmEpilogue).");
  m.def(
      "_gemm_prepacked",
      [](const py::array_t<float, py::array::c_style | py::array::forcecast>& a,
         const py::array_t<float, py::array::c_style | py::array::forcecast>& b, bool trans_a, bool trans_b,
         float alpha, float beta, py::object c_obj, const py::object& bias_obj, bool relu) {
        if (a.ndim() != 2 || b.ndim() != 2) throw py::value_error("a and b must be 2-D");
        const std::int64_t M = trans_a ? a.shape(1) : a.shape(0), K = trans_a ? a.shape(0) : a.shape(1);
        const std::int64_t Kb = trans_b ? b.shape(1) : b.shape(0), N = trans_b ? b.shape(0) : b.shape(1);
        if (K != Kb) throw py::value_error("inner dimensions do not match");
        py::array_t<float> c({M, N});
        if (!c_obj.is_none()) {
          auto given = c_obj.cast<py::array_t<float, py::array::c_style | py::array::forcecast>>();
          if (given.ndim() != 2 || given.shape(0) != M || given.shape(1) != N) throw py::value_error("c: wrong shape");
          std::copy(given.data(), given.data() + M * N, c.mutable_data());
        } else {
          beta = 0.0f;
        }
        float* cp = c.mutable_data();
        py::object bias_owner;
        const GemmEpilogue epilogue = epilogue_arg(bias_obj, relu, N, bias_owner);
        {
          py::gil_scoped_release no_gil;
          PackedB packed;
          packed.pack(trans_b, K, N, b.data(), b.shape(1));
          gemm_prepacked(trans_a, M, alpha, a.data(), a.shape(1), packed, beta, cp, N, epilogue);
        }
        return c;
      },
      py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("alpha") = 1.0f,
      py::arg("beta") = 0.0f, py::arg("c") = py::none(), py::arg("bias") = py::none(), py::arg("relu") = false,
      "C = alpha * op(a) @ op(b) + beta * c through PackedB + gemm_prepacked (tests: same bits as _gemm), "
      "with _gemm's epilogue (bias, relu).");
  m.def(
      "_all_finite",
      [](const py::array_t<float, py::array::c_style>& a) {
        const float* data = a.data();
        const auto n = static_cast<std::int64_t>(a.size());
        py::gil_scoped_release release;
        return all_finite(n, data);
      },
      py::arg("a").noconvert(),
      "True when the C-contiguous float32 array has no NaN or inf (no temporary array; the check "
      "input validation runs on every fit/evaluate/predict call).");
  m.def(
      "_set_isa",
      [](const std::string& name) {
        set_isa(parse_isa(name));  // std::invalid_argument -> ValueError
        return std::string(isa_name(active_isa()));
      },
      py::arg("name"),
      "Force the kernel instruction set ('avx512', 'avx2' or 'generic'), clamped to what the CPU "
      "supports. Returns the ISA now active.");
  m.def(
      "_active_isa", [] { return std::string(isa_name(active_isa())); }, "Instruction set the kernels currently use.");
  m.def(
      "_detected_isa", [] { return std::string(isa_name(detected_isa())); }, "Best instruction set this CPU supports.");
}

}  // namespace bindings
}  // namespace gradstep
