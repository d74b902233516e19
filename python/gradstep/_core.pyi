"""Types of the pybind11 extension gradstep._core (sources: cpp/bindings/bind_*.cpp).

Hand-written from the bindings (checked with `python -m mypy.stubtest gradstep._core`). Argument
conventions of pybind11: an `int` parameter takes anything with __index__ (Python and NumPy
integers), a `float` parameter anything with __float__ or __index__; a float32 array parameter
that is not `.noconvert()` takes any array-like and converts it to a C-contiguous float32 copy
when it is not one already; std::vector parameters take any sequence.
"""

from collections.abc import Callable, Sequence
from typing import Any, SupportsFloat, SupportsIndex, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

_Int: TypeAlias = SupportsIndex
_Float: TypeAlias = SupportsFloat | SupportsIndex
_Shape: TypeAlias = Sequence[SupportsIndex]
_Float32Array: TypeAlias = NDArray[np.float32]

# --- bind_core.cpp ---------------------------------------------------------------------------

def get_num_threads() -> int:
    """Threads the kernels use."""

def set_num_threads(n: _Int) -> None:
    """Set the threads the kernels use (>= 1)."""

def _parallel_region_count() -> int:
    """Multi-threaded regions started so far."""

def _has_openmp() -> bool:
    """True when built with OpenMP (False: a serial build)."""

def _set_profiling(on: bool) -> None:
    """Switch the step profile's counters on or off (core/profile.hpp; off by default)."""

def _reset_profile() -> None:
    """Zero the step profile's counters."""

def _profile() -> list[dict[str, Any]]:
    """The step profile's counters since the last reset: one dict per kernel (kernel, seconds, flops, bytes, calls)."""

def _parallel_probe(n: _Int) -> list[int]:
    """Thread index that ran each of n items of one parallel_for (for tests)."""

def allocation_count() -> int:
    """Core buffer allocations since start-up (flat in a steady-state training loop)."""

def permutation(n: _Int, seed: _Int, epoch: _Int) -> NDArray[np.int64]:
    """A permutation of range(n) that depends only on (seed, epoch)."""

def uniform(n: _Int, seed: _Int, stream: _Int = 0) -> _Float32Array:
    """n uniform [0, 1) floats from the counter-based RNG."""

def derive_seed(seed: _Int, index: _Int) -> int:
    """A 64-bit key derived from (seed, index)."""

# --- bind_kernels.cpp ------------------------------------------------------------------------

def _gemm(
    a: ArrayLike,
    b: ArrayLike,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: _Float = 1.0,
    beta: _Float = 0.0,
    c: _Float32Array | None = None,
    bias: ArrayLike | None = None,
    relu: bool = False,
) -> _Float32Array:
    """C = alpha * op(a) @ op(b) + beta * C in float32, then C + bias and ReLU (the epilogue);
    returns a new array, or `c` updated in place."""

def _gemm_prepacked(
    a: ArrayLike,
    b: ArrayLike,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: _Float = 1.0,
    beta: _Float = 0.0,
    c: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    relu: bool = False,
) -> _Float32Array:
    """C = alpha * op(a) @ op(b) + beta * c through PackedB + gemm_prepacked (a new array), with
    _gemm's epilogue."""

def _all_finite(a: _Float32Array) -> bool:
    """True when the C-contiguous float32 array (no conversion) has no NaN or inf."""

def _set_isa(name: str) -> str:
    """Force the kernel ISA ('avx512', 'avx2' or 'generic'); returns the ISA now active."""

def _active_isa() -> str:
    """Instruction set the kernels currently use."""

def _detected_isa() -> str:
    """Best instruction set this CPU supports."""

# --- bind_layers.cpp -------------------------------------------------------------------------

def activation_forward(name: str, x: ArrayLike) -> _Float32Array:
    """Apply an activation (softmax over the last axis)."""

class Initializer:
    def __init__(
        self,
        kind: str,
        value: _Float = 0.0,
        minval: _Float = -0.05,
        maxval: _Float = 0.05,
        mean: _Float = 0.0,
        stddev: _Float = 0.05,
        scale: _Float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: _Int | None = None,
    ) -> None: ...
    def sample(self, shape: _Shape, key: _Int) -> _Float32Array:
        """Draw a tensor of `shape` (key: RNG key when the initializer has no seed)."""

class Layer:
    # No constructor: only the subclasses below are created from Python.
    @property
    def class_name(self) -> str: ...
    @property
    def input_shape(self) -> list[int]: ...
    @property
    def output_shape(self) -> list[int]: ...
    @property
    def built(self) -> bool: ...
    def set_regularizer(self, param: str, l1: _Float, l2: _Float) -> None:
        """Penalise weight `param` by l1*sum|w| + l2*sum w^2."""

class Dense(Layer):
    def __init__(
        self,
        units: _Int,
        activation: str,
        use_bias: bool,
        kernel_initializer: Initializer,
        bias_initializer: Initializer,
    ) -> None: ...

class Activation(Layer):
    def __init__(self, activation: str) -> None: ...

class Dropout(Layer):
    def __init__(self, rate: _Float, seed: _Int | None = None) -> None: ...

class BatchNormalization(Layer):
    def __init__(
        self,
        momentum: _Float,
        epsilon: _Float,
        center: bool,
        scale: bool,
        beta_initializer: Initializer,
        gamma_initializer: Initializer,
        moving_mean_initializer: Initializer,
        moving_variance_initializer: Initializer,
        convention: str = "keras",
    ) -> None: ...
    def set_statistics_reducer(self, reducer: Callable[[NDArray[np.float64]], object] | None) -> None:
        """reducer(values) sums float64 values over the processes in place (None: this process's rows only)."""

class Convolution(Layer):
    def __init__(
        self,
        rank: _Int,
        filters: _Int,
        kernel_size: _Shape,
        strides: _Shape,
        dilation_rate: _Shape,
        padding: str,
        activation: str,
        use_bias: bool,
        kernel_initializer: Initializer,
        bias_initializer: Initializer,
    ) -> None: ...

class ConvTranspose(Layer):
    def __init__(
        self,
        filters: _Int,
        kernel_size: _Shape,
        strides: _Shape,
        dilation_rate: _Shape,
        padding: str,
        activation: str,
        use_bias: bool,
        kernel_initializer: Initializer,
        bias_initializer: Initializer,
    ) -> None: ...

class Pooling(Layer):
    def __init__(
        self,
        rank: _Int,
        mode: str,
        global_pool: bool,
        pool_size: _Shape,
        strides: _Shape,
        padding: str,
    ) -> None: ...

class Reshape(Layer):
    def __init__(self, target_shape: _Shape, flatten: bool) -> None: ...

class UpSampling2D(Layer):
    def __init__(self, rows: _Int, cols: _Int) -> None: ...

class ZeroPadding2D(Layer):
    def __init__(self, top: _Int, bottom: _Int, left: _Int, right: _Int) -> None: ...

class Recurrent(Layer):
    # No constructor: SimpleRNN, LSTM and GRU are the concrete recurrent layers.
    def set_zero_output_for_mask(self, zero: bool) -> None: ...

class SimpleRNN(Recurrent):
    def __init__(
        self,
        units: _Int,
        activation: str,
        recurrent_activation: str,
        use_bias: bool,
        return_sequences: bool,
        go_backwards: bool,
        dropout: _Float,
        recurrent_dropout: _Float,
        seed: _Int | None,
        kernel_initializer: Initializer,
        recurrent_initializer: Initializer,
        bias_initializer: Initializer,
    ) -> None: ...

class LSTM(Recurrent):
    def __init__(
        self,
        units: _Int,
        activation: str,
        recurrent_activation: str,
        use_bias: bool,
        return_sequences: bool,
        go_backwards: bool,
        dropout: _Float,
        recurrent_dropout: _Float,
        seed: _Int | None,
        kernel_initializer: Initializer,
        recurrent_initializer: Initializer,
        bias_initializer: Initializer,
        unit_forget_bias: bool,
    ) -> None: ...

class GRU(Recurrent):
    def __init__(
        self,
        units: _Int,
        activation: str,
        recurrent_activation: str,
        use_bias: bool,
        return_sequences: bool,
        go_backwards: bool,
        dropout: _Float,
        recurrent_dropout: _Float,
        seed: _Int | None,
        kernel_initializer: Initializer,
        recurrent_initializer: Initializer,
        bias_initializer: Initializer,
    ) -> None: ...

class Bidirectional(Layer):
    def __init__(self, forward_layer: Recurrent, backward_layer: Recurrent, merge_mode: str) -> None: ...

class Embedding(Layer):
    def __init__(
        self, input_dim: _Int, output_dim: _Int, embeddings_initializer: Initializer, mask_zero: bool
    ) -> None: ...

class Masking(Layer):
    def __init__(self, mask_value: _Float) -> None: ...

# --- bind_losses.cpp -------------------------------------------------------------------------

class Loss:
    # No constructor: the subclasses below are the built-in losses.
    @property
    def class_name(self) -> str: ...
    @property
    def sparse_targets(self) -> bool: ...
    @property
    def fusable_activation(self) -> str: ...
    def compute(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
        want_grad: bool = True,
    ) -> tuple[float, _Float32Array | None]:
        """(mean loss, d loss / d y_pred or None when not want_grad), sum_over_batch_size reduction."""

class MeanSquaredError(Loss):
    def __init__(self) -> None: ...

class MeanAbsoluteError(Loss):
    def __init__(self) -> None: ...

class Huber(Loss):
    def __init__(self, delta: _Float) -> None: ...

class BinaryCrossentropy(Loss):
    def __init__(self, from_logits: bool) -> None: ...

class CategoricalCrossentropy(Loss):
    def __init__(self, from_logits: bool) -> None: ...

class SparseCategoricalCrossentropy(Loss):
    def __init__(self, from_logits: bool) -> None: ...

class Hinge(Loss):
    def __init__(self) -> None: ...

class PythonLoss(Loss):
    # owner: a gradstep.losses.Loss subclass instance (held by a weak reference); the train step
    # calls owner._batch_loss(y_true, y_pred, want_grad).
    def __init__(self, owner: object, sparse_targets: bool, name: str) -> None:
        """A loss computed by owner._batch_loss(y_true, y_pred, want_grad) (held by a weak reference)."""

def metric_mean(name: str, y_true: ArrayLike, y_pred: ArrayLike) -> float: ...

# --- bind_optimizers.cpp ---------------------------------------------------------------------

class Optimizer:
    # No constructor: the subclasses below are the built-in optimizers.
    @property
    def class_name(self) -> str: ...
    @property
    def slot_names(self) -> list[str]: ...
    @property
    def learning_rate(self) -> float: ...
    @learning_rate.setter
    def learning_rate(self, value: _Float, /) -> None: ...
    @property
    def weight_decay(self) -> float: ...
    @weight_decay.setter
    def weight_decay(self, value: _Float, /) -> None: ...
    @property
    def iterations(self) -> int: ...
    @iterations.setter
    def iterations(self, value: _Int, /) -> None: ...
    @property
    def clipnorm(self) -> float: ...
    @property
    def clipvalue(self) -> float: ...
    @property
    def global_clipnorm(self) -> float: ...
    def set_clipping(self, clipnorm: _Float, clipvalue: _Float, global_clipnorm: _Float) -> None: ...
    @property
    def built(self) -> bool: ...
    @property
    def num_params(self) -> int: ...
    def build(self, sizes: _Shape) -> None:
        """Create zeroed slots for variables of these sizes (one flat layout)."""
    def apply_flat(self, params: _Float32Array, grads: _Float32Array) -> None:
        """One update of the flat float32 parameter buffer in place (grads are clipped in place)."""
    def get_slot(self, index: _Int) -> _Float32Array: ...
    def set_slot(self, index: _Int, values: ArrayLike) -> None: ...

# convention: "keras" or "pytorch" (cpp/core/convention.hpp).
class SGD(Optimizer):
    def __init__(self, learning_rate: _Float, momentum: _Float, nesterov: bool, convention: str = "keras") -> None: ...
    @property
    def convention(self) -> str: ...

class RMSprop(Optimizer):
    def __init__(
        self,
        learning_rate: _Float,
        rho: _Float,
        momentum: _Float,
        epsilon: _Float,
        centered: bool,
        convention: str = "keras",
    ) -> None: ...
    @property
    def convention(self) -> str: ...

class Adam(Optimizer):
    def __init__(
        self,
        learning_rate: _Float,
        beta_1: _Float,
        beta_2: _Float,
        epsilon: _Float,
        amsgrad: bool,
        convention: str = "keras",
    ) -> None: ...
    @property
    def convention(self) -> str: ...

class AdamW(Adam):
    def __init__(
        self,
        learning_rate: _Float,
        weight_decay: _Float,
        beta_1: _Float,
        beta_2: _Float,
        epsilon: _Float,
        amsgrad: bool,
        convention: str = "keras",
    ) -> None: ...

class Adagrad(Optimizer):
    def __init__(self, learning_rate: _Float, initial_accumulator_value: _Float, epsilon: _Float) -> None: ...

# update(w, g, state, step[, learning_rate=lr]) on float32 views of one variable: w and the state
# arrays (by slot name) writeable, g read-only; valid during the call only.
_CustomUpdate: TypeAlias = Callable[..., object]

class Custom(Optimizer):
    def __init__(
        self, learning_rate: _Float, slot_names: Sequence[str], update: _CustomUpdate, pass_learning_rate: bool
    ) -> None: ...

# --- bind_model.cpp --------------------------------------------------------------------------

# (loss sum, [metric sums], samples, metric weight) of one batch.
_BatchResult: TypeAlias = tuple[float, list[float], int, float]

class Sequential:
    def __init__(self) -> None: ...
    def add(self, layer: Layer) -> None: ...
    @property
    def layers(self) -> list[Layer]: ...
    def build(self, input_shape: _Shape, seed: _Int) -> None: ...
    def plan(self, input_shape: _Shape) -> None:
        """Every output and parameter shape for input_shape, allocating nothing (weight_info then answers)."""
    @property
    def layers_planned(self) -> int:
        """Layers planned before plan/build raised: the next one is at fault."""
    @property
    def built(self) -> bool: ...
    @property
    def input_shape(self) -> list[int]: ...
    @property
    def output_shape(self) -> list[int]: ...
    @property
    def seed(self) -> int: ...
    @property
    def direct_training_calls(self) -> int:
        """Training-mode calls outside train_batch so far (their dropout masks' counter)."""
    @direct_training_calls.setter
    def direct_training_calls(self, value: _Int, /) -> None: ...
    def compile(self, loss: Loss, optimizer: Optimizer, metrics: Sequence[str]) -> None: ...
    @property
    def target_width(self) -> int: ...
    @property
    def target_positions(self) -> int: ...
    def last_output(self, rows: _Int) -> _Float32Array:
        """A copy of the output of the last batch (its first `rows` rows)."""
    def last_output_mask(self, rows: _Int) -> _Float32Array | None:
        """The padding mask of the last batch's output (rows x positions), or None."""
    @property
    def takes_indices(self) -> bool: ...
    @property
    def output_masked(self) -> bool: ...
    # x: float32 values, or integer indices when the first layer is an Embedding (takes_indices).
    def train_batch(
        self,
        x: ArrayLike,
        y: ArrayLike,
        indices: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> _BatchResult:
        """Forward, loss, backward and update of one batch (rows `indices` of x and y, or all rows)."""
    def test_batch(
        self,
        x: ArrayLike,
        y: ArrayLike,
        indices: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> _BatchResult: ...
    def predict(self, x: ArrayLike, batch_size: _Int) -> _Float32Array: ...
    def forward(self, x: ArrayLike, training: bool) -> _Float32Array: ...
    def forward_backward(
        self, x: ArrayLike, dy: ArrayLike, training: bool
    ) -> tuple[_Float32Array, _Float32Array | None, list[_Float32Array]]:
        """(output, d loss / d x or None for integer inputs, gradients of the trainable weights)."""
    @property
    def num_weights(self) -> int: ...
    def weight_info(self, index: _Int) -> tuple[int, str, list[int], bool]:
        """(layer index, name, shape, trainable) of weight `index` in Keras order."""
    def set_layer_frozen(self, index: _Int, frozen: bool) -> None:
        """Leave layer `index`'s weights out of updates and penalties (Keras' trainable=False)."""
    def weight_frozen(self, index: _Int) -> bool: ...
    def get_weight(self, index: _Int) -> _Float32Array: ...
    def weight_view(self, index: _Int) -> _Float32Array:
        """A read-only NumPy view of weight `index` (it follows training)."""
    def set_weight(self, index: _Int, value: ArrayLike) -> None: ...
    @property
    def num_trainable(self) -> int: ...
    @property
    def num_state(self) -> int: ...
    def set_gradient_reducer(self, reducer: Callable[[_Float32Array, float], object] | None) -> None:
        """reducer(gradients, weight) -> None, called in every train step before the update (None: no call)."""
    def objective(
        self, x: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None, want_grad: bool = True
    ) -> tuple[float, list[_Float32Array] | None]:
        """(mean loss + penalties, [gradient of each trainable weight] or None) of the batch, without an update."""
    def set_tracking(self, names: Sequence[str]) -> None:
        """Track these figures (grad_norm, update_ratio, dead_relu, bn_stats) in train_batch; [] turns it off."""
    def reset_tracking(self) -> None: ...
    def tracked_values(self) -> list[tuple[str, int, str, float, int]]:
        """[(figure, layer index, part, sum, count)] since the last reset."""
