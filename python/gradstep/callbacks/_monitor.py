"""Shared helpers for callbacks that watch a logged quantity (EarlyStopping, ModelCheckpoint,
ReduceLROnPlateau): resolving `mode` and reading the monitored value from `logs`."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Literal, overload

import numpy as np

_MODES = ("auto", "min", "max")


def check_mode(mode: str, owner: str) -> str:
    """Keras falls back to "auto" (with a warning) when `mode` is not one of auto/min/max."""
    if mode not in _MODES:
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode


def resolve_direction(monitor: str, mode: str) -> str:
    """Return "min" or "max". "auto": accuracy/AUC-like names are maximised, everything else
    (loss, mse, mae, ...) minimised."""
    if mode in ("min", "max"):
        return mode
    name = str(monitor)
    if name.startswith("val_"):
        name = name[len("val_") :]
    if name == "loss":
        return "min"
    if "acc" in name or name.endswith("auc"):
        return "max"
    return "min"


def as_scalar(value: object) -> float | None:
    """The monitored value as a float, or None if it is not a scalar number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu":
        return float(value)
    return None


def check_non_negative_int(value: object, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


@overload
def check_number(value: object, name: str, owner: str, allow_none: Literal[False] = False) -> float: ...
@overload
def check_number(value: object, name: str, owner: str, allow_none: bool) -> float | None: ...
def check_number(value: object, name: str, owner: str, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(float(value)):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}")
    return float(value)
