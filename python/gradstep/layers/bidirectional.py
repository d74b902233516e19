"""Bidirectional (Schuster & Paliwal 1997), Keras 3's wrapper of a recurrent layer.

A copy of `layer` reads the sequence forwards, another (or `backward_layer`) reads it backwards
(go_backwards=True), and their outputs merge: "concat" ([forward, backward] on the last axis),
"sum", "mul" or "ave". With return_sequences=True the backward outputs are flipped back in
time first, so that step t of both refers to input step t; masked steps then output zeros (Keras
sets zero_output_for_mask on both layers). Weights: the forward layer's (kernel,
recurrent_kernel, bias), then the backward layer's. Forward and backward in C++
(cpp/layers/bidirectional.cpp).
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_choice
from .base_rnn import RNNBase
from .layer import Layer

MERGE_MODES = ("concat", "sum", "mul", "ave")


class Bidirectional(Layer):
    r"""Runs a recurrent layer forwards and a copy backwards over the sequence and merges the outputs
    (Keras 3).

    With :math:`y^f` the forward layer's output and :math:`y^b` the backward layer's (flipped back
    in time with `return_sequences=True`, so both refer to input step :math:`t`):

    .. math::

        y = \begin{cases} [\,y^f,\ y^b\,] & \text{concat (last axis)} \\
            y^f + y^b & \text{sum} \\ y^f \odot y^b & \text{mul} \\
            (y^f + y^b) / 2 & \text{ave} \end{cases}

    Weights: the forward layer's, then the backward layer's.

    References:
        Schuster, M. & Paliwal, K. K. (1997). Bidirectional recurrent neural networks. IEEE
        Transactions on Signal Processing 45(11).
    """

    def __init__(
        self,
        layer: RNNBase,
        merge_mode: str | None = "concat",
        weights: object = None,
        backward_layer: RNNBase | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(layer, RNNBase):
            raise TypeError(
                f"Bidirectional: layer must be a recurrent layer (SimpleRNN, LSTM or GRU), got {type(layer).__name__}"
            )
        if merge_mode is None:
            raise NotImplementedError(
                "Bidirectional: merge_mode=None (two outputs) cannot feed a Sequential model; "
                "use 'concat', 'sum', 'mul' or 'ave'"
            )
        if weights is not None:
            raise NotImplementedError("Bidirectional: weights= is not supported; call set_weights() once built")
        super().__init__(name=name, **kwargs)
        self.merge_mode = check_choice(merge_mode, "merge_mode", MERGE_MODES)
        config = layer.get_config()
        config.pop("name")
        self.forward_layer = type(layer)(**dict(config, name=f"forward_{layer.name}"))
        if backward_layer is None:
            self.backward_layer = type(layer)(
                **dict(config, name=f"backward_{layer.name}", go_backwards=not layer.go_backwards)
            )
        else:
            if not isinstance(backward_layer, RNNBase):
                raise TypeError(
                    f"Bidirectional: backward_layer must be a recurrent layer, got {type(backward_layer).__name__}"
                )
            if backward_layer.return_sequences != layer.return_sequences:
                raise ValueError(
                    f"Bidirectional: backward_layer.return_sequences={backward_layer.return_sequences} "
                    f"must equal layer.return_sequences={layer.return_sequences}"
                )
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(
                    "Bidirectional: backward_layer must read the sequence in the other direction "
                    "(go_backwards opposite to layer's)"
                )
            self.backward_layer = backward_layer
        self._custom_backward = backward_layer is not None
        self.return_sequences = layer.return_sequences

    def _make_core(self) -> _core.Layer:
        forward_core = self.forward_layer._make_core()
        backward_core = self.backward_layer._make_core()
        # Keras: a Bidirectional that returns sequences outputs zeros at masked steps.
        for direction_core in (forward_core, backward_core):
            direction_core.set_zero_output_for_mask(self.return_sequences)
        core = _core.Bidirectional(forward_core, backward_core, self.merge_mode)
        for prefix, layer in (("forward_", self.forward_layer), ("backward_", self.backward_layer)):
            for param, regularizer in layer._regularizers():
                core.set_regularizer(prefix + param, regularizer.l1, regularizer.l2)
        return core

    def get_config(self) -> Config:
        from . import serialize

        config = super().get_config()
        layer_config = serialize(self.forward_layer)
        layer_config["config"]["name"] = self.forward_layer.name[len("forward_") :]
        config.update(
            {
                "layer": layer_config,
                "merge_mode": self.merge_mode,
                "backward_layer": serialize(self.backward_layer) if self._custom_backward else None,
            }
        )
        return config

    @classmethod
    def from_config(cls, config: Config) -> Layer:
        from . import deserialize

        config = dict(config)
        config["layer"] = deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"])
        return cls(**config)
