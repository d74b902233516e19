"""Layers (Keras 3 names). Each layer's forward and backward pass live in cpp/layers/."""

from __future__ import annotations

from .._typing import Config
from .activation import Activation
from .batch_normalization import BatchNormalization
from .bidirectional import Bidirectional
from .conv1d import Conv1D
from .conv2d import Conv2D
from .conv2d_transpose import Conv2DTranspose
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding
from .global_pooling import GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D
from .gru import GRU
from .input_layer import Input, InputLayer
from .layer import Layer
from .lstm import LSTM
from .masking import Masking
from .pooling import AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D
from .reshaping import Flatten, Reshape, UpSampling2D, ZeroPadding2D
from .simple_rnn import SimpleRNN

_REGISTRY: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (
        Activation,
        AveragePooling1D,
        AveragePooling2D,
        BatchNormalization,
        Conv1D,
        Conv2D,
        Conv2DTranspose,
        Dense,
        Dropout,
        Flatten,
        GlobalAveragePooling1D,
        GlobalAveragePooling2D,
        GlobalMaxPooling1D,
        GlobalMaxPooling2D,
        MaxPooling1D,
        MaxPooling2D,
        Reshape,
        UpSampling2D,
        ZeroPadding2D,
        Bidirectional,
        Embedding,
        GRU,
        LSTM,
        Masking,
        SimpleRNN,
    )
}


def serialize(layer: Layer) -> Config:
    """{"class_name": ..., "config": ...} for a layer (JSON-serialisable)."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: object) -> Layer:
    """A new layer from serialize()'s output."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"layer config must be a dict with 'class_name' and 'config', got {config!r}")
    cls = _REGISTRY.get(config["class_name"])
    if cls is None:
        raise ValueError(f"unknown layer class {config['class_name']!r}; known: {', '.join(sorted(_REGISTRY))}")
    return cls.from_config(dict(config.get("config", {})))


# Written out (not computed from _REGISTRY) so that type checkers see the re-exports.
__all__ = [
    "GRU",
    "LSTM",
    "Activation",
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Bidirectional",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "Layer",
    "Masking",
    "MaxPooling1D",
    "MaxPooling2D",
    "Reshape",
    "SimpleRNN",
    "UpSampling2D",
    "ZeroPadding2D",
    "deserialize",
    "serialize",
]
