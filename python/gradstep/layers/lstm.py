"""LSTM (Hochreiter & Schmidhuber 1997; forget gate Gers et al. 2000), Keras 3:

    [i | f | c | o] = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias
    i, f, o = recurrent_activation(.),   g = activation(c block)
    c_t = f * c_{t-1} + i * g,           h_t = o * activation(c_t)

kernel (features, 4u), recurrent_kernel (u, 4u), bias (4u,), gates in the order i, f, c, o.
unit_forget_bias=True starts the forget-gate bias at 1 (Jozefowicz et al. 2015).
PyTorch's nn.LSTM uses the same gate order with weights transposed (weight_ih = kernel.T,
weight_hh = recurrent_kernel.T) and two biases whose sum is Keras' one.
Arguments, masks and dropout: see base_rnn.py. Forward and backward in C++ (cpp/layers/lstm.cpp).
"""

from __future__ import annotations

from typing import Any

from .. import _core, initializers
from .._typing import Config
from .._validation import check_bool
from .base_rnn import RNNBase


class LSTM(RNNBase):
    r"""Long short-term memory layer (Keras 3).

    With kernel :math:`W` (features, 4u), recurrent kernel :math:`U` (u, 4u) and bias :math:`b`
    (4u,), gate blocks in the order i, f, c, o, :math:`\sigma` the `recurrent_activation`
    (sigmoid) and :math:`\phi` the `activation` (tanh), for each step :math:`t`:

    .. math::

        [\,a_i \mid a_f \mid a_c \mid a_o\,] &= x_t W + h_{t-1} U + b \\
        i &= \sigma(a_i), \quad f = \sigma(a_f), \quad o = \sigma(a_o), \quad g = \phi(a_c) \\
        c_t &= f \odot c_{t-1} + i \odot g \\
        h_t &= o \odot \phi(c_t)

    :math:`c_0 = 0`; `unit_forget_bias=True` starts the forget-gate bias at 1. PyTorch's nn.LSTM
    has the same gate order with weights transposed and two biases whose sum is :math:`b`.

    :math:`h_0 = 0`. Output: the last state (batch, units), or every step's (batch, timesteps,
    units) with `return_sequences=True`. `dropout` / `recurrent_dropout` use one mask per sequence
    (Gal & Ghahramani).

    References:
        Hochreiter, S. & Schmidhuber, J. (1997). Long short-term memory. Neural Computation 9(8).

        Gers, F. A., Schmidhuber, J. & Cummins, F. (2000). Learning to forget: continual prediction
        with LSTM. Neural Computation 12(10).

        Jozefowicz, R., Zaremba, W. & Sutskever, I. (2015). An empirical exploration of recurrent
        network architectures. ICML (forget-gate bias 1).
    """

    _core_class = _core.LSTM

    def __init__(
        self,
        units: int,
        activation: str | None = "tanh",
        recurrent_activation: str | None = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: initializers.InitializerLike = "glorot_uniform",
        recurrent_initializer: initializers.InitializerLike = "orthogonal",
        bias_initializer: initializers.InitializerLike = "zeros",
        unit_forget_bias: bool = True,
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
        self.unit_forget_bias = check_bool(unit_forget_bias, "unit_forget_bias")
        if use_cudnn not in ("auto", False):
            raise ValueError(f"use_cudnn must be 'auto' or False (gradstep runs on the CPU), got {use_cudnn!r}")

    def _cell_args(self) -> dict[str, Any]:
        return {"unit_forget_bias": self.unit_forget_bias}

    def get_config(self) -> Config:
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config
