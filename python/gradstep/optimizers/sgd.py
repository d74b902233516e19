"""SGD, with optional momentum and Nesterov momentum (Keras 3 rule; see cpp/optimizers/sgd.hpp).

    m = momentum * m - learning_rate * g
    w = w + m                                   (nesterov=False)
    w = w + momentum * m - learning_rate * g    (nesterov=True)
    momentum = 0:  w = w - learning_rate * g

PyTorch writes v = momentum * v + g; w -= lr * v: the same steps for a constant learning rate.
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_bool, check_float
from .optimizer import Optimizer
from .schedules import LearningRateSchedule


class SGD(Optimizer):
    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str = "SGD",
        **kwargs: Any,
    ) -> None:
        self.momentum = check_float(momentum, "momentum", minimum=0.0, maximum=1.0)
        self.nesterov = check_bool(nesterov, "nesterov")
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        return _core.SGD(learning_rate, self.momentum, self.nesterov)

    def get_config(self) -> Config:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
