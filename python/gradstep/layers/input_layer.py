"""Input: declares the shape of one sample (without the batch axis)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from .._typing import Config


class InputLayer:
    """`gradstep.Input(shape)`: the per-sample input shape of a Sequential model, e.g. Input((784,))."""

    def __init__(
        self,
        shape: int | Sequence[int] | None = None,
        batch_size: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise TypeError(f"Input: unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
        if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)) or len(shape) == 0:
            raise ValueError(f"Input: shape must be a non-empty tuple of positive integers, got {shape!r}")
        for d in shape:
            if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d <= 0:
                raise ValueError(f"Input: shape must be a tuple of positive integers (no None), got {tuple(shape)!r}")
        self.shape = tuple(int(d) for d in shape)
        if batch_size is not None:
            raise NotImplementedError(
                "Input: batch_size is not supported (a gradstep model takes any batch size; "
                "give the batch size to fit / evaluate / predict)"
            )
        self.batch_size = None
        self.name = name or "input_layer"

    def get_config(self) -> Config:
        return {"shape": self.shape, "name": self.name}

    def __repr__(self) -> str:
        return f"Input(shape={self.shape})"


def Input(
    shape: int | Sequence[int] | None = None, batch_size: int | None = None, name: str | None = None, **kwargs: Any
) -> InputLayer:
    return InputLayer(shape=shape, batch_size=batch_size, name=name, **kwargs)
