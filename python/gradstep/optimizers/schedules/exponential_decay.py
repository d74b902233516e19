"""ExponentialDecay (Keras 3): lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps).

With staircase=True the exponent is floor(step / decay_steps): the rate drops by the factor
decay_rate once every decay_steps steps instead of continuously.
"""

from __future__ import annotations

import math

from ..._typing import Config
from .learning_rate_schedule import (
    LearningRateSchedule,
    check_decay_steps,
    check_flag,
    check_name,
    check_number,
    check_step,
)


class ExponentialDecay(LearningRateSchedule):
    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        self.initial_learning_rate = check_number(initial_learning_rate, "initial_learning_rate", minimum=0)
        self.decay_steps = check_decay_steps(decay_steps)
        self.decay_rate = check_number(decay_rate, "decay_rate", minimum=0)
        self.staircase = check_flag(staircase, "staircase")
        self.name = check_name(name, "ExponentialDecay")

    def __call__(self, step: float) -> float:
        p = check_step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        rate: float = float(self.initial_learning_rate) * float(self.decay_rate) ** p
        return rate  # float ** float is typed Any (complex for a negative base; decay_rate >= 0 here)

    def get_config(self) -> Config:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
