"""Metrics by name (Keras 3 names). They are computed in C++ on each batch's output and averaged
over the epoch, weighted by batch size, as Keras' running means.

"accuracy" (or "acc") resolves as Keras does from the shapes: a single output unit -> binary
accuracy (threshold 0.5), integer-label targets (sparse cross-entropy) -> sparse categorical
accuracy, otherwise categorical accuracy. History keys use the name the user gave.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import _core
from ..losses import Loss

_CANONICAL = {
    "accuracy": "accuracy",
    "acc": "accuracy",
    "binary_accuracy": "binary_accuracy",
    "categorical_accuracy": "categorical_accuracy",
    "sparse_categorical_accuracy": "sparse_categorical_accuracy",
    "mean_squared_error": "mean_squared_error",
    "mse": "mean_squared_error",
    "mean_absolute_error": "mean_absolute_error",
    "mae": "mean_absolute_error",
}
_SPARSE = {"sparse_categorical_accuracy"}


def canonical_name(identifier: object) -> str:
    if not isinstance(identifier, str):
        raise TypeError(f"metrics must be given by name (str), got {type(identifier).__name__}")
    try:
        return _CANONICAL[identifier]
    except KeyError:
        raise ValueError(f"metrics: unknown metric {identifier!r}; expected one of {', '.join(_CANONICAL)}") from None


def resolve(identifier: object, loss: Loss, output_units: int) -> str:
    """The C++ metric for `identifier` given the compiled loss and the output's last axis size."""
    name = canonical_name(identifier)
    if name == "accuracy":
        if loss.sparse_targets:
            name = "sparse_categorical_accuracy"
        elif output_units == 1:
            name = "binary_accuracy"
        else:
            name = "categorical_accuracy"
    sparse_metric = name in _SPARSE
    if sparse_metric != loss.sparse_targets:
        targets = "integer labels" if loss.sparse_targets else "arrays shaped like the output"
        raise ValueError(
            f"metrics: {identifier!r} cannot be computed with loss {type(loss).__name__}, whose targets are {targets}"
        )
    return name


def compute(identifier: object, y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """The metric's mean over a batch (standalone use), e.g. compute("mae", y_true, y_pred)."""
    name = canonical_name(identifier)
    if name == "accuracy":
        raise ValueError(
            "'accuracy' needs a model to resolve; use binary_accuracy, categorical_accuracy "
            "or sparse_categorical_accuracy"
        )
    return float(
        _core.metric_mean(
            name, np.ascontiguousarray(y_true, dtype=np.float32), np.ascontiguousarray(y_pred, dtype=np.float32)
        )
    )
