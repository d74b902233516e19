"""Activation: applies an activation function as a layer of its own (no weights)."""

from __future__ import annotations

from typing import Any

from .. import _core, activations
from .._typing import Config
from .layer import Layer


class Activation(Layer):
    r"""Applies an activation function as a layer of its own (no weights), element-wise.

    .. math::

        y = f(x), \qquad f \in \{\text{linear}, \text{relu}, \mathrm{leaky\_relu}, \text{elu},
        \text{sigmoid}, \text{tanh}, \text{softmax}, \text{softplus}, \text{gelu}, \text{swish}\}

        \text{relu}(x) = \max(x, 0), \quad
        \mathrm{leaky\_relu}(x) = \begin{cases} x & x > 0 \\ 0.2\, x & x \le 0 \end{cases}, \quad
        \text{elu}(x) = \begin{cases} x & x > 0 \\ e^x - 1 & x \le 0 \end{cases}

        \sigma(x) = \frac{1}{1 + e^{-x}}, \quad \text{softplus}(x) = \log(1 + e^x), \quad
        \text{gelu}(x) = \frac{x}{2}\left(1 + \operatorname{erf}\frac{x}{\sqrt 2}\right), \quad
        \text{swish}(x) = x\, \sigma(x)

        \text{softmax}(x)_j = \frac{e^{x_j}}{\sum_k e^{x_k}} \quad \text{(over the last axis)}

    Keras 3 defaults: leaky_relu's negative slope 0.2, elu's alpha 1, gelu exact (erf, not the tanh
    approximation); "silu" is accepted for swish.

    References:
        Nair, V. & Hinton, G. E. (2010). Rectified linear units improve restricted Boltzmann
        machines. ICML.

        Clevert, D.-A., Unterthiner, T. & Hochreiter, S. (2016). Fast and accurate deep network
        learning by exponential linear units (ELUs). ICLR.

        Hendrycks, D. & Gimpel, K. (2016). Gaussian error linear units (GELUs). arXiv:1606.08415.

        Ramachandran, P., Zoph, B. & Le, Q. V. (2017). Searching for activation functions.
        arXiv:1710.05941 (swish).
    """

    def __init__(self, activation: str | None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.activation = activations.get(activation)

    def _make_core(self) -> _core.Layer:
        return _core.Activation(self.activation)

    def get_config(self) -> Config:
        config = super().get_config()
        config["activation"] = self.activation
        return config
