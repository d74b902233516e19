"""Top-k accuracy (Keras 3): a sample counts when its true class is among the k highest scores.
TopKCategoricalAccuracy takes one-hot targets, SparseTopKCategoricalAccuracy integer labels.
A score tied with the k-th highest counts as in the top k."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._typing import Config
from .metric import Metric, _ratio


class _TopK(Metric):
    def __init__(self, k: int = 5, name: str | None = None, dtype: str | None = None) -> None:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"{type(self).__name__}: k must be a positive int, got {k!r}")
        self.k = int(k)
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self.hits = 0.0
        self.count = 0.0

    def _labels(self, y_true: NDArray[np.float64], y_pred: NDArray[np.float64]) -> NDArray[Any]:
        raise NotImplementedError

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        y_true, y_pred, weights = self._arrays(y_true, y_pred, sample_weight)
        scores = y_pred.reshape(-1, y_pred.shape[-1])
        w = np.ones(len(scores)) if weights is None else weights.reshape(-1)
        labels = self._labels(y_true, y_pred).astype(np.int64)
        true_scores = scores[np.arange(len(scores)), labels]
        higher = np.sum(scores > true_scores[:, None], axis=1)
        self.hits += float(np.sum(w * (higher < self.k)))
        self.count += float(np.sum(w))

    def result(self) -> float:
        return _ratio(self.hits, self.count)

    def get_config(self) -> Config:
        return {"k": self.k, "name": self.name}


class TopKCategoricalAccuracy(_TopK):
    _default_name = "top_k_categorical_accuracy"

    def _labels(self, y_true: NDArray[np.float64], y_pred: NDArray[np.float64]) -> NDArray[Any]:
        labels: NDArray[Any] = np.argmax(y_true.reshape(-1, y_pred.shape[-1]), axis=1)
        return labels


class SparseTopKCategoricalAccuracy(_TopK):
    _default_name = "sparse_top_k_categorical_accuracy"
    sparse_targets = True

    def _labels(self, y_true: NDArray[np.float64], y_pred: NDArray[np.float64]) -> NDArray[Any]:
        return y_true.reshape(-1)
