"""Activation: applies an activation function as a layer of its own (no weights)."""

from .. import _core, activations
from .layer import Layer


class Activation(Layer):
    def __init__(self, activation, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.activation = activations.get(activation)

    def _make_core(self):
        return _core.Activation(self.activation)

    def get_config(self):
        config = super().get_config()
        config["activation"] = self.activation
        return config
