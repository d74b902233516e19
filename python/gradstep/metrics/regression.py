"""MeanSquaredError and MeanAbsoluteError as metric classes: the (weighted) mean over the rows
seen of each row's mean over the last axis (Keras' MeanMetricWrapper)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .metric import Metric, _ratio


class _MeanError(Metric):
    @staticmethod
    def _per_element(error: NDArray[np.float64]) -> NDArray[np.float64]:
        """The error term of one element (squared, absolute)."""
        raise NotImplementedError

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        y_true, y_pred, weights = self._arrays(y_true, y_pred, sample_weight)
        error = y_pred - y_true.reshape(y_pred.shape)
        # Keras: the per-row mean over the last axis, weighted by the row's weight.
        per_row = np.mean(self._per_element(error), axis=-1) if error.ndim > 1 else self._per_element(error)
        w = np.ones(per_row.shape) if weights is None else weights
        self.total += float(np.sum(w * per_row))
        self.count += float(np.sum(w))

    def result(self) -> float:
        return _ratio(self.total, self.count)


class MeanSquaredError(_MeanError):
    _default_name = "mean_squared_error"

    @staticmethod
    def _per_element(error: NDArray[np.float64]) -> NDArray[np.float64]:
        return error * error


class MeanAbsoluteError(_MeanError):
    _default_name = "mean_absolute_error"

    @staticmethod
    def _per_element(error: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.abs(error)
