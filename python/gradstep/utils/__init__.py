"""Keras' `keras.utils` helpers: to_categorical, set_random_seed, clear_session."""
from .categorical import to_categorical
from .session import clear_session, set_random_seed

__all__ = ["clear_session", "set_random_seed", "to_categorical"]
