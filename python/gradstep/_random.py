"""Global seeding.

`set_seed(seed)` makes everything random in gradstep reproducible: each model draws its seed
from a counter-based stream keyed by the global seed when it is built, and derives from it its
initial weights (per layer, per weight), its shuffles (per epoch) and its dropout masks (per
step and element). Nothing depends on the number of threads.
"""

from __future__ import annotations

import os
import random
from typing import Any, TypedDict

import numpy as np

from . import _core


class _State(TypedDict):
    seed: int | None  # the global seed, None when unseeded
    counter: int  # seeds drawn from the global stream so far


_state: _State = {"seed": None, "counter": 0}


def set_seed(seed: int | np.integer[Any]) -> None:
    """Seed gradstep, Python's `random` and NumPy's global generator (as keras.utils.set_random_seed).

    The same seed, the same model definition and the same data give bitwise-identical weights
    after `fit`, whatever the number of threads.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0 or seed >= 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    _state["seed"] = int(seed)
    _state["counter"] = 0
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002 (the global generator, as Keras seeds it)


def next_seed() -> int:
    """A fresh 64-bit seed: the next value of the global stream, or OS entropy if unseeded."""
    if _state["seed"] is None:
        return int.from_bytes(os.urandom(8), "little")
    index = _state["counter"]
    _state["counter"] += 1
    return int(_core.derive_seed(_state["seed"], index))
