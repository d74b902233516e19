"""LearningRateScheduler: set the learning rate from `schedule(epoch, lr)` at every epoch start (Keras 3)."""

from __future__ import annotations

import inspect
import numbers
import sys
from collections.abc import Callable

import numpy as np

from .._typing import Logs
from .callback import Callback


def _accepts_two_arguments(fn: Callable[..., object]) -> bool | None:
    """Whether `fn` can be called as fn(epoch, lr); None if its signature cannot be inspected."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(0, 0.0)
        return True
    except TypeError:
        return False


class LearningRateScheduler(Callback):
    """At the beginning of every epoch, `model.optimizer.learning_rate = schedule(epoch, lr)`
    (epoch counted from 0, lr the current rate); a one-argument `schedule(epoch)` is accepted
    too, as in Keras. At the end of every epoch the rate is added to the logs as "learning_rate"."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: schedule must be a callable schedule(epoch, lr) -> float, "
                f"got {type(schedule).__name__}"
            )
        self.schedule = schedule
        self.verbose = verbose

    def _new_rate(self, epoch: int, lr: float) -> float:
        two = _accepts_two_arguments(self.schedule)
        if two is None:  # as Keras: try the (epoch, lr) form, fall back to (epoch)
            try:
                return self.schedule(epoch, lr)
            except TypeError:
                return self.schedule(epoch)
        return self.schedule(epoch, lr) if two else self.schedule(epoch)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        learning_rate = self._new_rate(epoch, float(optimizer.learning_rate))
        if isinstance(learning_rate, np.ndarray) and learning_rate.ndim == 0:
            learning_rate = learning_rate[()]
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (numbers.Real, np.floating)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate!r}")
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(learning_rate)}.",
                file=sys.stdout,
                flush=True,
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            assert self.model is not None and self.model.optimizer is not None  # fit runs a compiled model
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
