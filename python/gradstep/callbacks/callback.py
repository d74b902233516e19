"""Callback base class (Keras 3 hook names; `logs` dicts of floats).

Subclass it and override the hooks you need. `self.model` is the model being trained and
`self.params` the fit parameters ({"epochs", "steps", "verbose", ...}).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models.sequential import Sequential

from .._typing import Logs


class Callback:
    def __init__(self) -> None:
        self.model: Sequential | None = None  # set by fit (CallbackList) before any hook runs
        self.params: dict[str, Any] = {}

    def set_model(self, model: Sequential) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    # Backwards-compatibility aliases, as in Keras: the default on_train_batch_begin/end call them.
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        pass

    def on_train_begin(self, logs: Logs | None = None) -> None:
        pass

    def on_train_end(self, logs: Logs | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        pass

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        pass

    def on_test_end(self, logs: Logs | None = None) -> None:
        pass

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        pass

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        pass

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        pass

    def on_predict_end(self, logs: Logs | None = None) -> None:
        pass

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        pass

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        pass
