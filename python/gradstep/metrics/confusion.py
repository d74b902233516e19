"""Precision, Recall and AUC (Keras 3 formulas), from confusion counts accumulated over batches.

Every element of y_pred is a prediction for the matching element of y_true (binary or
multi-label outputs), positive when y_pred > threshold:
  Precision = TP / (TP + FP),  Recall = TP / (TP + FN)   (0 when the denominator is 0).
AUC (ROC): the counts at num_thresholds thresholds, 0 - eps, i/(n-1) for i = 1..n-2, 1 + eps;
TPR = TP/(TP+FN), FPR = FP/(FP+TN) at each, and the area by the trapezoidal rule between
consecutive thresholds (Keras' summation_method="interpolation").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .._typing import Config
from .metric import Metric, _per_element, _ratio


class _Counts(Metric):
    def __init__(
        self,
        thresholds: float | Sequence[float] | None = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        for value, arg in ((top_k, "top_k"), (class_id, "class_id")):
            if value is not None:
                raise NotImplementedError(f"{type(self).__name__}: {arg} is not supported")
        if thresholds is None:
            thresholds = 0.5
        if not isinstance(thresholds, (int, float)) or isinstance(thresholds, bool) or not 0.0 <= thresholds <= 1.0:
            raise ValueError(f"{type(self).__name__}: thresholds must be one number in [0, 1], got {thresholds!r}")
        self.thresholds = float(thresholds)
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self.true_positives = self.false_positives = self.false_negatives = 0.0

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        y_true, y_pred, weights = self._arrays(y_true, y_pred, sample_weight)
        if y_true.size != y_pred.size:
            raise ValueError(f"{type(self).__name__}: y_true has {y_true.size} values for {y_pred.size} predictions")
        y_true = y_true.reshape(y_pred.shape)
        w = _per_element(weights, y_pred.shape)
        positive = y_pred > self.thresholds
        actual = y_true > 0.5
        self.true_positives += float(np.sum(w * (positive & actual)))
        self.false_positives += float(np.sum(w * (positive & ~actual)))
        self.false_negatives += float(np.sum(w * (~positive & actual)))

    def get_config(self) -> Config:
        return {"thresholds": self.thresholds, "name": self.name}


class Precision(_Counts):
    _default_name = "precision"

    def result(self) -> float:
        return _ratio(self.true_positives, self.true_positives + self.false_positives)


class Recall(_Counts):
    _default_name = "recall"

    def result(self) -> float:
        return _ratio(self.true_positives, self.true_positives + self.false_negatives)


class AUC(Metric):
    _default_name = "auc"

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: str | None = None,
        thresholds: float | Sequence[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: object = None,
        from_logits: bool = False,
    ) -> None:
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds < 2:
            raise ValueError(f"AUC: num_thresholds must be an int > 1, got {num_thresholds!r}")
        if curve != "ROC":
            raise NotImplementedError(f"AUC: curve={curve!r} is not supported (only 'ROC')")
        if summation_method != "interpolation":
            raise NotImplementedError(
                f"AUC: summation_method={summation_method!r} is not supported (only 'interpolation')"
            )
        for value, arg in ((thresholds, "thresholds"), (num_labels, "num_labels"), (label_weights, "label_weights")):
            if value is not None:
                raise NotImplementedError(f"AUC: {arg} is not supported")
        if multi_label or from_logits:
            raise NotImplementedError(f"AUC: {'multi_label' if multi_label else 'from_logits'}=True is not supported")
        self.num_thresholds = num_thresholds
        self.curve = curve
        self.summation_method = summation_method
        eps = 1e-7
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._thresholds = np.array([0.0 - eps] + inner + [1.0 + eps])
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self._tp = np.zeros(self.num_thresholds)
        self._fp = np.zeros(self.num_thresholds)
        self._tn = np.zeros(self.num_thresholds)
        self._fn = np.zeros(self.num_thresholds)

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        y_true, y_pred, weights = self._arrays(y_true, y_pred, sample_weight)
        if y_true.size != y_pred.size:
            raise ValueError(f"AUC: y_true has {y_true.size} values for {y_pred.size} predictions")
        actual = y_true.reshape(-1) > 0.5
        scores = y_pred.reshape(-1)
        w = _per_element(weights, y_pred.shape).reshape(-1)
        for mask, above, below in ((actual, self._tp, self._fn), (~actual, self._fp, self._tn)):
            # Weighted counts above each threshold, from the scores sorted once.
            order = np.argsort(scores[mask], kind="stable")
            sorted_scores, sorted_w = scores[mask][order], w[mask][order]
            tail = np.concatenate([np.cumsum(sorted_w[::-1])[::-1], [0.0]])  # weight at or after index i
            first_above = np.searchsorted(sorted_scores, self._thresholds, side="right")
            above += tail[first_above]
            below += tail[0] - tail[first_above] if len(tail) > 1 else 0.0

    def result(self) -> float:
        tpr = np.divide(self._tp, self._tp + self._fn, out=np.zeros_like(self._tp), where=(self._tp + self._fn) > 0)
        fpr = np.divide(self._fp, self._fp + self._tn, out=np.zeros_like(self._fp), where=(self._fp + self._tn) > 0)
        heights = (tpr[:-1] + tpr[1:]) / 2.0
        return float(np.sum((fpr[:-1] - fpr[1:]) * heights))

    def get_config(self) -> Config:
        return {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "name": self.name,
        }
