// The per-instruction-set builds of the recurrent step kernels (internal to kernels/recurrent.cpp,
// which picks one by active_isa()). Same signatures as kernels/recurrent.hpp.
#pragma once

#include <cstdint>

#include "kernels/activations.hpp"

namespace gradstep {

#define GRADSTEP_RECURRENT_DECLARATIONS                                                                                \
  void activation_row(Activation f, std::int64_t n, const float* z, float* y);                                         \
  void lstm_step_forward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev, float* c, \
                         float* h);                                                                                    \
  void lstm_step_backward(std::int64_t units, Activation act, Activation ract, float* z, const float* c_prev,          \
                          const float* c, const float* dh, float* dc);                                                 \
  void gru_step_forward(std::int64_t units, Activation act, Activation ract, float* x, const float* q, const float* b, \
                        const float* h_prev, float* qh, float* h);                                                     \
  void gru_step_backward(std::int64_t units, Activation act, Activation ract, float* x, float* dq, const float* qh,    \
                         const float* h_prev, const float* dh, float* dh_prev);                                        \
  void simple_rnn_step_backward(std::int64_t units, Activation act, const float* h, const float* dh, float* dz);

namespace generic {
GRADSTEP_RECURRENT_DECLARATIONS
}  // namespace generic
#if GRADSTEP_X86
namespace avx2 {
GRADSTEP_RECURRENT_DECLARATIONS
}  // namespace avx2
namespace avx512 {
GRADSTEP_RECURRENT_DECLARATIONS
}  // namespace avx512
#endif

#undef GRADSTEP_RECURRENT_DECLARATIONS

}  // namespace gradstep
