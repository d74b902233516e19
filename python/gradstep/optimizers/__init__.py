"""Optimizers (Keras 3 names, signatures, defaults and update rules; the updates run in C++)."""

from __future__ import annotations

from .._typing import Config
from . import schedules
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .custom import Custom
from .explanation import Explanation
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
        optimizer: Optimizer = cls()
        return optimizer
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    raise TypeError(f"optimizer must be a name or a gradstep.optimizers.Optimizer, got {type(identifier).__name__}")


def serialize(optimizer: Optimizer) -> Config:
    if isinstance(optimizer, Custom):
        raise ValueError(
            f"cannot serialize the Custom optimizer {optimizer.name!r}: its rule is the Python function "
            f"{optimizer.update!r}, not configuration. Save the weights with model.save_weights() and "
            "compile the restored model with Custom again"
        )
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: Config) -> Optimizer:
    optimizer: Optimizer = _CLASSES[config["class_name"]].from_config(config["config"])
    return optimizer


__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Custom",
    "Explanation",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]
