"""SimpleRNN (Elman 1990), Keras 3:  h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias).

kernel (features, units), recurrent_kernel (units, units), bias (units,). Arguments, masks and
dropout: see base_rnn.py. Forward and backward in C++ (cpp/layers/simple_rnn.cpp).
"""

from __future__ import annotations

from typing import Any

from .. import _core, initializers
from .base_rnn import RNNBase


class SimpleRNN(RNNBase):
    r"""Fully connected recurrent layer (Keras 3).

    With kernel :math:`W` (features, units), recurrent kernel :math:`U` (units, units), bias
    :math:`b` and activation :math:`f` (`activation`, tanh by default), for each step :math:`t`:

    .. math::

        h_t = f(x_t W + h_{t-1} U + b)

    :math:`h_0 = 0`. Output: the last state (batch, units), or every step's (batch, timesteps,
    units) with `return_sequences=True`. `dropout` / `recurrent_dropout` use one mask per sequence
    (Gal & Ghahramani).

    References:
        Elman, J. L. (1990). Finding structure in time. Cognitive Science 14(2).

        Gal, Y. & Ghahramani, Z. (2016). A theoretically grounded application of dropout in
        recurrent neural networks. NeurIPS.
    """

    _core_class = _core.SimpleRNN
    _has_gates = False

    def __init__(
        self,
        units: int,
        activation: str | None = "tanh",
        use_bias: bool = True,
        kernel_initializer: initializers.InitializerLike = "glorot_uniform",
        recurrent_initializer: initializers.InitializerLike = "orthogonal",
        bias_initializer: initializers.InitializerLike = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            **kwargs,
        )
