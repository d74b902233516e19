// The extension module gradstep._core: each part registers itself; nothing else lives here.
#include "bindings/common.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "gradstep C++ core (tensors, kernels, layers, losses, optimizers, the fused train step)";
  gradstep::bindings::init_core(m);
  gradstep::bindings::init_kernels(m);
  gradstep::bindings::init_layers(m);
  gradstep::bindings::init_losses(m);
  gradstep::bindings::init_optimizers(m);
  gradstep::bindings::init_model(m);
}
