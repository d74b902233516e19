"""Adagrad (Duchi, Hazan & Singer, JMLR 2011), Keras 3 rule (cpp/optimizers/adagrad.hpp).

    accumulator starts at initial_accumulator_value
    accumulator = accumulator + g^2
    w = w - learning_rate * g / sqrt(accumulator + epsilon)

Convention: epsilon inside the root (Keras); PyTorch uses sqrt(acc) + eps and starts at 0.
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_float
from .optimizer import Optimizer
from .schedules import LearningRateSchedule


class Adagrad(Optimizer):
    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str = "adagrad",
        **kwargs: Any,
    ) -> None:
        self.initial_accumulator_value = check_float(
            initial_accumulator_value, "initial_accumulator_value", minimum=0.0
        )
        self.epsilon = check_float(epsilon, "epsilon", minimum=0.0)
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        return _core.Adagrad(learning_rate, self.initial_accumulator_value, self.epsilon)

    def get_config(self) -> Config:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
