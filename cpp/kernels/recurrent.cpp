#include "kernels/recurrent.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/cpu.hpp"
#include "kernels/recurrent_isa.hpp"

namespace gradstep {

namespace generic {
// Portable build: no vector loop, the scalar formulas do every element.
inline std::int64_t sigmoid_rows(std::int64_t, const float*, float*) { return 0; }
inline std::int64_t tanh_rows(std::int64_t, const float*, float*) { return 0; }
#include "kernels/recurrent_impl.hpp"
}  // namespace generic

bool recurrent_activation_supported(Activation a) {
  return a == Activation::linear || a == Activation::relu || a == Activation::sigmoid || a == Activation::tanh;
}

// Each entry point takes the widest build the CPU runs (core/cpu.hpp), else the portable one.
#if GRADSTEP_X86
#define GRADSTEP_RECURRENT_DISPATCH(call) \
  do {                                    \
    switch (active_isa()) {               \
      case Isa::avx512:                   \
        avx512::call;                     \
        return;                           \
      case Isa::avx2:                     \
        avx2::call;                       \
        return;                           \
      default:                            \
        generic::call;                    \
        return;                           \
    }                                     \
  } while (0)
#else
#define GRADSTEP_RECURRENT_DISPATCH(call) generic::call
#endif

void activation_row(Activation f, std::int64_t n, const float* z, float* y) {
  GRADSTEP_RECURRENT_DISPATCH(activation_row(f, n, z, y));
}

void lstm_step_forward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev, float* c,
                       float* h) {
  GRADSTEP_RECURRENT_DISPATCH(lstm_step_forward(units, act, ract, z, c_prev, c, h));
}

void lstm_step_backward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev,
                        const float* c, const float* dh, float* dc) {
  GRADSTEP_RECURRENT_DISPATCH(lstm_step_backward(units, act, ract, z, c_prev, c, dh, dc));
}

void gru_step_forward(std::int64_t units, Activation act, Activation ract, float* x, const float* q, const float* b,
                      const float* h_prev, float* qh, float* h) {
  GRADSTEP_RECURRENT_DISPATCH(gru_step_forward(units, act, ract, x, q, b, h_prev, qh, h));
}

void gru_step_backward(std::int64_t units, Activation act, Activation ract, float* x, float* dq, const float* qh,
                       const float* h_prev, const float* dh, float* dh_prev) {
  GRADSTEP_RECURRENT_DISPATCH(gru_step_backward(units, act, ract, x, dq, qh, h_prev, dh, dh_prev));
}

void simple_rnn_step_backward(std::int64_t units, Activation act, const float* h, const float* dh, float* dz) {
  GRADSTEP_RECURRENT_DISPATCH(simple_rnn_step_backward(units, act, h, dh, dz));
}

}  // namespace gradstep
