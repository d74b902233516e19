"""Losses (Keras 3 names, defaults and semantics; computed by the C++ core).

Every loss reduces a sample over its last axis (a mean for MSE/MAE/Huber/BCE/Hinge, a sum over
classes for categorical cross-entropies) and the batch with Keras' "sum_over_batch_size":
sum_i w_i * loss_i / N (N = number of samples, whatever the weights).

Cross-entropies with from_logits=False clip probabilities to [1e-7, 1 - 1e-7] before the log,
as Keras does. When the model's last layer is a softmax (for categorical) or sigmoid (binary)
activation, the model fuses it with the loss and computes both from the logits: finite and
exact for any logits (Keras would cap each sample's loss at -log(1e-7) ~ 16.1). `model.evaluate`
uses the same fused form, so train and test losses are comparable.

Your own loss: subclass `Loss` and define `call(y_true, y_pred)` (one loss per sample, as Keras)
and `gradient(y_true, y_pred)` (d loss_i / d y_pred, gradstep's addition: there is no autodiff),
both in NumPy. See `Loss` for the contract and the measured speed cost.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from ._typing import Config, FloatArray
from ._validation import as_float_array, check_bool, check_float


class Loss:
    """Base class. `loss(y_true, y_pred, sample_weight=None)` returns the batch loss (a float).

    Writing your own (Keras' pattern, plus `gradient`)::

        class MeanSquaredError(gs.losses.Loss):
            def call(self, y_true, y_pred):  # (rows, cols) -> (rows,): one loss per sample
                return np.mean((y_pred - y_true) ** 2, axis=-1)

            def gradient(self, y_true, y_pred):  # (rows, cols): d call(...)[i] / d y_pred[i]
                return 2.0 * (y_pred - y_true) / y_pred.shape[-1]

    - `y_pred` (and `y_true` unless sparse) arrive as read-only float32 arrays of shape
      (rows, cols): cols is the output's last axis, rows the samples (times every other axis of
      the output, e.g. N * T for an (N, T, C) sequence output). They are views of the model's
      buffers, valid during the call only: copy what you keep.
    - Set the class attribute `sparse_targets = True` when targets are integer class labels (one per
      row): `y_true` then arrives as int64 of shape (rows,), as for SparseCategoricalCrossentropy.
    - `call` returns (rows,) floats, `gradient` returns floats of y_pred's shape: the derivative of
      each row's own loss (not divided by the batch size). gradstep applies sample weights, masks
      and the "sum_over_batch_size" reduction (the only one the built-in losses support) in C++,
      as for the built-ins, and checks the shapes it gets back (ValueError naming the method).
    - `gradient` is required to train (compile raises without it); `call` alone serves
      `loss(y_true, y_pred)`. `model.check_gradients(x, y)` compares `gradient` with finite
      differences of `call` through the whole model.
    - Exceptions raised in call/gradient propagate out of fit/evaluate unchanged. call/gradient
      must not use the model being trained (the training step holds it).
    - Saving: `model.save` records the class name and `get_config()`; `load_model(path,
      custom_objects={"MyLoss": MyLoss})` rebuilds it with `MyLoss.from_config(config)` (Keras'
      rule); without custom_objects loading a compiled model refuses with a clear error.

    Speed: the training step calls back into Python once per batch (holding the GIL only then).
    Measured with `benchmarks/custom_loss.py --repeats 3 --threads 1` on W1 (784-256-128-10 MLP,
    batch 128, 60,000 random rows, Adam, one epoch), variants alternated, best of 3, on the
    2-core development machine while other jobs loaded it (load average ~10): the built-in
    SparseCategoricalCrossentropy(from_logits=True) 1.25 s CPU / 3.18 s wall per epoch, the same
    loss in NumPy (a Loss subclass) 1.40 s CPU / 3.60 s wall: about +12%, ~0.3 ms of CPU per
    128-row step (the callback and NumPy's per-call overhead on 128 x 10 arrays). With 2 threads
    the oversubscribed machine gave 30-100 s epochs for either loss: no figure; rerun when idle.
    """

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
        # A subclass that defines call() computes in Python, even when it derives from a built-in.
        self._core = Loss._make_core(self) if self.defined_in_python else self._make_core()

    def _make_core(self) -> _core.Loss:
        # The built-in losses override this with their C++ class; a subclass written in Python
        # gets the C++ loss that calls back its call() and gradient().
        if type(self).call is Loss.call:
            raise NotImplementedError(
                f"{type(self).__name__}: a Loss subclass must define call(y_true, y_pred) returning one loss "
                f"per sample (and gradient(y_true, y_pred) to train with it)"
            )
        declared = inspect.getattr_static(self, "sparse_targets")
        sparse = False if isinstance(declared, property) else check_bool(declared, "sparse_targets")
        return _core.PythonLoss(self, sparse, type(self).__name__)

    @property
    def sparse_targets(self) -> bool:
        """True when targets are integer class labels (one per sample) rather than arrays."""
        return bool(self._core.sparse_targets)

    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """Per-sample losses (rows,) of y_pred (rows, cols): what a Python-defined loss defines."""
        raise NotImplementedError(f"{type(self).__name__} does not define call(y_true, y_pred)")

    def gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """d call(y_true, y_pred)[i] / d y_pred[i], shape (rows, cols): what a Python-defined loss
        defines to be trained (gradstep has no automatic differentiation)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not define gradient(y_true, y_pred): a loss written in Python needs it "
            f"to be trained (gradstep has no automatic differentiation)"
        )

    @property
    def defined_in_python(self) -> bool:
        """True for a subclass that computes its loss in Python (defines call)."""
        return type(self).call is not Loss.call

    def _batch_loss(
        self, y_true: np.ndarray, y_pred: np.ndarray, want_grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Called by the C++ PythonLoss (with the GIL) for one batch: call() and, with want_grad,
        gradient(), checked and converted to float32."""
        if self.sparse_targets:
            y_true = y_true.astype(np.int64)
        rows = y_pred.shape[0]
        losses = _checked_result(self, "call", self.call(y_true, y_pred), (rows,))
        grad = None
        if want_grad:
            grad = _checked_result(self, "gradient", self.gradient(y_true, y_pred), y_pred.shape)
        return losses, grad

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


def _checked_result(loss: Loss, method: str, value: Any, expected: tuple[int, ...]) -> FloatArray:
    array = np.asarray(value)
    if array.dtype.kind not in "fiu" or array.dtype == np.bool_:
        raise ValueError(
            f"{type(loss).__name__}.{method} must return a float array of shape {expected}, got dtype {array.dtype}"
        )
    if array.shape != expected:
        what = "one loss per sample" if method == "call" else "y_pred's shape"
        raise ValueError(
            f"{type(loss).__name__}.{method} must return an array of shape {expected} ({what}), got shape {array.shape}"
        )
    return np.ascontiguousarray(array, dtype=np.float32)


def require_gradient(loss: Loss) -> None:
    """Raise a clear error when `loss` is written in Python without gradient(): it cannot train."""
    if loss.defined_in_python and type(loss).gradient is Loss.gradient:
        raise ValueError(
            f"loss: {type(loss).__name__} defines call() but not gradient(y_true, y_pred); gradstep has no "
            f"automatic differentiation, so a loss written in Python must also return d loss / d y_pred "
            f"(shape of y_pred, per sample) to be trained"
        )


def _snake_name(class_name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


class MeanSquaredError(Loss):
    """mean((y_pred - y_true)^2) over the last axis."""

    def _make_core(self) -> _core.Loss:
        return _core.MeanSquaredError()


class MeanAbsoluteError(Loss):
    """`mean(|y_pred - y_true|)` over the last axis."""

    def _make_core(self) -> _core.Loss:
        return _core.MeanAbsoluteError()


class Huber(Loss):
    """`0.5 e^2` where `|e| <= delta`, else `delta * (|e| - 0.5 delta)`; mean over the last axis."""

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


def deserialize(config: Config, custom_objects: Config | None = None) -> Loss:
    """A loss from serialize()'s output; custom_objects maps the class names of your own Loss
    subclasses to the classes (as Keras' load_model(custom_objects=...))."""
    class_name = config["class_name"]
    cls = (custom_objects or {}).get(class_name) or _CLASSES.get(class_name)
    if cls is None:
        raise ValueError(
            f"loss: unknown class {class_name!r}; a loss written in Python must be passed as "
            f"custom_objects={{{class_name!r}: {class_name}}}"
        )
    if not (isinstance(cls, type) and issubclass(cls, Loss)):
        raise TypeError(f"custom_objects[{class_name!r}] must be a gradstep.losses.Loss subclass, got {cls!r}")
    loss: Loss = cls.from_config(config["config"])
    return loss
