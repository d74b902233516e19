"""Untrusted model files (.gstep): hostile files whose checksums were recomputed after editing
must end in a ValueError naming the problem, within 2 s, without exhausting memory.

Each file is loaded in a child process (tests/hostile_files.py) under an address-space limit of
1 GiB above its baseline, so a file that made gradstep allocate what it claims would kill the
child with MemoryError instead of passing. All the files of one test are loaded by one child.
"""

import copy
import json
import os
import pathlib
import shutil
import subprocess
import sys

import hostile_files as hostile
import numpy as np
import pytest
from hostile_files import Member

import gradstep as gs

SANITIZED = os.environ.get("GRADSTEP_SANITIZED") == "1"
CHILD = str(pathlib.Path(__file__).with_name("hostile_files.py"))
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux")


def _base_files(directory):
    """A small trained model (Dense, BatchNormalization, Dense; Adam) saved as a model file, a
    weights file and a BackupAndRestore-style backup; returns their contents by kind."""
    gs.set_seed(0)
    model = gs.Sequential(
        [
            gs.Input((4,)),
            gs.layers.Dense(3, activation="relu"),
            gs.layers.BatchNormalization(),
            gs.layers.Dense(2, activation="softmax"),
        ],
        name="small",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 4)).astype(np.float32), rng.integers(0, 2, 16), batch_size=8, verbose=0)
    model.save(directory / "base.gstep")
    model.save_weights(directory / "base.weights.gstep")
    return hostile.read_members(directory / "base.gstep"), hostile.read_members(directory / "base.weights.gstep")


def _config(contents):
    return json.loads(contents["config.json"])


def _with(contents, replace):
    assert set(replace) <= set(contents)
    return dict(contents, **replace)


def _with_config(contents, mutate):
    config = copy.deepcopy(_config(contents))
    mutate(config)
    return dict(contents, **{"config.json": json.dumps(config).encode()})


def _layers(config):
    return config["model"]["config"]["layers"]


def _real_weight(contents):
    return contents["weights/00000.npy"]


def _nested(depth):
    value = 0
    for _ in range(depth):
        value = [value]
    return value


def _attack_files(directory):
    """{file name: (bytes, what the ValueError must mention)}."""
    model, weights = _base_files(directory)
    plain = hostile.plain_members
    files = {}

    # The two attacks of the issue.
    units = _with_config(model, lambda c: _layers(c)[0]["config"].update(units=300_000_000))
    files["dense_300M_units.gstep"] = (hostile.gstep_bytes(plain(units)), "(4, 300000000)")
    stream, crc, digest = hostile.deflated_zeros(2 << 30)
    members = [
        Member(n, d, method=0 if n.endswith(".npy") else 8)
        if n != "weights/00000.npy"
        else Member(n, method=8, stored=stream, size=2 << 30, crc=crc, digest=digest)
        for n, d in model.items()
    ]
    files["deflated_2GiB_weight.gstep"] = (hostile.gstep_bytes(members), "compressed")

    # Architectures implying huge or absurd shapes.
    files["input_shape_2_50.gstep"] = (
        hostile.gstep_bytes(plain(_with_config(model, lambda c: c["model"]["config"].update(input_shape=[2**50])))),
        "2^40",
    )
    files["input_shape_int64_overflow.gstep"] = (
        hostile.gstep_bytes(
            plain(_with_config(model, lambda c: c["model"]["config"].update(input_shape=[2**31, 2**31, 2**31])))
        ),
        "2^40",
    )
    files["upsampling_huge.gstep"] = (
        hostile.gstep_bytes(
            plain(
                _with_config(
                    model,
                    lambda c: (
                        c["model"]["config"].update(input_shape=[2, 2, 1]),
                        _layers(c).insert(0, {"class_name": "UpSampling2D", "config": {"size": [2**30, 2**30]}}),
                        _layers(c).insert(1, {"class_name": "Flatten", "config": {}}),
                    ),
                )
            )
        ),
        "2^40",
    )
    files["too_many_layers.gstep"] = (
        hostile.gstep_bytes(
            plain(
                _with_config(
                    model,
                    lambda c: _layers(c).extend(
                        [{"class_name": "Activation", "config": {"activation": "linear"}}] * 30_000
                    ),
                )
            )
        ),
        "layers, more than",
    )

    # JSON: depth, value count, size.
    files["deep_json.gstep"] = (
        hostile.gstep_bytes(plain(_with(model, {"config.json": b"[" * 100_000 + b"]" * 100_000}))),
        "JSON",
    )
    files["nested_200.gstep"] = (
        hostile.gstep_bytes(plain(_with_config(model, lambda c: _layers(c)[0]["config"].update(name=_nested(200))))),
        "nested deeper",
    )
    files["json_values.gstep"] = (
        hostile.gstep_bytes(plain(_with_config(model, lambda c: c["model"]["config"].update(name=[0] * 1_500_000)))),
        "JSON values",
    )
    files["json_nan.gstep"] = (
        hostile.gstep_bytes(
            plain(_with(model, {"config.json": model["config.json"].replace(b'"seed":', b'"seed":NaN,"x":', 1)}))
        ),
        "NaN",
    )
    big_json = b'{"pad": "' + b" " * (64 << 20) + b'"}'
    files["json_64MiB.gstep"] = (hostile.gstep_bytes(plain(_with(model, {"config.json": big_json}))), "claims")
    lying = [
        m if m.name != "config.json" else Member("config.json", big_json, method=8, size=1000) for m in plain(model)
    ]
    files["json_lying_size.gstep"] = (hostile.gstep_bytes(lying), "config.json")

    # .npy headers that lie.
    data = _real_weight(model)[128:]
    for name, shape in (
        ("npy_negative_shape", (-4, 3)),
        ("npy_2_80_elements", (2**40, 2**40)),
        ("npy_more_than_data", (4, 30_000)),
        ("npy_float_dim", (4.0, 3)),
    ):
        files[name + ".gstep"] = (
            hostile.gstep_bytes(plain(_with(model, {"weights/00000.npy": hostile.npy_header(shape) + data}))),
            "00000.npy",
        )
    files["npy_fortran.gstep"] = (
        hostile.gstep_bytes(
            plain(_with(model, {"weights/00000.npy": hostile.npy_header((4, 3), fortran_order=True) + data}))
        ),
        "Fortran",
    )
    files["npy_big_endian.gstep"] = (
        hostile.gstep_bytes(plain(_with(model, {"weights/00000.npy": hostile.npy_header((4, 3), descr=">f4") + data}))),
        "float32",
    )
    files["npy_huge_header.gstep"] = (
        hostile.gstep_bytes(
            plain(_with(model, {"weights/00000.npy": b"\x93NUMPY\x02\x00" + (2**31).to_bytes(4, "little") + data}))
        ),
        "00000.npy",
    )

    # Zip structure that lies.
    twice = plain(model) + [Member("weights/00000.npy", _real_weight(model))]
    files["member_twice_in_zip.gstep"] = (
        hostile.with_checksum(hostile.zip_bytes([hostile.manifest_member(plain(model))] + twice)),
        "duplicate",
    )
    files["member_twice_in_manifest.gstep"] = (
        hostile.gstep_bytes(plain(model), mutate_manifest=lambda m: m["members"].append(dict(m["members"][1]))),
        "invalid member entry",
    )
    members = [
        m
        if m.name != "weights/00000.npy"
        else Member(m.name, _real_weight(model), zip64=True, size=2**40, compressed_size=2**40)
        for m in plain(model)
    ]
    files["zip64_2_40_bytes.gstep"] = (hostile.gstep_bytes(members), "beyond the end")
    members = [m if m.name != "weights/00001.npy" else Member(m.name, model[m.name], method=8) for m in plain(model)]
    files["compressed_array.gstep"] = (hostile.gstep_bytes(members), "compressed")
    members = [
        m
        if m.name != "weights/00001.npy"
        else Member(m.name, model[m.name], stored=model[m.name] + bytes(100), compressed_size=len(model[m.name]) + 100)
        for m in plain(model)
    ]
    files["directory_size_mismatch.gstep"] = (hostile.gstep_bytes(members), "zip directory")
    members = [
        m if m.name != "config.json" else Member("config.json", model["config.json"], method=14) for m in plain(model)
    ]
    files["lzma_member.gstep"] = (hostile.gstep_bytes(members), "compression method")

    # Optimizer state.
    state = json.loads(model["optimizer/state.json"])
    files["optimizer_2_40_params.gstep"] = (
        hostile.gstep_bytes(
            plain(_with(model, {"optimizer/state.json": json.dumps(dict(state, num_params=2**40)).encode()}))
        ),
        "slot",
    )
    files["optimizer_iterations_2_64.gstep"] = (
        hostile.gstep_bytes(
            plain(_with(model, {"optimizer/state.json": json.dumps(dict(state, iterations=2**64)).encode()}))
        ),
        "iterations",
    )
    files["optimizer_many_slots.gstep"] = (
        hostile.gstep_bytes(
            plain(_with(model, {"optimizer/state.json": json.dumps(dict(state, slot_names=["m"] * 100_000)).encode()}))
        ),
        "slots",
    )

    # The same rules for weights files (load_weights) and backups (BackupAndRestore).
    files["bomb.weights.gstep"] = (
        hostile.gstep_bytes(
            [
                Member(n, method=8, stored=stream, size=2 << 30, crc=crc, digest=digest)
                if n == "weights/00000.npy"
                else Member(n, d)
                for n, d in weights.items()
            ],
            kind="weights",
        ),
        "compressed",
    )
    files["npy_2_80.weights.gstep"] = (
        hostile.gstep_bytes(
            plain(_with(weights, {"weights/00000.npy": hostile.npy_header((2**40, 2**40)) + data})), kind="weights"
        ),
        "00000.npy",
    )
    files["npy_2_80.backup.gstep"] = files["npy_2_80_elements.gstep"]
    files["bomb.backup.gstep"] = files["deflated_2GiB_weight.gstep"]
    files["optimizer_2_40_params.backup.gstep"] = files["optimizer_2_40_params.gstep"]
    return files


def _run_child(paths, timeout=120):
    result = subprocess.run(
        [sys.executable, CHILD, "sanitized" if SANITIZED else "plain", "attacks", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=pathlib.Path(CHILD).parent,
    )
    assert result.returncode == 0, f"the child died (exit {result.returncode}):\n{result.stderr[-4000:]}"
    return {pathlib.Path(line["path"]).name: line for line in map(json.loads, result.stdout.splitlines())}


@pytest.fixture(scope="module")
def attack_results(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    files = _attack_files(directory)
    paths = []
    for name, (data, _) in files.items():
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
        if name.endswith((".weights.gstep", ".backup.gstep")):  # the model they are loaded into
            architecture = name.replace(".weights.gstep", ".architecture.gstep").replace(
                ".backup.gstep", ".architecture.gstep"
            )
            shutil.copy(directory / "base.gstep", directory / architecture)
    sizes = {path.name: path.stat().st_size for path in paths}
    return {name: expected for name, (_, expected) in files.items()}, _run_child(paths), sizes


ATTACKS = [
    "dense_300M_units.gstep",
    "deflated_2GiB_weight.gstep",
    "input_shape_2_50.gstep",
    "input_shape_int64_overflow.gstep",
    "upsampling_huge.gstep",
    "too_many_layers.gstep",
    "deep_json.gstep",
    "nested_200.gstep",
    "json_values.gstep",
    "json_nan.gstep",
    "json_64MiB.gstep",
    "json_lying_size.gstep",
    "npy_negative_shape.gstep",
    "npy_2_80_elements.gstep",
    "npy_more_than_data.gstep",
    "npy_float_dim.gstep",
    "npy_fortran.gstep",
    "npy_big_endian.gstep",
    "npy_huge_header.gstep",
    "member_twice_in_zip.gstep",
    "member_twice_in_manifest.gstep",
    "zip64_2_40_bytes.gstep",
    "compressed_array.gstep",
    "directory_size_mismatch.gstep",
    "lzma_member.gstep",
    "optimizer_2_40_params.gstep",
    "optimizer_iterations_2_64.gstep",
    "optimizer_many_slots.gstep",
    "bomb.weights.gstep",
    "npy_2_80.weights.gstep",
    "npy_2_80.backup.gstep",
    "bomb.backup.gstep",
    "optimizer_2_40_params.backup.gstep",
]


@pytest.mark.parametrize("name", ATTACKS)
def test_hostile_file_raises_value_error_fast(attack_results, name):
    expected, results, sizes = attack_results
    result = results[name]
    assert result["outcome"] == "ValueError", result
    assert expected[name] in result["message"], result["message"]
    bound = hostile.LOAD_SECONDS * (10 if SANITIZED else 1)
    assert result["seconds"] < bound, f"{name}: {result['seconds']:.2f} s (file of {sizes[name]} bytes)"


def test_every_attack_is_run(attack_results):
    expected, results, _ = attack_results
    assert sorted(expected) == sorted(ATTACKS)
    assert set(ATTACKS) <= set(results)


def test_valid_files_load_in_the_child(tmp_path):
    """The harness itself: the untouched files load under the same memory limit."""
    _base_files(tmp_path)
    shutil.copy(tmp_path / "base.gstep", tmp_path / "base.architecture.gstep")
    shutil.copy(tmp_path / "base.gstep", tmp_path / "base.backup.gstep")
    results = _run_child([tmp_path / "base.gstep", tmp_path / "base.weights.gstep", tmp_path / "base.backup.gstep"])
    assert [r["outcome"] for r in results.values()] == ["loaded"] * 3, results


def test_own_writer_matches_the_format(tmp_path):
    """The crafting helpers write files that gradstep accepts when nothing lies in them."""
    model, _ = _base_files(tmp_path)
    path = tmp_path / "crafted.gstep"
    path.write_bytes(hostile.gstep_bytes(hostile.plain_members(model)))
    loaded = gs.models.load_model(path)
    original = gs.models.load_model(tmp_path / "base.gstep")
    for a, b in zip(loaded.get_weights(), original.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_saving_refuses_what_loading_refuses(tmp_path):
    from gradstep.models import saving

    gs.set_seed(0)
    model = gs.Sequential([gs.Input((2,))] + [gs.layers.Activation("linear") for _ in range(saving._MAX_LAYERS + 1)])
    with pytest.raises(ValueError, match="layers, more than"):
        model.save(tmp_path / "many.gstep")
    assert not (tmp_path / "many.gstep").exists()


def test_fuzzed_files_load_or_raise_value_error(tmp_path):
    """hypothesis mutates a valid file (member bytes, a JSON field, an .npy header), the checksums
    are recomputed, and the load either succeeds with shapes matching the config or raises
    ValueError: never another exception, a crash, the memory limit or the 2 s deadline."""
    pytest.importorskip("hypothesis")
    _base_files(tmp_path)
    examples = 60 if SANITIZED else 300
    result = subprocess.run(
        [
            sys.executable,
            CHILD,
            "sanitized" if SANITIZED else "plain",
            "fuzz",
            str(tmp_path / "base.gstep"),
            str(examples),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=pathlib.Path(CHILD).parent,
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    line = next(line for line in result.stdout.splitlines() if line.startswith(f"fuzzed {examples} "))
    outcomes = json.loads(line.split(" ", 2)[2])
    # Both ends are reached: some mutations are harmless (a changed name, a flipped weight bit),
    # most are refused.
    assert outcomes["loaded"] > 0 and outcomes["ValueError"] > 0, outcomes
