"""Layers (Keras 3 names). Each layer's forward and backward pass live in cpp/layers/."""
from .activation import Activation
from .dense import Dense
from .input_layer import Input, InputLayer
from .layer import Layer

__all__ = ["Activation", "Dense", "Input", "InputLayer", "Layer"]
