#include "bindings/common.hpp"
#include "model/sequential.hpp"

namespace gradstep {
namespace bindings {

namespace {

py::tuple result_tuple(const BatchResult& r) {
  return py::make_tuple(r.loss_sum, r.metric_sums, r.samples, r.metric_weight);
}

// The model's input as the C++ side reads it: int64 indices when the first layer is an
// Embedding (integer arrays only: indices never pass through float32), float32 otherwise.
// `keep` holds the converted array alive; returns the data pointer and the number of rows.
std::pair<const void*, std::int64_t> model_input(Sequential& model, py::object x, py::object& keep) {
  const std::int64_t in = shape_size(model.input_shape());
  if (model.takes_indices()) {
    py::array raw = py::array::ensure(x);
    if (!raw) throw py::type_error("x: expected an array of integer indices");
    const char kind = raw.dtype().kind();
    if (kind != 'i' && kind != 'u')
      throw py::type_error(std::string("x: the model starts with an Embedding, so x must hold integer indices, got "
                                       "dtype kind '") +
                           kind + "'");
    IndexArray indices = raw.cast<IndexArray>();
    const std::int64_t n = rows_of(indices, in, "x");
    keep = indices;
    return {indices.data(), n};
  }
  FloatArray values = x.cast<FloatArray>();
  const std::int64_t n = rows_of(values, in, "x");
  keep = values;
  return {values.data(), n};
}

// Shared by train_batch and test_batch: checks the arrays against the model and runs `step`
// with the GIL released.
template <typename Step>
py::tuple run_batch(Sequential& model, py::object x_obj, FloatArray y, py::object indices_obj, py::object weight_obj,
                    Step step) {
  py::object keep_x;
  const auto [x, n] = model_input(model, x_obj, keep_x);
  const std::int64_t ny = rows_of(y, model.target_width(), "y");
  if (n != ny)
    throw std::invalid_argument("x and y must have the same number of samples, got " + std::to_string(n) + " and " +
                                std::to_string(ny));
  IndexArray indices;
  const std::int64_t* idx = nullptr;
  std::int64_t batch = n;
  if (!indices_obj.is_none()) {
    indices = indices_obj.cast<IndexArray>();
    batch = static_cast<std::int64_t>(indices.size());
    idx = indices.data();
    for (std::int64_t i = 0; i < batch; ++i)
      if (idx[i] < 0 || idx[i] >= n)
        throw std::out_of_range("indices: " + std::to_string(idx[i]) + " is out of range [0, " + std::to_string(n) +
                                ")");
  }
  FloatArray weights;
  const float* w = nullptr;
  std::int64_t weight_width = 1;
  if (!weight_obj.is_none()) {
    weights = weight_obj.cast<FloatArray>();
    const auto size = static_cast<std::int64_t>(weights.size());
    const std::int64_t per = model.target_positions();
    if (n > 0 && size == n * per) {
      weight_width = per;
    } else if (size != n) {
      throw std::invalid_argument("sample_weight: expected " + std::to_string(n) + " values (one per sample) or " +
                                  std::to_string(n * per) + " (one per output position), got " + std::to_string(size));
    }
    w = weights.data();
  }
  if (batch == 0) throw std::invalid_argument("the batch is empty");
  BatchResult r;
  {
    py::gil_scoped_release release;
    r = step(x, y.data(), w, weight_width, idx, batch);
  }
  return result_tuple(r);
}

}  // namespace

void init_model(py::module_& m) {
  py::class_<Sequential, std::shared_ptr<Sequential>>(m, "Sequential")
      .def(py::init<>())
      .def("add", &Sequential::add, py::arg("layer"))
      .def_property_readonly("layers", &Sequential::layers)
      .def("build", &Sequential::build, py::arg("input_shape"), py::arg("seed"))
      .def("plan", &Sequential::plan, py::arg("input_shape"),
           "Every output and parameter shape for input_shape, allocating nothing (weight_info then answers).")
      .def_property_readonly("layers_planned", &Sequential::layers_planned,
                             "Layers planned before plan/build raised: the next one is at fault.")
      .def_property_readonly("built", &Sequential::built)
      .def_property_readonly("input_shape", &Sequential::input_shape)
      .def_property_readonly("output_shape", &Sequential::output_shape)
      .def_property_readonly("seed", &Sequential::seed)
      .def_property("direct_training_calls", &Sequential::direct_training_calls, &Sequential::set_direct_training_calls,
                    "Training-mode calls outside train_batch so far (their dropout masks' counter).")
      .def(
          "compile",
          [](Sequential& model, std::shared_ptr<Loss> loss, std::shared_ptr<Optimizer> optimizer,
             const std::vector<std::string>& metrics) {
            std::vector<Metric> parsed;
            for (const auto& name : metrics) parsed.push_back(parse_metric(name));
            model.compile(std::move(loss), std::move(optimizer), parsed);
          },
          py::arg("loss"), py::arg("optimizer"), py::arg("metrics"))
      .def_property_readonly("target_width", &Sequential::target_width)
      .def_property_readonly("target_positions", &Sequential::target_positions)
      .def(
          "last_output",
          [](Sequential& model, std::int64_t rows) {
            if (rows < 0) throw std::invalid_argument("last_output: no batch has run");
            Shape shape{rows};
            for (auto d : model.output_shape()) shape.push_back(d);
            auto out = new_array(shape);
            float* o = out.mutable_data();
            // The lock is taken without the GIL: a training step that holds it may be waiting
            // for the GIL (a loss written in Python), so holding both here would deadlock.
            bool copied = false;
            {
              py::gil_scoped_release release;
              std::lock_guard<std::mutex> lock(model.mutex());
              if (const float* data = model.last_output()) {
                std::copy(data, data + rows * shape_size(model.output_shape()), o);
                copied = true;
              }
            }
            if (!copied) throw std::invalid_argument("last_output: no batch has run");
            return out;
          },
          py::arg("rows"), "A copy of the output of the last batch (its first `rows` rows).")
      .def(
          "last_output_mask",
          [](Sequential& model, std::int64_t rows) -> py::object {
            if (!model.output_masked()) return py::none();
            auto out = new_array(Shape{rows, model.target_positions()});
            float* o = out.mutable_data();
            bool copied = false;
            {
              py::gil_scoped_release release;  // as in last_output: never wait for the lock holding the GIL
              std::lock_guard<std::mutex> lock(model.mutex());
              const float* mask = model.last_output_mask();
              if (mask != nullptr) {
                std::copy(mask, mask + rows * model.target_positions(), o);
                copied = true;
              }
            }
            return copied ? py::object(out) : py::object(py::none());
          },
          py::arg("rows"), "The padding mask of the last batch's output (rows x positions), or None.")
      .def_property_readonly("takes_indices", &Sequential::takes_indices)
      .def_property_readonly("output_masked", &Sequential::output_masked)
      .def(
          "set_gradient_reducer",
          [](Sequential& model, py::object reducer) {
            std::lock_guard<std::mutex> lock(model.mutex());
            if (reducer.is_none()) {
              model.set_gradient_reducer(nullptr);
              return;
            }
            // The train step runs with the GIL released: take it back only for the call. The
            // gradients are passed as a view (no copy) that the reducer overwrites in place.
            auto shared = std::make_shared<py::object>(std::move(reducer));
            model.set_gradient_reducer([shared](float* gradients, std::int64_t size, double weight) {
              py::gil_scoped_acquire gil;
              py::array_t<float> view({size}, {static_cast<py::ssize_t>(sizeof(float))}, gradients, py::none());
              (*shared)(view, weight);
            });
          },
          py::arg("reducer"),
          "reducer(gradients, weight) -> None, called in every train step before the update (None: no call); "
          "see Sequential::set_gradient_reducer.")
      .def(
          "train_batch",
          [](Sequential& model, py::object x, FloatArray y, py::object indices, py::object sample_weight) {
            return run_batch(
                model, x, y, indices, sample_weight,
                [&](const void* xp, const float* yp, const float* w, std::int64_t width, const std::int64_t* idx,
                    std::int64_t batch) { return model.train_batch(xp, yp, w, width, idx, batch); });
          },
          py::arg("x"), py::arg("y"), py::arg("indices") = py::none(), py::arg("sample_weight") = py::none(),
          "Forward, loss, backward and update of one batch (rows `indices` of x and y, or all rows), GIL "
          "released. Returns (loss sum, [metric sums], samples, metric weight).")
      .def(
          "test_batch",
          [](Sequential& model, py::object x, FloatArray y, py::object indices, py::object sample_weight) {
            return run_batch(
                model, x, y, indices, sample_weight,
                [&](const void* xp, const float* yp, const float* w, std::int64_t width, const std::int64_t* idx,
                    std::int64_t batch) { return model.test_batch(xp, yp, w, width, idx, batch); });
          },
          py::arg("x"), py::arg("y"), py::arg("indices") = py::none(), py::arg("sample_weight") = py::none())
      .def(
          "predict",
          [](Sequential& model, py::object x_obj, std::int64_t batch_size) {
            py::object keep;
            const auto [x, n] = model_input(model, x_obj, keep);
            Shape shape{n};
            for (auto d : model.output_shape()) shape.push_back(d);
            auto out = new_array(shape);
            float* o = out.mutable_data();
            if (n > 0) {
              py::gil_scoped_release release;
              model.predict(x, n, o, batch_size);
            }
            return out;
          },
          py::arg("x"), py::arg("batch_size"))
      .def(
          "forward",
          [](Sequential& model, py::object x_obj, bool training) {
            py::object keep;
            const auto [x, n] = model_input(model, x_obj, keep);
            Shape shape{n};
            for (auto d : model.output_shape()) shape.push_back(d);
            auto out = new_array(shape);
            float* o = out.mutable_data();
            if (n > 0) {
              py::gil_scoped_release release;
              model.forward(x, n, o, training);
            }
            return out;
          },
          py::arg("x"), py::arg("training"))
      .def(
          "forward_backward",
          [](Sequential& model, py::object x_obj, FloatArray dy, bool training) {
            py::object keep;
            const auto [x, n] = model_input(model, x_obj, keep);
            const std::int64_t ndy = rows_of(dy, shape_size(model.output_shape()), "dy");
            if (n == 0 || n != ndy)
              throw std::invalid_argument("x and dy must have the same positive number of samples, got " +
                                          std::to_string(n) + " and " + std::to_string(ndy));
            Shape out_shape{n}, in_shape{n};
            for (auto d : model.output_shape()) out_shape.push_back(d);
            for (auto d : model.input_shape()) in_shape.push_back(d);
            auto y = new_array(out_shape);
            // Integer inputs have no gradient: dx is None.
            py::object dx = model.takes_indices() ? py::object(py::none()) : py::object(new_array(in_shape));
            float* yp = y.mutable_data();
            float* dxp = model.takes_indices() ? nullptr : dx.cast<py::array_t<float>>().mutable_data();
            {
              py::gil_scoped_release release;
              model.forward_backward(x, n, dy.data(), yp, dxp, training);
            }
            py::list grads;
            for (std::size_t i = 0; i < model.param_info().size(); ++i) {
              const ParamInfo& info = model.param_info()[i];
              if (!info.trainable) continue;
              auto g = new_array(info.shape);
              std::copy(model.param_grad(i), model.param_grad(i) + info.segment.size, g.mutable_data());
              grads.append(g);
            }
            return py::make_tuple(y, dx, grads);
          },
          py::arg("x"), py::arg("dy"), py::arg("training"))
      .def(
          "objective",
          [](Sequential& model, py::object x, FloatArray y, py::object sample_weight, bool want_grad) {
            double value = 0.0;
            run_batch(model, x, y, py::none(), sample_weight,
                      [&](const void* xp, const float* yp, const float* w, std::int64_t width, const std::int64_t*,
                          std::int64_t batch) {
                        value = model.objective(xp, yp, w, width, batch, want_grad);
                        return BatchResult{};
                      });
            py::list grads;
            for (std::size_t i = 0; want_grad && i < model.param_info().size(); ++i) {
              const ParamInfo& info = model.param_info()[i];
              if (!info.trainable) continue;
              auto g = new_array(info.shape);
              std::copy(model.param_grad(i), model.param_grad(i) + info.segment.size, g.mutable_data());
              grads.append(g);
            }
            return py::make_tuple(value, want_grad ? py::object(grads) : py::object(py::none()));
          },
          py::arg("x"), py::arg("y"), py::arg("sample_weight") = py::none(), py::arg("want_grad") = true,
          "(mean loss + penalties, [gradient of each trainable weight] or None) of the whole batch in training "
          "mode without an update; dropout masks fixed and moving statistics restored (gradient checks).")
      .def_property_readonly("num_weights", [](Sequential& model) { return model.param_info().size(); })
      .def(
          "weight_info",
          [](Sequential& model, std::size_t i) {
            const ParamInfo& info = model.param_info().at(i);
            return py::make_tuple(info.layer, info.name, info.shape, info.trainable);
          },
          py::arg("index"), "(layer index, name, shape, trainable) of weight `index` in Keras order.")
      // The GIL is released before the model's lock is taken, as every other locking entry point
      // does: a train step whose optimizer calls back into Python (Custom) holds the lock and waits
      // for the GIL, so holding the GIL while waiting for the lock would deadlock.
      .def("set_layer_frozen", &Sequential::set_layer_frozen, py::arg("index"), py::arg("frozen"),
           py::call_guard<py::gil_scoped_release>(),
           "Leave layer `index`'s weights out of updates and penalties (Keras' trainable=False).")
      .def(
          "weight_frozen", [](Sequential& model, std::size_t i) { return model.param_info().at(i).frozen; },
          py::arg("index"))
      .def(
          "get_weight",
          [](Sequential& model, std::size_t i) {
            const ParamInfo& info = model.param_info().at(i);
            auto out = new_array(info.shape);
            std::copy(model.param_data(i), model.param_data(i) + info.segment.size, out.mutable_data());
            return out;
          },
          py::arg("index"))
      .def(
          "weight_view",
          [](py::object self, std::size_t i) {
            Sequential& model = self.cast<Sequential&>();
            const ParamInfo& info = model.param_info().at(i);
            std::vector<py::ssize_t> shape(info.shape.begin(), info.shape.end());
            std::vector<py::ssize_t> strides(shape.size());
            py::ssize_t stride = sizeof(float);
            for (std::size_t k = shape.size(); k-- > 0;) {
              strides[k] = stride;
              stride *= shape[k];
            }
            // A view of the model's buffer that keeps the model alive; read-only, so an edit
            // cannot bypass set_weights (and its checks) or race a training step.
            py::array_t<float> view(shape, strides, model.param_data(i), self);
            py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
            return view;
          },
          py::arg("index"), "A read-only NumPy view of weight `index` (it follows training).")
      .def(
          "set_weight",
          [](Sequential& model, std::size_t i, FloatArray value) {
            const ParamInfo& info = model.param_info().at(i);
            if (static_cast<std::int64_t>(value.size()) != info.segment.size)
              throw std::invalid_argument("set_weight: expected shape " + shape_str(info.shape) + ", got " +
                                          shape_str(array_shape(value)));
            py::gil_scoped_release release;  // as in last_output: never wait for the lock holding the GIL
            std::lock_guard<std::mutex> lock(model.mutex());
            std::copy(value.data(), value.data() + value.size(), model.param_data(i));
          },
          py::arg("index"), py::arg("value"))
      .def(
          "set_tracking",
          [](Sequential& model, const std::vector<std::string>& names) {
            TrackingOptions options;
            for (const auto& name : names) {
              if (name == "grad_norm")
                options.grad_norm = true;
              else if (name == "update_ratio")
                options.update_ratio = true;
              else if (name == "dead_relu")
                options.dead_relu = true;
              else if (name == "bn_stats")
                options.bn_stats = true;
              else
                throw std::invalid_argument("set_tracking: unknown figure '" + name +
                                            "', expected grad_norm, update_ratio, dead_relu or bn_stats");
            }
            model.set_tracking(options);
          },
          py::arg("names"),
          "Track these figures (grad_norm, update_ratio, dead_relu, bn_stats) in train_batch from now on, "
          "from zero; [] turns tracking off.")
      .def("reset_tracking",
           [](Sequential& model) {
             std::lock_guard<std::mutex> lock(model.mutex());
             model.reset_tracking();
           })
      .def(
          "tracked_values",
          [](Sequential& model) {
            std::lock_guard<std::mutex> lock(model.mutex());
            py::list out;
            for (const auto& f : model.tracked_figures())
              out.append(py::make_tuple(f.figure, f.layer, f.part, f.sum, f.count));
            return out;
          },
          "[(figure, layer index, part, sum, count)] since the last reset: each figure's per-batch values summed "
          "over the batches that counted (see cpp/model/tracking.hpp).")
      .def_property_readonly("num_trainable", &Sequential::num_trainable)
      .def_property_readonly("num_state", &Sequential::num_state);
}

}  // namespace bindings
}  // namespace gradstep
