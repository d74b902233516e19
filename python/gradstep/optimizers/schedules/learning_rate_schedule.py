"""LearningRateSchedule: the base class of every schedule, plus argument checks shared by them.

A schedule is a callable `schedule(step) -> float` evaluated by the optimizer before every update
at the current `optimizer.iterations` (0 for the first update), as in Keras 3. Pass one as the
`learning_rate=` of any optimizer. Schedules are plain Python (one scalar per step); the update
itself runs in C++ with the value the schedule returned.

Subclasses implement `__call__(step)` and `get_config()`; `from_config(config)` is `cls(**config)`.
"""

from __future__ import annotations

import math
import numbers

from ..._typing import Config


class LearningRateSchedule:
    """Base class: subclass it and implement `__call__(self, step)` (and `get_config()` to save it)."""

    def __call__(self, step: float) -> float:
        raise NotImplementedError(f"learning rate schedule {type(self).__name__} must implement __call__(self, step)")

    def get_config(self) -> Config:
        raise NotImplementedError(
            f"learning rate schedule {type(self).__name__} must implement get_config() to be serialisable"
        )

    @classmethod
    def from_config(cls, config: Config) -> LearningRateSchedule:
        return cls(**config)

    def __repr__(self) -> str:
        try:
            config = self.get_config()
        except NotImplementedError:
            return f"{type(self).__name__}()"
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------------------------------------
# argument checks (messages name the argument, the expected range and the given value)
# ---------------------------------------------------------------------------------------------


def check_number(
    value: object, name: str, minimum: float | None = None, maximum: float | None = None, min_inclusive: bool = True
) -> float:
    """A finite real number (int or float kept as given, numpy scalars converted) within bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if minimum is not None and (value < minimum if min_inclusive else value <= minimum):
        raise ValueError(f"{name} must be {'>=' if min_inclusive else '>'} {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value!r}")
    return value


def check_decay_steps(value: object, name: str = "decay_steps") -> float:
    """A step count used as a divisor: a number > 0 (Keras: "must be > 0")."""
    return check_number(value, name, minimum=0, min_inclusive=False)


def check_flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_name(value: object, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise TypeError(f"name must be a string, got {value!r}")
    return value


def check_step(step: object) -> float:
    """The optimizer step as a float (an int, a NumPy integer or a real number >= 0)."""
    if isinstance(step, bool) or not isinstance(step, numbers.Real):
        try:  # 0-d NumPy arrays and similar
            step = step.item()  # type: ignore[attr-defined]  # duck-typed: no .item() raises AttributeError
        except AttributeError:
            raise TypeError(f"step must be a number (the optimizer iteration), got {step!r}") from None
        if isinstance(step, bool) or not isinstance(step, numbers.Real):
            raise TypeError(f"step must be a number (the optimizer iteration), got {step!r}")
    step = float(step)
    if not step >= 0.0:
        raise ValueError(f"step must be >= 0, got {step!r}")
    return step
