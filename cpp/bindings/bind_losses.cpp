#include "bindings/common.hpp"
#include "losses/cross_entropy.hpp"
#include "losses/hinge.hpp"
#include "losses/loss.hpp"
#include "losses/metrics.hpp"
#include "losses/regression.hpp"

namespace gradstep {
namespace bindings {

namespace {

// (mean loss, gradient or None) of y_pred against y_true; y_pred's last axis is the loss axis.
py::tuple compute_loss(Loss& loss, FloatArray y_true, FloatArray y_pred, py::object sample_weight, bool want_grad) {
  const Shape shape = array_shape(y_pred);
  if (shape.empty()) throw std::invalid_argument("y_pred must have at least one axis");
  const std::int64_t cols = shape.back();
  const std::int64_t rows = cols == 0 ? 0 : static_cast<std::int64_t>(y_pred.size()) / cols;
  if (rows == 0 || cols == 0) throw std::invalid_argument("y_pred must not be empty, got shape " + shape_str(shape));
  const std::int64_t expected_true = loss.sparse_targets() ? rows : rows * cols;
  if (static_cast<std::int64_t>(y_true.size()) != expected_true)
    throw std::invalid_argument("y_true: expected " + std::to_string(expected_true) + " values for y_pred of shape " +
                                shape_str(shape) + ", got shape " + shape_str(array_shape(y_true)));
  FloatArray weights;
  const float* w = nullptr;
  if (!sample_weight.is_none()) {
    weights = sample_weight.cast<FloatArray>();
    if (static_cast<std::int64_t>(weights.size()) != rows)
      throw std::invalid_argument("sample_weight: expected " + std::to_string(rows) + " values, got " +
                                  std::to_string(weights.size()));
    w = weights.data();
  }
  py::object grad = py::none();
  double total;
  if (want_grad) {
    auto g = new_array(shape);
    float* gp = g.mutable_data();
    {
      py::gil_scoped_release release;
      total = loss.compute(y_pred.data(), y_true.data(), w, rows, cols, 1.0f / static_cast<float>(rows), gp);
    }
    grad = g;
  } else {
    py::gil_scoped_release release;
    total = loss.compute(y_pred.data(), y_true.data(), w, rows, cols, 1.0f, nullptr);
  }
  return py::make_tuple(total / static_cast<double>(rows), grad);
}

// A read-only NumPy view of rows x cols floats (cols == 0: a 1-D array of rows values) that the
// Python loss reads during its call; the model's buffer outlives the call.
py::array_t<float> read_only_view(const float* data, std::int64_t rows, std::int64_t cols) {
  std::vector<py::ssize_t> shape{rows}, strides{static_cast<py::ssize_t>(sizeof(float))};
  if (cols > 0) {
    shape.push_back(cols);
    strides = {static_cast<py::ssize_t>(cols * sizeof(float)), static_cast<py::ssize_t>(sizeof(float))};
  }
  py::capsule no_owner(data, [](void*) {});
  py::array_t<float> view(shape, strides, data, no_owner);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

// A loss defined in Python: a gradstep.losses.Loss subclass with call() and gradient(). The train
// step runs with the GIL released; compute() takes it only for the callback, hands Python views of
// the batch (rows x cols, every leading axis of the output flattened into rows), and applies the
// sample weights and the grad_scale (1 / rows: Keras' sum_over_batch_size) here, as Loss::compute
// does for the built-in losses. The Python object's `_batch_loss(y_true, y_pred, want_grad)`
// checks what call/gradient return and answers (per-row losses (rows,), gradient (rows, cols)).
class PythonLoss : public Loss {
 public:
  PythonLoss(const py::object& owner, bool sparse, std::string name)
      : owner_(py::weakref(owner)), sparse_(sparse), name_(std::move(name)) {}
  // The weak reference (no cycle through C++ that Python's collector cannot see) is released
  // with the GIL held, whichever thread drops the last shared_ptr.
  ~PythonLoss() override {
    py::gil_scoped_acquire gil;
    py::object release = std::move(owner_);
  }
  std::string class_name() const override { return name_; }
  bool sparse_targets() const override { return sparse_; }

  double compute(const float* y_pred, const float* y_true, const float* sample_weight, std::int64_t rows,
                 std::int64_t cols, float grad_scale, float* grad, bool) override {
    py::gil_scoped_acquire gil;
    py::object owner = owner_();
    if (owner.is_none()) throw std::runtime_error(name_ + ": the Python loss object no longer exists");
    py::object truth = read_only_view(y_true, rows, sparse_ ? 0 : cols);
    py::object pred = read_only_view(y_pred, rows, cols);
    py::tuple answer = owner.attr("_batch_loss")(truth, pred, grad != nullptr);
    const FloatArray losses = answer[0].cast<FloatArray>();
    if (static_cast<std::int64_t>(losses.size()) != rows)
      throw std::invalid_argument(name_ + ".call: expected " + std::to_string(rows) + " per-sample losses, got " +
                                  std::to_string(losses.size()));
    FloatArray gradient;
    if (grad != nullptr) {
      gradient = answer[1].cast<FloatArray>();
      if (static_cast<std::int64_t>(gradient.size()) != rows * cols)
        throw std::invalid_argument(name_ + ".gradient: expected " + std::to_string(rows * cols) + " values, got " +
                                    std::to_string(gradient.size()));
    }
    const float* l = losses.data();
    const float* g = grad != nullptr ? gradient.data() : nullptr;
    double total = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const float w = sample_weight ? sample_weight[r] : 1.0f;
      // A zero weight (padding, or a weight of 0) drops the row, whatever the loss computed there.
      if (w != 0.0f) total += static_cast<float>(w * l[r]);
      if (g == nullptr) continue;
      const float factor = w == 0.0f ? 0.0f : grad_scale * w;
      for (std::int64_t c = 0; c < cols; ++c) grad[r * cols + c] = factor * g[r * cols + c];
    }
    return total;
  }

 protected:
  double row(const float*, const float*, std::int64_t, float, float*, bool) const override {
    throw std::logic_error("PythonLoss computes whole batches");
  }

 private:
  py::weakref owner_;
  bool sparse_;
  std::string name_;
};

}  // namespace

void init_losses(py::module_& m) {
  py::class_<Loss, std::shared_ptr<Loss>>(m, "Loss")
      .def_property_readonly("class_name", &Loss::class_name)
      .def_property_readonly("sparse_targets", &Loss::sparse_targets)
      .def_property_readonly("fusable_activation", &Loss::fusable_activation)
      .def("compute", &compute_loss, py::arg("y_true"), py::arg("y_pred"), py::arg("sample_weight") = py::none(),
           py::arg("want_grad") = true, "(mean loss, d loss / d y_pred) with Keras' sum_over_batch_size reduction.");

  py::class_<MeanSquaredError, Loss, std::shared_ptr<MeanSquaredError>>(m, "MeanSquaredError").def(py::init<>());
  py::class_<MeanAbsoluteError, Loss, std::shared_ptr<MeanAbsoluteError>>(m, "MeanAbsoluteError").def(py::init<>());
  py::class_<Huber, Loss, std::shared_ptr<Huber>>(m, "Huber").def(py::init<float>(), py::arg("delta"));
  py::class_<BinaryCrossentropy, Loss, std::shared_ptr<BinaryCrossentropy>>(m, "BinaryCrossentropy")
      .def(py::init<bool>(), py::arg("from_logits"));
  py::class_<CategoricalCrossentropy, Loss, std::shared_ptr<CategoricalCrossentropy>>(m, "CategoricalCrossentropy")
      .def(py::init<bool>(), py::arg("from_logits"));
  py::class_<SparseCategoricalCrossentropy, Loss, std::shared_ptr<SparseCategoricalCrossentropy>>(
      m, "SparseCategoricalCrossentropy")
      .def(py::init<bool>(), py::arg("from_logits"));
  py::class_<Hinge, Loss, std::shared_ptr<Hinge>>(m, "Hinge").def(py::init<>());
  py::class_<PythonLoss, Loss, std::shared_ptr<PythonLoss>>(m, "PythonLoss")
      .def(py::init<const py::object&, bool, std::string>(), py::arg("owner"), py::arg("sparse_targets"),
           py::arg("name"),
           "A loss computed by owner._batch_loss(y_true, y_pred, want_grad) (held by a weak reference).");

  m.def(
      "metric_mean",
      [](const std::string& name, FloatArray y_true, FloatArray y_pred) {
        const Metric metric = parse_metric(name);
        const Shape shape = array_shape(y_pred);
        const std::int64_t cols = shape.empty() ? 1 : shape.back();
        const std::int64_t rows = static_cast<std::int64_t>(y_pred.size()) / std::max<std::int64_t>(cols, 1);
        const std::int64_t expected = metric_uses_sparse_targets(metric) ? rows : rows * cols;
        if (rows == 0 || static_cast<std::int64_t>(y_true.size()) != expected)
          throw std::invalid_argument("metric " + name + ": y_true has " + std::to_string(y_true.size()) +
                                      " values, expected " + std::to_string(expected));
        return metric_sum(metric, y_pred.data(), y_true.data(), nullptr, rows, cols) / static_cast<double>(rows);
      },
      py::arg("name"), py::arg("y_true"), py::arg("y_pred"));
}

}  // namespace bindings
}  // namespace gradstep
