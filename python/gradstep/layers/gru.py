"""GRU (Cho et al. 2014), Keras 3 with its default reset_after=True:

    x = x_t @ kernel + bias[0],   q = h_{t-1} @ recurrent_kernel + bias[1]
    z = recurrent_activation(x_z + q_z),   r = recurrent_activation(x_r + q_r)
    hh = activation(x_h + r * q_h),        h_t = z * h_{t-1} + (1 - z) * hh

kernel (features, 3u), recurrent_kernel (u, 3u), bias (2, 3u), gates in the order z, r, h.
PyTorch's nn.GRU is the same cell with gates in the order r, z, n, weights transposed and
bias_ih = bias[0], bias_hh = bias[1] (reordered). reset_after=False (the reset gate applied
before the recurrent product) is not supported and raises.
Arguments, masks and dropout: see base_rnn.py. Forward and backward in C++ (cpp/layers/gru.cpp).
"""

from __future__ import annotations

from typing import Any

from .. import _core, initializers
from .._typing import Config
from .._validation import check_bool
from .base_rnn import RNNBase


class GRU(RNNBase):
    r"""Gated recurrent unit, Keras 3 with its default `reset_after=True` (the cuDNN / PyTorch form).

    With kernel :math:`W` (features, 3u), recurrent kernel :math:`U` (u, 3u), bias (2, 3u) whose
    rows are :math:`b^x` (input) and :math:`b^h` (recurrent), gate blocks in the order z, r, h,
    :math:`\sigma` the `recurrent_activation` (sigmoid) and :math:`\phi` the `activation` (tanh):

    .. math::

        a &= x_t W + b^x, \qquad q = h_{t-1} U + b^h \\
        z &= \sigma(a_z + q_z), \qquad r = \sigma(a_r + q_r) \\
        \tilde h &= \phi(a_h + r \odot q_h) \\
        h_t &= z \odot h_{t-1} + (1 - z) \odot \tilde h

    PyTorch's nn.GRU is the same cell with gates in the order r, z, n. `reset_after=False`
    raises.

    :math:`h_0 = 0`. Output: the last state (batch, units), or every step's (batch, timesteps,
    units) with `return_sequences=True`. `dropout` / `recurrent_dropout` use one mask per sequence
    (Gal & Ghahramani).

    References:
        Cho, K. et al. (2014). Learning phrase representations using RNN encoder-decoder for
        statistical machine translation. EMNLP.

        Gal, Y. & Ghahramani, Z. (2016). A theoretically grounded application of dropout in
        recurrent neural networks. NeurIPS.
    """

    _core_class = _core.GRU

    def __init__(
        self,
        units: int,
        activation: str | None = "tanh",
        recurrent_activation: str | None = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: initializers.InitializerLike = "glorot_uniform",
        recurrent_initializer: initializers.InitializerLike = "orthogonal",
        bias_initializer: initializers.InitializerLike = "zeros",
        reset_after: bool = True,
        use_cudnn: str | bool = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            **kwargs,
        )
        if not check_bool(reset_after, "reset_after"):
            raise NotImplementedError(
                "GRU: reset_after=False is not supported (Keras 3's default, reset_after=True, is)"
            )
        self.reset_after = True
        if use_cudnn not in ("auto", False):
            raise ValueError(f"use_cudnn must be 'auto' or False (gradstep runs on the CPU), got {use_cudnn!r}")

    def get_config(self) -> Config:
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config
