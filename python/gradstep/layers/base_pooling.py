"""BasePooling: what the MaxPooling / AveragePooling layers share (Keras 3 arguments).

pool_size and strides take an int or a tuple; strides=None means strides = pool_size. padding
"valid" or "same"; average pooling divides by the input pixels in each window (padding is not
counted), as Keras. channels_last only. The passes run in C++ (cpp/layers/pooling.cpp).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_choice, check_int_tuple
from .layer import Layer


class BasePooling(Layer):
    rank = 2
    mode = "max"

    def __init__(
        self,
        pool_size: int | Sequence[int] = 2,
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_size = check_int_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else check_int_tuple(strides, self.rank, "strides")
        self.padding = check_choice(
            padding.lower() if isinstance(padding, str) else padding, "padding", ("valid", "same")
        )
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: data_format must be 'channels_last', got {data_format!r}")
        self.data_format = "channels_last"

    def _make_core(self) -> _core.Layer:
        return _core.Pooling(self.rank, self.mode, False, list(self.pool_size), list(self.strides), self.padding)

    def get_config(self) -> Config:
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
            }
        )
        return config

    @classmethod
    def from_config(cls, config: Config) -> Layer:
        config = dict(config)
        for key in ("pool_size", "strides"):
            if isinstance(config.get(key), list):
                config[key] = tuple(config[key])
        return cls(**config)


class BaseGlobalPooling(Layer):
    """The window is the whole input; output (batch, channels) (Keras keepdims=False)."""

    rank = 2
    mode = "max"

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(name=name, **kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: data_format must be 'channels_last', got {data_format!r}")
        if keepdims:
            raise NotImplementedError(f"{type(self).__name__}: keepdims=True is not supported yet")
        self.data_format = "channels_last"
        self.keepdims = False

    def _make_core(self) -> _core.Layer:
        return _core.Pooling(self.rank, self.mode, True, [], [], "valid")

    def get_config(self) -> Config:
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config
