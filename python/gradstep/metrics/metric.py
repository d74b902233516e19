"""Metric: the base of the stateful metric classes (Keras 3's keras.metrics.Metric).

A metric accumulates over batches with update_state(y_true, y_pred), reports result(), and
starts over with reset_state(). In compile(metrics=[...]) such objects (or their string names:
"precision", "recall", "auc", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy")
are updated after every batch with that batch's targets and predictions (the training-mode output
during fit, as Keras), reset at the start of each epoch and of each evaluate. They are computed in
NumPy (float64), while the built-in running means ("accuracy", "mse", ...) are computed in C++.
Like Keras' `metrics` (not `weighted_metrics`), compile does not pass them fit's sample weights,
but with a padding mask the masked positions get weight 0. update_state(y_true, y_pred,
sample_weight) takes weights per sample (or per position) as Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._typing import Config


class Metric:
    def __init__(self, name: str | None = None, dtype: str | None = None) -> None:
        if dtype not in (None, "float32", "float64"):
            raise NotImplementedError(f"{type(self).__name__}: dtype={dtype!r} is not supported")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}")
        self.name = name or self._default_name
        self.reset_state()

    _default_name = "metric"
    # True when y_true holds integer labels (one per sample), as for sparse losses.
    sparse_targets = False

    def reset_state(self) -> None:
        raise NotImplementedError

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def get_config(self) -> Config:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: Config) -> Metric:
        return cls(**config)

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """The metric of this batch alone (the state is updated too, as Keras)."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    @staticmethod
    def _arrays(
        y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
        """float64 y_true, y_pred and the weights broadcast to y_pred's leading axes (one per
        row of predictions, e.g. per sample or per time step), or None."""
        y_true = np.asarray(y_true, dtype=np.float64)
        y_pred = np.asarray(y_pred, dtype=np.float64)
        if sample_weight is None:
            return y_true, y_pred, None
        weights = np.asarray(sample_weight, dtype=np.float64)
        rows = y_pred.shape[:-1] if y_pred.ndim > 1 else y_pred.shape
        if weights.shape != rows:
            if weights.ndim > len(rows) or weights.shape != rows[: weights.ndim]:
                raise ValueError(
                    f"sample_weight: expected a shape that broadcasts to {rows} (leading axes of "
                    f"y_pred), got {weights.shape}"
                )
            weights = _per_element(weights, rows)
        return y_true, y_pred, weights


def _per_element(weights: NDArray[np.float64] | None, shape: tuple[int, ...]) -> NDArray[np.float64]:
    """Row weights (from Metric._arrays) spread over every element of `shape`; ones when None."""
    if weights is None:
        return np.ones(shape)
    return np.broadcast_to(weights.reshape(weights.shape + (1,) * (len(shape) - weights.ndim)), shape)


def _ratio(numerator: float | np.floating[Any], denominator: float | np.floating[Any]) -> float:
    return float(numerator / denominator) if denominator > 0 else 0.0
