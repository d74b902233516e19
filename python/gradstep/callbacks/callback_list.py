"""CallbackList: calls a hook on every callback, in order.

As in Keras, a hook called without logs passes an empty dict, and a logs dict given to a hook
is passed on as the same object, so that a callback which adds a key (LearningRateScheduler and
ReduceLROnPlateau add "learning_rate" at epoch end) is seen by the callbacks after it (History).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models.sequential import Sequential

from .._typing import Logs
from .callback import Callback


class CallbackList:
    def __init__(self, callbacks: Iterable[Callback] | None, model: Sequential, params: dict[str, Any]) -> None:
        self.callbacks: list[Callback] = []
        self.model = model
        self.params = params
        for cb in callbacks or []:
            self.append(cb)

    def append(self, callback: Callback) -> None:
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be gradstep.callbacks.Callback instances, got {type(callback).__name__}")
        callback.set_model(self.model)
        callback.set_params(self.params)
        self.callbacks.append(callback)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def _call(self, hook: str, logs: Logs | None) -> None:
        if logs is None:
            logs = {}
        for cb in self.callbacks:
            getattr(cb, hook)(logs)

    def _call_indexed(self, hook: str, index: int, logs: Logs | None) -> None:
        if logs is None:
            logs = {}
        for cb in self.callbacks:
            getattr(cb, hook)(index, logs)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._call("on_train_begin", logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._call("on_train_end", logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        self._call("on_test_begin", logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._call("on_predict_end", logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_batch_begin", batch, logs)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_batch_end", batch, logs)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call_indexed("on_predict_batch_end", batch, logs)
