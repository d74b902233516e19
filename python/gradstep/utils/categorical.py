"""to_categorical (keras.utils.to_categorical): integer class labels -> one-hot float32 rows."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_positive_int


def to_categorical(x: ArrayLike, num_classes: int | None = None) -> NDArray[np.float32]:
    """One-hot encoding of integer labels, shape x.shape + (num_classes,), float32.

    As Keras: a trailing axis of size 1 is dropped first ((n, 1) labels give (n, num_classes)), and
    num_classes defaults to max(x) + 1. A label outside [0, num_classes) raises ValueError naming
    it and its position (Keras would index out of range).
    """
    labels = np.asarray(x)
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.floor(labels)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(labels) | (labels != np.floor(labels)))[0])
            raise ValueError(f"to_categorical: x must hold integer class labels, got {labels[bad]} at position {bad}")
    elif labels.dtype.kind not in "iub":
        raise TypeError(f"to_categorical: x must hold integer class labels, got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
        if num_classes <= 0:
            raise ValueError("to_categorical: cannot infer num_classes from an empty or negative x; pass num_classes")
    else:
        num_classes = check_positive_int(num_classes, "num_classes")
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"to_categorical: label {labels[position]} at position {position} is out of range "
            f"[0, {num_classes - 1}] for num_classes={num_classes}"
        )
    out = np.zeros(labels.shape + (num_classes,), dtype=np.float32)
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out
