"""Metrics (Keras 3 names).

By name, the running means computed in C++ on each batch ("accuracy", "binary_accuracy",
"categorical_accuracy", "sparse_categorical_accuracy", "mse", "mae"); see _by_name.py. As
classes with update_state / result / reset_state (Keras' keras.metrics): Precision, Recall, AUC,
TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError;
see metric.py for how compile uses them.
"""

from __future__ import annotations

from .._typing import Config
from ._by_name import canonical_name, compute, resolve
from .confusion import AUC, Precision, Recall
from .metric import Metric
from .regression import MeanAbsoluteError, MeanSquaredError
from .top_k import SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy

_CLASSES: dict[str, type[Metric]] = {
    cls.__name__: cls
    for cls in (
        AUC,
        MeanAbsoluteError,
        MeanSquaredError,
        Precision,
        Recall,
        SparseTopKCategoricalAccuracy,
        TopKCategoricalAccuracy,
    )
}
# String names that create a metric object (the others are the C++ running means).
_OBJECT_NAMES: dict[str, type[Metric]] = {
    "precision": Precision,
    "recall": Recall,
    "auc": AUC,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
}


def get(identifier: object) -> Metric | None:
    """A Metric object for an object, one of the names above, or a serialized dict; None for the
    names computed in C++ (handled by resolve)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier in _OBJECT_NAMES:
        return _OBJECT_NAMES[identifier]()
    return None


def serialize(metric: Metric) -> Config:
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config: object) -> Metric:
    if not isinstance(config, dict) or config.get("class_name") not in _CLASSES:
        raise ValueError(
            f"metric config must be {{'class_name': one of {', '.join(sorted(_CLASSES))}, 'config': "
            f"{{...}}}}, got {config!r}"
        )
    return _CLASSES[config["class_name"]].from_config(dict(config.get("config", {})))


__all__ = [
    "AUC",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "Precision",
    "Recall",
    "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "canonical_name",
    "compute",
    "deserialize",
    "get",
    "resolve",
    "serialize",
]
