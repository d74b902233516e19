"""RMSprop (Hinton 2012; centered variant: Graves 2013), Keras 3 rule (cpp/optimizers/rmsprop.hpp).

    v = rho * v + (1 - rho) * g^2
    centered: a = rho * a + (1 - rho) * g;  denominator = v - a^2 + epsilon   else  v + epsilon
    increment = learning_rate * g / sqrt(denominator)
    momentum > 0: mom = momentum * mom + increment;  w -= mom     else  w -= increment

Convention: epsilon is inside the square root (Keras); PyTorch uses sqrt(v) + eps. Keras'
default epsilon is 1e-7 (PyTorch 1e-8), and its default learning rate 0.001 (PyTorch 0.01).
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_bool, check_float
from .optimizer import Optimizer
from .schedules import LearningRateSchedule


class RMSprop(Optimizer):
    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str = "rmsprop",
        **kwargs: Any,
    ) -> None:
        self.rho = check_float(rho, "rho", minimum=0.0, maximum=1.0, max_inclusive=False)
        self.momentum = check_float(momentum, "momentum", minimum=0.0, maximum=1.0)
        self.epsilon = check_float(epsilon, "epsilon", minimum=0.0)
        self.centered = check_bool(centered, "centered")
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        return _core.RMSprop(learning_rate, self.rho, self.momentum, self.epsilon, self.centered)

    def get_config(self) -> Config:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
