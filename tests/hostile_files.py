"""Hostile .gstep files for tests/test_untrusted_files.py, and the child process that loads them.

The files are written by a small zip writer of its own (not gradstep's), so that each field can
lie: a member's compression method, its sizes in the zip directory, its data. Every file gets a
manifest and an archive checksum recomputed to match, as an attacker would, so the loader's
checks behind the checksums are what is tested.

Run as a script, this is the child: it sets an address-space limit (RLIMIT_AS) of 1 GiB above
what the interpreter uses after importing gradstep, then either loads every file named on the
command line, printing one JSON line per file, or runs the hypothesis fuzz test.
"""

import hashlib
import io
import json
import struct
import sys
import time
import zlib

COMMENT_PREFIX = b"gradstep-sha256:"
MEMORY_HEADROOM = 1 << 30  # the child's address-space allowance above its baseline
LOAD_SECONDS = 2.0  # the bound per file


# --------------------------------------------------------------------------------- zip writing
class Member:
    """One zip member as it will be written: `stored` are the bytes in the file (raw data or a
    deflate stream), `method` 0 (stored) or 8 (deflated); `size` is the uncompressed size claimed
    in the zip directory and `content` the bytes the manifest describes (size and SHA-256)."""

    def __init__(
        self,
        name,
        content=None,
        method=0,
        stored=None,
        size=None,
        crc=None,
        digest=None,
        zip64=False,
        compressed_size=None,
    ):
        self.name = name
        self.method = method
        if stored is None:
            stored = content if method == 0 else _deflate(content)
        self.stored = stored
        self.size = len(content) if size is None else size
        self.compressed_size = len(stored) if compressed_size is None else compressed_size
        self.crc = zlib.crc32(content) if crc is None else crc
        self.digest = hashlib.sha256(content).hexdigest() if digest is None else digest
        self.zip64 = zip64


def _deflate(data):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def zip_bytes(members):
    """A zip archive of `members` (Member), without comment: the caller appends the checksum."""
    out = io.BytesIO()
    central = []
    for m in members:
        offset = out.tell()
        name = m.name.encode()
        if m.zip64:
            extra = struct.pack("<HHQQ", 1, 16, m.size, m.compressed_size)
            sizes = (0xFFFFFFFF, 0xFFFFFFFF)
        else:
            extra = b""
            sizes = (m.compressed_size, m.size)
        version = 45 if m.zip64 else 20
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                version,
                0,
                m.method,
                0,
                0x21,
                m.crc & 0xFFFFFFFF,
                sizes[0],
                sizes[1],
                len(name),
                len(extra),
            )
        )
        out.write(name + extra + m.stored)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                version,
                version,
                0,
                m.method,
                0,
                0x21,
                m.crc & 0xFFFFFFFF,
                sizes[0],
                sizes[1],
                len(name),
                len(extra),
                0,
                0,
                0,
                0o644 << 16,
                offset,
            )
            + name
            + extra
        )
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), start, 0))
    return out.getvalue()


def with_checksum(body):
    """Set the zip comment to gradstep's archive checksum (SHA-256 of everything before it)."""
    assert body[-2:] == b"\x00\x00"
    body = body[:-2] + struct.pack("<H", len(COMMENT_PREFIX) + 64)
    return body + COMMENT_PREFIX + hashlib.sha256(body).hexdigest().encode("ascii")


def manifest_member(members, kind="model", mutate=None):
    manifest = {
        "magic": "gradstep",
        "format_version": 1,
        "gradstep_version": "0.1.0",
        "kind": kind,
        "members": [{"name": m.name, "size": m.size, "sha256": m.digest} for m in members],
    }
    if mutate is not None:
        mutate(manifest)
    return Member("manifest.json", json.dumps(manifest).encode(), method=8)


def gstep_bytes(members, kind="model", mutate_manifest=None):
    """A complete file: manifest first (describing `members`), the members, the checksum."""
    return with_checksum(zip_bytes([manifest_member(members, kind, mutate_manifest)] + list(members)))


def read_members(path):
    """{name: bytes} of a gradstep file (read with zipfile: these are our own, valid files)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "manifest.json"}


def plain_members(contents):
    """Members as gradstep writes them: arrays stored, JSON deflated."""
    return [Member(name, data, method=0 if name.endswith(".npy") else 8) for name, data in contents.items()]


def npy_header(shape, descr="<f4", fortran_order=False):
    """The bytes of a version 1.0 .npy header declaring `shape` (any tuple, even a lying one)."""
    header = repr({"descr": descr, "fortran_order": fortran_order, "shape": tuple(shape)}).encode("latin1")
    header += b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def deflated_zeros(total, block=16 << 20):
    """(deflate stream, crc32, sha256 hex) of `total` zero bytes, built from one full-flushed
    block repeated, so that gigabytes cost one compression of `block` bytes."""
    assert total % block == 0
    zeros = bytes(block)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = segment * (total // block) + b"\x03\x00"  # a final, empty fixed-Huffman block
    digest, crc = hashlib.sha256(), 0
    for _ in range(total // block):
        digest.update(zeros)
        crc = zlib.crc32(zeros, crc)
    return stream, crc, digest.hexdigest()


# --------------------------------------------------------------------------------- the child
def _limit_memory():
    import resource

    with open("/proc/self/status") as status:
        vm_size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    limit = vm_size + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit


def _load(gs, path):
    """Load `path` as its name says: model (load_model), weights (load_weights into the
    architecture saved beside it) or backup (BackupAndRestore's restore_training)."""
    if path.endswith(".weights.gstep"):
        model = gs.models.load_model(path.replace(".weights.gstep", ".architecture.gstep"))
        model.load_weights(path)
        return model
    if path.endswith(".backup.gstep"):
        from gradstep.models.saving import restore_training

        model = gs.models.load_model(path.replace(".backup.gstep", ".architecture.gstep"))
        restore_training(model, path)
        return model
    return gs.models.load_model(path)


def _attacks(paths, sanitized):
    import gradstep as gs

    if not sanitized:  # ASan reserves terabytes of address space: no RLIMIT_AS under it
        _limit_memory()
    for path in paths:
        start = time.perf_counter()
        try:
            _load(gs, path)
            outcome = {"outcome": "loaded"}
        except ValueError as error:
            outcome = {"outcome": "ValueError", "message": str(error)}
        except BaseException as error:  # MemoryError, RecursionError, ...: the test reports it
            outcome = {"outcome": type(error).__name__, "message": str(error)[:2000]}
        outcome.update(path=path, seconds=time.perf_counter() - start)
        print(json.dumps(outcome), flush=True)


def _json_paths(value, prefix=()):
    """Every path (tuple of keys/indices) into a JSON value, the root included."""
    paths = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _json_paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += _json_paths(child, prefix + (index,))
    return paths


def _replace_at(value, path, new, delete=False):
    if not path:
        return new
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return value


def _fuzz(base, examples, directory, sanitized):
    """Mutate the valid file `base` (bytes of a member, a JSON field, an .npy header), recompute
    the checksums, load it: the load succeeds with shapes matching the config, or raises
    ValueError, within the deadline and the memory limit. Anything else fails the run."""
    import os

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    import gradstep as gs

    if not sanitized:
        _limit_memory()
    contents = read_members(base)
    json_names = sorted(n for n in contents if n.endswith(".json"))
    npy_names = sorted(n for n in contents if n.endswith(".npy"))
    numbers = st.one_of(st.integers(-3, 70), st.sampled_from([-1, 2**31, 2**40, 2**62, 2**64, 10**30]), st.floats())
    scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12))
    json_values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=10,
    )
    path = os.path.join(directory, "fuzzed.gstep")
    outcomes = {"loaded": 0, "ValueError": 0}

    @settings(
        max_examples=examples,
        deadline=LOAD_SECONDS * 1000 * (10 if sanitized else 1),
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def fuzz(data):
        mutated = dict(contents)
        how = data.draw(st.sampled_from(["bytes", "json", "npy"]), label="mutation")
        if how == "bytes":
            name = data.draw(st.sampled_from(sorted(contents)), label="member")
            raw = bytearray(contents[name])
            position = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="position")
            patch = data.draw(st.binary(min_size=0, max_size=8), label="patch")
            cut = data.draw(st.sampled_from([None, "truncate", "extend"]), label="length")
            raw[position : position + len(patch)] = patch
            if cut == "truncate":
                raw = raw[:position]
            elif cut == "extend":
                raw += data.draw(st.binary(max_size=64), label="tail")
            mutated[name] = bytes(raw)
        elif how == "json":
            name = data.draw(st.sampled_from(json_names), label="member")
            value = json.loads(contents[name])
            where = data.draw(st.sampled_from(_json_paths(value)), label="path")
            delete = bool(where) and data.draw(st.booleans(), label="delete")
            value = _replace_at(value, where, data.draw(json_values, label="value"), delete)
            mutated[name] = json.dumps(value).encode()
        else:
            name = data.draw(st.sampled_from(npy_names), label="member")
            shape = tuple(
                data.draw(
                    st.lists(st.one_of(st.integers(-2, 40), st.sampled_from([2**31, 2**40 + 1])), max_size=4),
                    label="shape",
                )
            )
            descr = data.draw(st.sampled_from(["<f4", ">f4", "<f8", "|u1", "<i4", "|O"]), label="descr")
            fortran = data.draw(st.booleans(), label="fortran_order")
            body = contents[name][128:]
            body = (body + bytes(16))[: data.draw(st.integers(0, len(body) + 16), label="data bytes")]
            mutated[name] = npy_header(shape, descr, fortran) + body
        with open(path, "wb") as file:
            file.write(gstep_bytes(plain_members(mutated)))
        try:
            model = gs.models.load_model(path)
        except ValueError:
            outcomes["ValueError"] += 1
            return
        outcomes["loaded"] += 1
        specs = model.weight_specs()
        weights = model.get_weights()
        assert [tuple(w.shape) for w in weights] == [tuple(shape) for _, shape in specs]
        assert sum(w.nbytes for w in weights) <= os.path.getsize(path)

    fuzz()
    print("fuzzed", examples, json.dumps(outcomes))


if __name__ == "__main__":
    sanitized = sys.argv[1] == "sanitized"
    if sys.argv[2] == "attacks":
        _attacks(sys.argv[3:], sanitized)
    elif sys.argv[2] == "fuzz":
        _fuzz(sys.argv[3], int(sys.argv[4]), sys.argv[5], sanitized)
    else:
        raise SystemExit(f"unknown mode {sys.argv[2]!r}")
