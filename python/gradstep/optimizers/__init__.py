"""Optimizers (Keras 3 names, signatures, defaults and update rules; the updates run in C++)."""

from __future__ import annotations

from .._typing import Config
from . import schedules
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

_BY_NAME: dict[str, type[SGD | RMSprop | Adam | AdamW | Adagrad]] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adagrad": Adagrad,
}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier: object) -> Optimizer:
    """An optimizer from a name ("adam", case-insensitive), a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"optimizer: unknown name {identifier!r}; expected one of {', '.join(_BY_NAME)}")
        return cls()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    raise TypeError(f"optimizer must be a name or a gradstep.optimizers.Optimizer, got {type(identifier).__name__}")


def serialize(optimizer: Optimizer) -> Config:
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: Config) -> Optimizer:
    return _CLASSES[config["class_name"]].from_config(config["config"])


__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "deserialize", "get", "schedules", "serialize"]
