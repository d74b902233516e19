"""PolynomialDecay (Keras 3): from initial_learning_rate to end_learning_rate in decay_steps steps.

    step = min(step, decay_steps)
    lr(step) = (initial_learning_rate - end_learning_rate) * (1 - step / decay_steps) ** power
               + end_learning_rate

With cycle=True the horizon restarts: decay_steps is replaced by the first multiple of it that is
>= step (decay_steps itself at step 0), so the rate jumps back up after each multiple.
power=1 is a linear decay.
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


class PolynomialDecay(LearningRateSchedule):
    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        self.initial_learning_rate = check_number(initial_learning_rate, "initial_learning_rate", minimum=0)
        self.decay_steps = check_decay_steps(decay_steps)
        self.end_learning_rate = check_number(end_learning_rate, "end_learning_rate", minimum=0)
        self.power = check_number(power, "power", minimum=0)
        self.cycle = check_flag(cycle, "cycle")
        self.name = check_name(name, "PolynomialDecay")

    def __call__(self, step: float) -> float:
        step = check_step(step)
        horizon = float(self.decay_steps)
        if self.cycle:
            horizon *= 1.0 if step == 0 else math.ceil(step / self.decay_steps)
        else:
            step = min(step, horizon)
        remaining = 1.0 - step / horizon
        rate: float = (
            self.initial_learning_rate - self.end_learning_rate
        ) * remaining**self.power + self.end_learning_rate
        return rate  # float ** float is typed Any (complex for a negative base; remaining >= 0 here)

    def get_config(self) -> Config:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }
