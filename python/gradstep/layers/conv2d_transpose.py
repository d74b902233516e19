"""Conv2DTranspose: the transpose of a Conv2D (its input gradient as a layer), plus bias and
activation. Used to upsample in decoders and autoencoders.

kernel (kh, kw, filters, in_channels), as Keras. Output size per axis, as Keras without
output_padding: padding "valid" -> size * stride + max(kernel - stride, 0), "same" -> size *
stride (Dumoulin & Visin, "A guide to convolution arithmetic for deep learning", 2016).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _core
from .._typing import Config
from .base_conv import BaseConv


class Conv2DTranspose(BaseConv):
    rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        output_padding: object = None,
        **kwargs: Any,
    ) -> None:
        if output_padding is not None:
            raise NotImplementedError(
                f"Conv2DTranspose: output_padding={output_padding!r} is not supported yet (only None)"
            )
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)
        self.output_padding = None

    def _make_core(self) -> _core.Layer:
        return self._with_regularizers(_core.ConvTranspose(*self._core_args()))

    def get_config(self) -> Config:
        config = super().get_config()
        config["output_padding"] = None
        return config
