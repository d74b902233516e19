"""EarlyStopping: stop training when a monitored quantity has stopped improving (Keras 3)."""

from __future__ import annotations

import sys
import warnings

from .._typing import FloatArray, Logs
from ._monitor import as_scalar, check_mode, check_non_negative_int, check_number, resolve_direction
from .callback import Callback


class EarlyStopping(Callback):
    """Stop training when `monitor` has not improved for `patience` epochs.

    Keras 3 semantics:

    - an epoch improves when `current + min_delta < best` (mode "min") or
      `current - min_delta > best` (mode "max"); the first monitored epoch always improves;
    - `wait` counts epochs since the last improvement; training stops (model.stop_training = True)
      at the end of a non-improving epoch once `wait >= patience` (never at epoch 0);
    - with `baseline`, an improvement resets `wait` only if it also beats the baseline;
    - epochs before `start_from_epoch` are not monitored (warm-up);
    - with `restore_best_weights=True` the weights of the best monitored epoch are put back at
      the end of training (whether or not training was stopped early).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(check_number(min_delta, "min_delta", "EarlyStopping"))
        self.patience = check_non_negative_int(patience, "patience", "EarlyStopping")
        self.verbose = verbose
        self.mode = check_mode(mode, "EarlyStopping")
        self.baseline = check_number(baseline, "baseline", "EarlyStopping", allow_none=True)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_non_negative_int(start_from_epoch, "start_from_epoch", "EarlyStopping")
        self.direction = resolve_direction(monitor, self.mode)
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: list[FloatArray] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        # Reset so that one instance can be reused across fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def get_monitor_value(self, logs: Logs | None) -> float | None:
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs.keys())}",
                stacklevel=3,
            )
            return None
        scalar = as_scalar(value)
        if scalar is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` whose value {value!r} is not a "
                f"scalar number; ignoring it",
                stacklevel=3,
            )
        return scalar

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            assert self.model is not None  # hooks run once fit has set the model
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                assert self.model is not None
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            assert self.model is not None
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", file=sys.stdout, flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.",
                    file=sys.stdout,
                    flush=True,
                )
            assert self.model is not None  # hooks run once fit has set the model
            self.model.set_weights(self.best_weights)
