// The gate arithmetic of one time step of the recurrent cells, one sample (one row) at a time:
// free functions over raw rows of `units` floats. The layers (layers/lstm.cpp, gru.cpp,
// simple_rnn.cpp) run the GEMMs and call these once per row per step, rows in parallel. Each
// is element-wise along the row, so a row's result does not depend on how rows are shared
// between threads.
//
// Activations: the recurrent layers accept those whose derivative can be read from their output
// (linear, relu, sigmoid, tanh), so the backward pass needs only the stored gate values.
#pragma once

#include <cstdint>

#include "kernels/activations.hpp"

namespace gradstep {

// True for the activations the recurrent cells support (see above).
bool recurrent_activation_supported(Activation a);

// y[j] = f(z[j]) for j < n, in place allowed (vectorised for sigmoid and tanh).
void activation_row(Activation f, std::int64_t n, const float* z, float* y);

// LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000), Keras' gate
// order [i | f | c | o] in z (4*units):
//   i = ract(z_i), f = ract(z_f), g = act(z_c), o = ract(z_o)
//   c = f * c_prev + i * g,   h = o * act(c)
// z holds the pre-activations on entry and the gate values (i, f, g, o) on exit; c_prev may be
// null (zero initial state). Writes c and h.
void lstm_step_forward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev, float* c,
                       float* h);
// Backward of one row: gates (i, f, g, o) in z on entry, dL/d(pre-activations) on exit. dh is
// dL/dh of this step; dc holds dL/dc from the later steps on entry and dL/dc_prev on exit.
void lstm_step_backward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev,
                        const float* c, const float* dh, float* dc);

// GRU (Cho et al. 2014), Keras 3's reset_after=True form, gate order [z | r | h]:
//   x = input projection (3*units, with the input bias), q = h_prev U (3*units), plus the
//   recurrent bias b (3*units, may be null) added here as q + b, in the loop that reads q
//   z = ract(x_z + q_z), r = ract(x_r + q_r), hh = act(x_h + r * q_h)
//   h = z * h_prev + (1 - z) * hh
// x holds the projection on entry and the gate values (z, r, hh) on exit; q_h is kept in qh for
// the backward pass. h_prev may be null (zero state).
void gru_step_forward(std::int64_t units, Activation act, Activation ract, float* x, const float* q, const float* b,
                      const float* h_prev, float* qh, float* h);
// Backward of one row: gates in x on entry; on exit x = dL/d(input projection) and dq =
// dL/dq (3*units; the h block is dL/d(q_h) = dL/d(pre hh) * r). dh_prev gets the direct path
// dh * z (the caller adds dq U^T).
void gru_step_backward(std::int64_t units, Activation act, Activation ract, float* x, float* dq, const float* qh,
                       const float* h_prev, const float* dh, float* dh_prev);

// SimpleRNN (Elman 1990): h = act(z) with z = x W + h_prev U + b; backward dz = dh * act'(h).
void simple_rnn_step_backward(std::int64_t units, Activation act, const float* h, const float* dh, float* dz);

}  // namespace gradstep
