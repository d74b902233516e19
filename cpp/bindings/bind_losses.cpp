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
