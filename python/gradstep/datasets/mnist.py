"""MNIST and Fashion-MNIST from the standard IDX files, as Keras' ``load_data``.

Files and folders
-----------------
Each data set is four IDX files, gzipped as distributed (``train-images-idx3-ubyte.gz``,
``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``),
or the same files unzipped (the names without ``.gz``). They are looked for in a folder per data
set, ``<root>/mnist`` or ``<root>/fashion_mnist``, where ``<root>`` is the ``path`` argument,
else the environment variable ``GRADSTEP_DATA``, else ``~/.gradstep/datasets``.

Checks
------
A gzipped file must have the SHA-256 of the published file (the table below, the sums that
TensorFlow Datasets and torchvision check). An unzipped file cannot be checked that way; its IDX
header must declare exactly the expected type and shape and its size must match. A file that
fails raises ValueError naming it, and is never used.

Download
--------
Missing files are downloaded (with a progress bar) from the mirrors below into the folder, each
to a temporary file that is checked before it is renamed into place. When no mirror answers
(offline), FileNotFoundError says which files to put in which folder. Nothing in the test suite
touches the network.

MNIST: Y. LeCun, C. Cortes and C. J. C. Burges. Fashion-MNIST: H. Xiao, K. Rasul and
R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms"
(2017), MIT licence.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["data_root", "load_fashion_mnist", "load_mnist", "read_idx"]

# (file, SHA-256 of the gzipped file as published, dtype, shape)
_FILES = {
    "mnist": [
        (
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            (60000, 28, 28),
        ),
        ("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", (60000,)),
        (
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            (10000, 28, 28),
        ),
        ("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", (10000,)),
    ],
    "fashion_mnist": [
        (
            "train-images-idx3-ubyte.gz",
            "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
            (60000, 28, 28),
        ),
        ("train-labels-idx1-ubyte.gz", "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc", (60000,)),
        (
            "t10k-images-idx3-ubyte.gz",
            "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
            (10000, 28, 28),
        ),
        ("t10k-labels-idx1-ubyte.gz", "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf", (10000,)),
    ],
}
_MIRRORS = {
    "mnist": ["https://storage.googleapis.com/cvdf-datasets/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"],
    "fashion_mnist": [
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}
_IDX_TYPES: dict[int, DTypeLike] = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_MAX_IDX_BYTES = 1 << 31  # refuse to inflate more than this from one file
_CHUNK = 1 << 20


def data_root(path: str | os.PathLike[str] | None = None) -> str:
    """The folder the data sets live in: `path`, else $GRADSTEP_DATA, else ~/.gradstep/datasets."""
    if path is not None:
        return os.fspath(path)
    return os.environ.get("GRADSTEP_DATA") or os.path.join(os.path.expanduser("~"), ".gradstep", "datasets")


def read_idx(filename: str | os.PathLike[str], expected_shape: Sequence[int] | None = None) -> NDArray[Any]:
    """The array in an IDX file (gzipped when the name ends in .gz), without trusting it: the
    header's type and dimensions must account for exactly the bytes that follow, and match
    `expected_shape` when given. Raises ValueError naming the file otherwise."""
    filename = os.fspath(filename)
    try:
        opener = gzip.open if filename.endswith(".gz") else open
        with opener(filename, "rb") as file:
            header = file.read(4)
            if len(header) < 4 or header[0] != 0 or header[1] != 0 or header[2] not in _IDX_TYPES:
                raise ValueError("not an IDX file (bad magic number)")
            dtype, rank = np.dtype(_IDX_TYPES[header[2]]), header[3]
            dims_bytes = file.read(4 * rank)
            if len(dims_bytes) != 4 * rank:
                raise ValueError("truncated IDX header")
            shape = tuple(int(d) for d in np.frombuffer(dims_bytes, dtype=">u4"))
            if expected_shape is not None and shape != tuple(expected_shape):
                raise ValueError(f"the header declares shape {shape}, expected {tuple(expected_shape)}")
            size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if size > _MAX_IDX_BYTES:
                raise ValueError(f"the header declares {size} bytes of data, more than this reader accepts")
            data = file.read(size + 1)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise ValueError(f"{filename!r} is not a readable IDX file: {error}") from error
    except ValueError as error:
        raise ValueError(f"{filename!r} is not a valid IDX file: {error}") from None
    if len(data) != size:
        raise ValueError(
            f"{filename!r} is not a valid IDX file: {len(data)} bytes of data after the header "
            f"{'(at least)' if len(data) > size else ''} where its shape {shape} needs {size}"
        )
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _sha256(filename: str) -> str:
    digest = hashlib.sha256()
    with open(filename, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, target: str, expected_sha256: str) -> None:
    """Download `url` to `target`: a temporary file beside it, checked, then renamed."""
    from tqdm import tqdm

    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(target) + ".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=30) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=os.path.basename(target), leave=False) as bar:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
        digest = _sha256(temporary)
        if digest != expected_sha256:
            raise ValueError(f"the file downloaded from {url} has SHA-256 {digest}, expected {expected_sha256}")
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _locate(name: str, folder: str, filename: str, sha256: str, errors: list[str]) -> str | None:
    """The path of one file: the gzipped one if present (checked), else the unzipped one, else a
    download; None when it cannot be had (why is appended to `errors`)."""
    gz = os.path.join(folder, filename)
    raw = gz[: -len(".gz")]
    if os.path.exists(gz):
        digest = _sha256(gz)
        if digest != sha256:
            raise ValueError(
                f"{gz!r} is corrupt or not the published file: SHA-256 {digest}, expected {sha256}; "
                f"delete it (gradstep downloads it again) or replace it"
            )
        return gz
    if os.path.exists(raw):
        return raw
    for mirror in _MIRRORS[name]:
        try:
            _download(mirror + filename, gz, sha256)
            return gz
        except (urllib.error.URLError, OSError, ValueError) as error:  # offline, refused, or a bad copy
            errors.append(f"{mirror}: {error}")
    return None


def _load(
    name: str, path: str | os.PathLike[str] | None
) -> tuple[tuple[NDArray[Any], NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]:
    folder = os.path.join(data_root(path), name)
    located: list[tuple[str, str, tuple[int, ...]]] = []
    missing: list[tuple[str | None, str, tuple[int, ...]]] = []
    errors: list[str] = []
    for filename, sha256, shape in _FILES[name]:
        found = _locate(name, folder, filename, sha256, errors)
        if found:
            located.append((found, filename, shape))
        else:
            missing.append((found, filename, shape))
    if missing:
        files = ", ".join(filename for _, filename, _ in missing)
        raise FileNotFoundError(
            f"{name}: could not download {files} (no network, or no mirror answered). Put these files "
            f"(gzipped as distributed, or unzipped without .gz) in {folder!r}: {files}. Mirrors: "
            f"{', '.join(_MIRRORS[name])}. Set GRADSTEP_DATA or pass path= to use another folder. "
            f"First error: {errors[0] if errors else 'none'}"
        )
    arrays = [read_idx(found, shape) for found, _, shape in located]
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


def load_mnist(
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[NDArray[np.uint8], NDArray[np.uint8]], tuple[NDArray[np.uint8], NDArray[np.uint8]]]:
    """((x_train, y_train), (x_test, y_test)) of MNIST, as Keras' mnist.load_data(): uint8 images
    (60000, 28, 28) and (10000, 28, 28), uint8 labels 0..9. See the module docstring for where
    the files are looked for, how they are checked and when they are downloaded."""
    return _load("mnist", path)


def load_fashion_mnist(
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[NDArray[np.uint8], NDArray[np.uint8]], tuple[NDArray[np.uint8], NDArray[np.uint8]]]:
    """((x_train, y_train), (x_test, y_test)) of Fashion-MNIST (Zalando's clothing images, same
    shapes and types as load_mnist), as Keras' fashion_mnist.load_data()."""
    return _load("fashion_mnist", path)
