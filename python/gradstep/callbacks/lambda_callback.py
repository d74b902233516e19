"""LambdaCallback: a callback built from plain functions (Keras 3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._typing import Logs
from .callback import Callback

_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_begin",
    "on_train_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


class LambdaCallback(Callback):
    """Call the given functions at the matching hooks.

    on_epoch_begin / on_epoch_end: f(epoch, logs); on_train_begin / on_train_end: f(logs);
    on_train_batch_begin / on_train_batch_end: f(batch, logs). Any other hook of Callback can be
    given by keyword (on_test_begin=..., on_predict_batch_end=..., ...).
    """

    def __init__(
        self,
        on_epoch_begin: Callable[[int, Logs], object] | None = None,
        on_epoch_end: Callable[[int, Logs], object] | None = None,
        on_train_begin: Callable[[Logs], object] | None = None,
        on_train_end: Callable[[Logs], object] | None = None,
        on_train_batch_begin: Callable[[int, Logs], object] | None = None,
        on_train_batch_end: Callable[[int, Logs], object] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        functions = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, fn in kwargs.items():
            if name not in _HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}; expected one of {', '.join(_HOOKS)}")
            functions[name] = fn
        for name, fn in functions.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got {type(fn).__name__}")
            setattr(self, name, fn)
