"""StepDecay (gradstep; the classic "step decay" of tutorials, not a Keras class):

    lr(step) = initial_learning_rate * drop_rate ** floor(step / step_size)

The rate is multiplied by drop_rate (e.g. 0.5: halved) every step_size optimizer steps.
Equivalent to ExponentialDecay(initial_learning_rate, step_size, drop_rate, staircase=True).
"""

from __future__ import annotations

import math

from ..._typing import Config
from .learning_rate_schedule import LearningRateSchedule, check_decay_steps, check_name, check_number, check_step


class StepDecay(LearningRateSchedule):
    def __init__(
        self, initial_learning_rate: float, drop_rate: float, step_size: float, name: str = "StepDecay"
    ) -> None:
        self.initial_learning_rate = check_number(initial_learning_rate, "initial_learning_rate", minimum=0)
        self.drop_rate = check_number(drop_rate, "drop_rate", minimum=0)
        self.step_size = check_decay_steps(step_size, "step_size")
        self.name = check_name(name, "StepDecay")

    def __call__(self, step: float) -> float:
        return float(self.initial_learning_rate) * float(self.drop_rate) ** math.floor(
            check_step(step) / self.step_size
        )

    def get_config(self) -> Config:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "drop_rate": self.drop_rate,
            "step_size": self.step_size,
            "name": self.name,
        }
