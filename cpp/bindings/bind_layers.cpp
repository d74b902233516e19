#include "bindings/common.hpp"
#include "kernels/activations.hpp"
#include "layers/activation_layer.hpp"
#include "layers/batch_normalization.hpp"
#include "layers/bidirectional.hpp"
#include "layers/convolution.hpp"
#include "layers/dense.hpp"
#include "layers/dropout.hpp"
#include "layers/embedding.hpp"
#include "layers/gru.hpp"
#include "layers/initializers.hpp"
#include "layers/lstm.hpp"
#include "layers/masking.hpp"
#include "layers/pooling.hpp"
#include "layers/recurrent.hpp"
#include "layers/reshape.hpp"
#include "layers/simple_rnn.hpp"
#include "layers/upsampling.hpp"
#include "layers/zero_padding.hpp"

namespace gradstep {
namespace bindings {

namespace {

Initializer make_initializer(const std::string& kind, float value, float minval, float maxval, float mean, float stddev,
                             float scale, const std::string& mode, const std::string& distribution, py::object seed) {
  Initializer init;
  if (kind == "constant") {
    init.kind = Initializer::Kind::constant;
    init.value = value;
  } else if (kind == "random_uniform") {
    init.kind = Initializer::Kind::random_uniform;
    init.minval = minval;
    init.maxval = maxval;
  } else if (kind == "random_normal" || kind == "truncated_normal") {
    init.kind = kind == "random_normal" ? Initializer::Kind::random_normal : Initializer::Kind::truncated_normal;
    init.mean = mean;
    init.stddev = stddev;
  } else if (kind == "orthogonal") {
    init.kind = Initializer::Kind::orthogonal;
    init.scale = scale;  // the gain
  } else if (kind == "variance_scaling") {
    init.kind = Initializer::Kind::variance_scaling;
    init.scale = scale;
    if (mode == "fan_in")
      init.mode = Initializer::Mode::fan_in;
    else if (mode == "fan_out")
      init.mode = Initializer::Mode::fan_out;
    else if (mode == "fan_avg")
      init.mode = Initializer::Mode::fan_avg;
    else
      throw std::invalid_argument("mode must be 'fan_in', 'fan_out' or 'fan_avg', got '" + mode + "'");
    if (distribution == "truncated_normal")
      init.distribution = Initializer::Distribution::truncated_normal;
    else if (distribution == "untruncated_normal")
      init.distribution = Initializer::Distribution::untruncated_normal;
    else if (distribution == "uniform")
      init.distribution = Initializer::Distribution::uniform;
    else
      throw std::invalid_argument("distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', got '" +
                                  distribution + "'");
  } else {
    init = Initializer::from_name(kind);
  }
  if (!seed.is_none()) {
    init.has_seed = true;
    init.seed = seed.cast<std::uint64_t>();
  }
  return init;
}

}  // namespace

void init_layers(py::module_& m) {
  py::class_<Initializer>(m, "Initializer")
      .def(py::init(&make_initializer), py::arg("kind"), py::arg("value") = 0.0f, py::arg("minval") = -0.05f,
           py::arg("maxval") = 0.05f, py::arg("mean") = 0.0f, py::arg("stddev") = 0.05f, py::arg("scale") = 1.0f,
           py::arg("mode") = "fan_in", py::arg("distribution") = "truncated_normal", py::arg("seed") = py::none())
      .def(
          "sample",
          [](const Initializer& init, const std::vector<std::int64_t>& shape, std::uint64_t key) {
            auto out = new_array(shape);
            init.fill(shape, key, out.mutable_data());
            return out;
          },
          py::arg("shape"), py::arg("key"),
          "Draw a tensor of `shape` (key: RNG key when the initializer has no seed).");

  py::class_<Layer, LayerPtr>(m, "Layer")
      .def_property_readonly("class_name", &Layer::class_name)
      .def_property_readonly("input_shape", &Layer::input_shape)
      .def_property_readonly("output_shape", &Layer::output_shape)
      .def_property_readonly("built", &Layer::built)
      .def(
          "set_regularizer",
          [](Layer& layer, const std::string& param, float l1, float l2) {
            if (!(l1 >= 0.0f) || !(l2 >= 0.0f))
              throw std::invalid_argument("regularizer factors must be >= 0, got l1=" + std::to_string(l1) +
                                          ", l2=" + std::to_string(l2));
            layer.set_regularizer(param, Regularizer{l1, l2});
          },
          py::arg("param"), py::arg("l1"), py::arg("l2"), "Penalise weight `param` by l1*sum|w| + l2*sum w^2.");

  py::class_<Dense, Layer, std::shared_ptr<Dense>>(m, "Dense")
      .def(py::init([](std::int64_t units, const std::string& activation, bool use_bias, Initializer kernel_init,
                       Initializer bias_init) {
             return std::make_shared<Dense>(units, parse_activation(activation), use_bias, kernel_init, bias_init);
           }),
           py::arg("units"), py::arg("activation"), py::arg("use_bias"), py::arg("kernel_initializer"),
           py::arg("bias_initializer"));

  py::class_<ActivationLayer, Layer, std::shared_ptr<ActivationLayer>>(m, "Activation")
      .def(py::init([](const std::string& activation) {
             return std::make_shared<ActivationLayer>(parse_activation(activation));
           }),
           py::arg("activation"));

  py::class_<Dropout, Layer, std::shared_ptr<Dropout>>(m, "Dropout")
      .def(py::init([](float rate, py::object seed) {
             const bool has_seed = !seed.is_none();
             return std::make_shared<Dropout>(rate, has_seed, has_seed ? seed.cast<std::uint64_t>() : 0);
           }),
           py::arg("rate"), py::arg("seed") = py::none());

  py::class_<BatchNormalization, Layer, std::shared_ptr<BatchNormalization>>(m, "BatchNormalization")
      .def(py::init([](float momentum, float epsilon, bool center, bool scale, Initializer beta, Initializer gamma,
                       Initializer moving_mean, Initializer moving_variance, const std::string& convention) {
             return std::make_shared<BatchNormalization>(momentum, epsilon, center, scale, beta, gamma, moving_mean,
                                                         moving_variance, parse_convention(convention));
           }),
           py::arg("momentum"), py::arg("epsilon"), py::arg("center"), py::arg("scale"), py::arg("beta_initializer"),
           py::arg("gamma_initializer"), py::arg("moving_mean_initializer"), py::arg("moving_variance_initializer"),
           py::arg("convention") = "keras")
      .def(
          "set_statistics_reducer",
          [](BatchNormalization& layer, py::object reducer) {
            if (reducer.is_none()) {
              layer.set_statistics_reducer(nullptr);
              return;
            }
            // Called inside the train step, which runs with the GIL released: take it for the call.
            auto shared = std::make_shared<py::object>(std::move(reducer));
            layer.set_statistics_reducer([shared](double* values, std::int64_t n) {
              py::gil_scoped_acquire gil;
              py::array_t<double> view({n}, {static_cast<py::ssize_t>(sizeof(double))}, values, py::none());
              (*shared)(view);
            });
          },
          py::arg("reducer"),
          "reducer(values) -> None sums float64 values over the processes in place (None: this process's rows "
          "only); see BatchNormalization::set_statistics_reducer.");

  const auto conv_options = [](int rank, std::int64_t filters, std::vector<std::int64_t> kernel_size,
                               std::vector<std::int64_t> strides, std::vector<std::int64_t> dilation_rate,
                               const std::string& padding, const std::string& activation, bool use_bias,
                               Initializer kernel_init, Initializer bias_init) {
    ConvOptions o;
    o.rank = rank;
    o.filters = filters;
    o.kernel = std::move(kernel_size);
    o.strides = std::move(strides);
    o.dilation = std::move(dilation_rate);
    o.padding = parse_padding(padding);
    o.activation = parse_activation(activation);
    o.use_bias = use_bias;
    o.kernel_initializer = kernel_init;
    o.bias_initializer = bias_init;
    return o;
  };
  py::class_<Convolution, Layer, std::shared_ptr<Convolution>>(m, "Convolution")
      .def(py::init([conv_options](int rank, std::int64_t filters, std::vector<std::int64_t> kernel_size,
                                   std::vector<std::int64_t> strides, std::vector<std::int64_t> dilation_rate,
                                   const std::string& padding, const std::string& activation, bool use_bias,
                                   Initializer kernel_init, Initializer bias_init) {
             return std::make_shared<Convolution>(conv_options(rank, filters, std::move(kernel_size),
                                                               std::move(strides), std::move(dilation_rate), padding,
                                                               activation, use_bias, kernel_init, bias_init));
           }),
           py::arg("rank"), py::arg("filters"), py::arg("kernel_size"), py::arg("strides"), py::arg("dilation_rate"),
           py::arg("padding"), py::arg("activation"), py::arg("use_bias"), py::arg("kernel_initializer"),
           py::arg("bias_initializer"));

  py::class_<ConvTranspose, Layer, std::shared_ptr<ConvTranspose>>(m, "ConvTranspose")
      .def(py::init([conv_options](std::int64_t filters, std::vector<std::int64_t> kernel_size,
                                   std::vector<std::int64_t> strides, std::vector<std::int64_t> dilation_rate,
                                   const std::string& padding, const std::string& activation, bool use_bias,
                                   Initializer kernel_init, Initializer bias_init) {
             return std::make_shared<ConvTranspose>(conv_options(2, filters, std::move(kernel_size), std::move(strides),
                                                                 std::move(dilation_rate), padding, activation,
                                                                 use_bias, kernel_init, bias_init));
           }),
           py::arg("filters"), py::arg("kernel_size"), py::arg("strides"), py::arg("dilation_rate"), py::arg("padding"),
           py::arg("activation"), py::arg("use_bias"), py::arg("kernel_initializer"), py::arg("bias_initializer"));

  py::class_<Pooling, Layer, std::shared_ptr<Pooling>>(m, "Pooling")
      .def(py::init([](int rank, const std::string& mode, bool global, std::vector<std::int64_t> pool_size,
                       std::vector<std::int64_t> strides, const std::string& padding) {
             if (mode != "max" && mode != "average")
               throw std::invalid_argument("pooling mode must be 'max' or 'average', got '" + mode + "'");
             return std::make_shared<Pooling>(rank, mode == "max" ? PoolMode::max : PoolMode::average, global,
                                              std::move(pool_size), std::move(strides), parse_padding(padding));
           }),
           py::arg("rank"), py::arg("mode"), py::arg("global_pool"), py::arg("pool_size"), py::arg("strides"),
           py::arg("padding"));

  py::class_<Reshape, Layer, std::shared_ptr<Reshape>>(m, "Reshape")
      .def(py::init<Shape, bool>(), py::arg("target_shape"), py::arg("flatten"));

  py::class_<UpSampling2D, Layer, std::shared_ptr<UpSampling2D>>(m, "UpSampling2D")
      .def(py::init<std::int64_t, std::int64_t>(), py::arg("rows"), py::arg("cols"));

  py::class_<ZeroPadding2D, Layer, std::shared_ptr<ZeroPadding2D>>(m, "ZeroPadding2D")
      .def(py::init<std::int64_t, std::int64_t, std::int64_t, std::int64_t>(), py::arg("top"), py::arg("bottom"),
           py::arg("left"), py::arg("right"));

  m.def(
      "activation_forward",
      [](const std::string& name, FloatArray z) {
        const Activation a = parse_activation(name);
        const Shape shape = array_shape(z);
        const std::int64_t cols = shape.empty() ? 1 : shape.back();
        const std::int64_t rows = cols == 0 ? 0 : static_cast<std::int64_t>(z.size()) / cols;
        auto y = new_array(shape);
        activation_forward(a, rows, cols, z.data(), y.mutable_data());
        return y;
      },
      py::arg("name"), py::arg("x"), "Apply an activation (softmax over the last axis).");

  // Recurrent layers: the Python wrappers pass every option; see layers/recurrent.hpp.
  const auto recurrent_options = [](std::int64_t units, const std::string& activation,
                                    const std::string& recurrent_activation, bool use_bias, bool return_sequences,
                                    bool go_backwards, float dropout, float recurrent_dropout, py::object seed,
                                    Initializer kernel_init, Initializer recurrent_init, Initializer bias_init) {
    RecurrentOptions o;
    o.units = units;
    o.activation = parse_activation(activation);
    o.recurrent_activation = parse_activation(recurrent_activation);
    o.use_bias = use_bias;
    o.return_sequences = return_sequences;
    o.go_backwards = go_backwards;
    o.dropout = dropout;
    o.recurrent_dropout = recurrent_dropout;
    o.has_seed = !seed.is_none();
    o.seed = o.has_seed ? seed.cast<std::uint64_t>() : 0;
    o.kernel_initializer = kernel_init;
    o.recurrent_initializer = recurrent_init;
    o.bias_initializer = bias_init;
    return o;
  };
#define GRADSTEP_RECURRENT_ARGS                                                                               \
  py::arg("units"), py::arg("activation"), py::arg("recurrent_activation"), py::arg("use_bias"),              \
      py::arg("return_sequences"), py::arg("go_backwards"), py::arg("dropout"), py::arg("recurrent_dropout"), \
      py::arg("seed"), py::arg("kernel_initializer"), py::arg("recurrent_initializer"), py::arg("bias_initializer")
  py::class_<Recurrent, Layer, std::shared_ptr<Recurrent>>(m, "Recurrent")
      .def("set_zero_output_for_mask", &Recurrent::set_zero_output_for_mask, py::arg("zero"));
  py::class_<SimpleRNN, Recurrent, std::shared_ptr<SimpleRNN>>(m, "SimpleRNN")
      .def(py::init([=](std::int64_t units, const std::string& act, const std::string& ract, bool use_bias, bool seq,
                        bool back, float dropout, float rdropout, py::object seed, Initializer k, Initializer r,
                        Initializer b) {
             return std::make_shared<SimpleRNN>(
                 recurrent_options(units, act, ract, use_bias, seq, back, dropout, rdropout, seed, k, r, b));
           }),
           GRADSTEP_RECURRENT_ARGS);
  py::class_<LSTM, Recurrent, std::shared_ptr<LSTM>>(m, "LSTM").def(
      py::init([=](std::int64_t units, const std::string& act, const std::string& ract, bool use_bias, bool seq,
                   bool back, float dropout, float rdropout, py::object seed, Initializer k, Initializer r,
                   Initializer b, bool unit_forget_bias) {
        return std::make_shared<LSTM>(
            recurrent_options(units, act, ract, use_bias, seq, back, dropout, rdropout, seed, k, r, b),
            unit_forget_bias);
      }),
      GRADSTEP_RECURRENT_ARGS, py::arg("unit_forget_bias"));
  py::class_<GRU, Recurrent, std::shared_ptr<GRU>>(m, "GRU").def(
      py::init([=](std::int64_t units, const std::string& act, const std::string& ract, bool use_bias, bool seq,
                   bool back, float dropout, float rdropout, py::object seed, Initializer k, Initializer r,
                   Initializer b) {
        return std::make_shared<GRU>(
            recurrent_options(units, act, ract, use_bias, seq, back, dropout, rdropout, seed, k, r, b));
      }),
      GRADSTEP_RECURRENT_ARGS);
#undef GRADSTEP_RECURRENT_ARGS

  py::class_<Bidirectional, Layer, std::shared_ptr<Bidirectional>>(m, "Bidirectional")
      .def(py::init([](std::shared_ptr<Recurrent> forward_layer, std::shared_ptr<Recurrent> backward_layer,
                       const std::string& merge_mode) {
             Bidirectional::Merge merge;
             if (merge_mode == "concat")
               merge = Bidirectional::Merge::concat;
             else if (merge_mode == "sum")
               merge = Bidirectional::Merge::sum;
             else if (merge_mode == "mul")
               merge = Bidirectional::Merge::mul;
             else if (merge_mode == "ave")
               merge = Bidirectional::Merge::ave;
             else
               throw std::invalid_argument("merge_mode must be 'concat', 'sum', 'mul' or 'ave', got '" + merge_mode +
                                           "'");
             return std::make_shared<Bidirectional>(std::move(forward_layer), std::move(backward_layer), merge);
           }),
           py::arg("forward_layer"), py::arg("backward_layer"), py::arg("merge_mode"));

  py::class_<Embedding, Layer, std::shared_ptr<Embedding>>(m, "Embedding")
      .def(py::init<std::int64_t, std::int64_t, Initializer, bool>(), py::arg("input_dim"), py::arg("output_dim"),
           py::arg("embeddings_initializer"), py::arg("mask_zero"));

  py::class_<Masking, Layer, std::shared_ptr<Masking>>(m, "Masking").def(py::init<float>(), py::arg("mask_value"));
}

}  // namespace bindings
}  // namespace gradstep
