"""ModelCheckpoint: save the model (or its weights) during training (Keras 3)."""

from __future__ import annotations

import numbers
import os
import sys
import warnings
from typing import cast

from .._typing import Logs
from ._monitor import as_scalar, check_mode, check_number, resolve_direction
from .callback import Callback


class ModelCheckpoint(Callback):
    """Save the model with `model.save(path)` (or `model.save_weights(path)` when
    save_weights_only=True) at the end of every epoch, or every `save_freq` batches.

    `filepath` must end in ".gstep" when saving the whole model (any name for weights only;
    ".weights.gstep" is recommended). It may hold format fields filled with `epoch` (counted from 1, as Keras), `batch`
    (from 1, when saving per batch) and the log keys, e.g. "ckpt-{epoch:02d}-{val_loss:.3f}.gstep".
    With save_best_only=True a file is written only when `monitor` improves on the best value
    so far (starting from `initial_value_threshold` if given); if `monitor` is missing from the
    logs a warning is issued and the model is saved anyway, as Keras does.
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__()
        try:
            self.filepath = os.fspath(filepath)
        except TypeError:
            raise TypeError(
                f"ModelCheckpoint: filepath must be a string or path, got {type(filepath).__name__}"
            ) from None
        if not save_weights_only and not self.filepath.endswith(".gstep"):
            # As Keras (which wants ".keras"): fail now rather than after the first epoch.
            raise ValueError(
                f"ModelCheckpoint: the filepath provided must end in `.gstep` (the gradstep model "
                f"format) when saving the whole model. Received: filepath={self.filepath}"
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, numbers.Integral) or save_freq <= 0
        ):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or positive integer values"
            )
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = check_mode(mode, "ModelCheckpoint")
        self.direction = resolve_direction(monitor, self.mode)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.initial_value_threshold = check_number(
            initial_value_threshold, "initial_value_threshold", "ModelCheckpoint", allow_none=True
        )
        # Like Keras, `best` persists across fit() calls of one instance.
        self.best = self.initial_value_threshold
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        return value < reference if self.direction == "min" else value > reference

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch started
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= cast(int, self.save_freq):  # an int unless "epoch"
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch: int, batch: int | None, logs: Logs | None) -> str:
        logs = dict(logs or {})
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e} is not '
                f"one of the available keys: {', '.join(sorted(fields))}"
            ) from None
        except (ValueError, IndexError) as e:
            raise ValueError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}') from None

    def _should_save_model(self, epoch: int, logs: Logs | None, filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}", file=sys.stdout, flush=True)
            return True
        value = (logs or {}).get(self.monitor)
        current = None if value is None else as_scalar(value)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=4)
            return True
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to {current:.5f}, saving "
                    f"model to {filepath}",
                    file=sys.stdout,
                    flush=True,
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}", file=sys.stdout, flush=True)
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: Logs | None) -> None:
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}"
            )
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        assert self.model is not None  # hooks run once fit has set the model
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
