"""InverseTimeDecay (Keras 3): lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps).

With staircase=True, step / decay_steps is replaced by floor(step / decay_steps).
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


class InverseTimeDecay(LearningRateSchedule):
    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        self.initial_learning_rate = check_number(initial_learning_rate, "initial_learning_rate", minimum=0)
        self.decay_steps = check_decay_steps(decay_steps)
        self.decay_rate = check_number(decay_rate, "decay_rate", minimum=0)
        self.staircase = check_flag(staircase, "staircase")
        self.name = check_name(name, "InverseTimeDecay")

    def __call__(self, step: float) -> float:
        p = check_step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate) / (1.0 + self.decay_rate * p)

    def get_config(self) -> Config:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
