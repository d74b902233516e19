// Recurrent: the time loop and backpropagation through time shared by SimpleRNN, LSTM and GRU
// (each cell in its own file defines its gates). Keras 3 semantics and weight layouts:
//   kernel (features, gates*units), recurrent_kernel (units, gates*units), bias (gates*units)
//   (GRU: (2, 3*units)); input (batch, T, features); output (batch, T, units) with
//   return_sequences, else the last state (batch, units).
//
// Layout. Every per-step buffer is (batch, T, width) in INPUT time order, so row (n, t) of one
// buffer matches row (n, t) of every other; step s of the loop reads input time
//   t(s) = go_backwards ? T-1-s : s
// and the output sequence is in processing order (Keras: a go_backwards layer returns the
// reversed sequence).
//
// Forward:  xd = x * input dropout mask;  Z = xd W (+ input bias) for all steps: one GEMM over
//           batch*T rows.  Then per step: the cell adds hd U (hd = h_prev * recurrent dropout
//           mask; one GEMM over batch rows), applies its gates row by row, writes the new state.
// Backward: per step, from dL/dh the cell writes the rows of dZ (and GRU its recurrent part)
//           and dL/dh_prev (one GEMM with U^T). Then all steps at once: dW = xd^T dZ,
//           dU = hd^T dZ_recurrent, db = column sums, dx = dZ W^T (times the dropout mask).
// The weight gradients are GEMMs over batch*T rows, whose summation order is fixed (gemm.hpp):
// bitwise the same result for any thread count.
//
// Masks (Keras): at a masked step the state is carried unchanged, its dZ rows are 0 and the
// gradient passes straight through. The output at a masked step is the carried state (zeros
// when zero_output_for_mask, which Bidirectional sets when it returns sequences).
//
// Dropout (Gal & Ghahramani 2016, as Keras): one input mask and one recurrent mask per sequence,
// the same at every step, drawn from the counter-based RNG (step, sample, feature). Keras 3
// shares one mask between the gates, except that recurrent_dropout > 0 switches it to one
// mask per gate (its implementation=1); gradstep always shares one mask between the gates.
#pragma once

#include <algorithm>

#include "core/memory.hpp"
#include "kernels/activations.hpp"
#include "kernels/gemm.hpp"
#include "layers/layer.hpp"

namespace gradstep {

struct RecurrentOptions {
  std::int64_t units = 0;
  Activation activation = Activation::tanh;
  Activation recurrent_activation = Activation::sigmoid;  // the gates (LSTM, GRU)
  bool use_bias = true;
  bool return_sequences = false;
  bool go_backwards = false;
  bool zero_output_for_mask = false;
  float dropout = 0.0f;
  float recurrent_dropout = 0.0f;
  bool has_seed = false;  // dropout masks from `seed` instead of the model's key
  std::uint64_t seed = 0;
  Initializer kernel_initializer, recurrent_initializer, bias_initializer;
};

class Recurrent : public Layer {
 public:
  Recurrent(RecurrentOptions options, int gates, const std::string& name);

  Shape build(const Shape& input_shape) override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(const std::vector<float*>& values, const std::vector<float*>& grads) override;
  void reserve(std::int64_t batch) override;
  void forward(const float* x, float* y, std::int64_t batch, const StepContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, std::int64_t batch) override;
  void set_rng_key(std::uint64_t key) override;

  MaskUse mask_use() const override { return options_.return_sequences ? MaskUse::pass_through : MaskUse::consume; }
  void set_input_mask(const float* mask) override { mask_ = mask; }

  const RecurrentOptions& options() const { return options_; }
  void set_zero_output_for_mask(bool zero) { options_.zero_output_for_mask = zero; }

 protected:
  // What a cell's step sees: samples [begin, end) of the batch (the time loop runs each thread on
  // its own samples: a sample's recurrence never reads another's, so the whole loop needs no
  // synchronisation and its GEMMs are serial, on disjoint rows). Rows of step s (input time t)
  // of the (batch, T, width) buffers are row(buffer, width, n, t); `previous` is the input time
  // of step s-1 (-1 at the first step).
  struct StepRows {
    std::int64_t begin = 0, end = 0, t = 0, previous = -1;
    float* h_next = nullptr;  // the new state of sample n at h_next + n * h_next_stride
    std::int64_t h_next_stride = 0;
  };
  // Forward of step s: the input projections of input time t are in z rows; add the recurrent
  // GEMM, apply the gates, write the new state (carry the old one at masked rows).
  virtual void step_forward(const StepRows& step) = 0;
  // Backward of step s: dh (batch x units) is dL/d(new state). Turn the z rows into dZ (0 at
  // masked rows), the recurrent part into recurrent_gradient() rows, and write into
  // dh_direct (batch x units) the part of dL/dh_prev that does not go through U (GRU's z * dh;
  // others write nothing and return false).
  virtual bool step_backward(const StepRows& step, const float* dh, float* dh_direct) = 0;
  virtual void reserve_cell(std::int64_t batch) {}
  virtual void begin_backward(std::int64_t batch) {}
  // Fewest samples per thread in the time loop: below this a thread's per-step GEMM is too short
  // to pay for itself.
  static constexpr std::int64_t kMinRowsPerThread = 16;
  // The (batch, T, gates*units) rows multiplied by U in the forward pass: dZ itself, or GRU's own.
  virtual float* recurrent_gradient() { return z_.data(); }
  virtual Shape bias_shape() const { return {gates_ * options_.units}; }
  virtual Initializer bias_initializer() const { return options_.bias_initializer; }
  // The (batch, T, gates*units) rows whose column sums are the bias gradient, one source per row
  // of the bias: dZ (z_), and for GRU also dq (its recurrent bias). They are summed in the
  // backward time loop, as each step writes them (accumulate_bias_gradient), not in a pass over
  // all batch*T rows afterwards: by then the rows had left the cache (W4/W6: 0.5-1.2 ms per step
  // for 3-6 MB at 2 threads, as long as the gate math of the whole loop).
  virtual std::int64_t bias_gradient_sources() const { return 1; }
  virtual const float* bias_gradient_source(std::int64_t source) { return z_.data(); }
  void accumulate_bias_gradient(const StepRows& step);
  void finish_bias_gradient(std::int64_t batch);

  // Asks for the cache lines of `floats` floats from p: the cells call it for the next sample's
  // rows while they work on this one. A sample's rows of one step sit T rows (30-60 KB) past the
  // previous sample's, a jump no hardware prefetcher follows; waiting for those misses was about
  // half of the gate kernels' time (W6, 1 thread: 2.5-4.1 -> 1.4-1.8 ms per step).
  static void prefetch_row(const float* p, std::int64_t floats) {
#if defined(__GNUC__)
    for (std::int64_t i = 0; i < floats; i += 16) __builtin_prefetch(p + i);
#else
    (void)p, (void)floats;
#endif
  }
  float* row(AlignedBuffer& buffer, std::int64_t width, std::int64_t n, std::int64_t t) {
    return buffer.data() + (n * steps_ + t) * width;
  }
  bool masked(std::int64_t n, std::int64_t t) const { return mask_ != nullptr && mask_[n * steps_ + t] == 0.0f; }
  // dh_prev-independent helpers for the cells.
  const float* h_prev_row(std::int64_t n, std::int64_t t) { return h_prev_.data() + (n * steps_ + t) * options_.units; }
  float* hd_rows(std::int64_t t);  // GEMM input rows of input time t, sample 0 (stride steps_*units)

  RecurrentOptions options_;
  std::int64_t gates_;
  std::int64_t steps_ = 0, features_ = 0;
  float *W_ = nullptr, *U_ = nullptr, *b_ = nullptr;
  float *dW_ = nullptr, *dU_ = nullptr, *db_ = nullptr;
  const float* mask_ = nullptr;

  AlignedBuffer z_;                            // (batch, T, gates*units): input projections -> gate values -> dZ
  AlignedBuffer h_prev_;                       // (batch, T, units): the state before the step that reads input t
  AlignedBuffer h_dropped_;                    // (batch, T, units): h_prev * recurrent mask (recurrent dropout only)
  AlignedBuffer x_dropped_;                    // (batch, T, features): x * input mask (input dropout only)
  AlignedBuffer h_last_;                       // (batch, units): the final state
  AlignedBuffer input_mask_, recurrent_mask_;  // (batch, features), (batch, units)
  AlignedBuffer dh_, dh_prev_, dh_direct_;     // (batch, units) each
  AlignedBuffer bias_sums_;                    // (batch, sources, gates*units): per sample, over its steps
  // U packed once per batch as the B operand of every step's GEMM: U for the forward steps, U^T
  // for the backward ones (kernels/gemm.hpp).
  PackedB U_packed_, U_transposed_packed_;
  bool dropping_inputs_ = false, dropping_state_ = false;  // set by the last forward

 private:
  std::int64_t time_of(std::int64_t s) const { return options_.go_backwards ? steps_ - 1 - s : s; }
  void draw_dropout_mask(std::uint64_t key, std::uint64_t step, float rate, std::int64_t n, float* mask) const;
};

}  // namespace gradstep
