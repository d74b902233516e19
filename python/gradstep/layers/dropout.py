"""Dropout (Srivastava et al., 2014), inverted as Keras: in training each input is zeroed with
probability `rate` and the survivors are scaled by 1 / (1 - rate); at inference it is the identity.

Masks come from a counter-based RNG keyed by (seed, optimizer step, element index): they do not
depend on the number of threads, and `seed=None` derives the key from the model's seed and the
layer's position.
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_float, check_non_negative_int
from .layer import Layer


class Dropout(Layer):
    r"""Inverted dropout (Keras 3): in training each element is kept with probability
    :math:`1 - r` (`rate`) and scaled, at inference the layer is the identity.

    .. math::

        \text{training:}\quad y_i = \frac{k_i\, x_i}{1 - r},\quad k_i \sim \text{Bernoulli}(1 - r);
        \qquad \text{inference:}\quad y = x

    The mask :math:`k` of element :math:`i` at optimizer step :math:`t` is a pure function of
    (seed, :math:`t`, :math:`i`) (a counter-based RNG): the same for any number of threads.
    `noise_shape` is not supported (it raises).

    References:
        Srivastava, N., Hinton, G., Krizhevsky, A., Sutskever, I. & Salakhutdinov, R. (2014).
        Dropout: a simple way to prevent neural networks from overfitting. JMLR 15.
    """

    def __init__(
        self, rate: float, noise_shape: object = None, seed: int | None = None, name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.rate = check_float(rate, "rate", minimum=0.0, maximum=1.0, max_inclusive=False)
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported yet (masks are per element)")
        self.noise_shape = None
        self.seed = None if seed is None else check_non_negative_int(seed, "seed")

    def _make_core(self) -> _core.Layer:
        return _core.Dropout(self.rate, self.seed)

    def get_config(self) -> Config:
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config
