"""Learning-rate schedules (Keras 3 names, signatures, defaults and formulas; StepDecay is gradstep's).

A schedule maps the optimizer step (`optimizer.iterations` before the update: 0, 1, 2, ...) to a
learning rate. Pass it as `learning_rate=` to any optimizer:

    lr = gs.optimizers.schedules.CosineDecay(0.1, decay_steps=1000)
    model.compile(optimizer=gs.optimizers.SGD(learning_rate=lr), loss="mse")

One file per schedule; serialize/deserialize turn a schedule into a JSON-friendly
{"class_name", "config"} dict and back.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..._typing import Config
from .cosine_decay import CosineDecay
from .cosine_decay_restarts import CosineDecayRestarts
from .exponential_decay import ExponentialDecay
from .inverse_time_decay import InverseTimeDecay
from .learning_rate_schedule import LearningRateSchedule
from .piecewise_constant_decay import PiecewiseConstantDecay
from .polynomial_decay import PolynomialDecay
from .step_decay import StepDecay

_BUILTIN: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls
    for cls in (
        CosineDecay,
        CosineDecayRestarts,
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        StepDecay,
    )
}


def serialize(learning_rate_schedule: object) -> Config:
    """{"class_name": ..., "config": schedule.get_config()} (JSON-serialisable)."""
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(
            f"learning_rate_schedule must be a LearningRateSchedule, got {type(learning_rate_schedule).__name__}"
        )
    return {"class_name": type(learning_rate_schedule).__name__, "config": learning_rate_schedule.get_config()}


def _subclasses(cls: type[LearningRateSchedule]) -> Iterator[type[LearningRateSchedule]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def deserialize(
    config: Config, custom_objects: dict[str, type[LearningRateSchedule]] | None = None
) -> LearningRateSchedule:
    """The schedule described by a serialize() dict. Classes are looked up in custom_objects, then
    among the built-in schedules, then among user subclasses of LearningRateSchedule."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"config must be a dict with 'class_name' and 'config' keys, got {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BUILTIN.get(name)
    if cls is None:
        matches = {sub for sub in _subclasses(LearningRateSchedule) if sub.__name__ == name}
        if len(matches) == 1:
            cls = matches.pop()
    if cls is None:
        raise ValueError(
            f"unknown learning rate schedule {name!r}; expected one of {', '.join(sorted(_BUILTIN))} "
            f"or a class passed in custom_objects"
        )
    return cls.from_config(dict(config.get("config", {})))


__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "StepDecay",
    "deserialize",
    "serialize",
]
