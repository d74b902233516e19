"""PyDataset (keras.utils.PyDataset): a dataset that produces its batches on demand.

Subclass it with __len__ (the number of batches) and __getitem__(index) returning one batch:
(x, y) or (x, y, sample_weight) for fit and evaluate, x (or (x,)) for predict. fit, evaluate
and predict then read one batch at a time, so memory stays bounded by a batch plus the model,
whatever the dataset's size. on_epoch_end() is called after each epoch of fit (shuffle there if
you want a new order: fit's `shuffle` does not reorder a PyDataset, as in Keras).
"""

from __future__ import annotations

from typing import Any


class PyDataset:
    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        for value, default, arg in (
            (workers, 1, "workers"),
            (use_multiprocessing, False, "use_multiprocessing"),
            (max_queue_size, 10, "max_queue_size"),
        ):
            if value != default:
                raise NotImplementedError(
                    f"PyDataset: {arg}={value!r} is not supported: batches are read one at a "
                    f"time on the training thread, without a prefetch queue"
                )
        self.workers = 1
        self.use_multiprocessing = False
        self.max_queue_size = 10

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (the number of batches)")

    def __getitem__(self, index: int) -> Any:  # a batch: (x, y) or (x, y, sample_weight) of array-likes
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) returning a batch")

    def on_epoch_end(self) -> None:
        """Called after every epoch of fit."""

    @property
    def num_batches(self) -> int:
        return len(self)
