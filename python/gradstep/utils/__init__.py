"""Keras' `keras.utils` helpers: to_categorical, set_random_seed, clear_session, PyDataset."""

from __future__ import annotations

from .categorical import to_categorical
from .py_dataset import PyDataset
from .session import clear_session, set_random_seed

__all__ = ["PyDataset", "clear_session", "set_random_seed", "to_categorical"]
