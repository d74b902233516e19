"""Dense: y = activation(x @ kernel + bias), applied to the last axis (Keras semantics).

kernel_regularizer / bias_regularizer (gradstep.regularizers.L1, L2, L1L2) add their penalty to
the loss and its gradient to the weight's gradient.

kernel has shape (input_dim, units) and bias (units,). The forward pass, the activation and
the backward pass (dW = x^T dz, db = sum over rows of dz, dx = dz W^T) run in C++
(cpp/layers/dense.cpp).
"""

from __future__ import annotations

from typing import Any

from .. import _core, activations, initializers, regularizers
from .._typing import Config, FloatArray
from .._validation import check_bool, check_positive_int
from .layer import Layer, apply_weight_regularizers


class Dense(Layer):
    r"""Fully connected layer, applied to the last axis of its input (Keras 3).

    With kernel :math:`W` of shape (input_dim, units), bias :math:`b` of shape (units,) and the
    activation :math:`f` (`activation`, identity by default):

    .. math::

        y = f(x W + b)

    Backward: :math:`\delta = \partial L / \partial y \odot f'(z)` with :math:`z = xW + b`, then
    :math:`\partial L/\partial W = x^\top \delta`, :math:`\partial L/\partial b = \sum_{\text{rows}} \delta`,
    :math:`\partial L/\partial x = \delta W^\top`.

    References:
        Rumelhart, D. E., Hinton, G. E. & Williams, R. J. (1986). Learning representations by
        back-propagating errors. Nature 323.
    """

    def __init__(
        self,
        units: int,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer: initializers.InitializerLike = "glorot_uniform",
        bias_initializer: initializers.InitializerLike = "zeros",
        kernel_regularizer: regularizers.RegularizerLike = None,
        bias_regularizer: regularizers.RegularizerLike = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.units = check_positive_int(units, "units")
        self.activation = activations.get(activation)
        self.use_bias = check_bool(use_bias, "use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _make_core(self) -> _core.Layer:
        core = _core.Dense(
            self.units,
            self.activation,
            self.use_bias,
            self.kernel_initializer._make_core(),
            self.bias_initializer._make_core(),
        )
        return apply_weight_regularizers(core, self.kernel_regularizer, self.bias_regularizer)

    def get_config(self) -> Config:
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": self.activation,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            }
        )
        return config

    @property
    def kernel(self) -> FloatArray:
        return self._weight(0)

    @property
    def bias(self) -> FloatArray | None:
        return self._weight(1) if self.use_bias else None
