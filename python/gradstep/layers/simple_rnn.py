"""SimpleRNN (Elman 1990), Keras 3:  h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias).

kernel (features, units), recurrent_kernel (units, units), bias (units,). Arguments, masks and
dropout: see base_rnn.py. Forward and backward in C++ (cpp/layers/simple_rnn.cpp).
"""

from __future__ import annotations

from typing import Any

from .. import _core, initializers
from .base_rnn import RNNBase


class SimpleRNN(RNNBase):
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
