"""ProgbarLogger: training progress on stdout, as Keras 3 shows it.

verbose=1 on a terminal: "Epoch 3/10", then a progress bar redrawn in place (drawn by tqdm):

    Epoch 3/10
    23/41 ██████████▊          0s 2ms/step - loss: 0.4123 - accuracy: 0.8812

which ends as "41/41 <full bar> 0s 2ms/step - loss: ... - val_loss: ..." (elapsed time
instead of the ETA). verbose=1 when stdout is not a terminal (a log file, a pipe): the same
final line once per epoch, no redraws. verbose=2: one line per epoch:

    Epoch 3/10 - 41/41 steps - 0.05s - 1ms/step - loss: 0.4123 - val_loss: 0.4456

verbose=0 prints nothing (fit does not even add this callback).

Per-batch cost is one clock read and a comparison: the logs are formatted and the bar redrawn at
most every `interval` seconds (and at the last step).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any, Protocol, TextIO

from .._tracking import is_tracked_key
from .._typing import Logs
from .callback import Callback

_BAR_WIDTH = 20


class _BarLike(Protocol):
    """What ProgbarLogger uses of its tqdm bar (_make_bar_class)."""

    info: str
    n: float
    ncols: int | None

    def update(self, n: float | None = 1) -> bool | None: ...
    def refresh(self, nolock: bool = False, lock_args: tuple[bool | None, float | None] | None = None) -> None: ...
    def close(self) -> None: ...


def format_value(value: object) -> str:
    """A log value as Keras prints it: 4 decimals, scientific notation for tiny magnitudes."""
    try:
        value = float(value)  # type: ignore[arg-type]  # anything: the except prints it as it is
    except (TypeError, ValueError):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")) or value == 0.0 or abs(value) >= 1e-3:
        return f"{value:.4f}"
    return f"{value:.4e}"


def format_logs(logs: Logs | None) -> str:
    """The "key: value" pairs of a progress line; tracked figures (fit's `track`, dozens of
    per-layer keys) stay out of it: they are in History and the callbacks' logs."""
    return " - ".join(f"{key}: {format_value(value)}" for key, value in (logs or {}).items() if not is_tracked_key(key))


def format_duration(seconds: float) -> str:
    """Whole seconds as Keras shows an ETA or epoch time: '7s', '1:02', '1:01:02'."""
    seconds = round(max(seconds, 0.0))
    if seconds >= 3600:
        return f"{seconds // 3600}:{(seconds % 3600) // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def format_step_time(seconds_per_step: float) -> str:
    if seconds_per_step >= 1.0:
        return f"{seconds_per_step:.0f}s/step"
    if seconds_per_step >= 1e-3:
        return f"{seconds_per_step * 1e3:.0f}ms/step"
    return f"{seconds_per_step * 1e6:.0f}us/step"


def _is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]  # duck-typed: AttributeError is handled
    except (AttributeError, ValueError):
        return False


def _make_bar_class() -> Callable[..., _BarLike]:
    from tqdm import tqdm

    class _Bar(tqdm):  # type: ignore[type-arg]  # tqdm[T] is generic in its stubs only (not at run time)
        """tqdm bar whose format can show our own text ("{info}": ETA, step time and logs)."""

        info = ""

        @property
        def format_dict(self) -> MutableMapping[str, Any]:
            d = super().format_dict
            d["info"] = self.info
            return d

    return _Bar


class ProgbarLogger(Callback):
    """Prints progress during fit, evaluate and predict (Keras 3's ProgbarLogger). `stream` defaults to the current
    sys.stdout at the start of training; `interval` is the minimum time between redraws."""

    def __init__(self, verbose: int | str = 1, stream: TextIO | None = None, interval: float = 0.1) -> None:
        super().__init__()
        if verbose == "auto":
            verbose = 1 if _is_terminal(sys.stdout) else 2
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        self.verbose = int(verbose)
        self._stream = stream
        self.stream = stream if stream is not None else sys.stdout
        self.interval = float(interval)
        self._dynamic = False
        self._bar: _BarLike | None = None
        self._epoch = 0
        self._epoch_start = 0.0
        self._next_draw = 0.0
        self._done = 0
        self._max_info = 80
        self._in_fit = False

    # ----------------------------------------------------------------------------- helpers
    @property
    def _epochs(self) -> object:
        return self.params.get("epochs", "?")

    @property
    def _steps(self) -> int | None:
        steps: int | None = self.params.get("steps")
        return steps

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _info(self, done: int, logs: Logs | None, final: bool) -> str:
        elapsed = time.perf_counter() - self._epoch_start
        per_step = elapsed / done if done else 0.0
        steps = self._steps
        if final or not steps:
            head = f"{format_duration(elapsed)} {format_step_time(per_step)}"
        else:
            head = f"{format_duration(per_step * (steps - done))} {format_step_time(per_step)}"
        text = format_logs(logs)
        return f"{head} - {text}" if text else head

    def _close_bar(self) -> None:
        if self._bar is not None:
            try:
                self._bar.close()
            finally:
                self._bar = None

    # ----------------------------------------------------------------------------- hooks
    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._in_fit = True
        self.stream = self._stream if self._stream is not None else sys.stdout
        self._dynamic = self.verbose == 1 and _is_terminal(self.stream)

    def _start(self) -> None:
        self._done = 0
        self._epoch_start = time.perf_counter()
        self._next_draw = self._epoch_start + self.interval

    def _open_bar(self) -> None:
        self._close_bar()
        columns, rows = shutil.get_terminal_size((80, 24))
        steps = self._steps
        self._bar = _make_bar_class()(
            total=steps,
            file=self.stream,
            leave=True,
            mininterval=0,
            miniters=1,
            ncols=columns,
            nrows=max(rows, 2),
            bar_format=f"{{n_fmt}}/{{total_fmt}} {{bar:{_BAR_WIDTH}}} {{info}}",
            dynamic_ncols=False,
        )
        # keep the whole line on one terminal row so that "\r" redraws it in place
        self._max_info = max(columns - 2 * len(str(steps)) - _BAR_WIDTH - 4, 10)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch
        self._start()
        if self.verbose != 1:
            return
        self._write(f"Epoch {epoch + 1}/{self._epochs}\n")
        if self._dynamic:
            self._open_bar()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._done = batch + 1
        if self._bar is None:
            return
        now = time.perf_counter()
        if now < self._next_draw and self._done != self._steps:
            return
        self._next_draw = now + self.interval
        self._redraw(logs, final=False)

    def _redraw(self, logs: Logs | None, final: bool) -> None:
        bar = self._bar
        assert bar is not None  # callers check it
        info = self._info(self._done, logs, final)
        if final:
            bar.ncols = None  # the finished line stays as it is: show it whole (it may wrap)
        elif len(info) > self._max_info:
            info = info[: self._max_info - 3] + "..."
        bar.info = info
        if final:
            bar.n = self._done  # drawn once more, whole, by close()
        elif self._done > bar.n:
            bar.update(self._done - bar.n)  # redraws (mininterval=0)
        else:
            bar.refresh()

    def _finish(self, logs: Logs | None, prefix: str) -> None:
        """The closing line of an epoch, an evaluate or a predict."""
        if self.verbose == 0:
            return
        steps = self._steps
        done = self._done or steps or 0
        if self.verbose == 1 and self._bar is not None:
            self._done = done
            self._redraw(logs, final=True)
            self._close_bar()
        elif self.verbose == 1:
            # not a terminal: the finished bar once, without redraws
            filled = _BAR_WIDTH if not steps else int(_BAR_WIDTH * done / steps)
            bar = "=" * filled + "." * (_BAR_WIDTH - filled)
            self._write(f"{done}/{steps} [{bar}] {self._info(done, logs, final=True)}\n")
        else:
            elapsed = time.perf_counter() - self._epoch_start
            per_step = elapsed / done if done else 0.0
            text = format_logs(logs)
            self._write(
                f"{prefix}{done}/{steps} steps - {elapsed:.2f}s - "
                f"{format_step_time(per_step)}" + (f" - {text}" if text else "") + "\n"
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._finish(logs, f"Epoch {epoch + 1}/{self._epochs} - ")

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._close_bar()
        self._in_fit = False

    # evaluate() and predict() on their own show the same bar (inside fit, validation does not,
    # as Keras).
    def _run_begin(self) -> None:
        if self._in_fit:
            return
        self.stream = self._stream if self._stream is not None else sys.stdout
        self._dynamic = self.verbose == 1 and _is_terminal(self.stream)
        self._start()
        if self._dynamic:
            self._open_bar()

    def _run_batch_end(self, batch: int, logs: Logs | None) -> None:
        if not self._in_fit:
            self.on_train_batch_end(batch, logs)

    def _run_end(self, logs: Logs | None) -> None:
        if not self._in_fit:
            self._finish(logs, "")

    def on_test_begin(self, logs: Logs | None = None) -> None:
        self._run_begin()

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._run_batch_end(batch, logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        self._run_end(logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._run_begin()

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._run_batch_end(batch, None)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._run_end(None)
