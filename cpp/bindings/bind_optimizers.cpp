#include "bindings/common.hpp"
#include "optimizers/adagrad.hpp"
#include "optimizers/adam.hpp"
#include "optimizers/adamw.hpp"
#include "optimizers/custom.hpp"
#include "optimizers/optimizer.hpp"
#include "optimizers/rmsprop.hpp"
#include "optimizers/sgd.hpp"

namespace gradstep {
namespace bindings {

void init_optimizers(py::module_& m) {
  py::class_<Optimizer, std::shared_ptr<Optimizer>>(m, "Optimizer")
      .def_property_readonly("class_name", &Optimizer::class_name)
      .def_property_readonly("slot_names", &Optimizer::slot_names)
      .def_property("learning_rate", &Optimizer::learning_rate, &Optimizer::set_learning_rate)
      .def_property("weight_decay", &Optimizer::weight_decay, &Optimizer::set_weight_decay)
      .def_property("iterations", &Optimizer::iterations, &Optimizer::set_iterations)
      .def_property_readonly("clipnorm", &Optimizer::clipnorm)
      .def_property_readonly("clipvalue", &Optimizer::clipvalue)
      .def_property_readonly("global_clipnorm", &Optimizer::global_clipnorm)
      .def("set_clipping", &Optimizer::set_clipping, py::arg("clipnorm"), py::arg("clipvalue"),
           py::arg("global_clipnorm"))
      .def_property_readonly("built", &Optimizer::built)
      .def_property_readonly("num_params", &Optimizer::num_params)
      .def(
          "build",
          [](Optimizer& opt, const std::vector<std::int64_t>& sizes) {
            std::vector<ParamSegment> segments;
            std::int64_t offset = 0;
            for (auto s : sizes) {
              if (s < 0) throw std::invalid_argument("Optimizer.build: negative variable size");
              segments.push_back({offset, s});
              offset += s;
            }
            opt.build(segments);
          },
          py::arg("sizes"), "Create zeroed slots for variables of these sizes (one flat layout).")
      .def(
          "apply_flat",
          [](Optimizer& opt, py::array_t<float, py::array::c_style> params,
             py::array_t<float, py::array::c_style> grads) {
            if (!opt.built()) throw std::invalid_argument("Optimizer.apply_flat: call build() first");
            if (params.size() != opt.num_params() || grads.size() != opt.num_params())
              throw std::invalid_argument("Optimizer.apply_flat: expected " + std::to_string(opt.num_params()) +
                                          " parameters and gradients, got " + std::to_string(params.size()) + " and " +
                                          std::to_string(grads.size()));
            float* p = params.mutable_data();
            float* g = grads.mutable_data();
            py::gil_scoped_release release;
            opt.apply(p, g);
          },
          py::arg("params"), py::arg("grads"),
          "One update of the flat parameter buffer in place (grads are clipped in place).")
      .def(
          "get_slot",
          [](Optimizer& opt, std::size_t i) {
            if (i >= opt.num_slots()) throw std::out_of_range("slot index out of range");
            auto out = new_array({opt.num_params()});
            std::copy(opt.slot_data(i), opt.slot_data(i) + opt.num_params(), out.mutable_data());
            return out;
          },
          py::arg("index"))
      .def(
          "set_slot",
          [](Optimizer& opt, std::size_t i, FloatArray values) {
            if (i >= opt.num_slots()) throw std::out_of_range("slot index out of range");
            if (values.size() != opt.num_params())
              throw std::invalid_argument("set_slot: expected " + std::to_string(opt.num_params()) + " values, got " +
                                          std::to_string(values.size()));
            std::copy(values.data(), values.data() + values.size(), opt.slot_data(i));
          },
          py::arg("index"), py::arg("values"));

  py::class_<SGD, Optimizer, std::shared_ptr<SGD>>(m, "SGD")
      .def(py::init([](float lr, float momentum, bool nesterov, const std::string& convention) {
             return std::make_shared<SGD>(lr, momentum, nesterov, parse_convention(convention));
           }),
           py::arg("learning_rate"), py::arg("momentum"), py::arg("nesterov"), py::arg("convention") = "keras")
      .def_property_readonly("convention", [](const SGD& o) { return convention_name(o.convention()); });
  py::class_<RMSprop, Optimizer, std::shared_ptr<RMSprop>>(m, "RMSprop")
      .def(py::init(
               [](float lr, float rho, float momentum, float epsilon, bool centered, const std::string& convention) {
                 return std::make_shared<RMSprop>(lr, rho, momentum, epsilon, centered, parse_convention(convention));
               }),
           py::arg("learning_rate"), py::arg("rho"), py::arg("momentum"), py::arg("epsilon"), py::arg("centered"),
           py::arg("convention") = "keras")
      .def_property_readonly("convention", [](const RMSprop& o) { return convention_name(o.convention()); });
  py::class_<Adam, Optimizer, std::shared_ptr<Adam>>(m, "Adam")
      .def(py::init(
               [](float lr, float beta_1, float beta_2, float epsilon, bool amsgrad, const std::string& convention) {
                 return std::make_shared<Adam>(lr, beta_1, beta_2, epsilon, amsgrad, parse_convention(convention));
               }),
           py::arg("learning_rate"), py::arg("beta_1"), py::arg("beta_2"), py::arg("epsilon"), py::arg("amsgrad"),
           py::arg("convention") = "keras")
      .def_property_readonly("convention", [](const Adam& o) { return convention_name(o.convention()); });
  py::class_<AdamW, Adam, std::shared_ptr<AdamW>>(m, "AdamW")
      .def(py::init([](float lr, float weight_decay, float beta_1, float beta_2, float epsilon, bool amsgrad,
                       const std::string& convention) {
             return std::make_shared<AdamW>(lr, weight_decay, beta_1, beta_2, epsilon, amsgrad,
                                            parse_convention(convention));
           }),
           py::arg("learning_rate"), py::arg("weight_decay"), py::arg("beta_1"), py::arg("beta_2"), py::arg("epsilon"),
           py::arg("amsgrad"), py::arg("convention") = "keras");
  py::class_<Adagrad, Optimizer, std::shared_ptr<Adagrad>>(m, "Adagrad")
      .def(py::init<float, float, float>(), py::arg("learning_rate"), py::arg("initial_accumulator_value"),
           py::arg("epsilon"));

  // The rule is `update(w, g, state, step[, learning_rate=lr])`, a Python callable, called with the
  // GIL taken (train_batch releases it) on NumPy views of one variable's segment: w and the state
  // arrays writeable, g read-only. The views share the optimizer's and model's buffers and are only
  // valid during the call. A Python exception propagates out of apply() (and train_batch) as is.
  py::class_<Custom, Optimizer, std::shared_ptr<Custom>>(m, "Custom")
      .def(py::init([](float lr, std::vector<std::string> slot_names, py::function update, bool pass_learning_rate) {
             Custom::Callback callback = [update, slot_names, pass_learning_rate](const Custom::Segment& seg) {
               py::gil_scoped_acquire gil;
               // The buffers belong to the model and the optimizer: the views must not free them.
               py::capsule no_owner(seg.params, [](void*) {});
               const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(seg.size)};
               py::array_t<float> w(shape, seg.params, no_owner);
               py::array_t<float> g(shape, const_cast<float*>(seg.grads), no_owner);
               g.attr("flags").attr("writeable") = false;
               py::dict state;
               for (std::size_t k = 0; k < seg.slots.size(); ++k)
                 state[py::str(slot_names[k])] = py::array_t<float>(shape, seg.slots[k], no_owner);
               if (pass_learning_rate)
                 update(w, g, state, seg.step, py::arg("learning_rate") = seg.learning_rate);
               else
                 update(w, g, state, seg.step);
             };
             return std::make_shared<Custom>(lr, slot_names, std::move(callback));
           }),
           py::arg("learning_rate"), py::arg("slot_names"), py::arg("update"), py::arg("pass_learning_rate"));
}

}  // namespace bindings
}  // namespace gradstep
