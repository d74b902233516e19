"""Masking (Keras 3): a time step whose features all equal `mask_value` is padding.

    mask[n, t] = any(x[n, t, :] != mask_value),   y = x * mask

The mask reaches the layers after it: recurrent layers skip masked steps and the loss and
metrics ignore them. Forward and backward in C++ (cpp/layers/masking.cpp).
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_float
from .layer import Layer


class Masking(Layer):
    r"""Marks as padding every time step whose features all equal `mask_value` (Keras 3).

    .. math::

        m_{n,t} = \big[\exists j:\ x_{n,t,j} \ne \mathrm{mask\_value}\big], \qquad
        y_{n,t,:} = m_{n,t}\, x_{n,t,:}

    Recurrent layers after it carry their state through masked steps, and the loss and metrics
    skip them.

    References:
        Chollet, F. et al. (2015). Keras (version 3 semantics): keras.layers.Masking.
        https://keras.io/api/layers/
    """

    def __init__(self, mask_value: float = 0.0, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.mask_value = check_float(mask_value, "mask_value")

    def _make_core(self) -> _core.Layer:
        return _core.Masking(self.mask_value)

    def get_config(self) -> Config:
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
