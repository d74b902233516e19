// Layer: the interface every layer implements (one layer per file, forward and backward side by
// side).
//
// Life cycle, driven by model/sequential.cpp:
//   build(input_shape)       -> output shape (both exclude the batch dimension)
//   param_specs()            -> the parameters the model must allocate in its flat buffers
//   bind(values, grads)      -> pointers into those buffers, in param_specs() order
//   reserve(batch)           -> allocate per-batch workspace once (grows, never per batch)
//   forward / backward       -> per batch, writing only into buffers owned by the model or layer
// Shapes are row-major with the batch first; a layer sees its input as `batch` samples of
// shape_size(input_shape) floats.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "layers/initializers.hpp"

namespace gradstep {

struct ParamSpec {
  std::string name;  // "kernel", "bias", ...
  Shape shape;
  Initializer initializer;
  bool trainable = true;
};

// Weight penalty added to the loss: l1 * sum|w| + l2 * sum w^2 (Keras: no factor 1/2 on l2).
struct Regularizer {
  float l1 = 0.0f;
  float l2 = 0.0f;
  bool active() const { return l1 != 0.0f || l2 != 0.0f; }
};

// What a forward pass may depend on besides its input.
struct StepContext {
  bool training = false;
  std::uint64_t seed = 0;  // model seed (layers derive their own keys from it)
  std::uint64_t step = 0;  // optimizer iteration: a fresh dropout mask per step
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string class_name() const = 0;

  virtual Shape build(const Shape& input_shape) = 0;
  virtual std::vector<ParamSpec> param_specs() const { return {}; }
  virtual void bind(const std::vector<float*>& values, const std::vector<float*>& grads) {}
  virtual void reserve(std::int64_t batch) {}

  // y = layer(x) for `batch` samples.
  virtual void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) = 0;
  // Given dy = dL/dy (the layer may overwrite it), write dL/dx into dx (skipped when dx is null:
  // the first layer needs no input gradient) and dL/dparams into the bound gradient buffers
  // (overwritten, not accumulated). x and y are the values of the last forward call.
  virtual void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) = 0;

  // Softmax/sigmoid + cross-entropy fusion: when set, forward keeps the pre-activation
  // (logits) available via logits(), and backward treats dy as dL/dlogits.
  virtual bool can_fuse_output_activation(const std::string& activation) const { return false; }
  virtual void set_fused_output(bool fused) {}
  virtual const float* logits() const { return nullptr; }

  // Integer inputs. A layer that reads integer indices (Embedding) must be the model's first
  // layer; the model then hands it the indices as int64, never through float32.
  virtual bool takes_indices() const { return false; }
  virtual void forward_indices(const std::int64_t* x, float* y, std::int64_t batch, const StepContext& ctx) {
    throw std::logic_error(class_name() + " does not take integer indices");
  }
  virtual void backward_indices(const std::int64_t* x, float* dy, std::int64_t batch) {
    throw std::logic_error(class_name() + " does not take integer indices");
  }

  // Masks (Keras' padding masks): per sample, one flag per position of the time axis, 1 for a
  // real step and 0 for padding, stored as floats so that they can weight the loss directly.
  // A layer may produce one (Embedding(mask_zero=True), Masking), pass its input's mask on to
  // its output (the time axis is kept: Dense, Dropout, Activation, a recurrent layer returning
  // sequences) or consume it (a recurrent layer returning its last state). The model checks at
  // build time that every layer that sees a mask supports it.
  enum class MaskUse { unsupported, pass_through, consume };
  virtual MaskUse mask_use() const { return MaskUse::unsupported; }
  virtual bool produces_mask() const { return false; }
  // After forward: the (batch, positions) mask of the output, when produces_mask().
  virtual const float* output_mask() const { return nullptr; }
  // Before forward and until the next call: the input's mask, or null.
  virtual void set_input_mask(const float* mask) {}

  // Penalties on named parameters ("kernel", "bias"), applied by the model after backward.
  void set_regularizer(const std::string& param_name, Regularizer r) { regularizers_[param_name] = r; }
  Regularizer regularizer(const std::string& param_name) const {
    auto it = regularizers_.find(param_name);
    return it == regularizers_.end() ? Regularizer{} : it->second;
  }
  // Key for the layer's random numbers (dropout masks), derived by the model from its seed and
  // the layer's position; layers with an explicit seed may ignore it.
  virtual void set_rng_key(std::uint64_t key) { rng_key_ = key; }

  // Frozen (Keras' trainable=False): the model leaves the layer's weights out of updates and
  // penalties; a frozen BatchNormalization also runs in inference mode (Keras 3's rule).
  void set_frozen(bool frozen) { frozen_ = frozen; }
  bool frozen() const { return frozen_; }

  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  std::int64_t input_size() const { return shape_size(input_shape_); }
  std::int64_t output_size() const { return shape_size(output_shape_); }
  bool built() const { return built_; }

 protected:
  Shape input_shape_;
  Shape output_shape_;
  bool built_ = false;
  bool frozen_ = false;
  std::uint64_t rng_key_ = 0;

 private:
  std::map<std::string, Regularizer> regularizers_;
};

using LayerPtr = std::shared_ptr<Layer>;

}  // namespace gradstep
