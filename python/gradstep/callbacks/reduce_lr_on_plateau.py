"""ReduceLROnPlateau: divide the learning rate when a monitored quantity stops improving (Keras 3)."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np

from .._typing import Logs
from ._monitor import as_scalar, check_mode, check_non_negative_int, check_number, resolve_direction
from .callback import Callback


class ReduceLROnPlateau(Callback):
    """Multiply the optimizer's learning rate by `factor` after `patience` epochs without improvement.

    Keras 3 semantics, at every epoch end:

    - "learning_rate" (the current value) is added to the logs;
    - while in cooldown the counter is decremented and `wait` reset to 0;
    - improvement (`current < best - min_delta` in mode "min", `current > best + min_delta` in
      mode "max") sets `best` and resets `wait`; otherwise, when not in cooldown, `wait` grows
      and at `wait >= patience` the rate becomes max(lr * factor, min_lr) (only if lr > min_lr),
      then cooldown starts (`cooldown` epochs) and `wait` is reset.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
        factor = check_number(factor, "factor", "ReduceLROnPlateau")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        if factor < 0.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = check_number(min_lr, "min_lr", "ReduceLROnPlateau")
        if self.min_lr < 0.0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got {min_lr}")
        self.min_delta = check_number(min_delta, "min_delta", "ReduceLROnPlateau")
        self.patience = check_non_negative_int(patience, "patience", "ReduceLROnPlateau")
        self.cooldown = check_non_negative_int(cooldown, "cooldown", "ReduceLROnPlateau")
        self.verbose = verbose
        self.mode = check_mode(mode, "Learning rate reduction")
        self.direction = resolve_direction(monitor, self.mode)
        self._reset()

    def _reset(self) -> None:
        self.best = np.inf if self.direction == "min" else -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def _is_improvement(self, current: float, best: float) -> bool:
        if self.direction == "min":
            return current < best - self.min_delta
        return current > best + self.min_delta

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is None:
            logs = {}
        assert self.model is not None and self.model.optimizer is not None  # fit runs a compiled model
        optimizer = self.model.optimizer
        logs["learning_rate"] = float(optimizer.learning_rate)
        value = logs.get(self.monitor)
        current = None if value is None else as_scalar(value)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs.keys())}.",
                stacklevel=3,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(optimizer.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.",
                            file=sys.stdout,
                            flush=True,
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
