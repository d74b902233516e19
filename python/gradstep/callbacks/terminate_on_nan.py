"""TerminateOnNaN: stop training at the first batch whose loss is NaN or infinite (Keras 3)."""

from __future__ import annotations

import math
import sys

from .._typing import Logs
from .callback import Callback


class NaNLossError(RuntimeError):
    """Raised by TerminateOnNaN(raise_error=True) when a batch's loss is NaN or infinite."""


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or +/-inf.

    raise_error=False (default): sets `model.stop_training = True`, so fit ends after this batch
    and every callback's on_epoch_end/on_train_end still runs.
    raise_error=True: sets `model.stop_training = True` and raises NaNLossError (a RuntimeError)
    at once, as Keras raises RuntimeError; later callbacks' hooks do not run. The model stays usable
    (its weights are those after the bad step: restore or re-initialise them before training on).
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        try:
            value = float(loss)
        except (TypeError, ValueError):
            return
        if math.isnan(value) or math.isinf(value):
            assert self.model is not None  # hooks run once fit has set the model
            self.model.stop_training = True
            if self.raise_error:
                raise NaNLossError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {value}. "
                    f"Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training", file=sys.stdout, flush=True)
