"""PiecewiseConstantDecay (Keras 3): a constant learning rate per interval of steps.

    values[0]   if step <= boundaries[0]
    values[i]   if boundaries[i-1] < step <= boundaries[i]
    values[-1]  if step > boundaries[-1]

boundaries must be strictly increasing and len(values) == len(boundaries) + 1.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from ..._typing import Config
from .learning_rate_schedule import LearningRateSchedule, check_name, check_number, check_step


class PiecewiseConstantDecay(LearningRateSchedule):
    def __init__(self, boundaries: Sequence[float], values: Sequence[float], name: str = "PiecewiseConstant") -> None:
        boundaries = _as_list(boundaries, "boundaries")
        values = _as_list(values, "values")
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"values must have one more element than boundaries (len(values) == len(boundaries) + 1), "
                f"got boundaries={boundaries} of length {len(boundaries)} and values={values} "
                f"of length {len(values)}"
            )
        self.boundaries = [check_number(b, f"boundaries[{i}]") for i, b in enumerate(boundaries)]
        for i in range(1, len(self.boundaries)):
            if not self.boundaries[i] > self.boundaries[i - 1]:
                raise ValueError(
                    f"boundaries must be strictly increasing, got boundaries[{i - 1}]="
                    f"{self.boundaries[i - 1]} and boundaries[{i}]={self.boundaries[i]}"
                )
        self.values = [check_number(v, f"values[{i}]", minimum=0) for i, v in enumerate(values)]
        self.name = check_name(name, "PiecewiseConstant")

    def __call__(self, step: float) -> float:
        # number of boundaries strictly below step = index of the interval (boundaries are inclusive upper ends)
        return float(self.values[bisect.bisect_left(self.boundaries, check_step(step))])

    def get_config(self) -> Config:
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}


def _as_list(value: object, name: str) -> list[Any]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a list of numbers, got {value!r}")
    return list(value.tolist() if hasattr(value, "tolist") else value)
