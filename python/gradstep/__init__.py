"""gradstep: train neural networks on the CPU, fast.

A C++17/OpenMP core (GEMM and element-wise kernels, layers, losses, optimizers, the fused train
step) under a Keras-like API:

    import gradstep as gs
    model = gs.Sequential([gs.Input((64,)), gs.layers.Dense(64, activation="relu"),
                           gs.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)
"""
import os

# libgomp's idle threads spin GOMP_SPINCOUNT times (default 300,000, ~8 ms here) before they
# sleep. On a busy machine (other processes on the cores) a spinning thread burns the time
# slice its partner needs to reach the barrier, and every parallel region then costs
# milliseconds: W1 at 2 threads measured 5-18 s/epoch with the default against 1.1-1.4 s with
# 1000 spins (~30 us, still enough to bridge the gaps between the regions of a train step on
# an idle machine). Set before _core loads libgomp; a user's GOMP_SPINCOUNT / OMP_WAIT_POLICY
# wins, and a libgomp already loaded by another module keeps its own setting.
if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = "1000"

from . import _core  # noqa: E402
from . import (activations, callbacks, datasets, initializers, layers, losses, metrics, models, optimizers,
               regularizers)
from ._random import set_seed
from .layers import Input
from .models import Sequential

__version__ = "0.1.0"

has_openmp = bool(_core.has_openmp)


def _serial_after_fork():
    # libgomp's thread pool does not survive fork(): a parallel region in the child can hang.
    # A forked child (multiprocessing's "fork" start method) therefore runs gradstep serially;
    # call set_num_threads(n) in the child to opt back in if it will never touch the parent's pool.
    _core.set_num_threads(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_serial_after_fork)


def get_num_threads():
    """Number of threads the C++ kernels use (OMP_NUM_THREADS or the core count by default)."""
    return int(_core.get_num_threads())


def set_num_threads(n):
    """Use `n` threads in the C++ kernels (results are bitwise identical for any n)."""
    from ._validation import check_positive_int
    _core.set_num_threads(check_positive_int(n, "n"))


__all__ = ["Input", "Sequential", "activations", "callbacks", "datasets", "get_num_threads", "has_openmp",
           "initializers", "layers", "losses", "metrics", "models", "optimizers", "regularizers", "set_num_threads", "set_seed"]
