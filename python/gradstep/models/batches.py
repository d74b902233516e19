"""Where fit, evaluate and predict get their batches: arrays in memory, or a data source (a
utils.PyDataset, a generator, an iterator or any other iterable of batches).

A provider has `steps` (batches per epoch; None when a source runs until it is exhausted) and
`epoch(key)`, which yields, per batch, the arguments of the C++ batch call and the batch's
targets for the metric objects: (x, y, indices, sample_weight, y_batch).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable, Optional, Union

import numpy as np
from numpy.typing import NDArray

from .. import _core
from .._typing import FloatArray

# A validated model input: float32 values, or int64 indices for a model that starts with an Embedding.
ModelInput = NDArray[Union[np.float32, np.int64]]
# (x, y, sample_weight) of one batch, validated (y None for predict, sample_weight None when not given).
CheckedBatch = tuple[ModelInput, Optional[FloatArray], Optional[FloatArray]]
# What epoch() yields per batch: (x, y, row indices into x and y or None, sample_weight, the batch's
# targets for the metric objects or None).
Batch = tuple[ModelInput, Optional[FloatArray], Optional[NDArray[np.int64]], Optional[FloatArray], Optional[FloatArray]]


def is_data_source(x: object) -> bool:
    """True for a PyDataset, a generator / iterator or another iterable of batches (not an
    array, a list or a tuple of values, which are data)."""
    from ..utils.py_dataset import PyDataset

    if isinstance(x, PyDataset):
        return True
    if x is None or isinstance(x, (np.ndarray, list, tuple, str, bytes, dict)) or hasattr(x, "__array__"):
        return False
    return hasattr(x, "__next__") or hasattr(x, "__iter__")


class ArrayBatches:
    """Rows of arrays already validated; shuffled per epoch with a permutation keyed by `key`."""

    def __init__(
        self,
        x: ModelInput,
        y: FloatArray | None,
        weights: FloatArray | None,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        need_targets: bool = False,
        shard: Callable[[NDArray[np.int64]], NDArray[np.int64]] | None = None,
        steps: int | None = None,
    ) -> None:
        self.x, self.y, self.weights = x, y, weights
        self.need_targets = need_targets and y is not None  # gather y_batch only for metric objects
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.samples = len(x)
        self.steps = -(-self.samples // batch_size) if steps is None else steps
        # shard(indices) -> this process's rows of a (global) batch, for data-parallel training
        self.shard = shard

    def limit(self, steps: int | None) -> None:
        if steps is not None:
            self.steps = min(self.steps, steps)

    def epoch(self, key: int = 0) -> Iterator[Batch]:
        n, size = self.samples, self.batch_size
        order = _core.permutation(n, self.seed, key) if self.shuffle else None
        for step in range(self.steps):
            start, stop = step * size, min(n, (step + 1) * size)
            if self.shard is not None:
                idx = self.shard(order[start:stop] if order is not None else np.arange(start, stop, dtype=np.int64))
                y_seen = self.y[idx] if self.need_targets and self.y is not None else None  # need_targets: y given
                yield self.x, self.y, idx, self.weights, y_seen
            elif order is not None:
                idx = order[start:stop]
                y_seen = self.y[idx] if self.need_targets and self.y is not None else None  # need_targets: y given
                yield self.x, self.y, idx, self.weights, y_seen
            else:
                yield (
                    self.x[start:stop],
                    None if self.y is None else self.y[start:stop],
                    None,
                    None if self.weights is None else self.weights[start:stop],
                    None if self.y is None else self.y[start:stop],
                )

    def end_epoch(self) -> None:
        pass


class SourceBatches:
    """Batches from a data source, validated one at a time by `check(batch, index)`, which returns
    (x, y, sample_weight). A PyDataset is read by index; an iterable is iterated (a fresh
    iterator per epoch when it is re-iterable, the same one otherwise), `steps` batches per
    epoch or until it is exhausted."""

    def __init__(
        self,
        source: Any,
        check: Callable[[object, int], CheckedBatch],
        steps: int | None = None,
        what: str = "x",
    ) -> None:
        from ..utils.py_dataset import PyDataset

        self.source = source  # duck-typed: a PyDataset (len, [index]) or any iterable of batches
        self.check = check
        self.what = what
        self.is_dataset = isinstance(source, PyDataset)
        if self.is_dataset:
            length = len(source)
            if length <= 0:
                raise ValueError(f"{what}: the PyDataset has no batches (len() is {length})")
            self.steps: int | None = length if steps is None else min(length, steps)
        else:
            self.steps = steps
        self.iterator: Iterator[object] | None = None
        self.samples = None

    def limit(self, steps: int | None) -> None:
        if steps is not None:
            self.steps = steps if self.steps is None else min(self.steps, steps)

    def _batches(self) -> Iterator[object]:
        if self.is_dataset:
            assert self.steps is not None  # a PyDataset's steps come from its len()
            for index in range(self.steps):
                yield self.source[index]
            return
        if self.iterator is None or iter(self.source) is not self.source:
            self.iterator = iter(self.source)  # re-iterable sources start over every epoch
        for index, batch in enumerate(self.iterator):
            yield batch
            if self.steps is not None and index + 1 >= self.steps:
                return

    def epoch(self, key: int = 0) -> Iterator[Batch]:
        for index, batch in enumerate(self._batches()):
            x, y, weights = self.check(batch, index)
            yield x, y, None, weights, y

    def end_epoch(self) -> None:
        if self.is_dataset:
            self.source.on_epoch_end()


def split_batch(batch: object, index: int, what: str, want_targets: bool = True) -> tuple[object, object, object]:
    """(x, y, sample_weight) of one batch from a source: a tuple (x, y) or (x, y, sample_weight),
    or for predict x alone (or (x,))."""
    if isinstance(batch, (tuple, list)) and len(batch) in (1, 2, 3) and not isinstance(batch, np.ndarray):
        parts = list(batch) + [None] * (3 - len(batch))
        x, y, weights = parts
    elif not want_targets:
        x, y, weights = batch, None, None
    else:
        raise ValueError(
            f"{what}: batch {index} must be a tuple (x, y) or (x, y, sample_weight), got {type(batch).__name__}"
        )
    if want_targets and y is None:
        raise ValueError(f"{what}: batch {index} has no targets; give (x, y) or (x, y, sample_weight)")
    return x, y, weights
