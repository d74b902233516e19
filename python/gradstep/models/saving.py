"""Saving and loading models: the `.gstep` format.

A `.gstep` file is an ordinary zip archive (any unzip tool can list and extract it) holding:

    manifest.json            first member: {"magic": "gradstep", "format_version": 1,
                             "gradstep_version": ..., "kind": "model" | "weights",
                             "members": [{"name", "size", "sha256"}, ...]} (every other member)
    config.json              (kind "model") architecture (model.get_config()), the model seed,
                             whether the model is built and compiled, the compile configuration
                             (serialized optimizer and loss, metric names), the weight list and
                             the optimizer state description
    weights/00000.npy ...    one float32 .npy per weight, in get_weights() order
    optimizer/state.json     {"iterations": n, "slot_names": [...], "num_params": p}
    optimizer/slot_<k>.npy   the optimizer's k-th slot (e.g. Adam's momentum, velocity) as one
                             flat float32 array over all trainable parameters

The zip archive comment is "gradstep-sha256:" followed by the hex SHA-256 of every byte of the
file before the comment, so that any change to any byte (headers included) is detected; the
manifest adds the size and SHA-256 of every member. Arrays are written with
np.save(allow_pickle=False) and read with np.load(allow_pickle=False): nothing is ever
unpickled.

Files are written to a temporary file in the target's directory, flushed, fsync'ed and then
renamed over the target with os.replace, so the target is always either the previous file or the
new one, never a partial file; an existing target's permission bits are kept. A process killed
mid-save can leave a hidden temporary file (".<name>.*.tmp") next to the target.

Loading validates everything and raises ValueError with a clear message for anything that is not
an intact gradstep file of a format version this gradstep reads.

Untrusted files. The checksums catch accidental damage only: anyone who edits a file can
recompute them. So the reader also bounds what any file can make it do, before it allocates:

- Every array member must be stored uncompressed (as gradstep writes them), with the same size in
  the zip directory, in the manifest and as stored bytes, and its data must lie inside the file.
  Only the .npy header of each array is read first: its dtype must be float32, C order, and its
  shape must account for exactly the member's bytes.
- JSON members are capped (manifest 4 MiB, config and optimizer state 8 MiB decompressed) and
  parsed with limits on nesting depth (64) and on the number of values (10^6); an architecture
  holds at most 20,000 layers and the zip directory at most 100,000 members.
- The parameter shapes implied by the architecture are worked out without allocating anything
  and compared with the shapes in the .npy headers before the model is built; every shape must
  have at most 2^40 elements. Optimizer slots must match the parameter count.
- Members are hashed as they stream, never read whole just to be checked.

So a file of S bytes makes load_model / load_weights / BackupAndRestore allocate at most about
2 S for its arrays (the arrays read, then the model's copy; 4 S with Adam's two slots restored),
plus a fixed allowance for the JSON members (tens of MB at the caps above), plus, once you call
fit or predict, the model's workspace for the batch size you choose. A file that breaks a rule
raises ValueError naming it, quickly (the work done is linear in the file's size).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import struct
import tempfile
import zipfile
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Literal, NoReturn

import numpy as np
from numpy.typing import ArrayLike

from .._typing import Config, FloatArray
from ..layers.layer import Layer
from ..optimizers.optimizer import Optimizer

if TYPE_CHECKING:
    from .sequential import Sequential

MAGIC = "gradstep"
FORMAT_VERSION = 1
MODEL_SUFFIX = ".gstep"
WEIGHTS_SUFFIX = ".weights.gstep"

_MANIFEST = "manifest.json"
_CONFIG = "config.json"
_OPTIMIZER_STATE = "optimizer/state.json"
_COMMENT_PREFIX = b"gradstep-sha256:"
_COMMENT_LENGTH = len(_COMMENT_PREFIX) + 64
_EOCD_SIZE = 22  # end-of-central-directory record without its comment
# Limits on what a file may make the reader do (a model file may come from anyone: see
# "Untrusted files" above). Real models stay far below them.
_MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # manifest.json, decompressed
_MAX_JSON_BYTES = 8 * 1024 * 1024  # config.json and optimizer/state.json, decompressed
_MAX_JSON_DEPTH = 64  # nesting of JSON arrays and objects
_MAX_JSON_VALUES = 1_000_000  # values (numbers, strings, arrays, objects) in one JSON member
_MAX_LAYERS = 20_000  # layers in a model's architecture
_MAX_MEMBERS = 100_000  # members in the zip directory
_NPY_HEAD_BYTES = 64 * 1024  # an .npy header must end within this many bytes
_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: the same model gives the same bytes
_WRITE_CHUNK = 1 << 20


class GradstepFileNotFoundError(FileNotFoundError, ValueError):
    """Loading a path that does not exist: a FileNotFoundError, and a ValueError as Keras raises."""


class _FormatError(ValueError):
    """An invalid file, detected by our own checks (message already complete)."""


# ================================================================================== public API
def save_model(model: Sequential, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
    """Save `model` (architecture, weights, compile configuration, optimizer state) to `filepath`,
    which must end in ".gstep"."""
    path = _check_path(filepath)
    if not path.endswith(MODEL_SUFFIX):
        raise ValueError(
            f"filepath: a gradstep model file must end in {MODEL_SUFFIX!r}, got {path!r}; "
            f"use e.g. {os.path.splitext(path)[0] + MODEL_SUFFIX!r}"
        )
    _check_overwrite(path, overwrite)
    members = _model_members(model)
    _atomic_write(path, _build_archive("model", members))


def save_weights(model: Sequential, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
    """Save only the weights of `model` (get_weights() order) to `filepath`.

    Any file name is accepted; ".weights.gstep" is the recommended suffix. The file is the same
    container as a model file, without config.json and optimizer state.
    """
    path = _check_path(filepath)
    _check_overwrite(path, overwrite)
    if not model.built:
        model.build()  # when the input shape is known; otherwise ValueError says how to build it
    weights = model.get_weights()
    members = [(_weight_member(i), _npy_bytes(w)) for i, w in enumerate(weights)]
    _atomic_write(path, _build_archive("weights", members))


def load_weights(model: Sequential, filepath: str | os.PathLike[str]) -> None:
    """Load weights saved by save_weights (or model.save) into `model`; the number and shapes of the
    arrays must match the model's weights. Nothing changes if anything is wrong."""
    path = _check_path(filepath)
    mismatch = "the model has {expected}; it was saved from a different architecture"
    with _open_archive(path) as archive:
        # An unbuilt model plans its shapes: they are compared before it allocates its weights.
        specs = model.weight_specs()
        _check_weight_headers(archive, specs, _weight_count(archive), mismatch)
        if not model.built:
            model.build()
        weights = _read_weights(archive, specs)
    model.set_weights(weights)


def restore_training(model: Sequential, filepath: str | os.PathLike[str]) -> None:
    """Bring the built, compiled `model` back to the training state saved in a model file of the
    same architecture: weights, optimizer slots and step, the shuffle and dropout counters
    (callbacks.BackupAndRestore). Nothing changes if the file does not fit the model."""
    path = _check_path(filepath)
    with _open_archive(path) as archive:
        if archive.kind != "model":
            raise _FormatError(f"{_where(path)} holds only weights, not a training state")
        config = archive.load_json(_CONFIG)
        _require(isinstance(config, dict), path, "not a JSON object")
        specs = model.weight_specs()
        _check_weight_headers(
            archive,
            specs,
            _weight_count(archive),
            "the model has {expected}; the backup was written by a different architecture",
        )
        weights = _read_weights(archive, specs)
        optimizer_state = None
        optimizer = model.optimizer  # set when model.compiled
        if config.get("optimizer_state") is not None and model.compiled and optimizer is not None:
            optimizer_state = _read_optimizer_state(archive, optimizer)
        training_state = config.get("training_state")
        _require(training_state is None or isinstance(training_state, dict), path, "training_state is not an object")
        model.set_weights(weights)
        _restore_training_state(training_state, model, path)
        if optimizer_state is not None and optimizer is not None:
            _apply_optimizer_state(archive.path, optimizer, optimizer_state)


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, type[Layer]] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Sequential:
    """Load a model saved with model.save(): architecture, weights and, when `compile` is True,
    the compile configuration and optimizer state (training resumes exactly where it stopped).

    `custom_objects` maps class names to layer classes that gradstep.layers does not know and to
    your own Loss subclasses (a model compiled with one cannot be compiled on loading without it).
    `safe_mode` is accepted for Keras compatibility: the format never executes or unpickles code.
    """
    path = _check_path(filepath)
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(f"custom_objects must be a dict of class name -> class, got {type(custom_objects).__name__}")
    with _open_archive(path) as archive:
        if archive.kind != "model":
            raise _FormatError(
                f"{_where(path)} holds only weights (written by save_weights), not a model: build "
                f"the model in code and call model.load_weights({path!r})"
            )
        config = archive.load_json(_CONFIG)
        return _restore_model(archive, config, custom_objects or {}, bool(compile))


# ================================================================================== writing
def _check_path(filepath: object) -> str:
    if isinstance(filepath, (str, bytes, os.PathLike)):
        path = os.fspath(filepath)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if path:
            return path
    raise TypeError(f"filepath must be a non-empty str or os.PathLike, got {filepath!r}")


def _check_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(
            f"filepath: {path!r} already exists and overwrite=False; pass overwrite=True to replace it"
        )


def _npy_bytes(array: ArrayLike) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
    return buffer.getvalue()


def _json_bytes(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _weight_member(i: int) -> str:
    return f"weights/{i:05d}.npy"


def _slot_member(k: int) -> str:
    return f"optimizer/slot_{k}.npy"


def _read_weights(archive: _Archive, specs: list[tuple[str, tuple[int, ...]]]) -> list[FloatArray]:
    """The archive's weight arrays for `specs` ([(label, shape)]), after _check_weight_headers."""
    return [
        archive.load_array(_weight_member(i), shape, f"weight {i} ({label})") for i, (label, shape) in enumerate(specs)
    ]


def _check_weight_headers(
    archive: _Archive, expected: list[tuple[str, tuple[int, ...]]], count: int, mismatch: str
) -> None:
    """Compare the weights `expected` ([(label, shape)], from the architecture) with the shapes in
    the file's .npy headers, reading only those headers: nothing is allocated for a file whose
    arrays do not fit. `mismatch` completes "the file holds N weight arrays but ..." ({expected} is
    the model's count)."""
    if count != len(expected):
        raise _FormatError(
            f"{_where(archive.path)}: the file holds {count} weight arrays but "
            + mismatch.format(expected=len(expected))
        )
    for i, (label, shape) in enumerate(expected):
        found = archive.array_shape(_weight_member(i), f"weight {i} ({label})")
        if tuple(found) != tuple(shape):
            raise _FormatError(
                f"{_where(archive.path)}: weight {i} ({label}) has shape {tuple(found)} in the file "
                f"but the architecture implies {tuple(shape)}"
            )


def _model_members(model: Sequential) -> list[tuple[str, bytes]]:
    build_config = model.get_build_config()
    members = []
    config: Config = {
        "model": {"class_name": type(model).__name__, "config": model.get_config()},
        "built": build_config is not None,
        "seed": build_config["seed"] if build_config is not None else None,
        "compiled": bool(model.compiled),
        "compile_config": model.get_compile_config(),
        "weights": [],
        "optimizer_state": None,
        # Where the model's random streams stand: the next fit's shuffle key and the counter of
        # training-mode calls outside fit (their dropout masks).
        "training_state": model.get_training_state(),
    }
    if build_config is not None:
        for i, ((label, shape), value) in enumerate(zip(model.weight_specs(), model.get_weights())):
            members.append((_weight_member(i), _npy_bytes(value)))
            config["weights"].append({"name": label, "shape": list(shape), "member": _weight_member(i)})
        state = model.optimizer.get_state() if model.compiled and model.optimizer is not None else None
        if state is not None:
            slots = state.pop("slots")
            members.append((_OPTIMIZER_STATE, _json_bytes(state)))
            for k, values in enumerate(slots):
                members.append((_slot_member(k), _npy_bytes(values)))
            config["optimizer_state"] = {"member": _OPTIMIZER_STATE}
    try:
        config_bytes = _json_bytes(config)
    except (TypeError, ValueError) as error:
        raise ValueError(f"cannot save the model: its configuration is not JSON-serialisable ({error})") from error
    # Never write a file that load_model would refuse.
    layer_count = len(config["model"]["config"].get("layers", []))
    if layer_count > _MAX_LAYERS:
        raise ValueError(
            f"cannot save the model: it has {layer_count} layers, more than the {_MAX_LAYERS} a gradstep file may hold"
        )
    if len(config_bytes) > _MAX_JSON_BYTES:
        raise ValueError(
            f"cannot save the model: its configuration takes {len(config_bytes)} bytes of JSON, more "
            f"than the {_MAX_JSON_BYTES} a gradstep file may hold"
        )
    return [(_CONFIG, config_bytes)] + members


def _build_archive(kind: str, members: list[tuple[str, bytes]]) -> bytes:
    """The complete file contents: manifest first, then the members, then the archive checksum."""
    from .. import __version__

    manifest = {
        "magic": MAGIC,
        "format_version": FORMAT_VERSION,
        "gradstep_version": __version__,
        "kind": kind,
        "members": [
            {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in members
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [(_MANIFEST, _json_bytes(manifest))] + list(members):
            info = zipfile.ZipInfo(name, date_time=_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".npy") else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    data = buffer.getvalue()
    if data[-_EOCD_SIZE : -_EOCD_SIZE + 4] != b"PK\x05\x06" or data[-2:] != b"\x00\x00":
        raise RuntimeError("internal error: unexpected end of zip archive")  # pragma: no cover
    # Set the archive comment length, then append the comment: the SHA-256 of everything before it.
    body = data[:-2] + struct.pack("<H", _COMMENT_LENGTH)
    return body + _COMMENT_PREFIX + hashlib.sha256(body).hexdigest().encode("ascii")


def _write_all(file: IO[bytes], data: bytes) -> None:
    """Write `data` to `file` in chunks (a separate function so tests can inject faults)."""
    view = memoryview(data)
    for start in range(0, len(view), _WRITE_CHUNK):
        file.write(view[start : start + _WRITE_CHUNK])


def _new_file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _atomic_write(path: str, data: bytes) -> None:
    """Write `data` to `path` atomically: temporary file in the same directory, flush, fsync,
    os.replace. The previous file is untouched if anything fails; the temporary file is removed."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
    tmp = tempfile.NamedTemporaryFile(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp", delete=False
    )
    try:
        with tmp:
            _write_all(tmp, data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp.name, mode)
        os.replace(tmp.name, path)
    except BaseException:
        try:
            os.unlink(tmp.name)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ================================================================================== reading
def _where(path: str) -> str:
    return f"{path!r}"


class _Archive:
    """An opened, verified gradstep archive (manifest, archive checksum, member list and layout).
    Members are read on demand, each checked against the manifest's size and SHA-256 as it streams."""

    def __init__(
        self, path: str, file: BinaryIO, zf: zipfile.ZipFile, kind: str, members: dict[str, tuple[int, str]]
    ) -> None:
        self.path = path
        self._file = file
        self._zip = zf
        self.kind = kind
        self.members = members  # name -> (size, sha256)

    def __enter__(self) -> _Archive:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self._zip.close()
        self._file.close()
        return False

    def has(self, name: str) -> bool:
        return name in self.members

    def _open(self, name: str) -> IO[bytes]:
        if name not in self.members:
            raise _FormatError(f"{_where(self.path)} is damaged or incomplete: member {name!r} is missing")
        try:
            return self._zip.open(name)
        except Exception as error:  # zipfile raises many types for damaged headers
            raise _FormatError(f"{_where(self.path)} is damaged: cannot read member {name!r} ({error})") from error

    def _damaged(self, name: str, error: BaseException) -> _FormatError:
        return _FormatError(f"{_where(self.path)} is damaged: cannot read member {name!r} ({error})")

    def _check_digest(self, name: str, digest: hashlib._Hash, count: int) -> None:
        size, expected = self.members[name]
        if count != size:
            raise _FormatError(
                f"{_where(self.path)} is damaged: member {name!r} has {count} bytes, the manifest says {size}"
            )
        if digest.hexdigest() != expected:
            raise _FormatError(f"{_where(self.path)} is damaged: member {name!r} fails its SHA-256 check")

    def read_small(self, name: str, limit: int) -> bytes:
        """A small member's bytes (at most `limit`), hashed as they are read."""
        size, _ = self.members.get(name, (0, None))
        if size > limit:
            raise _FormatError(
                f"{_where(self.path)} is damaged: member {name!r} claims {size} bytes, more than the "
                f"{limit} this reader accepts"
            )
        digest = hashlib.sha256()
        chunks, count = [], 0
        with self._open(name) as member:
            try:
                while count <= limit:
                    chunk = member.read(min(_WRITE_CHUNK, limit + 1 - count))
                    if not chunk:
                        break
                    digest.update(chunk)
                    chunks.append(chunk)
                    count += len(chunk)
            except Exception as error:  # zlib/CRC errors on damaged data
                raise self._damaged(name, error) from error
        self._check_digest(name, digest, count)
        return b"".join(chunks)

    def load_json(self, name: str, limit: int = _MAX_JSON_BYTES) -> Any:  # parsed JSON: any JSON value
        return _parse_json(self.read_small(name, limit), f"{_where(self.path)}: member {name!r}")

    def array_shape(self, name: str, what: str) -> tuple[int, ...]:
        """The shape in a .npy member's header, read without reading its data. The header must
        describe a float32 C-order array whose data are exactly the member's remaining bytes."""
        with self._open(name) as member:
            try:
                head = member.read(_NPY_HEAD_BYTES)
            except Exception as error:
                raise self._damaged(name, error) from error
        shape, _ = self._npy_header(name, head, what)
        return shape

    def _npy_header(self, name: str, head: bytes, what: str) -> tuple[tuple[int, ...], int]:
        """(shape, data offset) from the first bytes of an .npy member, all checks done."""
        bad = f"{_where(self.path)} is damaged: member {name!r} is not a valid .npy array"
        stream = io.BytesIO(head)
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except Exception as error:  # numpy raises ValueError, SyntaxError, ... on a bad header
            raise _FormatError(f"{bad} ({error})") from error
        if dtype != np.float32:
            raise _FormatError(f"{_where(self.path)}: {what} ({name!r}) must be float32, got {dtype}")
        if fortran_order:
            raise _FormatError(f"{bad} (Fortran order; gradstep writes C order)")
        if not all(isinstance(d, int) and 0 <= d <= _MAX_ELEMENTS for d in shape):
            raise _FormatError(f"{bad} (invalid shape {shape!r} in its header)")
        elements = 1
        for d in shape:
            elements = min(elements * d, _MAX_ELEMENTS + 1)
        offset = stream.tell()
        size = self.members[name][0]
        if elements > _MAX_ELEMENTS or offset + 4 * elements != size:
            raise _FormatError(
                f"{bad} (its header declares shape {tuple(shape)}, {4 * elements} bytes of data, but "
                f"the member holds {size - offset})"
            )
        return tuple(shape), offset

    def load_array(self, name: str, shape: tuple[int, ...], what: str) -> FloatArray:
        """The float32 array of `shape` in a .npy member (never unpickled): the header is checked
        first, then the data stream into the array while they are hashed."""
        size = self.members.get(name, (0, None))[0]
        digest = hashlib.sha256()
        with self._open(name) as member:
            try:
                head = member.read(min(size, _NPY_HEAD_BYTES))
            except Exception as error:
                raise self._damaged(name, error) from error
            found, offset = self._npy_header(name, head, what)
            if tuple(found) != tuple(shape):
                raise _FormatError(
                    f"{_where(self.path)}: {what} has shape {tuple(found)} in the file but the "
                    f"model expects {tuple(shape)}"
                )
            array = np.empty(shape, dtype=np.float32)
            # numpy types the buffer protocol (__buffer__) for Python >= 3.12 only
            data = memoryview(array.reshape(-1)).cast("B")  # type: ignore[arg-type]
            digest.update(head)
            start = len(head) - offset
            data[:start] = head[offset:]
            count = len(head)
            try:
                while start < len(data):
                    chunk = member.read(min(_WRITE_CHUNK, len(data) - start))
                    if not chunk:
                        break
                    data[start : start + len(chunk)] = chunk
                    digest.update(chunk)
                    start += len(chunk)
                    count += len(chunk)
                count += len(member.read(1))  # nothing may follow the data (the header said so)
            except Exception as error:
                raise self._damaged(name, error) from error
        self._check_digest(name, digest, count)
        return array


_MAX_ELEMENTS = 1 << 40  # the most elements one array may have (the core's kMaxElements)


def _parse_json(raw: bytes, where: str) -> Any:  # any JSON value
    """JSON from bytes, with limits on depth and number of values (raises _FormatError)."""

    def no_constants(name: str) -> NoReturn:  # NaN and Infinity are not JSON (the writer uses allow_nan=False)
        raise ValueError(f"{name} is not a JSON value")

    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise _FormatError(f"{where} is not valid JSON ({error})") from error
    # Walk it without recursion: depth and count.
    count = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        count += 1
        if count > _MAX_JSON_VALUES:
            raise _FormatError(f"{where} holds more than {_MAX_JSON_VALUES} JSON values")
        if isinstance(item, (list, dict)):
            if depth > _MAX_JSON_DEPTH:
                raise _FormatError(f"{where} is nested deeper than {_MAX_JSON_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return value


def _open_archive(path: str) -> _Archive:
    """Open `path` and verify it: zip structure, manifest (magic, format version, member list) and
    the archive checksum. Raises ValueError (GradstepFileNotFoundError for a missing file)."""
    try:
        file = open(path, "rb")
    except FileNotFoundError as error:
        raise GradstepFileNotFoundError(
            f"File not found: filepath={path!r}. Please ensure the file exists and is "
            f"a gradstep file written by model.save() or save_weights()"
        ) from error
    except IsADirectoryError as error:
        raise ValueError(f"filepath {path!r} is a directory, not a gradstep file") from error
    try:
        return _verify(path, file)
    except BaseException:
        file.close()
        raise


def _directory_entries(file: BinaryIO, total: int) -> int | None:
    """The member count in the zip's end records (gradstep's fixed-length comment locates them), or
    None when the file does not end like a gradstep file (the later checks then say why)."""
    end = total - _COMMENT_LENGTH - _EOCD_SIZE
    if end < 0:
        return None
    file.seek(end)
    record = file.read(_EOCD_SIZE)
    if record[:4] != b"PK\x05\x06":
        return None
    entries: int = struct.unpack("<H", record[10:12])[0]
    if entries != 0xFFFF or end < 20:
        return entries
    file.seek(end - 20)  # zip64: the locator just before, then the zip64 end record it points to
    locator = file.read(20)
    if locator[:4] != b"PK\x06\x07":
        return None
    offset = struct.unpack("<Q", locator[8:16])[0]
    if offset + 56 > total:
        return None
    file.seek(offset)
    record = file.read(56)
    return struct.unpack("<Q", record[32:40])[0] if record[:4] == b"PK\x06\x06" else None


def _verify(path: str, file: BinaryIO) -> _Archive:
    not_gradstep = f"{_where(path)} is not a gradstep file"
    try:
        head = file.read(4)
        total = file.seek(0, os.SEEK_END)
        entries = _directory_entries(file, total)
        file.seek(0)
    except OSError as error:
        raise ValueError(f"cannot read {_where(path)}: {error}") from error
    if head != b"PK\x03\x04":
        if head[:2] == b"PK" or not head:
            raise _FormatError(f"{not_gradstep} (empty, truncated or damaged: no zip header)")
        raise _FormatError(f"{not_gradstep} (not a zip archive)")
    if entries is not None and entries > _MAX_MEMBERS:
        raise _FormatError(
            f"{_where(path)} is damaged: its zip directory lists {entries} members, more than the "
            f"{_MAX_MEMBERS} a gradstep file may have"
        )
    try:
        zf = zipfile.ZipFile(file)
    except Exception as error:  # BadZipFile, EOFError, struct/OS errors on damaged input
        raise _FormatError(f"{_where(path)} is truncated or damaged: not a readable zip archive ({error})") from error
    try:
        return _verify_zip(path, file, zf, total)
    except BaseException:
        zf.close()
        raise


def _verify_layout(path: str, file: BinaryIO, info: zipfile.ZipInfo, total: int) -> None:
    """A member must be stored as gradstep writes it, and lie inside the file: arrays
    uncompressed (zip directory size = stored bytes), JSON stored or deflated and small."""
    name = info.filename
    if name.endswith(".npy"):
        if info.compress_type != zipfile.ZIP_STORED:
            raise _FormatError(
                f"{_where(path)} is damaged: array member {name!r} is compressed; gradstep stores arrays uncompressed"
            )
        if info.compress_size != info.file_size:
            raise _FormatError(
                f"{_where(path)} is damaged: array member {name!r} has {info.file_size} bytes in the "
                f"zip directory but {info.compress_size} stored bytes"
            )
    else:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _FormatError(
                f"{_where(path)} is damaged: member {name!r} uses compression method "
                f"{info.compress_type}; gradstep writes stored or deflated members only"
            )
        limit = _MAX_MANIFEST_BYTES if name == _MANIFEST else _MAX_JSON_BYTES
        if info.file_size > limit:
            raise _FormatError(
                f"{_where(path)} is damaged: member {name!r} claims {info.file_size} bytes, more "
                f"than the {limit} this reader accepts"
            )
    # The local header says where the data start; the data must end inside the file.
    file.seek(info.header_offset)
    local = file.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise _FormatError(f"{_where(path)} is damaged: member {name!r} has no local header")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    data_end = info.header_offset + 30 + name_length + extra_length + info.compress_size
    if data_end > total:
        raise _FormatError(
            f"{_where(path)} is damaged: member {name!r} claims {info.compress_size} stored bytes, "
            f"beyond the end of the {total}-byte file"
        )


def _verify_zip(path: str, file: BinaryIO, zf: zipfile.ZipFile, total: int) -> _Archive:
    not_gradstep = f"{_where(path)} is not a gradstep file"
    try:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        manifest_info = zf.getinfo(_MANIFEST) if _MANIFEST in names else None
        if manifest_info is None:
            raise _FormatError(f"{not_gradstep}: it is a zip archive without {_MANIFEST!r}")
        _verify_layout(path, file, manifest_info, total)
        with zf.open(_MANIFEST) as member:
            raw = member.read(_MAX_MANIFEST_BYTES + 1)
        if len(raw) > _MAX_MANIFEST_BYTES:
            raise _FormatError(f"{_where(path)} is damaged: {_MANIFEST!r} is implausibly large")
    except _FormatError:
        raise
    except Exception as error:
        raise _FormatError(f"{_where(path)} is truncated or damaged: cannot read {_MANIFEST!r} ({error})") from error
    manifest = _parse_json(raw, f"{_where(path)}: {_MANIFEST!r}")
    if not isinstance(manifest, dict) or manifest.get("magic") != MAGIC:
        raise _FormatError(f"{not_gradstep}: {_MANIFEST!r} lacks the gradstep magic")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _FormatError(f"{_where(path)} is damaged: invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        written_by = manifest.get("gradstep_version")
        by = f" {written_by}" if isinstance(written_by, str) else ""
        raise _FormatError(
            f"{_where(path)} was written by a newer gradstep{by}: format version {version}, this "
            f"gradstep reads up to {FORMAT_VERSION}; upgrade gradstep to load it"
        )
    if names[0] != _MANIFEST:
        raise _FormatError(f"{_where(path)} is damaged: {_MANIFEST!r} is not the first member")
    _verify_checksum(path, file)
    kind = manifest.get("kind")
    if kind not in ("model", "weights"):
        raise _FormatError(f"{_where(path)} is damaged: unknown kind {kind!r} in {_MANIFEST!r}")
    entries = manifest.get("members")
    if not isinstance(entries, list):
        raise _FormatError(f"{_where(path)} is damaged: {_MANIFEST!r} has no member list")
    members = {}
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or isinstance(entry.get("size"), bool)
            or not isinstance(entry.get("size"), int)
            or not isinstance(entry.get("sha256"), str)
            or entry["name"] in members
        ):
            raise _FormatError(f"{_where(path)} is damaged: invalid member entry {entry!r} in {_MANIFEST!r}")
        members[entry["name"]] = (entry["size"], entry["sha256"])
    listed = set(members) | {_MANIFEST}
    present = set(names)
    if len(names) != len(present):
        raise _FormatError(f"{_where(path)} is damaged: duplicate member names")
    missing = sorted(listed - present)
    if missing:
        raise _FormatError(f"{_where(path)} is incomplete: missing member(s) {', '.join(missing)}")
    extra = sorted(present - listed)
    if extra:
        raise _FormatError(f"{_where(path)} is damaged: unexpected member(s) {', '.join(extra)} not in the manifest")
    for info in infos:
        if info.filename in members and info.file_size != members[info.filename][0]:
            raise _FormatError(
                f"{_where(path)} is damaged: member {info.filename!r} has {info.file_size} bytes, "
                f"the manifest says {members[info.filename][0]}"
            )
        if info.filename != _MANIFEST:
            _verify_layout(path, file, info, total)
    return _Archive(path, file, zf, kind, members)


def _verify_checksum(path: str, file: BinaryIO) -> None:
    """The archive comment is the SHA-256 of every byte before it."""
    try:
        total = file.seek(0, os.SEEK_END)
        if total < _COMMENT_LENGTH + _EOCD_SIZE:
            raise _FormatError(f"{_where(path)} is truncated or damaged: too short")
        file.seek(total - _COMMENT_LENGTH)
        comment = file.read(_COMMENT_LENGTH)
        if not comment.startswith(_COMMENT_PREFIX):
            raise _FormatError(f"{_where(path)} is truncated or damaged: the archive checksum is missing")
        digest = hashlib.sha256()
        file.seek(0)
        remaining = total - _COMMENT_LENGTH
        while remaining:
            chunk = file.read(min(remaining, _WRITE_CHUNK))
            if not chunk:
                raise _FormatError(f"{_where(path)} is truncated: it changed while being read")
            digest.update(chunk)
            remaining -= len(chunk)
    except OSError as error:
        raise ValueError(f"cannot read {_where(path)}: {error}") from error
    if digest.hexdigest().encode("ascii") != comment[len(_COMMENT_PREFIX) :]:
        raise _FormatError(f"{_where(path)} is damaged: the archive checksum does not match its contents")


def _weight_count(archive: _Archive) -> int:
    count = 0
    while archive.has(_weight_member(count)):
        count += 1
    expected = {_weight_member(i) for i in range(count)}
    stray = [n for n in archive.members if n.startswith("weights/") and n not in expected]
    if stray:
        raise _FormatError(f"{_where(archive.path)} is damaged: unexpected weight member(s) {', '.join(sorted(stray))}")
    return count


# ================================================================================== rebuilding
def _require(condition: bool, path: str, what: str) -> None:
    if not condition:
        raise _FormatError(f"{_where(path)}: invalid {_CONFIG!r}: {what}")


def _deserialize_layer(entry: Any, custom_objects: dict[str, type[Layer]]) -> Layer:  # entry: parsed JSON
    from .. import layers as layers_module

    class_name = entry.get("class_name")
    config = entry.get("config")
    if not isinstance(class_name, str) or not isinstance(config, dict):
        raise ValueError(f"expected {{'class_name': str, 'config': dict}}, got {entry!r}")
    if class_name in custom_objects:
        return custom_objects[class_name].from_config(config)
    return layers_module.deserialize({"class_name": class_name, "config": config})


def _restore_model(
    archive: _Archive, config: Any, custom_objects: dict[str, type[Layer]], compile: bool
) -> Sequential:  # config: parsed JSON
    from .sequential import Sequential

    path = archive.path
    _require(isinstance(config, dict), path, "not a JSON object")
    model_entry = config.get("model")
    _require(
        isinstance(model_entry, dict) and isinstance(model_entry.get("config"), dict), path, "no model architecture"
    )
    _require(
        model_entry.get("class_name") == "Sequential",
        path,
        f"unsupported model class {model_entry.get('class_name')!r}",
    )
    arch = model_entry["config"]
    layer_entries = arch.get("layers")
    _require(isinstance(layer_entries, list), path, "the architecture has no layer list")
    _require(
        len(layer_entries) <= _MAX_LAYERS,
        path,
        f"the architecture lists {len(layer_entries)} layers, more than the {_MAX_LAYERS} this reader accepts",
    )
    name = arch.get("name")
    _require(name is None or isinstance(name, str), path, f"invalid model name {name!r}")
    input_shape = arch.get("input_shape")
    _require(
        input_shape is None
        or (
            isinstance(input_shape, list)
            and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in input_shape)
        ),
        path,
        f"invalid input_shape {input_shape!r}",
    )
    built = config.get("built")
    seed = config.get("seed")
    _require(isinstance(built, bool), path, "'built' must be true or false")
    if built:
        _require(input_shape is not None, path, "a built model without an input_shape")
        _require(
            isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**64, path, f"invalid seed {seed!r}"
        )

    layers = []
    for index, entry in enumerate(layer_entries):
        try:
            _require(isinstance(entry, dict), path, f"layer {index} is not an object")
            layers.append(_deserialize_layer(entry, custom_objects))
        except _FormatError:
            raise
        except Exception as error:
            raise _FormatError(
                f"{_where(path)}: cannot rebuild layer {index} "
                f"({entry.get('class_name') if isinstance(entry, dict) else entry!r}): {error}"
            ) from error
    mismatch = "its architecture has {expected}"
    try:
        model = Sequential(layers, name=name)
        if input_shape is not None:
            model.set_input_shape(tuple(input_shape))
        # The weight shapes the architecture implies, worked out without allocating them.
        expected = model.weight_specs() if built else None
    except Exception as error:
        raise _FormatError(f"{_where(path)}: cannot rebuild the model from its architecture: {error}") from error
    if built:
        # Only the .npy headers are read before the model allocates anything.
        assert expected is not None  # planned above when built
        _check_weight_headers(archive, expected, _weight_count(archive), mismatch)
        try:
            model.build(seed=seed)
        except Exception as error:
            raise _FormatError(f"{_where(path)}: cannot rebuild the model from its architecture: {error}") from error
        model.set_weights(_read_weights(archive, expected))
    _restore_training_state(config.get("training_state"), model, path)

    compiled = config.get("compiled")
    _require(isinstance(compiled, bool), path, "'compiled' must be true or false")
    if not (compiled and compile):
        return model
    compile_config = config.get("compile_config")
    _require(isinstance(compile_config, dict), path, "a compiled model without compile_config")
    metrics = compile_config.get("metrics")
    _require(
        isinstance(metrics, list) and all(isinstance(m, (str, dict)) for m in metrics),
        path,
        f"invalid metrics {metrics!r}",
    )
    try:
        model.compile_from_config(compile_config, custom_objects=custom_objects)
    except Exception as error:
        raise _FormatError(f"{_where(path)}: cannot restore the compile configuration: {error}") from error

    if config.get("optimizer_state") is not None:
        optimizer = model.optimizer
        assert optimizer is not None  # compile_from_config just set it
        _apply_optimizer_state(path, optimizer, _read_optimizer_state(archive, optimizer))
    return model


def _restore_training_state(state: Any, model: Sequential, path: str) -> None:  # state: parsed JSON
    """The shuffle and dropout counters (files written before they were saved start at 0)."""
    if state is None:
        return
    _require(isinstance(state, dict), path, "training_state is not an object")
    try:
        model.set_training_state(state)
    except ValueError as error:
        raise _FormatError(f"{_where(path)}: {error}") from None


def _read_optimizer_state(archive: _Archive, optimizer: Optimizer) -> tuple[int, list[str], int, list[FloatArray]]:
    """(iterations, slot names, parameter count, slots) from the file, checked against `optimizer`
    (slot headers before their data); nothing is applied yet."""
    path = archive.path
    state = archive.load_json(_OPTIMIZER_STATE)
    _require(isinstance(state, dict), path, "optimizer state is not an object")
    iterations = state.get("iterations")
    slot_names = state.get("slot_names")
    num_params = state.get("num_params")
    _require(
        isinstance(iterations, int) and not isinstance(iterations, bool) and 0 <= iterations < 2**62,
        path,
        f"invalid optimizer iterations {iterations!r}",
    )
    _require(
        isinstance(slot_names, list) and all(isinstance(n, str) for n in slot_names),
        path,
        "invalid optimizer slot names",
    )
    _require(
        isinstance(num_params, int) and not isinstance(num_params, bool) and num_params >= 0,
        path,
        f"invalid optimizer parameter count {num_params!r}",
    )
    if not optimizer.built:
        raise _FormatError(
            f"{_where(path)}: the file holds optimizer state but the restored optimizer was not built with the model"
        )
    members = [_slot_member(k) for k in range(len(slot_names))]
    _require(
        all(archive.has(m) for m in members),
        path,
        f"the optimizer state names {len(slot_names)} slots but the file lacks some of them",
    )
    for k, (member, slot_name) in enumerate(zip(members, slot_names)):
        found = archive.array_shape(member, f"optimizer slot {k} ({slot_name})")
        if found != (num_params,):
            raise _FormatError(
                f"{_where(path)}: optimizer slot {k} ({slot_name}) has shape {found} in the file but "
                f"the optimizer state says ({num_params},)"
            )
    slots = [
        archive.load_array(member, (num_params,), f"optimizer slot {k} ({slot_name})")
        for k, (member, slot_name) in enumerate(zip(members, slot_names))
    ]
    return iterations, slot_names, num_params, slots


def _apply_optimizer_state(
    path: str, optimizer: Optimizer, state: tuple[int, list[str], int, list[FloatArray]]
) -> None:
    try:
        optimizer.set_state(*state)
    except ValueError as error:
        raise _FormatError(f"{_where(path)}: {error}") from None
