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
    r"""Transposed 2-D convolution (the adjoint of a :class:`Conv2D`), Keras 3 semantics.

    With kernel :math:`K` of shape (kh, kw, filters, in_channels) read as a matrix
    (kh * kw * filters, in_channels), bias :math:`b` and activation :math:`f`:

    .. math::

        y = f\big(\operatorname{col2im}(x K^\top) + b\big)

    i.e. the input gradient of a Conv2D with the same kernel, strides and padding; the output size
    per axis is :math:`H s + \max(k - s, 0)` for "valid" and :math:`H s` for "same"
    (`output_padding` is not supported).

    References:
        LeCun, Y., Bottou, L., Bengio, Y. & Haffner, P. (1998). Gradient-based learning applied to
        document recognition. Proceedings of the IEEE 86(11).

        Dumoulin, V. & Visin, F. (2016). A guide to convolution arithmetic for deep learning.
        arXiv:1603.07285 (padding, strides, dilation).
    """

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
