"""Sequential: a stack of layers trained by one C++ call per batch.

The Python side validates arguments, converts arrays once per call, runs the epoch loop and the
callbacks. Each batch's gather, forward pass, loss, backward pass and optimizer update is a
single call into the C++ core (`_core.Sequential.train_batch`) that releases the GIL.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Union, cast, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _core, losses, optimizers
from .. import distributed as distributed_module
from .. import metrics as metrics_module
from .._random import next_seed
from .._tracking import check_track, tracked_key
from .._typing import Config, FloatArray, Logs
from .._validation import (
    as_float_array,
    check_bool,
    check_float,
    check_input_shape,
    check_non_negative_int,
    check_positive_int,
    shape_str,
)
from ..callbacks import Callback, CallbackList, History, ProgbarLogger
from ..layers.embedding import Embedding
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer, _unique_name
from .batches import ArrayBatches, CheckedBatch, ModelInput, SourceBatches, is_data_source, split_batch
from .gradient_check import GradientCheck, WeightToCheck, check_gradients

_DEFAULT_BATCH_SIZE = 32

# What fit / evaluate / predict take as x: arrays (anything np.asarray takes), or a data source
# (a utils.PyDataset, a generator or another iterable of batches), checked at run time.
InputData = Union[ArrayLike, Iterable[Any], None]
# evaluate / train_on_batch / test_on_batch: the loss, [loss, *metrics], or a dict (return_dict=True).
EvaluateResult = Union[float, list[float], dict[str, float]]


class NotCompiledError(ValueError, RuntimeError):
    """Training or evaluating a model before compile(). A ValueError, and also a RuntimeError as
    Keras raises."""


class Sequential:
    """A linear stack of layers, Keras 3's `Sequential(layers=None, name=None)`."""

    def __init__(
        self, layers: Layer | InputLayer | Iterable[Layer | InputLayer] | None = None, name: str | None = None
    ) -> None:
        self.name = name or _unique_name("sequential")
        self._layers: list[Layer] = []
        self._input_shape: tuple[int, ...] | None = None
        self._core: _core.Sequential | None = None
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: losses.Loss | None = None
        self._metric_names: list[str] = []  # C++ running means, as the user named them (history keys)
        self._metric_kinds: list[str] = []  # their resolved C++ metric names
        self._metric_objects: list[metrics_module.Metric] = []  # metric classes (metrics.Metric), updated in Python
        self._metric_order: list[str] = []  # every metric's log key, in the order given to compile
        self._metric_entries: list[str | metrics_module.Metric] = []  # what compile was given (for saving)
        self.compiled = False
        self.stop_training = False
        self.history: History | None = None
        # Epochs trained by every fit call so far: the key of the next epoch's shuffle, so each
        # fit call draws new orders (saved with the model, so a reloaded model continues them).
        self._epochs_trained = 0
        self._resume_from_epoch: int | None = None  # set by callbacks.BackupAndRestore
        self._constructing = True
        if layers is not None:
            if isinstance(layers, (Layer, InputLayer)):
                layers = [layers]
            for layer in layers:
                self.add(layer)
        self._constructing = False
        # Keras: a model that starts with Input is built at construction, so its weights exist
        # (model.layers[0].kernel) before compile or fit.
        if self._input_shape is not None and self._layers:
            self.build()

    @property
    def _built_core(self) -> _core.Sequential:
        """The C++ model, for code that runs only once the model is built."""
        assert self._core is not None, "the model is not built"
        return self._core

    @property
    def _compiled_loss(self) -> losses.Loss:
        assert self.loss is not None, "the model is not compiled"
        return self.loss

    @property
    def _compiled_optimizer(self) -> optimizers.Optimizer:
        assert self.optimizer is not None, "the model is not compiled"
        return self.optimizer

    # ----------------------------------------------------------------------------- structure
    def add(self, layer: Layer | InputLayer) -> None:
        if isinstance(layer, InputLayer):
            if self._layers or self._input_shape is not None:
                raise ValueError("Input must be the first layer of a Sequential model")
            self._input_shape = layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a gradstep layer, got {type(layer).__name__}")
        if layer.built:
            raise ValueError(f"layer {layer.name!r} already belongs to a built model; create a new layer")
        if self._core is None:
            self._layers.append(layer)
            if self._input_shape is not None and not self._constructing:
                self.build()  # Keras: a model whose input shape is known is built as layers arrive
            return
        if self.compiled:
            raise ValueError(
                f"cannot add layer {layer.name!r} to a compiled model: add every layer before "
                f"compile(), or build a new model"
            )
        # A built model grows by rebuilding with the same seed: the existing layers keep their
        # current weights, the new one gets the weights it would have had in one build.
        weights = self.get_weights()
        seed = self._built_core.seed
        old_core = self._built_core
        for existing in self._layers:
            existing._detach(old_core)
        self._core = None
        self._layers.append(layer)
        try:
            self.build(seed=seed)
        except Exception:
            self._layers.pop()
            self.build(seed=seed)
            self.set_weights(weights)
            raise
        for i, value in enumerate(weights):  # the old layers' weights come first, same shapes
            self._built_core.set_weight(i, value)

    def pop(self) -> Layer:
        if self._core is not None:
            raise ValueError("cannot remove layers from a built model")
        if not self._layers:
            raise ValueError("the model has no layers to pop")
        return self._layers.pop()

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer called `name`, or at position `index` (Keras' Model.get_layer)."""
        if (name is None) == (index is None):
            raise ValueError("get_layer: give exactly one of name and index")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
                raise TypeError(f"get_layer: index must be an int, got {type(index).__name__}")
            if not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"get_layer: index {index} is out of range for a model of {len(self._layers)} layers")
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"get_layer: no layer named {name!r}; the layers are {', '.join(repr(l.name) for l in self._layers)}"
        )

    @property
    def trainable(self) -> bool:
        """False when every layer is frozen. Setting it sets every layer's `trainable` (Keras)."""
        return any(layer.trainable for layer in self._layers) if self._layers else True

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self._layers:
            layer.trainable = value

    @property
    def built(self) -> bool:
        return self._core is not None

    def build(self, input_shape: Sequence[int | None] | None = None, seed: int | None = None) -> None:
        """Create the C++ model for `input_shape` ((None, features...) as Keras, or without the
        batch axis). Weights, shuffles and dropout masks derive from `seed`, by default the next
        value of the global seed stream (gradstep.set_seed). On a built model (one that starts
        with an Input is built when constructed) it does nothing, as Keras, except refusing a
        different seed, which could no longer take effect."""
        if self._core is not None:
            if seed is not None and int(seed) != int(self._core.seed):
                raise ValueError(
                    f"build(seed={seed}): the model is already built with seed {self._core.seed} (a model that "
                    f"starts with an Input is built when constructed); call gradstep.set_seed({seed}) before "
                    f"constructing it instead"
                )
            return
        if input_shape is not None:
            self._input_shape = check_input_shape(input_shape)
        if self._input_shape is None:
            raise ValueError(
                "the model's input shape is unknown: start it with gradstep.Input(shape) or call "
                "build(input_shape) / fit on data first"
            )
        if not self._layers:
            raise ValueError("the model has no layers: add at least one layer before building or training it")
        core, core_layers = self._new_core()
        input_shape_ = self._input_shape
        self._run_naming_layer(core, lambda: core.build(list(input_shape_), next_seed() if seed is None else int(seed)))
        for layer, core_layer in zip(self._layers, core_layers):
            if hasattr(layer, "_check_axis"):
                layer._check_axis(len(core_layer.input_shape))
        owners = [core.weight_info(i)[0] for i in range(core.num_weights)]
        for index, (layer, core_layer) in enumerate(zip(self._layers, core_layers)):
            layer._attach(core, [i for i, owner in enumerate(owners) if owner == index], core_layer, index)
        self._core = core
        if self.compiled:
            self._compile_core()

    def _new_core(self) -> tuple[_core.Sequential, list[_core.Layer]]:
        core = _core.Sequential()
        core_layers = [layer._make_core() for layer in self._layers]
        for core_layer in core_layers:
            core.add(core_layer)
        return core, core_layers

    def _run_naming_layer(self, core: _core.Sequential, action: Callable[[], None]) -> None:
        """Run core.plan/core.build; a ValueError names the layer whose shapes do not fit."""
        try:
            action()
        except ValueError as error:
            # Layers are planned in order: the first one not planned is the one at fault.
            if core.layers_planned >= len(self._layers):
                raise
            failed = self._layers[core.layers_planned]
            raise ValueError(f"layer {failed.name!r} ({type(failed).__name__}): {error}") from None

    def _ensure_built(self, x: ModelInput) -> None:
        if self._core is None:
            if self._input_shape is None:
                self._input_shape = tuple(x.shape[1:])
            self.build()

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        if self._input_shape is None:
            raise ValueError("the model's input shape is unknown until it is built")
        return (None,) + tuple(self._input_shape)

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        self._require_built("output_shape")
        return (None,) + tuple(self._built_core.output_shape)

    def _require_built(self, what: str) -> None:
        if self._core is None:
            if self._input_shape is not None and self._layers:
                self.build()
                return
            raise ValueError(
                f"{what}: the model is not built yet; give it an input shape with gradstep.Input(shape) "
                f"or train it on data first"
            )

    # ----------------------------------------------------------------------------- compile
    def compile(
        self,
        optimizer: str | optimizers.Optimizer | Config = "rmsprop",
        loss: str | losses.Loss | Config | None = None,
        metrics: Sequence[str | metrics_module.Metric] | None = None,
        **kwargs: Any,
    ) -> None:
        """Configure training: optimizer and loss (names or objects) and metric names."""
        if kwargs:
            raise TypeError(f"compile: unsupported argument(s) {', '.join(sorted(kwargs))}")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        losses.require_gradient(self.loss)
        if metrics is None:
            metrics = []
        if isinstance(metrics, str):
            raise TypeError(f"metrics must be a list of names, got the string {metrics!r}; use [{metrics!r}]")
        self._metric_names, self._metric_objects, self._metric_order = [], [], []
        self._metric_entries = []
        for entry in metrics:
            metric = metrics_module.get(entry)
            self._metric_entries.append(entry if metric is None else metric)
            if metric is not None:  # a stateful metric class, updated in Python from each batch's output
                self._metric_objects.append(metric)
                self._metric_order.append(metric.name)
            else:
                metrics_module.canonical_name(entry)  # unknown names fail here, at compile
                name = cast(str, entry)  # canonical_name raised unless it is one of the names
                self._metric_names.append(name)
                self._metric_order.append(name)
        if len(set(self._metric_order)) != len(self._metric_order):
            raise ValueError(f"metrics: two metrics share a name in {self._metric_order}; give them distinct names")
        self.compiled = True
        if self._core is None and self._input_shape is not None and self._layers:
            self.build()
        if self._core is not None:
            self._compile_core()

    def _compile_core(self) -> None:
        units = self._built_core.output_shape[-1] if len(self._built_core.output_shape) else 1
        loss = self._compiled_loss
        self._metric_kinds = [metrics_module.resolve(name, loss, units) for name in self._metric_names]
        for metric in self._metric_objects:
            if metric.sparse_targets != loss.sparse_targets:
                targets = "integer labels" if loss.sparse_targets else "arrays shaped like the output"
                raise ValueError(
                    f"metrics: {type(metric).__name__} cannot be computed with loss "
                    f"{type(loss).__name__}, whose targets are {targets}"
                )

        self._built_core.compile(loss._core, self._compiled_optimizer._core, self._metric_kinds)

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise NotCompiledError(
                f"{what}: you must compile the model before training or evaluating it: call "
                f"model.compile(optimizer=..., loss=...) first"
            )

    # ----------------------------------------------------------------------------- data checks
    def _index_layer(self) -> Embedding | None:
        """The Embedding that starts the model (its input is integer indices), or None."""
        from ..layers.embedding import Embedding

        return self._layers[0] if self._layers and isinstance(self._layers[0], Embedding) else None

    def _check_x(self, given: object, name: str = "x") -> ModelInput:
        embedding = self._index_layer()
        x: ModelInput
        if embedding is None:
            x = as_float_array(given, name)
        else:
            x = _as_index_array(given, name, embedding)
        self._ensure_built(x)
        assert self._input_shape is not None  # _ensure_built sets it
        expected = tuple(self._input_shape)
        if tuple(x.shape[1:]) != expected:
            detail = ""
            if len(expected) == 1 and x.ndim == 2:
                detail = f" ({expected[0]} features per sample, got {x.shape[1]})"
            raise ValueError(f"{name}: expected shape {shape_str((None,) + expected)}{detail}, got shape {x.shape}")
        return x

    def _check_targets(self, y: object, n: int, name: str = "y") -> FloatArray:
        if y is None:
            raise ValueError(f"{name} is required for training and evaluation, got None")
        output = tuple(self._built_core.output_shape)
        loss = self._compiled_loss
        if loss.sparse_targets:
            labels = np.asarray(y)
            if labels.dtype.kind not in "iub" and labels.dtype.kind != "f":
                raise TypeError(
                    f"{name} must hold integer class labels for {type(loss).__name__}, got dtype {labels.dtype}"
                )
            if labels.ndim >= 1 and len(labels) != n:
                raise ValueError(f"x and {name} must have the same number of samples, got {n} and {len(labels)}")
            expected = (n,) + output[:-1]
            if labels.shape == expected + (1,):
                labels = labels.reshape(expected)
            if labels.shape != expected:
                raise ValueError(
                    f"{name}: expected integer labels of shape {shape_str((None,) + output[:-1])} "
                    f"for {type(loss).__name__}, got shape {labels.shape}"
                )
            if labels.dtype.kind == "f" and not np.all(np.isfinite(labels) & (labels == np.floor(labels))):
                bad = labels[~(np.isfinite(labels) & (labels == np.floor(labels)))].flat[0]
                raise ValueError(f"{name}: {type(loss).__name__} needs integer class labels, got {bad}")
            classes = output[-1]
            out_of_range = (labels < 0) | (labels >= classes)
            if out_of_range.any():
                bad = labels[out_of_range].flat[0]
                raise ValueError(
                    f"{name}: label {bad} is out of range: the model has {classes} output classes, "
                    f"so labels must be in [0, {classes - 1}]"
                )
            return np.ascontiguousarray(labels, dtype=np.float32)
        values = as_float_array(y, name)
        y = values
        if len(values) != n:
            raise ValueError(f"x and {name} must have the same number of samples, got {n} and {len(y)}")
        if tuple(y.shape[1:]) != output:
            hint = ""
            if y.shape == (n,) and output == (1,):
                hint = f"; reshape it with {name}.reshape(-1, 1)"
            elif y.ndim == 1 and len(output) == 1 and output[0] > 1:
                hint = "; for integer class labels use loss='sparse_categorical_crossentropy'"
            raise ValueError(
                f"{name}: expected shape {shape_str((None,) + output)} to match the model's output, "
                f"got shape {y.shape}{hint}"
            )
        return y

    def _check_sample_weight(
        self, sample_weight: object, class_weight: object, y: FloatArray, n: int
    ) -> FloatArray | None:
        """Weights as the C++ core takes them: (n,) for one per sample, or (n, positions) when the
        output has several loss positions (e.g. a (T, classes) sequence output) and the weights
        differ between them (a (n, T) sample_weight, or class_weight applied at every position)."""
        output = tuple(self._built_core.output_shape)
        positions_shape = output[:-1]
        positions = int(np.prod(positions_shape, dtype=np.int64)) if positions_shape else 1
        weights = None
        if sample_weight is not None:
            weights = as_float_array(sample_weight, "sample_weight")
            allowed = [(n,)] + ([(n,) + positions_shape] if positions > 1 else [])
            if weights.shape not in allowed:
                raise ValueError(
                    "sample_weight: expected shape "
                    + " or ".join(str(a) for a in allowed)
                    + " (one weight per sample"
                    + (", or one per output position" if positions > 1 else "")
                    + f"), got {weights.shape}"
                )
            if weights.ndim > 1:
                weights = weights.reshape(n, positions)
        if class_weight is not None:
            if not isinstance(class_weight, dict):
                raise TypeError(
                    f"class_weight must be a dict {{class index: weight}}, got {type(class_weight).__name__}"
                )
            for cls, w in class_weight.items():
                if isinstance(cls, (bool, np.bool_)) or not isinstance(cls, (int, np.integer)):
                    raise TypeError(f"class_weight keys must be integer class indices, got {cls!r}")
                if cls < 0:
                    raise ValueError(f"class_weight keys must be class indices >= 0, got {cls}")
                check_float(w, f"class_weight[{cls}]", minimum=0.0)
                if not np.isfinite(float(w)):
                    raise ValueError(f"class_weight[{cls}] must be a finite number >= 0, got {float(w)}")
            # The class of every loss position: the label, or the target's argmax (rounded
            # value for a single output unit).
            if self._compiled_loss.sparse_targets:
                labels = y.reshape(n, positions)
            elif output[-1] == 1:
                labels = np.round(y.reshape(n, positions))
            else:
                labels = np.argmax(y.reshape(n, positions, output[-1]), axis=2)
            labels = labels.astype(np.int64)
            table = np.ones(int(labels.max()) + 1, dtype=np.float32)
            for cls, w in class_weight.items():
                if int(cls) < len(table):  # classes absent from y do not matter
                    table[int(cls)] = float(w)
            per_position = table[labels]
            if weights is None:
                weights = per_position
            elif weights.ndim == 1:
                weights = weights[:, None] * per_position
            else:
                weights = weights * per_position
            if positions == 1:
                weights = weights.reshape(n)
        return None if weights is None else np.ascontiguousarray(weights, dtype=np.float32)

    # ----------------------------------------------------------------------------- training
    def fit(
        self,
        x: InputData = None,
        y: ArrayLike | None = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | Literal["auto"] = "auto",
        callbacks: Iterable[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[ArrayLike, ...] | list[ArrayLike] | InputData = None,
        shuffle: bool = True,
        class_weight: dict[int, float] | None = None,
        sample_weight: ArrayLike | None = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
        track: str | Sequence[str] | None = None,
        distributed: bool = False,
        sync_batchnorm: bool = False,
    ) -> History:
        """Train for `epochs` epochs; returns a History (Keras 3 semantics).

        x, y: arrays; or x alone as a data source (utils.PyDataset, a generator or an iterable of
        (x, y) / (x, y, sample_weight) batches), read one batch at a time with `steps_per_epoch`
        batches per epoch (for an iterator without it, until it is exhausted). validation_data:
        (x, y[, sample_weight]) arrays or a data source (validation_steps batches).

        With shuffle=True each epoch's order is a permutation keyed by the model's seed and the
        number of epochs it has trained so far (over every fit call, saved with the model): a
        loop of fit(epochs=1) calls sees a new order each time, the same orders as one
        fit(epochs=k), and a saved and reloaded model continues the sequence. Data sources keep
        their own order.

        distributed=True: data-parallel training over the processes of an MPI job (see
        gradstep.distributed): each of the size() processes takes its slice of every global batch
        of batch_size x size() rows, and their gradients are averaged before each update. Every
        process must call fit with the same arguments and data. With one process it is an
        ordinary fit. sync_batchnorm=True: BatchNormalization normalises with the statistics of
        the whole global batch (every process's rows), as PyTorch's SyncBatchNorm; by default each
        process uses its own slice's.

        track (gradstep, not Keras): figures to record per layer during training, a list of
        "grad_norm", "update_ratio", "dead_relu", "bn_stats" (see gradstep._tracking for their
        definitions). They are computed in C++ during each step, averaged over the epoch and
        logged under keys such as "grad_norm/dense/kernel" or "dead_relu/dense": they reach
        History.history (History.plot draws them) and the callbacks' epoch logs, but not the
        progress bar line.
        """
        self._require_compiled("fit")
        tracked = check_track(track)
        parallel = False
        if check_bool(distributed, "distributed"):
            distributed_module.init()
            sync_batchnorm = check_bool(sync_batchnorm, "sync_batchnorm")
            parallel = distributed_module.size() > 1
        elif check_bool(sync_batchnorm, "sync_batchnorm"):
            raise ValueError("sync_batchnorm=True needs distributed=True")

        def run() -> History:
            return self._fit(
                x,
                y,
                batch_size,
                epochs,
                verbose,
                callbacks,
                validation_split,
                validation_data,
                shuffle,
                class_weight,
                sample_weight,
                initial_epoch,
                steps_per_epoch,
                validation_steps,
                validation_batch_size,
                validation_freq,
                parallel=parallel,
                sync_batchnorm=parallel and sync_batchnorm,
                tracked=tracked,
            )

        # In an MPI job a failure on one process must end them all (no peer left waiting).
        return distributed_module.abort_on_error(run) if parallel else run()

    def _fit(
        self,
        x: InputData,
        y: ArrayLike | None,
        batch_size: int | None,
        epochs: int,
        verbose: int | Literal["auto"],
        callbacks: Iterable[Callback] | None,
        validation_split: float,
        validation_data: tuple[ArrayLike, ...] | list[ArrayLike] | InputData,
        shuffle: bool,
        class_weight: dict[int, float] | None,
        sample_weight: ArrayLike | None,
        initial_epoch: int,
        steps_per_epoch: int | None,
        validation_steps: int | None,
        validation_batch_size: int | None,
        validation_freq: int,
        parallel: bool,
        sync_batchnorm: bool = False,
        tracked: Sequence[str] = (),
    ) -> History:
        """fit's body; parallel: data-parallel over the processes of the MPI job (size() > 1)."""
        batch_size = check_positive_int(batch_size, "batch_size", allow_none=True) or _DEFAULT_BATCH_SIZE
        epochs = check_non_negative_int(epochs, "epochs")
        initial_epoch = check_non_negative_int(initial_epoch, "initial_epoch")
        validation_freq = check_positive_int(validation_freq, "validation_freq")
        steps_per_epoch = check_positive_int(steps_per_epoch, "steps_per_epoch", allow_none=True)
        validation_steps = check_positive_int(validation_steps, "validation_steps", allow_none=True)
        validation_batch_size = (
            check_positive_int(validation_batch_size, "validation_batch_size", allow_none=True) or batch_size
        )
        verbose = _resolve_verbose(verbose)
        if parallel:
            callbacks = self._start_parallel_fit(x, validation_data, callbacks)
            if sync_batchnorm:
                self._set_batchnorm_reducer(distributed_module.allreduce_sum)
            verbose = verbose if distributed_module.is_root() else 0
        train, val = self._fit_batches(
            x,
            y,
            sample_weight,
            class_weight,
            batch_size,
            shuffle,
            validation_split,
            validation_data,
            validation_batch_size,
            parallel,
        )
        train.limit(steps_per_epoch)
        if val is not None:
            val.limit(validation_steps)
        cbs, history = self._fit_callbacks(
            callbacks,
            verbose,
            {
                "epochs": epochs,
                "steps": train.steps,
                "verbose": verbose,
                "batch_size": batch_size,
                "samples": train.samples,
            },
        )

        self.stop_training = False
        if tracked:
            self._built_core.set_tracking(tracked)
        try:
            return self._fit_epochs(
                cbs, history, train, val, initial_epoch, epochs, validation_freq, bool(tracked), parallel
            )
        finally:
            if tracked:
                self._built_core.set_tracking([])

    def _fit_epochs(
        self,
        cbs: CallbackList,
        history: History,
        train: ArrayBatches | SourceBatches,
        val: ArrayBatches | SourceBatches | None,
        initial_epoch: int,
        epochs: int,
        validation_freq: int,
        tracking: bool,
        parallel: bool = False,
    ) -> History:
        """fit's epoch loop, callbacks included."""
        cbs.on_train_begin()
        # BackupAndRestore may have restored a backup: continue after its last finished epoch.
        if self._resume_from_epoch is not None:
            initial_epoch, self._resume_from_epoch = max(initial_epoch, self._resume_from_epoch), None
        logs: Logs = {}
        try:
            for epoch in range(initial_epoch, epochs):
                cbs.on_epoch_begin(epoch)
                if tracking:
                    self._built_core.reset_tracking()
                logs = self._train_epoch(train, cbs, parallel)
                if tracking:
                    logs.update(self._tracked_logs())
                if parallel:
                    self._average_weights()
                self._epochs_trained += 1
                train.end_epoch()
                if val is not None and (epoch + 1) % validation_freq == 0:
                    cbs.on_test_begin()
                    val_logs = self._evaluate_batches(val, cbs, parallel)
                    cbs.on_test_end(val_logs)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                if parallel:
                    self.stop_training = self._reduced_stop(self.stop_training)
                if self.stop_training:
                    break
        finally:
            if parallel:
                self._built_core.set_gradient_reducer(None)
                self._set_batchnorm_reducer(None)
        cbs.on_train_end(logs)
        self.history = history
        return history

    def _fit_batches(
        self,
        x: object,
        y: object,
        sample_weight: object,
        class_weight: dict[int, float] | None,
        batch_size: int,
        shuffle: bool,
        validation_split: float,
        validation_data: object,
        validation_batch_size: int,
        parallel: bool = False,
    ) -> tuple[ArrayBatches | SourceBatches, ArrayBatches | SourceBatches | None]:
        """The training batches and the validation batches (or None) of a fit call. parallel:
        this process's slices of the batches of a data-parallel fit."""
        validation_split = check_float(
            validation_split, "validation_split", minimum=0.0, maximum=1.0, max_inclusive=False
        )
        if is_data_source(x):
            for value, arg in ((y, "y"), (sample_weight, "sample_weight")):
                if value is not None:
                    raise ValueError(
                        f"{arg} must be None when x is a PyDataset or a generator: its batches carry "
                        f"(x, y) or (x, y, sample_weight)"
                    )
            if validation_split:
                raise ValueError("validation_split cannot split a PyDataset or a generator; give validation_data")
            train: ArrayBatches | SourceBatches = SourceBatches(
                x, lambda batch, i: self._check_source_batch(batch, i, "x", class_weight)
            )
        else:
            x = self._check_x(x)
            n = len(x)
            y = self._check_targets(y, n)
            weights = self._check_sample_weight(sample_weight, class_weight, y, n)
            val_arrays: tuple[ModelInput, FloatArray, FloatArray | None] | None = None
            if validation_split > 0.0 and validation_data is None:
                split_at = int(n * (1.0 - validation_split))
                if split_at == 0 or split_at == n:
                    raise ValueError(
                        f"validation_split={validation_split} leaves {split_at} training and "
                        f"{n - split_at} validation samples out of {n}: both must be non-empty"
                    )
                val_arrays = (x[split_at:], y[split_at:], None if weights is None else weights[split_at:])
                x, y = x[:split_at], y[:split_at]
                weights = None if weights is None else weights[:split_at]
            if parallel:
                train = self._parallel_train_batches(x, y, weights, batch_size, shuffle)
            else:
                self._check_batchnorm_batches(len(x), batch_size)
                train = ArrayBatches(
                    x,
                    y,
                    weights,
                    batch_size,
                    shuffle=shuffle,
                    seed=self._built_core.seed,
                    need_targets=bool(self._metric_objects),
                )
            if val_arrays is not None:
                return train, _validation_batches(*val_arrays, validation_batch_size, parallel)
        if validation_data is None:
            return train, None
        if is_data_source(validation_data):
            return train, SourceBatches(
                validation_data,
                lambda batch, i: self._check_source_batch(batch, i, "validation_data", None),
                what="validation_data",
            )
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight), "
                "a PyDataset or a generator"
            )
        x_val = self._check_x(validation_data[0], "validation_data[0] (x_val)")
        y_val = self._check_targets(validation_data[1], len(x_val), "validation_data[1] (y_val)")
        w_val = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            w_val = self._check_sample_weight(validation_data[2], None, y_val, len(x_val))
        return train, _validation_batches(x_val, y_val, w_val, validation_batch_size, parallel)

    def _check_source_batch(
        self, batch: object, index: int, what: str, class_weight: dict[int, float] | None
    ) -> CheckedBatch:
        """One (x, y, sample_weight) batch of a data source, checked as fit checks arrays."""
        x, y, weights = split_batch(batch, index, what)
        x = self._check_x(x, f"{what} batch {index}: x")
        y = self._check_targets(y, len(x), f"{what} batch {index}: y")
        return x, y, self._check_sample_weight(weights, class_weight, y, len(x))

    def _fit_callbacks(
        self, callbacks: Iterable[Callback] | None, verbose: int, params: dict[str, Any]
    ) -> tuple[CallbackList, History]:
        """The callback list of a fit call and its History. As Keras: a History or ProgbarLogger
        the user passes is used instead of a second one."""
        objects = _with_progbar(callbacks, verbose)
        history = next((cb for cb in objects if isinstance(cb, History)), None)
        if history is None:
            history = History()
            objects.append(history)
        self.history = history
        return CallbackList(objects, self, params), history

    def _train_epoch(self, batches: ArrayBatches | SourceBatches, cbs: CallbackList, parallel: bool = False) -> Logs:
        """One epoch of train steps; returns its logs. parallel: every process runs the same
        steps; a stop asked for on any of them travels with the next step's gradients and ends
        the epoch on all of them at the same step; the logs are reduced over all processes."""
        totals = _Totals(self)
        logs: Logs = {}
        averager: distributed_module.GradientAverager | None = None
        if parallel:
            averager = distributed_module.GradientAverager(self._built_core.num_trainable)
            self._built_core.set_gradient_reducer(averager)
        for step, (x, y, indices, weights, y_seen) in enumerate(batches.epoch(self._epochs_trained)):
            cbs.on_train_batch_begin(step)
            self._compiled_optimizer._prepare_step()
            if averager is not None:
                averager.stop_requested = averager.stop_requested or self.stop_training
            assert y is not None  # training batches always carry targets
            logs = totals.add(self._built_core.train_batch(x, y, indices, weights), y_seen)
            cbs.on_train_batch_end(step, logs)
            if averager is not None:
                averager.stop_requested = averager.stop_requested or self.stop_training
                self.stop_training = averager.stop_everywhere
            if self.stop_training:
                break
        if parallel:
            logs = totals.reduced_logs()
        return dict(logs)

    def _tracked_logs(self) -> dict[str, float]:
        """The tracked figures' averages over the batches since the last reset (NaN for a figure
        no batch counted in: a frozen weight or BatchNormalization)."""
        logs: dict[str, float] = {}
        for figure, layer, part, total, count in self._built_core.tracked_values():
            key = tracked_key(figure, self._layers[layer].name, part)
            logs[key] = total / count if count else float("nan")
        return logs

    def _evaluate_batches(
        self, batches: ArrayBatches | SourceBatches, callbacks: CallbackList | None = None, parallel: bool = False
    ) -> Logs:
        """Loss and metrics over every batch (test mode); returns the logs. parallel: each
        process evaluates its slice of the data and the sums are reduced over all of them."""
        totals = _Totals(self)
        logs = None
        for step, (x, y, indices, weights, y_seen) in enumerate(batches.epoch()):
            if callbacks is not None:
                callbacks.on_test_batch_begin(step)
            assert y is not None  # evaluation batches always carry targets
            logs = totals.add(self._built_core.test_batch(x, y, indices, weights), y_seen)
            if callbacks is not None:
                callbacks.on_test_batch_end(step, logs)
        if parallel:
            return totals.reduced_logs()
        if logs is None:
            raise ValueError("evaluation got no batches: the data source is empty (or exhausted)")
        return logs

    # ------------------------------------------------------------------ data-parallel training
    def _start_parallel_fit(
        self, x: object, validation_data: object, callbacks: Iterable[Callback] | None
    ) -> list[Callback]:
        """Checks and set-up of a data-parallel fit: arrays only, C++ metrics only, rank 0's
        weights everywhere. Returns the callbacks this process runs (writers on rank 0 only)."""
        from ..callbacks import BackupAndRestore, CSVLogger, ModelCheckpoint

        if is_data_source(x) or is_data_source(validation_data):
            raise ValueError(
                "fit(distributed=True) reads arrays (every process holds the same x and y and reads its "
                "slices of each batch); got a PyDataset or a generator"
            )
        if self._metric_objects:
            names = ", ".join(metric.name for metric in self._metric_objects)
            raise ValueError(
                f"fit(distributed=True) reduces the metrics computed in the C++ core (given by name, such as "
                f"'accuracy'); these metric objects keep state in Python and are not reduced: {names}"
            )
        callbacks = list(callbacks or [])
        if any(isinstance(cb, BackupAndRestore) for cb in callbacks):
            raise ValueError(
                "fit(distributed=True) does not support BackupAndRestore: restoring on one process would split "
                "the model; use ModelCheckpoint (rank 0 writes) and load the file on every process"
            )
        if not distributed_module.is_root():
            callbacks = [cb for cb in callbacks if not isinstance(cb, (ModelCheckpoint, CSVLogger, ProgbarLogger))]
        self.set_weights(self._broadcast_weights())
        return callbacks

    def _broadcast_weights(self) -> list[FloatArray]:
        """Rank 0's weights (every weight, moving statistics included)."""
        weights = [np.ascontiguousarray(w) for w in self.get_weights()]
        for array in weights:
            distributed_module.broadcast(array)
        return weights

    def _parallel_train_batches(
        self, x: ModelInput, y: FloatArray, weights: FloatArray | None, batch_size: int, shuffle: bool
    ) -> ArrayBatches:
        """This process's slices of the global batches (batch_size x size() rows, shuffled by rank
        0's seed). A final global batch too small to give every process a slice (two rows each
        with a BatchNormalization on vectors) is left out of every epoch, with a warning."""
        from ..layers.batch_normalization import BatchNormalization

        processes = distributed_module.size()
        global_batch = batch_size * processes
        n = len(x)
        needs_two = any(isinstance(layer, BatchNormalization) for layer in self._layers)
        smallest = processes * (2 if needs_two else 1)
        remainder = n % global_batch
        steps = -(-n // global_batch)
        if remainder and remainder < smallest:
            steps -= 1
            if distributed_module.is_root():
                import warnings

                warnings.warn(
                    f"fit(distributed=True): the last global batch ({remainder} of {n} rows) is too small for "
                    f"{processes} processes and is left out of every epoch",
                    stacklevel=4,
                )
        if steps == 0:
            raise ValueError(f"fit(distributed=True): {n} rows cannot give {processes} processes one batch each")
        seed = distributed_module.broadcast_object(int(self._built_core.seed))
        return ArrayBatches(
            x,
            y,
            weights,
            global_batch,
            shuffle=shuffle,
            seed=seed,
            need_targets=False,
            shard=distributed_module.shard,
            steps=steps,
        )

    def _average_weights(self) -> None:
        """Every weight averaged over the processes, after each epoch of a data-parallel fit. The
        trainable ones are already equal everywhere, and (a + a) / 2 == a exactly in floating
        point; what changes is the moving statistics (BatchNormalization), which each process
        has estimated from its own slices: all processes then validate, save and predict with
        the same model."""
        weights = [np.array(w, dtype=np.float64) for w in self.get_weights()]
        flat = np.concatenate([w.ravel() for w in weights]) if weights else np.zeros(0)
        distributed_module.allreduce_sum(flat)
        flat /= distributed_module.size()
        out: list[FloatArray] = []
        offset = 0
        for w in weights:
            out.append(flat[offset : offset + w.size].reshape(w.shape).astype(np.float32))
            offset += w.size
        self.set_weights(out)

    def _set_batchnorm_reducer(self, reducer: Callable[[Any], None] | None) -> None:
        """Synchronised BatchNormalization statistics (reducer: an in-place sum over processes)
        or, with None, each process's own."""
        from ..layers.batch_normalization import BatchNormalization

        for layer in self._layers:
            if isinstance(layer, BatchNormalization):
                layer._set_statistics_reducer(reducer)

    def _reduced_stop(self, stop: bool) -> bool:
        """True on every process when any process asks to stop (EarlyStopping agrees anyway, as
        its logs are reduced; a user callback may not)."""
        flag = np.array([1.0 if stop else 0.0])
        distributed_module.allreduce_sum(flag)
        return bool(flag[0] > 0)

    def _check_batchnorm_batches(self, n: int, batch_size: int) -> None:
        """Fail before training, not at the end of the first epoch, when a BatchNormalization on
        per-sample vectors would see a final batch of one sample (no variance to normalise by)."""
        from ..layers.batch_normalization import BatchNormalization

        for layer in self._layers:
            if isinstance(layer, BatchNormalization) and len(layer.input_shape) == 2:
                if n % batch_size == 1 or n == 1:
                    raise ValueError(
                        f"batch_size={batch_size} leaves a last batch of 1 sample out of {n}, and "
                        f"BatchNormalization ({layer.name!r}) cannot estimate a variance from one sample: choose a "
                        f"batch_size that leaves at least 2 (e.g. {batch_size + 1}) or drop a sample"
                    )
                break

    def _logs(self, loss_sum: float, metric_sums: Sequence[float], count: float, metric_weight: float) -> Logs:
        """Epoch means: the loss over samples; metrics over their weight (the samples, or with a
        padding mask the unmasked positions, so padding never counts); metric objects' result()."""
        values = {
            name: total / metric_weight if metric_weight > 0 else 0.0
            for name, total in zip(self._metric_names, metric_sums)
        }
        values.update({metric.name: metric.result() for metric in self._metric_objects})
        logs: Logs = {"loss": loss_sum / count}
        for name in self._metric_order:
            logs[name] = values[name]
        return logs

    def _metrics_config(self) -> list[str | Config]:
        """compile's metrics as saved: names, and serialized metric objects."""
        return [entry if isinstance(entry, str) else metrics_module.serialize(entry) for entry in self._metric_entries]

    def _update_metric_objects(self, y_batch: FloatArray | None, count: int) -> None:
        """Feed the last batch's targets and output to the metric objects (a padding mask, if
        the output has one, as their sample weights: masked positions do not count)."""
        predictions = self._built_core.last_output(count)
        mask = self._built_core.last_output_mask(count)
        if mask is not None:
            mask = mask.reshape(predictions.shape[:-1])
        assert y_batch is not None  # batches carry their targets whenever there are metric objects
        for metric in self._metric_objects:
            metric.update_state(y_batch, predictions, sample_weight=mask)

    @overload
    def evaluate(
        self,
        x: InputData = None,
        y: ArrayLike | None = None,
        batch_size: int | None = None,
        verbose: int | Literal["auto"] = "auto",
        sample_weight: ArrayLike | None = None,
        steps: int | None = None,
        callbacks: Iterable[Callback] | None = None,
        *,
        return_dict: Literal[True],
        distributed: bool = False,
    ) -> dict[str, float]: ...
    @overload
    def evaluate(
        self,
        x: InputData = None,
        y: ArrayLike | None = None,
        batch_size: int | None = None,
        verbose: int | Literal["auto"] = "auto",
        sample_weight: ArrayLike | None = None,
        steps: int | None = None,
        callbacks: Iterable[Callback] | None = None,
        return_dict: bool = False,
        distributed: bool = False,
    ) -> EvaluateResult: ...
    def evaluate(
        self,
        x: InputData = None,
        y: ArrayLike | None = None,
        batch_size: int | None = None,
        verbose: int | Literal["auto"] = "auto",
        sample_weight: ArrayLike | None = None,
        steps: int | None = None,
        callbacks: Iterable[Callback] | None = None,
        return_dict: bool = False,
        distributed: bool = False,
    ) -> EvaluateResult:
        """Loss and metrics over (x, y), or over the batches of a data source x (PyDataset,
        generator, iterable): a float (no metrics), a list `[loss, *metrics]`, or a dict.

        verbose: 0 silent, 1 a progress bar, 2 one line ("auto": 1 on a terminal, else 2), as
        fit's. steps: evaluate only the first `steps` batches (Keras). distributed=True: in an
        MPI job every process evaluates its slice of the same (x, y) and the result is over all
        rows, the same on every process (gradstep.distributed)."""
        self._require_compiled("evaluate")
        if check_bool(distributed, "distributed") and distributed_module.init()[1] > 1:
            if steps is not None or is_data_source(x) or self._metric_objects:
                raise ValueError("evaluate(distributed=True) takes arrays, without steps, and metrics given by name")
            return distributed_module.abort_on_error(
                lambda: self._evaluate_parallel(x, y, batch_size, verbose, sample_weight, callbacks, return_dict)
            )
        batch_size = check_positive_int(batch_size, "batch_size", allow_none=True) or _DEFAULT_BATCH_SIZE
        steps = check_positive_int(steps, "steps", allow_none=True)
        verbose = _resolve_verbose(verbose)
        if is_data_source(x):
            for value, arg in ((y, "y"), (sample_weight, "sample_weight")):
                if value is not None:
                    raise ValueError(f"{arg} must be None when x is a PyDataset or a generator")
            batches: ArrayBatches | SourceBatches = SourceBatches(
                x, lambda batch, i: self._check_source_batch(batch, i, "x", None)
            )
        else:
            x = self._check_x(x)
            y = self._check_targets(y, len(x))
            batches = ArrayBatches(x, y, self._check_sample_weight(sample_weight, None, y, len(x)), batch_size)
        batches.limit(steps)
        cbs = self._callbacks_for(callbacks, verbose, {"steps": batches.steps, "verbose": verbose})
        cbs.on_test_begin()
        logs = self._evaluate_batches(batches, cbs)
        cbs.on_test_end(logs)
        return self._format_result(logs, return_dict)

    def _evaluate_parallel(
        self,
        x: InputData,
        y: ArrayLike | None,
        batch_size: int | None,
        verbose: int | Literal["auto"],
        sample_weight: ArrayLike | None,
        callbacks: Iterable[Callback] | None,
        return_dict: bool,
    ) -> EvaluateResult:
        """evaluate over this process's slice of (x, y), the sums reduced over all processes."""
        batch_size = check_positive_int(batch_size, "batch_size", allow_none=True) or _DEFAULT_BATCH_SIZE
        verbose = _resolve_verbose(verbose) if distributed_module.is_root() else 0
        x = self._check_x(x)
        y = self._check_targets(y, len(x))
        weights = self._check_sample_weight(sample_weight, None, y, len(x))
        batches = _validation_batches(x, y, weights, batch_size, parallel=True)
        cbs = self._callbacks_for(callbacks, verbose, {"steps": batches.steps, "verbose": verbose})
        cbs.on_test_begin()
        logs = self._evaluate_batches(batches, cbs, parallel=True)
        cbs.on_test_end(logs)
        return self._format_result(logs, return_dict)

    def _callbacks_for(
        self, callbacks: Iterable[Callback] | None, verbose: int, params: dict[str, Any]
    ) -> CallbackList:
        """The user's callbacks plus a ProgbarLogger when verbose (unless they passed one)."""
        return CallbackList(_with_progbar(callbacks, verbose), self, params)

    def _format_result(self, logs: Logs, return_dict: bool) -> EvaluateResult:
        if return_dict:
            return dict(logs)
        if not self._metric_order:
            loss: float = logs["loss"]
            return loss
        return [logs["loss"]] + [logs[name] for name in self._metric_order]

    def predict(
        self,
        x: InputData,
        batch_size: int | None = None,
        verbose: int | Literal["auto"] = "auto",
        steps: int | None = None,
        callbacks: Iterable[Callback] | None = None,
    ) -> FloatArray:
        """Inference-mode outputs for x (arrays, computed batch_size rows at a time with the GIL
        released; or the batches of a data source: x, (x,) or (x, y, ...) of which x is used).

        verbose: 0 silent, 1 a progress bar, 2 one line, as evaluate. steps: predict only the
        first `steps` batches. callbacks get on_predict_begin / _batch_begin / _batch_end / _end
        (batch logs: {"outputs": the batch's predictions}, as Keras)."""
        batch_size = check_positive_int(batch_size, "batch_size", allow_none=True) or _DEFAULT_BATCH_SIZE
        steps = check_positive_int(steps, "steps", allow_none=True)
        verbose = _resolve_verbose(verbose)
        if is_data_source(x):
            batches: ArrayBatches | SourceBatches = SourceBatches(
                x,
                lambda batch, i: (
                    self._check_x(split_batch(batch, i, "x", want_targets=False)[0], f"x batch {i}"),
                    None,
                    None,
                ),
            )
        else:
            x = self._check_x(x)
            if steps is not None:
                x = x[: min(len(x), steps * batch_size)]
            if not verbose and not callbacks:
                return self._built_core.predict(x, batch_size)  # one call over every batch
            batches = ArrayBatches(x, None, None, batch_size)
        batches.limit(steps)
        cbs = self._callbacks_for(callbacks, verbose, {"steps": batches.steps, "verbose": verbose})
        cbs.on_predict_begin()
        outputs: list[FloatArray] = []
        for step, (xb, _, _, _, _) in enumerate(batches.epoch()):
            cbs.on_predict_batch_begin(step)
            outputs.append(self._built_core.predict(xb, batch_size))
            cbs.on_predict_batch_end(step, {"outputs": outputs[-1]})
        cbs.on_predict_end()
        if not outputs:
            return np.empty((0,) + tuple(self._built_core.output_shape), dtype=np.float32)
        return np.concatenate(outputs) if len(outputs) > 1 else outputs[0]

    def predict_on_batch(self, x: ArrayLike) -> FloatArray:
        x = self._check_x(x)
        return self._built_core.predict(x, len(x))

    def __call__(self, x: ArrayLike, training: bool = False) -> FloatArray:
        """The forward pass on x as one batch (training=True applies training-mode behaviour)."""
        x = self._check_x(x)
        return self._built_core.forward(x, bool(training))

    def train_on_batch(
        self,
        x: ArrayLike,
        y: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        class_weight: dict[int, float] | None = None,
        return_dict: bool = False,
    ) -> EvaluateResult:
        """One optimizer step on (x, y); returns the batch's loss (and metrics) as Keras."""
        self._require_compiled("train_on_batch")
        x = self._check_x(x)
        y = self._check_targets(y, len(x))
        weights = self._check_sample_weight(sample_weight, class_weight, y, len(x))
        self._compiled_optimizer._prepare_step()
        loss_sum, metric_sums, count, weight = self._built_core.train_batch(x, y, None, weights)
        return self._format_result(self._logs(loss_sum, metric_sums, count, weight), return_dict)

    def test_on_batch(
        self,
        x: ArrayLike,
        y: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        return_dict: bool = False,
    ) -> EvaluateResult:
        self._require_compiled("test_on_batch")
        x = self._check_x(x)
        y = self._check_targets(y, len(x))
        weights = self._check_sample_weight(sample_weight, None, y, len(x))
        loss_sum, metric_sums, count, weight = self._built_core.test_batch(x, y, None, weights)
        return self._format_result(self._logs(loss_sum, metric_sums, count, weight), return_dict)

    def forward_backward(
        self, x: ArrayLike, dy: ArrayLike, training: bool = True
    ) -> tuple[FloatArray, FloatArray | None, list[FloatArray]]:
        """Forward pass on x, then backpropagate the upstream gradient dy (shape of the output).

        Returns (y, dx, grads): the output, d(sum(y * dy))/dx (None when x is integer indices,
        for an Embedding) and the gradients of every trainable weight in get_weights() order.
        Nothing is updated: this is the tool for gradient checks and for looking inside
        backpropagation.
        """
        x = self._check_x(x)
        dy = as_float_array(dy, "dy")
        expected = (len(x),) + tuple(self._built_core.output_shape)
        if dy.shape != expected:
            raise ValueError(f"dy: expected shape {expected} (the output's), got {dy.shape}")
        y, dx, grads = self._built_core.forward_backward(x, dy, bool(training))
        return y, dx, grads

    def check_gradients(
        self,
        x: Any,
        y: Any,
        eps: float = 1e-3,
        sample_weight: Any = None,
        max_checks_per_weight: int = 20,
        rtol: float = 1e-2,
        floor: float = 1e-2,
        seed: int = 0,
    ) -> GradientCheck:
        """Compare the analytic gradient of the training objective with central differences.

        The objective is what fit minimises on the batch (x, y): the compiled loss with its sample
        weights and masks, plus the regularisation penalties, in training mode: dropout draws one
        fixed mask (the same for the analytic pass and every +eps / -eps pass: masks are keyed by a
        counter that this method reads without advancing) and BatchNormalization normalises with
        the batch statistics while its moving statistics are restored after every pass. The model
        is unchanged afterwards: weights, moving statistics, optimizer state and dropout counter.

        Every trainable weight of an unfrozen layer is checked: all its coordinates when it has at
        most `max_checks_per_weight`, else that many drawn with `seed` (half among coordinates with
        a non-zero gradient). For analytic a and numerical n, rel = ``|a - n| / max(|a|, |n|, floor)``
        and a weight passes when rel <= rtol everywhere. The core computes in float32, so the
        difference quotient carries ~1e-7 * loss / eps of noise: eps=1e-3 with floor=1e-2 keeps that
        below rtol=1e-2 for losses of order 1 (see gradstep.models.gradient_check). Pass a small
        batch (8 to 64 rows): each checked coordinate costs two forward passes over it.

        Returns a GradientCheck table (rows: layer, weight, shape, checked, max abs error, max rel
        error, passed) that prints aligned, with `.passed` and `.worst`.
        """
        self._require_compiled("check_gradients")
        eps = check_float(eps, "eps", minimum=0.0, min_inclusive=False)
        rtol = check_float(rtol, "rtol", minimum=0.0, min_inclusive=False)
        floor = check_float(floor, "floor", minimum=0.0, min_inclusive=False)
        max_checks_per_weight = check_positive_int(max_checks_per_weight, "max_checks_per_weight")
        seed = check_non_negative_int(seed, "seed")
        x = self._check_x(x)
        if len(x) == 0:
            raise ValueError("x: check_gradients needs at least one sample, got 0")
        y = self._check_targets(y, len(x))
        weights = self._check_sample_weight(sample_weight, None, y, len(x))
        core = self._core
        assert core is not None  # _check_x built the model
        checked = [i for i in range(core.num_weights) if core.weight_info(i)[3] and not core.weight_frozen(i)]
        trainable = [i for i in range(core.num_weights) if core.weight_info(i)[3]]
        if not checked:
            raise ValueError("check_gradients: the model has no trainable weights to check")
        positions = [trainable.index(i) for i in checked]

        def objective(want_grad: bool) -> tuple[float, list[np.ndarray] | None]:
            value, grads = core.objective(x, y, weights, want_grad)
            return float(value), None if grads is None else [grads[p] for p in positions]

        def handle(i: int) -> WeightToCheck:
            layer_index, name = core.weight_info(i)[:2]
            return WeightToCheck(
                layer=self._layers[layer_index].name,
                name=name,
                get=lambda: core.get_weight(i),
                set=lambda value: core.set_weight(i, value),
            )

        return check_gradients(objective, [handle(i) for i in checked], eps, rtol, floor, max_checks_per_weight, seed)

    # ----------------------------------------------------------------------------- weights
    @property
    def weights(self) -> list[FloatArray]:
        return self.get_weights()

    def get_weights(self) -> list[FloatArray]:
        """Copies of every weight in Keras order (per layer: Dense kernel (in, out), then bias)."""
        self._require_built("get_weights")
        return [self._built_core.get_weight(i) for i in range(self._built_core.num_weights)]

    def set_weights(self, weights: Iterable[ArrayLike]) -> None:
        self._require_built("set_weights")
        if isinstance(weights, np.ndarray) or not hasattr(weights, "__iter__"):
            raise TypeError(
                f"set_weights expects a list of arrays (as returned by get_weights), got {type(weights).__name__}"
            )
        weights = list(weights)
        count = self._built_core.num_weights
        if len(weights) != count:
            raise ValueError(f"set_weights: the model has {count} weight arrays, got a list of {len(weights)}")
        checked = []
        for i, given in enumerate(weights):
            layer_index, name, shape, _ = self._built_core.weight_info(i)
            value = np.asarray(given)
            if value.dtype.kind not in "fiub":
                raise TypeError(
                    f"set_weights: weight {i} ({self._layers[layer_index].name}/{name}) must be numeric, "
                    f"got dtype {value.dtype}"
                )
            if tuple(value.shape) != tuple(shape):
                raise ValueError(
                    f"set_weights: weight {i} ({self._layers[layer_index].name}/{name}) expects shape "
                    f"{tuple(shape)}, got {tuple(value.shape)}"
                )
            checked.append(np.ascontiguousarray(value, dtype=np.float32))
        for i, value in enumerate(checked):
            self._built_core.set_weight(i, value)

    def count_params(self) -> int:
        self._require_built("count_params")
        return int(self._built_core.num_trainable + self._built_core.num_state)

    # ----------------------------------------------------------------------------- saving
    # The interface models/saving.py uses (no private attribute crosses modules).
    def weight_specs(self) -> list[tuple[str, tuple[int, ...]]]:
        """[("layer_name/weight_name", shape), ...] of every weight, in get_weights() order (no
        copy of the values). An unbuilt model with a known input shape answers from its
        architecture alone, allocating no weights (loading checks a file's arrays against this
        before building anything)."""
        if self._core is not None:
            core = self._core
        elif self._input_shape is not None and self._layers:
            core, _ = self._new_core()
            input_shape = self._input_shape
            self._run_naming_layer(core, lambda: core.plan(list(input_shape)))
        else:
            self._require_built("weight_specs")
            core = self._built_core
        specs = []
        for i in range(core.num_weights):
            layer_index, name, shape, _ = core.weight_info(i)
            specs.append((f"{self._layers[layer_index].name}/{name}", tuple(int(d) for d in shape)))
        return specs

    def get_build_config(self) -> Config | None:
        """{"input_shape": [...], "seed": n} of a built model (None when not built): with the
        architecture, what rebuilds the same model (Keras' get_build_config)."""
        if self._core is None or self._input_shape is None:  # built implies a known input shape
            return None
        return {"input_shape": list(self._input_shape), "seed": int(self._core.seed)}

    def set_input_shape(self, input_shape: Sequence[int | None]) -> None:
        """Declare the input shape of an unbuilt model (it builds on first use)."""
        if self._core is not None:
            raise ValueError("set_input_shape: the model is already built")
        self._input_shape = check_input_shape(input_shape)

    def get_compile_config(self) -> Config | None:
        """{"optimizer", "loss", "metrics"} as serialised configurations (None when not
        compiled): what compile_from_config takes (Keras' names)."""
        if not self.compiled:
            return None
        return {
            "optimizer": optimizers.serialize(self._compiled_optimizer),
            "loss": losses.serialize(self._compiled_loss),
            "metrics": self._metrics_config(),
        }

    def compile_from_config(self, config: Config, custom_objects: Config | None = None) -> None:
        """Compile from get_compile_config()'s output; custom_objects names your own Loss classes."""
        self.compile(
            optimizer=optimizers.deserialize(config["optimizer"]),
            loss=losses.deserialize(config["loss"], custom_objects),
            metrics=list(config["metrics"]),
        )

    def set_resume_epoch(self, epoch: int) -> None:
        """Make the next fit call start at `epoch` (at least its initial_epoch): how
        callbacks.BackupAndRestore resumes after the last epoch a backup finished. Used once."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be an int >= 0, got {epoch!r}")
        self._resume_from_epoch = epoch

    def get_training_state(self) -> dict[str, int]:
        """Where the model's random streams stand: the next fit's shuffle key (epochs trained)
        and the counter of training-mode calls outside fit (their dropout masks)."""
        return {
            "epochs_trained": int(self._epochs_trained),
            "direct_training_calls": int(self._core.direct_training_calls) if self._core is not None else 0,
        }

    def set_training_state(self, state: dict[str, int]) -> None:
        for key in ("epochs_trained", "direct_training_calls"):
            value = state.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**62:
                raise ValueError(f"training state {key} must be an int in [0, 2**62), got {value!r}")
        self._epochs_trained = state.get("epochs_trained", 0)
        if self._core is not None:
            self._core.direct_training_calls = state.get("direct_training_calls", 0)

    def save(self, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
        """Save architecture, compile configuration, weights and optimizer state to one `.gstep` file."""
        from .saving import save_model

        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
        from .saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: str | os.PathLike[str]) -> None:
        from .saving import load_weights

        load_weights(self, filepath)

    def summary(
        self,
        line_length: int | None = None,
        positions: Sequence[float] | None = None,
        print_fn: Callable[..., object] | None = None,
    ) -> None:
        """Print a Keras-style table of layers, output shapes and parameter counts."""
        from .summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def get_config(self) -> Config:
        config: Config = {
            "name": self.name,
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()} for layer in self._layers],
        }
        if self._input_shape is not None:
            config["input_shape"] = list(self._input_shape)
        return config

    def __repr__(self) -> str:
        return f"<Sequential name={self.name}, layers={len(self._layers)}>"


def _with_progbar(callbacks: Iterable[Callback] | None, verbose: int) -> list[Callback]:
    """The user's callbacks plus a ProgbarLogger when verbose, unless they passed one (Keras)."""
    objects = list(callbacks or [])
    if verbose and not any(isinstance(cb, ProgbarLogger) for cb in objects):
        objects.append(ProgbarLogger(verbose))
    return objects


class _Totals:
    """Running sums of an epoch (or an evaluation) and its logs after each batch."""

    def __init__(self, model: Sequential) -> None:
        self.model = model
        self.loss_sum = 0.0
        self.metric_sums = [0.0] * len(model._metric_names)
        self.samples = 0
        self.metric_weight = 0.0
        for metric in model._metric_objects:
            metric.reset_state()

    def add(self, result: tuple[float, list[float], int, float], y_batch: FloatArray | None) -> Logs:
        """Fold in one batch's (loss sum, metric sums, samples, metric weight); the logs so far."""
        loss, metrics, samples, weight = result
        self.loss_sum += loss
        self.metric_sums = [a + b for a, b in zip(self.metric_sums, metrics)]
        self.samples += samples
        self.metric_weight += weight
        if self.model._metric_objects:
            self.model._update_metric_objects(y_batch, samples)
        return self.model._logs(self.loss_sum, self.metric_sums, self.samples, self.metric_weight)

    def reduced_logs(self) -> Logs:
        """The logs over every process's batches (a data-parallel fit: sums reduced over all)."""
        sums = np.array([self.loss_sum, self.samples, self.metric_weight, *self.metric_sums], dtype=np.float64)
        distributed_module.allreduce_sum(sums)
        if sums[1] == 0:
            raise ValueError("evaluation got no batches on any process")
        return self.model._logs(sums[0], list(sums[3:]), sums[1], sums[2])


def _validation_batches(
    x: ModelInput, y: FloatArray, weights: FloatArray | None, batch_size: int, parallel: bool
) -> ArrayBatches:
    """Validation batches; in a data-parallel fit, this process's contiguous slice of the rows
    (each process evaluates its part, the sums are reduced)."""
    if parallel:
        part = distributed_module.shard(np.arange(len(x)))
        start, stop = (int(part[0]), int(part[-1]) + 1) if len(part) else (0, 0)
        x, y = x[start:stop], y[start:stop]
        weights = None if weights is None else weights[start:stop]
    return ArrayBatches(x, y, weights, batch_size)


def _as_index_array(x: object, name: str, embedding: Embedding) -> NDArray[np.int64]:
    """x as int64 indices for a model that starts with `embedding`; no float32 on the way."""
    if x is None:
        raise ValueError(f"{name} is required, got None")
    array = np.asarray(x)
    if array.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: the model starts with an Embedding ({embedding.name!r}), whose input is integer "
            f"token indices; got dtype {array.dtype}"
            + (" (cast whole-number values with .astype('int64'))" if array.dtype.kind == "f" else "")
        )
    if array.ndim == 0:
        raise ValueError(f"{name}: expected an array with a batch axis, got a scalar")
    if array.size:
        bad = (array < 0) | (array >= embedding.input_dim)
        if bad.any():
            position = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name}: index {int(array[position])} at position {position} is out of range for "
                f"Embedding {embedding.name!r} (input_dim={embedding.input_dim}): indices must be in "
                f"[0, {embedding.input_dim - 1}]"
            )
    return np.ascontiguousarray(array, dtype=np.int64)


def _resolve_verbose(verbose: object) -> int:
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)
