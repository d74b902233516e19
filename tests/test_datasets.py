"""Tests of the bundled digits dataset (gradstep.datasets.load_digits)."""

import os

import numpy as np
import pytest

gs = pytest.importorskip("gradstep")

N_TRAIN = 1437
N_TEST = 360


@pytest.fixture(scope="module")
def digits():
    return gs.datasets.load_digits()


def test_structure(digits):
    assert isinstance(digits, tuple) and len(digits) == 2
    for part in digits:
        assert isinstance(part, tuple) and len(part) == 2
        for arr in part:
            assert isinstance(arr, np.ndarray)


def test_shapes_and_split_sizes(digits):
    (x_train, y_train), (x_test, y_test) = digits
    assert x_train.shape == (N_TRAIN, 64)
    assert y_train.shape == (N_TRAIN,)
    assert x_test.shape == (N_TEST, 64)
    assert y_test.shape == (N_TEST,)
    assert N_TRAIN + N_TEST == 1797


def test_dtypes_and_layout(digits):
    (x_train, y_train), (x_test, y_test) = digits
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    for arr in (x_train, y_train, x_test, y_test):
        assert arr.flags.c_contiguous


def test_value_range(digits):
    (x_train, _), (x_test, _) = digits
    for x in (x_train, x_test):
        assert np.all(np.isfinite(x))
        assert x.min() == 0.0
        assert x.max() == 1.0
        # pixels are integer counts 0..16 divided by 16: exact in float32
        assert np.array_equal(x * 16, np.round(x * 16))


def test_label_range_and_all_classes(digits):
    (_, y_train), (_, y_test) = digits
    for y in (y_train, y_test):
        assert y.min() >= 0 and y.max() <= 9
        assert set(np.unique(y).tolist()) == set(range(10))
    counts = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    # the UCI test set has 174..183 images per class
    assert counts.sum() == 1797
    assert counts.min() >= 170 and counts.max() <= 190


def test_deterministic(digits):
    (a_x, a_y), (b_x, b_y) = digits
    (c_x, c_y), (d_x, d_y) = gs.datasets.load_digits()
    assert np.array_equal(a_x, c_x) and np.array_equal(a_y, c_y)
    assert np.array_equal(b_x, d_x) and np.array_equal(b_y, d_y)


def test_returns_fresh_copies():
    (x1, y1), _ = gs.datasets.load_digits()
    x1[:] = -5.0
    y1[:] = -5
    (x2, y2), _ = gs.datasets.load_digits()
    assert x2.min() == 0.0 and y2.min() == 0


def test_train_test_disjoint_rows(digits):
    # The split is a permutation of distinct file rows; identical images may
    # legitimately exist, but the two splits must not be the same rows.
    (x_train, _), (x_test, _) = digits
    assert not np.array_equal(x_train[:N_TEST], x_test)


def test_npz_file_format():
    path = os.path.join(os.path.dirname(gs.datasets.__file__), "digits.npz")
    assert os.path.getsize(path) < 100_000
    with np.load(path, allow_pickle=False) as data:
        assert data["images"].dtype == np.uint8
        assert data["images"].shape == (1797, 64)
        assert data["labels"].dtype == np.uint8
        assert data["labels"].shape == (1797,)
        assert int(data["images"].max()) == 16
        images = data["images"].astype(np.float32) / 16
        labels = data["labels"].astype(np.int64)
        if "permutation" in data.files:
            perm = data["permutation"].astype(np.int64)
            assert np.array_equal(np.sort(perm), np.arange(1797))
            assert np.array_equal(perm, np.random.default_rng(0).permutation(1797))
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    assert np.array_equal(np.concatenate([x_train, x_test]), images)
    assert np.array_equal(np.concatenate([y_train, y_test]), labels)


EXPECTED_FIRST_TRAIN_LABELS = [6, 6, 6, 2, 5, 6, 6, 2, 2, 1]
EXPECTED_LAST_TEST_LABELS = [4, 2, 2, 3, 9, 6, 2, 2, 9, 3]


def test_known_rows(digits):
    # Pin a couple of values so an accidental re-shuffle is caught.
    (x_train, y_train), (x_test, y_test) = digits
    assert y_train[:10].tolist() == EXPECTED_FIRST_TRAIN_LABELS
    assert y_test[-10:].tolist() == EXPECTED_LAST_TEST_LABELS
    # sums of the raw 0..16 pixel counts (exact in float64)
    assert float(x_train.astype(np.float64).sum() * 16) == 449461.0
    assert float(x_test.astype(np.float64).sum() * 16) == 112257.0


def test_linear_separability_sanity(digits):
    # Nearest-class-mean classifier gets well above chance: the data are real digits.
    (x_train, y_train), (x_test, y_test) = digits
    means = np.stack([x_train[y_train == k].mean(axis=0) for k in range(10)])
    d = ((x_test[:, None, :] - means[None, :, :]) ** 2).sum(-1)
    acc = float((d.argmin(1) == y_test).mean())
    assert acc > 0.8


def test_readme_demo_command_trains_and_reports_accuracy():
    # The README's first command: `python -m gradstep.demo` trains on the bundled digits.
    import re
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "gradstep.demo"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"test accuracy: ([0-9.]+)", proc.stdout)
    assert match, proc.stdout
    assert float(match.group(1)) >= 0.95
