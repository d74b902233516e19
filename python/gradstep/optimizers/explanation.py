"""Explanation: what optimizer.explain() returns, the exact update rule in use.

`text` is a small program: comment lines (#) say which rule, convention, step and learning rate;
the other lines are Python/NumPy statements with the current hyper-parameters filled in, run for
each variable in order (w: its parameters, g: its gradient, the slot symbols of `symbols`). They
are what the C++ update computes, in the same order (float32 there), so running them reproduces a
step; `latex` is the same rule for notebooks (`_repr_latex_`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Explanation:
    text: str
    latex: str
    # symbol used in the statements -> the optimizer's slot name (e.g. "m" -> "momentum")
    symbols: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text

    def _repr_latex_(self) -> str:
        return self.latex


def num(value: float) -> str:
    """A hyper-parameter as the C++ update uses it: the shortest text of its float32 value."""
    return str(np.float32(value))


# Functions the statements use, for running them with NumPy (`exec(text, {**NAMESPACE, ...})`).
NAMESPACE = {"sqrt": np.sqrt, "maximum": np.maximum, "minimum": np.minimum, "clip": np.clip, "norm": np.linalg.norm}
