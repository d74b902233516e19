"""Flatten, Reshape, UpSampling2D, ZeroPadding2D (Keras 3 names, channels_last).

Flatten and Reshape keep the values and their row-major order; Reshape's target_shape excludes
the batch axis and may contain one -1. UpSampling2D repeats rows and columns (nearest); its
gradient sums each block. ZeroPadding2D adds zero rows and columns; its gradient crops.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, cast

from .. import _core
from .._typing import Config
from .._validation import check_int_tuple
from .layer import Layer


def _channels_last(layer: Layer, data_format: str | None) -> str:
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{type(layer).__name__}: data_format must be 'channels_last', got {data_format!r}")
    return "channels_last"


class Flatten(Layer):
    r"""Flattens each sample to one axis, keeping the values in row-major order (Keras 3).

    .. math::

        y_{n,\, k} = x_{n,\, i_1, \dots, i_d}, \qquad k = \text{row-major index of } (i_1, \dots, i_d)

    References:
        Chollet, F. et al. (2015). Keras (version 3 semantics): keras.layers.Flatten.
        https://keras.io/api/layers/
    """

    def __init__(self, data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.data_format = _channels_last(self, data_format)

    def _make_core(self) -> _core.Layer:
        return _core.Reshape([], True)

    def get_config(self) -> Config:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    r"""Gives each sample the shape `target_shape` (batch axis excluded, one entry may be -1),
    keeping the values in row-major order (Keras 3).

    .. math::

        y_{n,\, j_1, \dots, j_e} = x_{n,\, i_1, \dots, i_d} \quad \text{where the row-major indices of }
        (j_1, \dots, j_e) \text{ and } (i_1, \dots, i_d) \text{ are equal}

    References:
        Chollet, F. et al. (2015). Keras (version 3 semantics): keras.layers.Reshape.
        https://keras.io/api/layers/
    """

    def __init__(self, target_shape: Sequence[int], name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if (
            not isinstance(target_shape, (tuple, list))
            or not target_shape
            or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in target_shape)
        ):
            raise TypeError(f"Reshape: target_shape must be a non-empty tuple of ints, got {target_shape!r}")
        if any(d != -1 and d <= 0 for d in target_shape) or sum(d == -1 for d in target_shape) > 1:
            raise ValueError(
                f"Reshape: target_shape entries must be positive, with at most one -1; got {target_shape!r}"
            )
        self.target_shape = tuple(int(d) for d in target_shape)

    def _make_core(self) -> _core.Layer:
        return _core.Reshape(list(self.target_shape), False)

    def get_config(self) -> Config:
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class UpSampling2D(Layer):
    r"""Nearest-neighbour upsampling of (batch, rows, cols, channels) by `size` :math:`(f_h, f_w)`
    (Keras 3; bilinear interpolation is not supported).

    .. math::

        y_{n,i,j,c} = x_{n,\, \lfloor i / f_h \rfloor,\, \lfloor j / f_w \rfloor,\, c}

    Backward: each input pixel receives the sum of the gradient over its :math:`f_h \times f_w`
    block.

    References:
        Odena, A., Dumoulin, V. & Olah, C. (2016). Deconvolution and checkerboard artifacts.
        Distill (nearest-neighbour resize before a convolution).
    """

    def __init__(
        self,
        size: int | Sequence[int] = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.size = check_int_tuple(size, 2, "size")
        self.data_format = _channels_last(self, data_format)
        if interpolation != "nearest":
            raise NotImplementedError(
                f"UpSampling2D: interpolation={interpolation!r} is not supported yet (only 'nearest')"
            )
        self.interpolation = "nearest"

    def _make_core(self) -> _core.Layer:
        return _core.UpSampling2D(*self.size)

    def get_config(self) -> Config:
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format, "interpolation": self.interpolation})
        return config

    @classmethod
    def from_config(cls, config: Config) -> Layer:
        config = dict(config)
        if isinstance(config.get("size"), list):
            config["size"] = tuple(config["size"])
        return cls(**config)


class ZeroPadding2D(Layer):
    r"""Zeros around the rows and columns of (batch, rows, cols, channels) (Keras 3).

    `padding`: an int (all sides), (rows, cols) (symmetric) or ((top, bottom), (left, right)).
    With top and left padding :math:`(p_t, p_l)`:

    .. math::

        y_{n,i,j,c} = \begin{cases} x_{n,\, i - p_t,\, j - p_l,\, c} & \text{inside the input} \\
            0 & \text{in the padding} \end{cases}

    Backward crops the gradient back to the input.

    References:
        Chollet, F. et al. (2015). Keras (version 3 semantics): keras.layers.ZeroPadding2D.
        https://keras.io/api/layers/
    """

    def __init__(
        self,
        padding: int | Sequence[int] | Sequence[Sequence[int]] = (1, 1),
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.data_format = _channels_last(self, data_format)
        if (
            isinstance(padding, (tuple, list))
            and len(padding) == 2
            and all(isinstance(p, (tuple, list)) for p in padding)
        ):
            # both entries are tuples or lists (checked just above)
            rows = check_int_tuple(tuple(cast("Sequence[int]", padding[0])), 2, "padding", minimum=0)
            cols = check_int_tuple(tuple(cast("Sequence[int]", padding[1])), 2, "padding", minimum=0)
        else:
            r, c = check_int_tuple(padding, 2, "padding", minimum=0)
            rows, cols = (r, r), (c, c)
        self.padding = (rows, cols)

    def _make_core(self) -> _core.Layer:
        (top, bottom), (left, right) = self.padding
        return _core.ZeroPadding2D(top, bottom, left, right)

    def get_config(self) -> Config:
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config

    @classmethod
    def from_config(cls, config: Config) -> Layer:
        config = dict(config)
        if isinstance(config.get("padding"), list):
            config["padding"] = tuple(tuple(p) if isinstance(p, list) else p for p in config["padding"])
        return cls(**config)
