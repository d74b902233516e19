"""CSVLogger: stream the epoch-end logs to a CSV file (Keras 3)."""

from __future__ import annotations

import collections.abc
import csv
import io
import os
import warnings
from typing import IO

import numpy as np

from .._typing import Logs
from .callback import Callback


def _format_value(value: object) -> object:
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, collections.abc.Iterable):
        return "[" + ", ".join(map(str, value)) + "]"
    return value


class CSVLogger(Callback):
    """Write one row per epoch: "epoch" (counted from 0) then the log keys in sorted order.

    append=False truncates `filename` at the start of training; append=True keeps existing rows
    and, if the file already has a header, writes under that header (its columns, "NA" for a
    missing value) without repeating it. The header and the first row go to the file in a
    single write, and the file is flushed after every epoch, so an interrupted run leaves
    complete lines.
    """

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False) -> None:
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be a one-character string, got {separator!r}")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self.csv_file: IO[str] | None = None
        self._write_header = True
        self._needs_newline = False
        self._warned_keys: set[str] = set()

    def _existing_header(self) -> tuple[list[str] | None, bool]:
        """(header fields or None, whether the file lacks a final newline) of an existing file."""
        if not os.path.exists(self.filename) or os.path.getsize(self.filename) == 0:
            return None, False
        with open(self.filename, newline="") as f:
            first = f.readline()
        with open(self.filename, "rb") as f:
            f.seek(-1, os.SEEK_END)
            missing_newline = f.read(1) not in (b"\n", b"\r")
        if not first.endswith(("\n", "\r")):
            return None, missing_newline  # a header cut short: start over on a new line
        row = next(csv.reader([first], delimiter=self.sep), [])
        return (row or None), missing_newline

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._close()
        self.keys = None
        self._write_header = True
        self._needs_newline = False
        self._warned_keys = set()
        if self.append:
            header, self._needs_newline = self._existing_header()
            if header:
                self._write_header = False
                self.keys = [k for k in header if k != "epoch"]
            mode = "a"
        else:
            mode = "w"
        directory = os.path.dirname(self.filename)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self.csv_file = open(self.filename, mode, newline="")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.csv_file is None or self.csv_file.closed:
            # Used outside fit (no on_train_begin): open as fit would.
            self.on_train_begin()
        assert self.csv_file is not None  # opened just above
        if self.keys is None:
            self.keys = sorted(logs.keys())
        keys = self.keys
        new_keys = [k for k in logs if k not in keys and k not in self._warned_keys]
        if new_keys:
            self._warned_keys.update(new_keys)
            warnings.warn(
                f"CSVLogger: log keys {new_keys} are not columns of {self.filename!r} "
                f"(columns: {self.keys}); they are not written",
                stacklevel=3,
            )
        buffer = io.StringIO()
        if self._needs_newline:
            buffer.write("\n")
            self._needs_newline = False
        writer = csv.writer(buffer, delimiter=self.sep, lineterminator="\n")
        if self._write_header:
            writer.writerow(["epoch"] + list(keys))
            self._write_header = False
        writer.writerow([epoch] + [_format_value(logs.get(k, "NA")) for k in keys])
        self.csv_file.write(buffer.getvalue())
        self.csv_file.flush()

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = None

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._close()
