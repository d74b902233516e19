"""Layers (Keras 3 names). Each layer's forward and backward pass live in cpp/layers/."""
from .activation import Activation
from .batch_normalization import BatchNormalization
from .dense import Dense
from .dropout import Dropout
from .input_layer import Input, InputLayer
from .layer import Layer

_REGISTRY = {cls.__name__: cls for cls in (Activation, BatchNormalization, Dense, Dropout)}


def serialize(layer):
    """{"class_name": ..., "config": ...} for a layer (JSON-serialisable)."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config):
    """A new layer from serialize()'s output."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"layer config must be a dict with 'class_name' and 'config', got {config!r}")
    cls = _REGISTRY.get(config["class_name"])
    if cls is None:
        raise ValueError(f"unknown layer class {config['class_name']!r}; known: {', '.join(sorted(_REGISTRY))}")
    return cls.from_config(dict(config.get("config", {})))


__all__ = ["Activation", "BatchNormalization", "Dense", "Dropout", "Input", "InputLayer", "Layer", "deserialize",
           "serialize"]
