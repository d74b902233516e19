"""Activation: applies an activation function as a layer of its own (no weights)."""

from __future__ import annotations

from typing import Any

from .. import _core, activations
from .._typing import Config
from .layer import Layer


class Activation(Layer):
    def __init__(self, activation: str | None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.activation = activations.get(activation)

    def _make_core(self) -> _core.Layer:
        return _core.Activation(self.activation)

    def get_config(self) -> Config:
        config = super().get_config()
        config["activation"] = self.activation
        return config
