"""Input checks in one place: every public entry point converts and validates here, so errors
name the user's argument and show what was expected and what was given."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Literal, cast, overload

import numpy as np
from numpy.typing import NDArray

_NUMERIC_KINDS = "fiub"  # float, signed int, unsigned int, bool


def shape_str(shape: Sequence[int | None]) -> str:
    """(None, 4)-style string of a shape with a free batch axis."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def as_float_array(value: object, name: str, finite: bool = True) -> NDArray[np.float32]:
    """`value` as a float32 C-contiguous array (a zero-copy view when it already is one).

    Raises TypeError for non-numeric data (strings, objects, complex) and ValueError for scalars,
    empty arrays and (with finite=True) NaN or infinite values, naming the first bad position.
    """
    if value is None:
        raise ValueError(f"{name} is required, got None")
    if not isinstance(value, np.ndarray):
        try:
            value = np.asarray(value)
        except (ValueError, TypeError) as error:
            raise TypeError(f"{name} must be an array of numbers, could not convert it: {error}") from None
    if value.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{name} must hold numbers (float, int or bool), got an array of dtype {value.dtype}")
    if value.ndim == 0:
        raise ValueError(f"{name} must have a batch axis (at least 1-D), got a scalar")
    if value.shape[0] == 0:
        raise ValueError(f"{name} is empty: expected at least one sample, got shape {value.shape}")
    if value.size == 0:
        raise ValueError(f"{name} has 0 features: expected at least one value per sample, got shape {value.shape}")
    with np.errstate(over="ignore", invalid="ignore"):  # float64 -> float32 overflow is reported below
        converted = np.ascontiguousarray(value, dtype=np.float32)
    if finite:
        check_finite(converted, name, original=value)
    return converted


def _all_finite(array: NDArray[np.generic]) -> bool:
    """Fast path: one parallel C++ pass without the n-byte temporary of np.isfinite (a 188 MB
    training set would otherwise cost a 47 MB bool array and ~50 ms per fit call)."""
    if array.dtype == np.float32 and array.flags.c_contiguous:
        from . import _core

        return _core._all_finite(cast("NDArray[np.float32]", array))  # dtype checked just above
    return bool(np.isfinite(array).all())


def check_finite(array: NDArray[np.generic], name: str, original: NDArray[np.generic] | None = None) -> None:
    """ValueError naming the first NaN/inf entry (one vectorised pass; cheap next to training).
    Also catches float64 values that overflow float32 (`original`: the array before conversion)."""
    if array.dtype.kind != "f" or _all_finite(array):
        return
    if not np.isfinite(array).all():
        flat = int(np.flatnonzero(~np.isfinite(array.reshape(-1)))[0])
        position = np.unravel_index(flat, array.shape)
        where = f"row {position[0]}" + (
            f", column {position[1:] if len(position) > 2 else position[1]}" if len(position) > 1 else ""
        )
        given = original[position] if original is not None and original.shape == array.shape else None
        if given is not None and np.isfinite(given):
            raise ValueError(
                f"{name} contains a value too large for float32 ({given}) at {where}; "
                f"expected finite values with magnitude < 3.4e38"
            )
        raise ValueError(
            f"{name} contains a non-finite value ({array.reshape(-1)[flat]}) at {where}; "
            f"NaN and inf cannot be trained on: clean or impute them first"
        )


@overload
def check_positive_int(value: object, name: str, allow_none: Literal[False] = False) -> int: ...
@overload
def check_positive_int(value: object, name: str, allow_none: bool) -> int | None: ...
def check_positive_int(value: object, name: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def check_non_negative_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


@overload
def check_float(
    value: object,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    allow_none: Literal[False] = False,
) -> float: ...
@overload
def check_float(
    value: object,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    *,
    allow_none: bool,
) -> float | None: ...
def check_float(
    value: object,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    allow_none: bool = False,
) -> float | None:
    """A real number within bounds, as float; the message shows the interval."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    low_ok = minimum is None or (value >= minimum if min_inclusive else value > minimum)
    high_ok = maximum is None or (value <= maximum if max_inclusive else value < maximum)
    if not (low_ok and high_ok) or np.isnan(value):
        low = "-inf" if minimum is None else repr(float(minimum))
        high = "inf" if maximum is None else repr(float(maximum))
        interval = (
            ("[" if min_inclusive and minimum is not None else "(")
            + f"{low}, {high}"
            + ("]" if max_inclusive and maximum is not None else ")")
        )
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return value


def check_bool(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_input_shape(input_shape: object, name: str = "input_shape") -> tuple[int, ...]:
    """A model input shape as a tuple of positive ints. Accepts (None, d1, ...) with a free batch
    axis or (d1, ...) without it; any other None, non-integer or non-positive entry is an error."""
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__iter__"):
        raise TypeError(f"{name} must be a tuple of positive integers such as (None, 4), got {input_shape!r}")
    shape = tuple(input_shape)
    if len(shape) > 1 and shape[0] is None:
        shape = shape[1:]
    for d in shape:
        if d is None:
            raise ValueError(f"{name}: only the batch axis may be None, got {tuple(input_shape)!r}")
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral):
            raise TypeError(f"{name} must hold positive integers, got {d!r} in {tuple(input_shape)!r}")
        if d <= 0:
            raise ValueError(f"{name} must hold positive integers, got {d} in {tuple(input_shape)!r}")
    return tuple(int(d) for d in shape)


def check_int_tuple(value: object, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """An int, or a tuple/list of `n` ints, each >= minimum, as a tuple of n ints (Keras'
    standardize_tuple): 3 -> (3, 3) for n = 2."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        items = (int(value),) * n
    elif (
        isinstance(value, (tuple, list))
        and len(value) == n
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value)
    ):
        items = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"{name} must be >= {minimum} in every entry, got {value!r}")
    return items


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """value if it is one of `choices` (strings), else ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    return value


def check_convention(value: object, name: str = "convention") -> str:
    """'keras' or 'torch' (whose published rule an optimizer or BatchNormalization follows)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be 'keras' or 'torch', got {value!r} of type {type(value).__name__}")
    if value not in ("keras", "torch"):
        raise ValueError(f"{name} must be 'keras' or 'torch', got {value!r}")
    return value
