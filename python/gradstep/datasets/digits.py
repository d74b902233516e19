"""The UCI optical-recognition handwritten digits (8x8), bundled with gradstep.

Source and licence
------------------
E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits",
UCI Machine Learning Repository, 1998. https://doi.org/10.24432/C50P49
Licensed under Creative Commons Attribution 4.0 International (CC BY 4.0).
The copy shipped here was taken from the one bundled with scikit-learn
(``sklearn.datasets.load_digits``: the 1,797 images of the UCI test set).
See ``DIGITS_LICENSE.txt`` in this directory.

File format
-----------
``digits.npz`` (written with ``np.savez_compressed``, loads with
``allow_pickle=False``) holds:

* ``images``      uint8  (1797, 64): the 8x8 images flattened row-major, values 0..16;
* ``labels``      uint8  (1797,):    the digit 0..9 of each image;
* ``permutation`` uint16 (1797,):    ``np.random.default_rng(0).permutation(1797)``.

``images`` and ``labels`` are stored already permuted: row ``i`` of the file
is row ``permutation[i]`` of scikit-learn's original order. The permutation is
kept only for provenance; :func:`load_digits` does not re-shuffle.
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray

__all__ = ["load_digits"]

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")

NUM_SAMPLES = 1797
NUM_TRAIN = 1437
NUM_TEST = 360


def load_digits() -> tuple[
    tuple[NDArray[np.float32], NDArray[np.int64]], tuple[NDArray[np.float32], NDArray[np.int64]]
]:
    """Load the 8x8 handwritten digits with a fixed train/test split.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*`` are float32 arrays of shape (N, 64): the 8x8 pixel counts
        (0..16) divided by 16, so values lie in [0, 1]. ``y_*`` are int64
        label vectors of shape (N,) with values 0..9.

    Split
    -----
    Deterministic and not stratified. The 1,797 images of scikit-learn's copy
    are reordered once by ``np.random.default_rng(0).permutation(1797)``
    (the stored file is already in that order); the first 1,437 rows are the
    training set and the last 360 rows the test set. Every call returns the
    same arrays (fresh copies), and all 10 classes occur in both splits.

    Source: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten
    Digits", UCI Machine Learning Repository, 1998, CC BY 4.0 (copy taken from
    scikit-learn's bundled copy).
    """
    with np.load(_PATH, allow_pickle=False) as data:
        images = data["images"]
        labels = data["labels"]
    if images.shape != (NUM_SAMPLES, 64) or labels.shape != (NUM_SAMPLES,):
        raise RuntimeError(
            "digits.npz is corrupt: expected images (1797, 64) and labels (1797,), "
            f"got {images.shape} and {labels.shape}"
        )
    x = images.astype(np.float32) / np.float32(16.0)
    y = labels.astype(np.int64)
    x_train = np.ascontiguousarray(x[:NUM_TRAIN])
    y_train = np.ascontiguousarray(y[:NUM_TRAIN])
    x_test = np.ascontiguousarray(x[NUM_TRAIN:])
    y_test = np.ascontiguousarray(y[NUM_TRAIN:])
    return (x_train, y_train), (x_test, y_test)
