#include "layers/bidirectional.hpp"

#include <stdexcept>

#include "core/parallel.hpp"
#include "core/rng.hpp"

namespace gradstep {

Bidirectional::Bidirectional(std::shared_ptr<Recurrent> forward_layer, std::shared_ptr<Recurrent> backward_layer,
                             Merge merge)
    : forward_(std::move(forward_layer)), backward_(std::move(backward_layer)), merge_(merge) {
  if (!forward_ || !backward_) throw std::invalid_argument("Bidirectional: both layers are required");
  if (forward_->options().return_sequences != backward_->options().return_sequences)
    throw std::invalid_argument("Bidirectional: the forward and backward layers must agree on return_sequences");
  if (forward_->options().units != backward_->options().units && merge != Merge::concat)
    throw std::invalid_argument("Bidirectional: merge modes other than 'concat' need layers of the same units");
}

Shape Bidirectional::build(const Shape& input_shape) {
  Shape out = forward_->build(input_shape);
  const Shape out_backward = backward_->build(input_shape);
  input_shape_ = input_shape;
  if (merge_ == Merge::concat) out.back() += out_backward.back();
  output_shape_ = out;
  built_ = true;
  return output_shape_;
}

std::vector<ParamSpec> Bidirectional::param_specs() const {
  std::vector<ParamSpec> specs;
  for (auto spec : forward_->param_specs()) {
    spec.name = "forward_" + spec.name;
    specs.push_back(spec);
  }
  for (auto spec : backward_->param_specs()) {
    spec.name = "backward_" + spec.name;
    specs.push_back(spec);
  }
  return specs;
}

void Bidirectional::bind(const std::vector<float*>& values, const std::vector<float*>& grads) {
  const std::size_t split = forward_->param_specs().size();
  forward_->bind({values.begin(), values.begin() + split}, {grads.begin(), grads.begin() + split});
  backward_->bind({values.begin() + split, values.end()}, {grads.begin() + split, grads.end()});
}

void Bidirectional::set_rng_key(std::uint64_t key) {
  Layer::set_rng_key(key);
  forward_->set_rng_key(rng::derive_key(key, 1));
  backward_->set_rng_key(rng::derive_key(key, 2));
}

void Bidirectional::set_input_mask(const float* mask) {
  forward_->set_input_mask(mask);
  backward_->set_input_mask(mask);
}

void Bidirectional::reserve(std::int64_t batch) {
  forward_->reserve(batch);
  backward_->reserve(batch);
  y_forward_.resize(static_cast<std::size_t>(batch * forward_->output_size()));
  y_backward_.resize(static_cast<std::size_t>(batch * backward_->output_size()));
  dy_forward_.resize(static_cast<std::size_t>(batch * forward_->output_size()));
  dy_backward_.resize(static_cast<std::size_t>(batch * backward_->output_size()));
  dx_backward_.resize(static_cast<std::size_t>(batch * input_size()));
}

void Bidirectional::forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) {
  float* yf = y_forward_.data();
  float* yb = y_backward_.data();
  forward_->forward(x, yf, batch, ctx);
  backward_->forward(x, yb, batch, ctx);
  const std::int64_t T = steps(), uf = forward_->output_shape().back(), ub = backward_->output_shape().back();
  const std::int64_t width = output_shape_.back();
  parallel_for(0, batch, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t n = b; n < e; ++n)
      for (std::int64_t s = 0; s < T; ++s) {
        const float* f = yf + (n * T + s) * uf;
        const float* r = yb + (n * T + (T - 1 - s)) * ub;  // flipped back into input time
        float* out = y + (n * T + s) * width;
        switch (merge_) {
          case Merge::concat:
            for (std::int64_t j = 0; j < uf; ++j) out[j] = f[j];
            for (std::int64_t j = 0; j < ub; ++j) out[uf + j] = r[j];
            break;
          case Merge::sum:
            for (std::int64_t j = 0; j < uf; ++j) out[j] = f[j] + r[j];
            break;
          case Merge::mul:
            for (std::int64_t j = 0; j < uf; ++j) out[j] = f[j] * r[j];
            break;
          case Merge::ave:
            for (std::int64_t j = 0; j < uf; ++j) out[j] = 0.5f * (f[j] + r[j]);
            break;
        }
      }
  });
}

void Bidirectional::backward(const float* x, const float*, float* dy, float* dx, std::int64_t batch) {
  const std::int64_t T = steps(), uf = forward_->output_shape().back(), ub = backward_->output_shape().back();
  const std::int64_t width = output_shape_.back();
  const float* yf = y_forward_.data();
  const float* yb = y_backward_.data();
  float* dyf = dy_forward_.data();
  float* dyb = dy_backward_.data();
  parallel_for(0, batch, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t n = b; n < e; ++n)
      for (std::int64_t s = 0; s < T; ++s) {
        const float* g = dy + (n * T + s) * width;
        const std::int64_t sb = n * T + (T - 1 - s);
        float* gf = dyf + (n * T + s) * uf;
        float* gb = dyb + sb * ub;
        switch (merge_) {
          case Merge::concat:
            for (std::int64_t j = 0; j < uf; ++j) gf[j] = g[j];
            for (std::int64_t j = 0; j < ub; ++j) gb[j] = g[uf + j];
            break;
          case Merge::sum:
            for (std::int64_t j = 0; j < uf; ++j) gf[j] = gb[j] = g[j];
            break;
          case Merge::mul:
            for (std::int64_t j = 0; j < uf; ++j) {
              gf[j] = g[j] * yb[sb * ub + j];
              gb[j] = g[j] * yf[(n * T + s) * uf + j];
            }
            break;
          case Merge::ave:
            for (std::int64_t j = 0; j < uf; ++j) gf[j] = gb[j] = 0.5f * g[j];
            break;
        }
      }
  });
  forward_->backward(x, yf, dyf, dx, batch);
  if (dx == nullptr) {
    backward_->backward(x, yb, dyb, nullptr, batch);
    return;
  }
  float* dxb = dx_backward_.data();
  backward_->backward(x, yb, dyb, dxb, batch);
  const std::int64_t n = batch * input_size();
  parallel_for(0, n, 1 << 15, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) dx[i] += dxb[i];
  });
}

}  // namespace gradstep
