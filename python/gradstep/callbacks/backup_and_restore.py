"""BackupAndRestore: resume a fit that was interrupted (Keras 3's callback).

At the end of every epoch the whole training state (weights, optimizer slots and step, the
shuffle and dropout counters) goes to `backup_dir/epoch_<n>.gstep`, written as model.save writes:
a temporary file, then an atomic rename, so a process killed at any moment leaves the previous
backup whole. When the same fit runs again (same script, same model definition), on_train_begin
loads the newest backup and fit continues with the next epoch: the final weights are bitwise
those of an uninterrupted fit. When fit finishes, the backups are deleted (delete_checkpoint).
"""

from __future__ import annotations

import os
import re

from .._typing import Logs
from .callback import Callback

_BACKUP = re.compile(r"^epoch_(\d+)\.gstep$")


class BackupAndRestore(Callback):
    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        try:
            self.backup_dir = os.fspath(backup_dir)
        except TypeError:
            raise TypeError(
                f"BackupAndRestore: backup_dir must be a string or path, got {type(backup_dir).__name__}"
            ) from None
        if not self.backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must not be empty")
        if save_freq != "epoch":
            raise NotImplementedError(
                f"BackupAndRestore: save_freq={save_freq!r} is not supported; backups are "
                f"written at the end of every epoch (save_freq='epoch')"
            )
        if double_checkpoint:
            raise NotImplementedError(
                "BackupAndRestore: double_checkpoint is not supported (each backup is "
                "written atomically, so the previous one is never half-overwritten)"
            )
        self.save_freq = save_freq
        self.double_checkpoint = False
        self.delete_checkpoint = bool(delete_checkpoint)

    def _backups(self) -> list[tuple[int, str]]:
        """[(epoch, path)] of the backups in backup_dir, newest first."""
        if not os.path.isdir(self.backup_dir):
            return []
        found = []
        for name in os.listdir(self.backup_dir):
            match = _BACKUP.match(name)
            if match:
                found.append((int(match.group(1)), os.path.join(self.backup_dir, name)))
        return sorted(found, reverse=True)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        from ..models.saving import restore_training

        backups = self._backups()
        if not backups:
            return
        epoch, path = backups[0]
        assert self.model is not None  # hooks run once fit has set the model
        restore_training(self.model, path)
        self.model.set_resume_epoch(epoch + 1)  # fit continues after the last finished epoch

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        path = os.path.join(self.backup_dir, f"epoch_{epoch}.gstep")
        assert self.model is not None  # hooks run once fit has set the model
        self.model.save(path)  # atomic: a temporary file renamed over the target
        for older, older_path in self._backups():
            if older != epoch:
                os.remove(older_path)

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.delete_checkpoint:  # fit finished (an exception never reaches on_train_end)
            for _, path in self._backups():
                os.remove(path)
