"""CosineDecay with optional linear warmup (Keras 3; Loshchilov & Hutter, SGDR, ICLR 2017;
warmup after Goyal et al., 2017).

Without warmup (warmup_target=None), over decay_steps steps from initial_learning_rate down to
alpha * initial_learning_rate, then constant:

    step = min(step, decay_steps)
    lr(step) = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha)

With warmup_target set: a linear ramp from initial_learning_rate to warmup_target over the first
warmup_steps steps, then the cosine decay above from warmup_target (step counted from the end
of the warmup, capped at decay_steps).
"""

from __future__ import annotations

import math

from ..._typing import Config
from .learning_rate_schedule import LearningRateSchedule, check_decay_steps, check_name, check_number, check_step


class CosineDecay(LearningRateSchedule):
    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: float = 0,
    ) -> None:
        self.initial_learning_rate = check_number(initial_learning_rate, "initial_learning_rate", minimum=0)
        self.decay_steps = check_decay_steps(decay_steps)
        self.alpha = check_number(alpha, "alpha", minimum=0, maximum=1)
        self.name = check_name(name, "CosineDecay")
        self.warmup_target = None if warmup_target is None else check_number(warmup_target, "warmup_target", minimum=0)
        self.warmup_steps = check_number(warmup_steps, "warmup_steps", minimum=0)

    def _decayed(self, step: float, start_lr: float) -> float:
        fraction = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        return float(start_lr) * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: float) -> float:
        step = check_step(step)
        if self.warmup_target is None:
            return self._decayed(step, self.initial_learning_rate)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * fraction
        return self._decayed(step - self.warmup_steps, self.warmup_target)

    def get_config(self) -> Config:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }
