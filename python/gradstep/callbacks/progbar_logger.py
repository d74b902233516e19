"""ProgbarLogger: prints training progress (verbose=1: a line updated per batch when stdout is a
terminal; verbose=2: one line per epoch)."""
import sys
import time

from .callback import Callback


def _format_logs(logs):
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class ProgbarLogger(Callback):
    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self._epoch_start = 0.0
        self._last_draw = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        if self.verbose == 1:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}", file=self.stream, flush=True)

    def on_train_batch_end(self, batch, logs=None):
        if self.verbose != 1:
            return
        now = time.perf_counter()
        steps = self.params.get("steps")
        if now - self._last_draw < 0.1 and batch + 1 != steps:
            return
        self._last_draw = now
        done = batch + 1
        width = 30
        filled = int(width * done / steps) if steps else width
        bar = "=" * max(filled - 1, 0) + (">" if filled < width else "=") + "." * (width - filled)
        elapsed = now - self._epoch_start
        eta = elapsed / done * (steps - done) if steps else 0.0
        self.stream.write(f"\r{done}/{steps} [{bar}] - ETA: {eta:.0f}s - {_format_logs(logs or {})}")
        self.stream.flush()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._epoch_start
        steps = self.params.get("steps")
        if self.verbose == 1:
            self.stream.write(f"\r{steps}/{steps} - {elapsed:.2f}s - {_format_logs(logs or {})}\n")
        elif self.verbose == 2:
            self.stream.write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')} - {steps} steps - "
                              f"{elapsed:.2f}s - {_format_logs(logs or {})}\n")
        self.stream.flush()
