"""Shared configuration of the recurrent layers (SimpleRNN, LSTM, GRU); Keras 3 arguments.

Input (batch, timesteps, features). Output: the last state (batch, units), or every step's
output (batch, timesteps, units) with return_sequences=True; go_backwards=True reads the
sequence from its end and returns the outputs in that (reversed) order, as Keras.
The time loop, backpropagation through time, masks and dropout run in C++
(cpp/layers/recurrent.cpp; each cell's gates in cpp/layers/<cell>.cpp).

Masks: after Embedding(mask_zero=True) or Masking, masked steps leave the state unchanged (their
output is the carried state), and with return_sequences=True the loss and the metrics skip them.

Dropout: `dropout` drops input features and `recurrent_dropout` state features, with one mask per
sequence reused at every step (Gal & Ghahramani 2016), drawn from the counter-based RNG. Keras 3
shares one mask between the gates unless recurrent_dropout > 0, where it draws one per gate;
gradstep always shares one mask between the gates.

Activations: those whose derivative is a function of their output (tanh, sigmoid, relu,
linear), since the backward pass works from the stored gate values.

Not supported (they raise, naming the argument): return_state and stateful (a Sequential model
passes one tensor between layers), activity_regularizer, constraints. `unroll` is accepted: it
changes how Keras builds its graph, not the results, and gradstep's loop is always the C++ one.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

from .. import _core, activations, initializers, regularizers
from .._typing import Config, FloatArray
from .._validation import check_bool, check_float, check_non_negative_int, check_positive_int
from .layer import Layer

RECURRENT_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")


def _recurrent_activation(value: str | None, name: str) -> str:
    value = activations.get(value)
    if value not in RECURRENT_ACTIVATIONS:
        raise ValueError(
            f"{name}: {value!r} is not supported in recurrent layers; expected one of "
            f"{', '.join(RECURRENT_ACTIVATIONS)} (the backward pass reads the derivative from the "
            f"output)"
        )
    return value


class RNNBase(Layer):
    """Base of SimpleRNN, LSTM and GRU (not a layer by itself)."""

    _core_class: ClassVar[Callable[..., _core.Recurrent] | None] = None  # _core.SimpleRNN / LSTM / GRU
    _has_gates = True  # recurrent_activation applies (LSTM, GRU)

    def __init__(
        self,
        units: int,
        activation: str | None = "tanh",
        recurrent_activation: str | None = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: initializers.InitializerLike = "glorot_uniform",
        recurrent_initializer: initializers.InitializerLike = "orthogonal",
        bias_initializer: initializers.InitializerLike = "zeros",
        kernel_regularizer: regularizers.RegularizerLike = None,
        recurrent_regularizer: regularizers.RegularizerLike = None,
        bias_regularizer: regularizers.RegularizerLike = None,
        activity_regularizer: object = None,
        kernel_constraint: object = None,
        recurrent_constraint: object = None,
        bias_constraint: object = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.units = check_positive_int(units, "units")
        self.activation = _recurrent_activation(activation, "activation")
        self.recurrent_activation = _recurrent_activation(recurrent_activation, "recurrent_activation")
        self.use_bias = check_bool(use_bias, "use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        for value, arg in (
            (activity_regularizer, "activity_regularizer"),
            (kernel_constraint, "kernel_constraint"),
            (recurrent_constraint, "recurrent_constraint"),
            (bias_constraint, "bias_constraint"),
        ):
            if value is not None:
                raise NotImplementedError(f"{type(self).__name__}: {arg} is not supported")
        self.dropout = check_float(dropout, "dropout", minimum=0.0, maximum=1.0, max_inclusive=False)
        self.recurrent_dropout = check_float(
            recurrent_dropout, "recurrent_dropout", minimum=0.0, maximum=1.0, max_inclusive=False
        )
        self.seed = None if seed is None else check_non_negative_int(seed, "seed")
        self.return_sequences = check_bool(return_sequences, "return_sequences")
        if check_bool(return_state, "return_state"):
            raise NotImplementedError(
                f"{type(self).__name__}: return_state=True is not supported (a Sequential "
                f"model passes one tensor from layer to layer)"
            )
        self.return_state = False
        self.go_backwards = check_bool(go_backwards, "go_backwards")
        if check_bool(stateful, "stateful"):
            raise NotImplementedError(f"{type(self).__name__}: stateful=True is not supported")
        self.stateful = False
        self.unroll = check_bool(unroll, "unroll")

    def _cell_args(self) -> dict[str, Any]:
        return {}

    def _make_core(self, go_backwards: bool | None = None) -> _core.Recurrent:
        assert self._core_class is not None, "RNNBase is not a layer by itself"  # set by each subclass
        core = self._core_class(
            self.units,
            self.activation,
            self.recurrent_activation,
            self.use_bias,
            self.return_sequences,
            self.go_backwards if go_backwards is None else go_backwards,
            self.dropout,
            self.recurrent_dropout,
            self.seed,
            self.kernel_initializer._make_core(),
            self.recurrent_initializer._make_core(),
            self.bias_initializer._make_core(),
            **self._cell_args(),
        )
        for param, regularizer in self._regularizers():
            core.set_regularizer(param, regularizer.l1, regularizer.l2)
        return core

    def _regularizers(self) -> list[tuple[str, regularizers.Regularizer]]:
        pairs = (
            ("kernel", self.kernel_regularizer),
            ("recurrent_kernel", self.recurrent_regularizer),
            ("bias", self.bias_regularizer),
        )
        return [(param, r) for param, r in pairs if r is not None]

    def get_config(self) -> Config:
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": self.activation,
                "recurrent_activation": self.recurrent_activation,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed,
                "return_sequences": self.return_sequences,
                "go_backwards": self.go_backwards,
                "unroll": self.unroll,
            }
        )
        if not self._has_gates:
            del config["recurrent_activation"]
        return config

    @property
    def kernel(self) -> FloatArray:
        return self._weight(0)

    @property
    def recurrent_kernel(self) -> FloatArray:
        return self._weight(1)

    @property
    def bias(self) -> FloatArray | None:
        return self._weight(2) if self.use_bias else None
