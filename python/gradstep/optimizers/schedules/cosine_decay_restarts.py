"""CosineDecayRestarts (Keras 3; SGDR, Loshchilov & Hutter, ICLR 2017): cosine decay with warm restarts.

Period i (i = 0, 1, ...) lasts first_decay_steps * t_mul**i steps and starts from the peak
m_mul**i. Within a period, with f in [0, 1) the fraction of the period completed:

    lr(step) = initial_learning_rate * ((1 - alpha) * 0.5 * m_mul**i * (1 + cos(pi * f)) + alpha)

(alpha, the floor as a fraction of initial_learning_rate, is not scaled by m_mul**i, as in Keras.)
The period index is found from the geometric series of period lengths; it is then corrected
with exact comparisons so that a step on a restart boundary always starts the new period.
"""

from __future__ import annotations

import math

from ..._typing import Config
from .learning_rate_schedule import LearningRateSchedule, check_decay_steps, check_name, check_number, check_step


class CosineDecayRestarts(LearningRateSchedule):
    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        self.initial_learning_rate = check_number(initial_learning_rate, "initial_learning_rate", minimum=0)
        self.first_decay_steps = check_decay_steps(first_decay_steps, "first_decay_steps")
        # t_mul < 1 makes the periods shrink geometrically: their lengths sum to a finite number of
        # steps after which the schedule is undefined (NaN in Keras), so it is rejected here.
        self.t_mul = check_number(t_mul, "t_mul", minimum=1)
        self.m_mul = check_number(m_mul, "m_mul", minimum=0)
        self.alpha = check_number(alpha, "alpha", minimum=0, maximum=1)
        self.name = check_name(name, "SGDRDecay")

    def _period(self, completed: float) -> tuple[int, float]:
        """(i, f): index of the period that `completed` (steps / first_decay_steps) falls in, and the
        fraction of that period done."""
        if self.t_mul == 1.0:
            i = math.floor(completed)
            return i, completed - i
        t = float(self.t_mul)

        def start(k: int) -> float:  # start of period k, in units of first_decay_steps: 1 + t + ... + t**(k-1)
            return (t**k - 1.0) / (t - 1.0)

        i = max(0, math.floor(math.log1p(completed * (t - 1.0)) / math.log(t)))
        while i > 0 and start(i) > completed:
            i -= 1
        while start(i + 1) <= completed:
            i += 1
        return i, (completed - start(i)) / t**i

    def __call__(self, step: float) -> float:
        i, fraction = self._period(check_step(step) / self.first_decay_steps)
        cosine = 0.5 * float(self.m_mul) ** i * (1.0 + math.cos(math.pi * fraction))
        return float(self.initial_learning_rate) * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> Config:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
