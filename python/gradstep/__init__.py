"""gradstep: train neural networks on the CPU, fast.

A C++17 core (GEMM and element-wise kernels, layers, losses, optimizers, the fused train
step) under a Keras-like API:

    import gradstep as gs
    model = gs.Sequential([gs.Input((64,)), gs.layers.Dense(64, activation="relu"),
                           gs.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)
"""

from __future__ import annotations

from . import (
    _core,
    activations,
    callbacks,
    datasets,
    initializers,
    lab,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    utils,
)
from ._random import set_seed
from .layers import Input
from .models import Sequential

__version__ = "0.1.0"


def get_num_threads() -> int:
    """Number of threads the C++ kernels use (OMP_NUM_THREADS or the core count by default)."""
    return int(_core.get_num_threads())


def set_num_threads(n: int) -> None:
    """Use `n` threads in the C++ kernels (results are bitwise identical for any n)."""
    from ._validation import check_positive_int

    _core.set_num_threads(check_positive_int(n, "n"))


__all__ = [
    "Input",
    "Sequential",
    "activations",
    "callbacks",
    "datasets",
    "get_num_threads",
    "initializers",
    "lab",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "regularizers",
    "set_num_threads",
    "set_seed",
    "utils",
]
