"""MNIST / Fashion-MNIST loaders (gradstep.datasets.load_mnist, load_fashion_mnist, read_idx) on
small IDX files the tests write themselves. No test touches the network: every test that could
reach a mirror replaces urlopen."""

import gzip
import hashlib
import io
import os
import struct
import urllib.error

import numpy as np
import pytest

import gradstep as gs
from gradstep.datasets import mnist

NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def idx_bytes(array, type_code=0x08):
    """An IDX file: magic (0, 0, type, rank), big-endian uint32 dimensions, the data."""
    array = np.asarray(array)
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def small_set(seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, 6, dtype=np.uint8),
        rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, 3, dtype=np.uint8),
    ]


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(url, timeout=None):
        calls.append(url)
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(mnist.urllib.request, "urlopen", refuse)
    return calls


@pytest.fixture
def small_mnist(tmp_path, monkeypatch):
    """A data root holding a small MNIST (6 + 3 images), with the loader's table of published
    checksums and shapes pointed at these files."""
    arrays = small_set()
    folder = tmp_path / "mnist"
    folder.mkdir()
    table = []
    for name, array in zip(NAMES, arrays):
        data = gzip.compress(idx_bytes(array))
        (folder / name).write_bytes(data)
        table.append((name, hashlib.sha256(data).hexdigest(), array.shape))
    monkeypatch.setitem(mnist._FILES, "mnist", table)
    return tmp_path, arrays


# ----------------------------------------------------------------------------------- read_idx
@pytest.mark.parametrize("gzipped", [False, True])
@pytest.mark.parametrize(
    "dtype,code", [(np.uint8, 0x08), (np.int16, 0x0B), (np.int32, 0x0C), (np.float32, 0x0D), (np.float64, 0x0E)]
)
def test_read_idx_round_trip(tmp_path, gzipped, dtype, code):
    array = (np.arange(2 * 3 * 4).reshape(2, 3, 4) - 5).astype(dtype)
    data = idx_bytes(array, code)
    path = tmp_path / ("a.idx.gz" if gzipped else "a.idx")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    loaded = gs.datasets.read_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)
    np.testing.assert_array_equal(gs.datasets.read_idx(path, (2, 3, 4)), array)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: d[:-1], "bytes of data"),  # truncated data
        (lambda d: d + b"\0", "bytes of data"),  # trailing bytes
        (lambda d: d[:6], "truncated IDX header"),  # truncated header
        (lambda d: b"\1" + d[1:], "magic"),  # bad magic
        (lambda d: d[:2] + b"\x42" + d[3:], "magic"),  # unknown type code
        (lambda d: b"", "magic"),  # empty
    ],
)
def test_read_idx_rejects_damaged_files(tmp_path, damage, message):
    data = idx_bytes(np.zeros((4, 5), np.uint8))
    for gzipped in (False, True):
        path = tmp_path / ("bad.gz" if gzipped else "bad")
        damaged = damage(data)
        path.write_bytes(gzip.compress(damaged) if gzipped else damaged)
        with pytest.raises(ValueError, match=message):
            gs.datasets.read_idx(path)


def test_read_idx_rejects_shape_mismatch_and_broken_gzip(tmp_path):
    path = tmp_path / "a"
    path.write_bytes(idx_bytes(np.zeros((4, 5), np.uint8)))
    with pytest.raises(ValueError, match=r"shape \(4, 5\), expected \(4, 6\)"):
        gs.datasets.read_idx(path, (4, 6))
    gz = tmp_path / "a.gz"
    gz.write_bytes(gzip.compress(idx_bytes(np.zeros((40, 50), np.uint8)))[:-10])  # cut inside the stream
    with pytest.raises(ValueError, match="a.gz"):
        gs.datasets.read_idx(gz)
    huge = tmp_path / "huge"
    huge.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">III", 65535, 65535, 65535))
    with pytest.raises(ValueError, match="more than this reader accepts"):
        gs.datasets.read_idx(huge)


# ----------------------------------------------------------------------------------- loaders
def test_load_mnist_reads_gzipped_files(small_mnist, no_network):
    root, arrays = small_mnist
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_mnist(path=root)
    for loaded, expected in zip((x_train, y_train, x_test, y_test), arrays):
        assert loaded.dtype == np.uint8
        np.testing.assert_array_equal(loaded, expected)
    assert no_network == []


def test_load_mnist_reads_unzipped_files_and_the_environment_folder(small_mnist, no_network, monkeypatch):
    root, arrays = small_mnist
    for name, array in zip(NAMES, arrays):
        (root / "mnist" / name).unlink()
        (root / "mnist" / name[:-3]).write_bytes(idx_bytes(array))
    monkeypatch.setenv("GRADSTEP_DATA", str(root))
    (x_train, _), (_, y_test) = gs.datasets.load_mnist()
    np.testing.assert_array_equal(x_train, arrays[0])
    np.testing.assert_array_equal(y_test, arrays[3])
    assert gs.datasets.data_root() == str(root)


def test_corrupt_file_raises_and_is_not_used(small_mnist, no_network):
    root, _ = small_mnist
    target = root / "mnist" / NAMES[0]
    data = bytearray(target.read_bytes())
    data[-9] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256") as error:
        gs.datasets.load_mnist(path=root)
    assert str(target) in str(error.value)
    assert target.exists()  # the user's file is left for them to look at
    assert no_network == []


def test_offline_message_names_the_files_and_the_folder(tmp_path, no_network):
    with pytest.raises(FileNotFoundError) as error:
        gs.datasets.load_fashion_mnist(path=tmp_path)
    message = str(error.value)
    for name in NAMES:
        assert name in message
    assert str(tmp_path / "fashion_mnist") in message
    assert len(no_network) == 4 * len(mnist._MIRRORS["fashion_mnist"])  # every file, every mirror tried


class FakeResponse(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_is_checked_before_it_is_kept(tmp_path, monkeypatch):
    arrays = small_set(1)
    served = {name: gzip.compress(idx_bytes(a)) for name, a in zip(NAMES, arrays)}
    monkeypatch.setitem(
        mnist._FILES, "mnist", [(n, hashlib.sha256(served[n]).hexdigest(), a.shape) for n, a in zip(NAMES, arrays)]
    )
    requested = []

    def first_mirror_bad(url, timeout=None):
        requested.append(url)
        name = url.rsplit("/", 1)[1]
        if url.startswith(mnist._MIRRORS["mnist"][0]):
            return FakeResponse(served[name][:-5] + b"xxxxx")  # a damaged copy: refused
        return FakeResponse(served[name])

    monkeypatch.setattr(mnist.urllib.request, "urlopen", first_mirror_bad)
    (x_train, _), (_, y_test) = gs.datasets.load_mnist(path=tmp_path)
    np.testing.assert_array_equal(x_train, arrays[0])
    np.testing.assert_array_equal(y_test, arrays[3])
    assert len(requested) == 8  # each file: the bad mirror, then the good one
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(NAMES)  # no temporary files left
    for name in NAMES:
        assert (tmp_path / "mnist" / name).read_bytes() == served[name]


def test_published_checksums_table():
    for name in ("mnist", "fashion_mnist"):
        files = mnist._FILES[name]
        assert [f for f, _, _ in files] == NAMES
        assert all(len(sha) == 64 and int(sha, 16) >= 0 for _, sha, _ in files)
        assert [shape for _, _, shape in files] == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
