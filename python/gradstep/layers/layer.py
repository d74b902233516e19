"""Layer: the Python side of a layer is its configuration; its numbers live in the C++ core.

A layer is attached to one model when that model is built; from then on `weights`,
`get_weights()` and `set_weights()` read and write slices of the model's flat parameter buffer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _core
from .._typing import Config, FloatArray
from ..regularizers import Regularizer

_name_counts: dict[str, int] = {}


def _unique_name(base: str) -> str:
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _snake_case(name: str) -> str:
    # Keras' rule: Conv2DTranspose -> conv2d_transpose, MaxPooling2D -> max_pooling2d.
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def apply_weight_regularizers(
    core: _core.Layer, kernel_regularizer: Regularizer | None, bias_regularizer: Regularizer | None
) -> _core.Layer:
    """Attach the kernel/bias penalties (gradstep.regularizers) to a C++ layer; returns it."""
    for param, regularizer in (("kernel", kernel_regularizer), ("bias", bias_regularizer)):
        if regularizer is not None:
            core.set_regularizer(param, regularizer.l1, regularizer.l2)
    return core


class Layer:
    """Base class of gradstep layers (Keras 3 names: `name`, `trainable`, `get_config`, `weights`)."""

    def __init__(self, name: str | None = None, trainable: bool = True, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}")
        self.name = name or _unique_name(_snake_case(type(self).__name__))
        self._model: _core.Sequential | None = None  # the _core.Sequential this layer belongs to once built
        self._index: int | None = None  # its position in that model
        self._weight_indices: list[int] = []  # indices of this layer's weights in the model's weight list
        self._core_layer: _core.Layer | None = None
        self.trainable = trainable

    @property
    def trainable(self) -> bool:
        """Keras' layer.trainable. False freezes the layer (its weights are left out of optimizer
        updates and of regularisation penalties and count as non-trainable in summary()); a frozen
        BatchNormalization also normalises with its moving statistics in training (Keras 3). A
        change takes effect at once, for the next training step, even after compile."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"trainable must be True or False, got {value!r}")
        self._trainable = bool(value)
        if self._model is not None and self._index is not None:  # both are set together by _attach
            self._model.set_layer_frozen(self._index, not self._trainable)

    # -- subclasses -------------------------------------------------------------------------
    def _make_core(self) -> _core.Layer:
        """Create the C++ layer object (called once, when the model is built)."""
        raise NotImplementedError

    def get_config(self) -> Config:
        return {"name": self.name, "trainable": self._trainable}

    @classmethod
    def from_config(cls, config: Config) -> Layer:
        return cls(**config)

    # -- state --------------------------------------------------------------------------------
    @property
    def built(self) -> bool:
        return self._model is not None

    def _attach(
        self, core_model: _core.Sequential, weight_indices: Iterable[int], core_layer: _core.Layer, index: int
    ) -> None:
        if self._model is not None and self._model is not core_model:
            raise ValueError(f"layer {self.name!r} already belongs to another model; create a new layer instead")
        self._model = core_model
        self._index = index
        self._weight_indices = list(weight_indices)
        self._core_layer = core_layer
        core_model.set_layer_frozen(index, not self._trainable)

    def _detach(self, core_model: _core.Sequential) -> None:
        """Forget `core_model` (the model is being rebuilt with one more layer)."""
        if self._model is core_model:
            self._model = None
            self._index = None
            self._weight_indices = []
            self._core_layer = None

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        self._require_built("input_shape")
        assert self._core_layer is not None  # set with _model
        return (None,) + tuple(self._core_layer.input_shape)

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        self._require_built("output_shape")
        assert self._core_layer is not None  # set with _model
        return (None,) + tuple(self._core_layer.output_shape)

    def _require_built(self, what: str) -> _core.Sequential:
        """The model this layer belongs to; ValueError naming `what` when there is none."""
        if self._model is None:
            raise ValueError(f"layer {self.name!r} is not built yet: {what} is known once its model has an input shape")
        return self._model

    @property
    def weights(self) -> list[FloatArray]:
        """Read-only NumPy views of the layer's weights in the model's buffers. They follow
        training, and writing to them raises (use set_weights). get_weights() returns copies."""
        if self._model is None:
            return []
        return [self._model.weight_view(i) for i in self._weight_indices]

    def _weight(self, position: int) -> FloatArray:
        """Read-only view of the layer's weight number `position` (kernel, bias, ...)."""
        model = self._require_built("its weights")
        return model.weight_view(self._weight_indices[position])

    def get_weights(self) -> list[FloatArray]:
        if self._model is None:
            return []
        return [self._model.get_weight(i) for i in self._weight_indices]

    def set_weights(self, weights: Iterable[ArrayLike]) -> None:
        model = self._require_built("set_weights")
        weights = list(weights)
        if len(weights) != len(self._weight_indices):
            raise ValueError(
                f"layer {self.name!r} expects {len(self._weight_indices)} weight arrays, got {len(weights)}"
            )
        checked = []
        for i, given in zip(self._weight_indices, weights):
            _, weight_name, shape, _ = model.weight_info(i)
            value = np.asarray(given)
            if value.dtype.kind not in "fiub":
                raise TypeError(
                    f"weight {weight_name!r} of layer {self.name!r} must be numeric, got dtype {value.dtype}"
                )
            if tuple(value.shape) != tuple(shape):
                raise ValueError(
                    f"weight {weight_name!r} of layer {self.name!r}: expected shape {tuple(shape)}, "
                    f"got {tuple(value.shape)}"
                )
            checked.append((i, value))
        for i, value in checked:
            model.set_weight(i, np.ascontiguousarray(value, dtype=np.float32))

    def count_params(self) -> int:
        return (
            int(sum(np.prod(self._model.weight_info(i)[2], dtype=np.int64) for i in self._weight_indices))
            if self._model is not None
            else 0
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
