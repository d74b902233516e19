"""Losses (Keras 3 names, defaults and semantics; computed by the C++ core).

Every loss reduces a sample over its last axis (a mean for MSE/MAE/Huber/BCE/Hinge, a sum over
classes for categorical cross-entropies) and the batch with Keras' "sum_over_batch_size":
sum_i w_i * loss_i / N (N = number of samples, whatever the weights).

Cross-entropies with from_logits=False clip probabilities to [1e-7, 1 - 1e-7] before the log,
as Keras does. When the model's last layer is a softmax (for categorical) or sigmoid (binary)
activation, the model fuses it with the loss and computes both from the logits: finite and
exact for any logits (Keras would cap each sample's loss at -log(1e-7) ~ 16.1). `model.evaluate`
uses the same fused form, so train and test losses are comparable.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from ._typing import Config, FloatArray
from ._validation import as_float_array, check_bool, check_float


class Loss:
    """Base class. `loss(y_true, y_pred, sample_weight=None)` returns the batch loss (a float)."""

    def __init__(
        self, name: str | None = None, reduction: str = "sum_over_batch_size", dtype: str | None = None
    ) -> None:
        if reduction != "sum_over_batch_size":
            raise ValueError(f"reduction: only 'sum_over_batch_size' (Keras' default) is supported, got {reduction!r}")
        if dtype not in (None, "float32"):
            raise NotImplementedError(
                f"{type(self).__name__}: dtype={dtype!r} is not supported (losses are "
                f"computed in float32 and accumulated in float64)"
            )
        self.name = name or _snake_name(type(self).__name__)
        self.reduction = reduction
        self._core = self._make_core()

    def _make_core(self) -> _core.Loss:
        raise NotImplementedError

    @property
    def sparse_targets(self) -> bool:
        """True when targets are integer class labels (one per sample) rather than arrays."""
        return self._core.sparse_targets

    def _convert(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        y_pred = as_float_array(y_pred, "y_pred")
        if self.sparse_targets:
            y_true = np.asarray(y_true)
            expected = y_pred.shape[:-1]
            if y_true.shape == expected + (1,):
                y_true = y_true.reshape(expected)
            if y_true.shape != expected:
                raise ValueError(
                    f"y_true: expected integer labels of shape {expected} for y_pred of shape "
                    f"{y_pred.shape}, got shape {y_true.shape}"
                )
            y_true = as_float_array(y_true, "y_true")
            classes = y_pred.shape[-1]
            bad = (y_true < 0) | (y_true >= classes) | (y_true != np.floor(y_true))
            if bad.any():
                raise ValueError(f"y_true: labels must be integers in [0, {classes}), got {y_true[bad].flat[0]!r}")
        else:
            y_true = as_float_array(y_true, "y_true")
            if y_true.shape != y_pred.shape:
                raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
        if sample_weight is not None:
            sample_weight = as_float_array(sample_weight, "sample_weight").reshape(-1)
            rows = int(np.prod(y_pred.shape[:-1]))
            if sample_weight.size != rows:
                raise ValueError(f"sample_weight: expected {rows} values (one per sample), got {sample_weight.size}")
        return y_true, y_pred, sample_weight

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        y_true, y_pred, sample_weight = self._convert(y_true, y_pred, sample_weight)
        value, _ = self._core.compute(y_true, y_pred, sample_weight, False)
        return float(value)

    def value_and_gradient(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[float, FloatArray]:
        """(loss, d loss / d y_pred) as computed by the C++ core (gradient checks, teaching)."""
        y_true, y_pred, sample_weight = self._convert(y_true, y_pred, sample_weight)
        value, grad = self._core.compute(y_true, y_pred, sample_weight, True)
        assert grad is not None  # want_grad=True
        return float(value), grad

    def get_config(self) -> Config:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: Config) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


def _snake_name(class_name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


class MeanSquaredError(Loss):
    """mean((y_pred - y_true)^2) over the last axis."""

    def _make_core(self) -> _core.Loss:
        return _core.MeanSquaredError()


class MeanAbsoluteError(Loss):
    """mean(|y_pred - y_true|) over the last axis."""

    def _make_core(self) -> _core.Loss:
        return _core.MeanAbsoluteError()


class Huber(Loss):
    """0.5 e^2 where |e| <= delta, else delta * (|e| - 0.5 delta); mean over the last axis."""

    def __init__(
        self,
        delta: float = 1.0,
        name: str = "huber_loss",
        reduction: str = "sum_over_batch_size",
        dtype: str | None = None,
    ) -> None:
        self.delta = check_float(delta, "delta", minimum=0.0, min_inclusive=False)
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _make_core(self) -> _core.Loss:
        return _core.Huber(self.delta)

    def get_config(self) -> Config:
        return {**super().get_config(), "delta": self.delta}


class _CrossentropyBase(Loss):
    _core_class: ClassVar[
        type[_core.BinaryCrossentropy | _core.CategoricalCrossentropy | _core.SparseCategoricalCrossentropy] | None
    ] = None

    def __init__(
        self,
        from_logits: bool = False,
        name: str | None = None,
        reduction: str = "sum_over_batch_size",
        dtype: str | None = None,
    ) -> None:
        self.from_logits = check_bool(from_logits, "from_logits")
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _make_core(self) -> _core.Loss:
        assert self._core_class is not None  # set by each subclass
        return self._core_class(self.from_logits)

    def get_config(self) -> Config:
        return {**super().get_config(), "from_logits": self.from_logits}


class BinaryCrossentropy(_CrossentropyBase):
    """-mean(t log p + (1 - t) log(1 - p)) over the last axis; targets in [0, 1]."""

    _core_class = _core.BinaryCrossentropy


class CategoricalCrossentropy(_CrossentropyBase):
    """-sum(t log p) over classes; one-hot (or soft) targets of the output's shape."""

    _core_class = _core.CategoricalCrossentropy


class SparseCategoricalCrossentropy(_CrossentropyBase):
    """-log p[label]; targets are integer labels, shape (N,) or (N, 1)."""

    _core_class = _core.SparseCategoricalCrossentropy


class Hinge(Loss):
    """mean(max(1 - t * y_pred, 0)) over the last axis; 0/1 labels are mapped to -1/1 first."""

    def _make_core(self) -> _core.Loss:
        return _core.Hinge()


_BY_NAME: dict[str, type[MeanSquaredError | MeanAbsoluteError | Huber | _CrossentropyBase | Hinge]] = {
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "huber": Huber,
    "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "hinge": Hinge,
}
_CLASSES: dict[str, type[MeanSquaredError | MeanAbsoluteError | Huber | _CrossentropyBase | Hinge]] = {
    cls.__name__: cls
    for cls in (
        MeanSquaredError,
        MeanAbsoluteError,
        Huber,
        BinaryCrossentropy,
        CategoricalCrossentropy,
        SparseCategoricalCrossentropy,
        Hinge,
    )
}


def get(identifier: object) -> Loss:
    """A Loss from a Keras name or alias ("mse", "sparse_categorical_crossentropy", "MeanSquaredError")
    or an instance."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"loss: unknown name {identifier!r}; expected one of {', '.join(_BY_NAME)}")
        return cls()
    if identifier is None:
        raise ValueError("loss is required: pass a name such as 'mse' or a gradstep.losses.Loss instance")
    raise TypeError(f"loss must be a name or a gradstep.losses.Loss instance, got {type(identifier).__name__}")


def serialize(loss: Loss) -> Config:
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config: Config) -> Loss:
    return _CLASSES[config["class_name"]].from_config(config["config"])
