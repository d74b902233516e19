"""Activation functions by name (Keras 3 names; computed by the C++ core).

linear, relu, leaky_relu (negative slope 0.2, as keras.activations.leaky_relu), elu (alpha 1),
sigmoid, tanh, softmax (over the last axis), softplus, gelu (exact erf form, Keras' default
approximate=False), swish (x * sigmoid(x); "silu" is accepted as an alias).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from ._typing import FloatArray

ACTIVATIONS = ("linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax", "softplus", "gelu", "swish")
_ALIASES: dict[str | None, str] = {None: "linear", "silu": "swish"}


def get(identifier: object) -> str:
    """Canonical activation name for `identifier` (a name or None); ValueError lists the options."""
    if identifier in _ALIASES:
        return _ALIASES[identifier]
    if isinstance(identifier, str) and identifier in ACTIVATIONS:
        return identifier
    if not isinstance(identifier, str) and identifier is not None:
        raise TypeError(f"activation must be a string name or None, got {type(identifier).__name__}")
    raise ValueError(f"activation: unknown name {identifier!r}; expected one of {', '.join(ACTIVATIONS)}")


def apply(name: str | None, x: ArrayLike) -> FloatArray:
    """Apply activation `name` to an array (float32 result), e.g. apply("gelu", x)."""
    return _core.activation_forward(get(name), np.ascontiguousarray(x, dtype=np.float32))
