"""Saving and loading (.gstep): round trips, exact resumption of training, validation of damaged
files (every truncation, every byte bit-flipped), atomic writes and permissions."""

import hashlib
import io
import json
import os
import pathlib
import signal
import struct
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import gradstep as gs
from gradstep.models import saving

ACTIVATIONS = ["linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax", "softplus", "gelu", "swish"]


def _data(n=40, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = rng.integers(0, classes, size=n)
    return x, y


def _mlp(hidden="relu", output="softmax", seed=0, features=5, classes=3):
    gs.set_seed(seed)
    model = gs.Sequential(
        [gs.Input((features,)), gs.layers.Dense(8, activation=hidden), gs.layers.Dense(classes, activation=output)],
        name="mlp",
    )
    model.build()
    return model


def _trained_file(tmp_path, name="model.gstep", optimizer="adam"):
    model = _mlp()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    path = tmp_path / name
    model.save(path)
    return model, path


def _expect_value_error(path, loader=None):
    """Loading must raise ValueError (never another exception type, never succeed)."""
    loader = loader or gs.models.load_model
    try:
        loader(path)
    except ValueError as error:
        assert str(error)
        return error
    except Exception as error:  # pragma: no cover - the failure report
        pytest.fail(f"expected ValueError, got {type(error).__name__}: {error}")
    pytest.fail("a damaged file loaded without error")


def _checksum_comment(body):
    """The archive comment as the format defines it, computed independently of the writer."""
    body = body[:-2] + struct.pack("<H", 80)
    return body + b"gradstep-sha256:" + hashlib.sha256(body).hexdigest().encode("ascii")


def _craft(path, members, mutate_manifest=None, kind="model", checksum=True, manifest_members=None):
    """Write a zip with a manifest (after `mutate_manifest`) and `members`, with a valid archive
    checksum, so that the loader's deeper checks are reached."""
    listed = members if manifest_members is None else manifest_members
    manifest = {
        "magic": "gradstep",
        "format_version": 1,
        "gradstep_version": gs.__version__,
        "kind": kind,
        "members": [{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in listed],
    }
    if mutate_manifest is not None:
        mutate_manifest(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in members:
            archive.writestr(name, data)
    data = buffer.getvalue()
    path.write_bytes(_checksum_comment(data) if checksum else data)
    return path


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return [(n, archive.read(n)) for n in archive.namelist() if n != "manifest.json"]


def _replace(members, name, data):
    assert any(n == name for n, _ in members)
    return [(n, data if n == name else d) for n, d in members]


def _npy(array, **kwargs):
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def _put(path, data):
    """Write `data` to a fresh file (unlink first: on ext4, truncating a written file forces a flush)."""
    if path.exists():
        path.unlink()
    path.write_bytes(data)


def _no_temp_files(directory):
    return [p.name for p in pathlib.Path(directory).iterdir() if p.name.endswith(".tmp")]


# ----------------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("hidden,output", [(a, b) for a, b in zip(ACTIVATIONS, ACTIVATIONS[::-1])])
def test_round_trip_predictions_identical(tmp_path, hidden, output):
    model = _mlp(hidden, output)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, labels = _data()
    y = np.eye(3, dtype=np.float32)[labels]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.gstep")
    loaded = gs.models.load_model(tmp_path / "m.gstep")
    assert np.array_equal(loaded.predict(x), model.predict(x))
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        assert a.dtype == np.float32 and np.array_equal(a, b)
    assert loaded.name == "mlp"
    assert loaded.get_config() == model.get_config()
    assert loaded._core.seed == model._core.seed
    assert loaded.compiled and loaded._metric_names == ["mae"]
    assert type(loaded.loss) is type(model.loss)
    assert np.isclose(loaded.evaluate(x, y, verbose=0)[0], model.evaluate(x, y, verbose=0)[0], rtol=0, atol=0)


def test_round_trip_bn_dropout(tmp_path):
    gs.set_seed(3)
    model = gs.Sequential(
        [
            gs.Input((5,)),
            gs.layers.Dense(16, activation="relu"),
            gs.layers.BatchNormalization(),
            gs.layers.Dropout(0.3),
            gs.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data(64)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    model.save(tmp_path / "bn.gstep")
    loaded = gs.models.load_model(tmp_path / "bn.gstep")
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), model.get_weights()))
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]


def _resume_check(tmp_path, build, optimizer_factory, loss="sparse_categorical_crossentropy"):
    x, y = _data(50)

    straight = build()
    straight.compile(optimizer=optimizer_factory(), loss=loss, metrics=["accuracy"])
    straight.fit(x, y, batch_size=16, epochs=4, verbose=0)

    first = build()
    first.compile(optimizer=optimizer_factory(), loss=loss, metrics=["accuracy"])
    first.fit(x, y, batch_size=16, epochs=2, verbose=0)
    first.save(tmp_path / "ckpt.gstep")
    resumed = gs.models.load_model(tmp_path / "ckpt.gstep")
    assert resumed.optimizer.iterations == first.optimizer.iterations == 2 * 4
    resumed.fit(x, y, batch_size=16, epochs=4, initial_epoch=2, verbose=0)

    assert resumed.optimizer.iterations == straight.optimizer.iterations
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        assert np.array_equal(a, b)  # bitwise
    core_a, core_b = resumed.optimizer._core, straight.optimizer._core
    for k in range(len(core_a.slot_names)):
        assert np.array_equal(core_a.get_slot(k), core_b.get_slot(k))


@pytest.mark.parametrize(
    "optimizer_factory",
    [
        lambda: gs.optimizers.Adam(learning_rate=0.01),
        lambda: gs.optimizers.Adam(learning_rate=0.01, amsgrad=True, clipnorm=1.0),
        lambda: gs.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        lambda: gs.optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
        lambda: gs.optimizers.AdamW(learning_rate=0.01, weight_decay=0.01),
        lambda: gs.optimizers.Adagrad(learning_rate=0.05),
    ],
    ids=["adam", "adam-amsgrad-clip", "sgd-nesterov", "rmsprop-centered", "adamw", "adagrad"],
)
def test_resume_training_bitwise(tmp_path, optimizer_factory):
    _resume_check(tmp_path, lambda: _mlp("tanh", "softmax", seed=11), optimizer_factory)


def test_resume_training_bitwise_bn_dropout(tmp_path):

    def build():
        gs.set_seed(5)
        return gs.Sequential(
            [
                gs.Input((5,)),
                gs.layers.Dense(16, activation="relu"),
                gs.layers.BatchNormalization(),
                gs.layers.Dropout(0.25),
                gs.layers.Dense(3, activation="softmax"),
            ]
        )

    _resume_check(tmp_path, build, lambda: gs.optimizers.Adam(learning_rate=0.01))


def test_resume_training_bitwise_schedule_and_regularizers(tmp_path):

    def build():
        gs.set_seed(8)
        return gs.Sequential(
            [
                gs.Input((5,)),
                gs.layers.Dense(8, activation="relu", kernel_regularizer=gs.regularizers.L2(0.01)),
                gs.layers.Dense(3, activation="softmax", bias_regularizer=gs.regularizers.L1(0.01)),
            ]
        )

    _resume_check(
        tmp_path,
        build,
        lambda: gs.optimizers.SGD(learning_rate=gs.optimizers.schedules.CosineDecay(0.1, decay_steps=10), momentum=0.9),
    )


def test_custom_layer_class(tmp_path):
    class MyDense(gs.layers.Dense):
        pass

    gs.set_seed(0)
    model = gs.Sequential([gs.Input((5,)), MyDense(4), gs.layers.Dense(2)])
    model.save(tmp_path / "custom.gstep")
    assert "MyDense" in str(_expect_value_error(tmp_path / "custom.gstep"))
    loaded = gs.models.load_model(tmp_path / "custom.gstep", custom_objects={"MyDense": MyDense})
    assert type(loaded.layers[0]) is MyDense
    x, _ = _data()
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_optimizer_config_and_state_restored(tmp_path):
    model = _mlp()
    model.compile(
        optimizer=gs.optimizers.RMSprop(
            learning_rate=0.003, rho=0.8, momentum=0.3, centered=True, global_clipnorm=2.0, name="my_rms"
        ),
        loss=gs.losses.SparseCategoricalCrossentropy(from_logits=False),
        metrics=["accuracy"],
    )
    x, y = _data()
    model.fit(x, y, batch_size=7, epochs=2, verbose=0)
    model.save(tmp_path / "m.gstep")
    loaded = gs.models.load_model(tmp_path / "m.gstep")
    assert type(loaded.optimizer) is gs.optimizers.RMSprop
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations == 2 * 6
    assert loaded.loss.get_config() == model.loss.get_config()
    for k, name in enumerate(model.optimizer._core.slot_names):
        assert np.array_equal(loaded.optimizer._core.get_slot(k), model.optimizer._core.get_slot(k)), name


def test_uncompiled_unbuilt_and_compile_false(tmp_path):
    model = _mlp()
    model.save(tmp_path / "plain.gstep")
    loaded = gs.models.load_model(tmp_path / "plain.gstep")
    assert loaded.built and not loaded.compiled
    x, _ = _data()
    assert np.array_equal(loaded.predict(x), model.predict(x))

    unbuilt = gs.Sequential([gs.layers.Dense(4), gs.layers.Dense(2)])
    unbuilt.compile(optimizer="sgd", loss="mse")
    unbuilt.save(tmp_path / "unbuilt.gstep")
    loaded = gs.models.load_model(tmp_path / "unbuilt.gstep")
    assert not loaded.built and loaded.compiled and len(loaded.layers) == 2
    loaded.fit(x, np.zeros((len(x), 2), np.float32), epochs=1, verbose=0)

    _, path = _trained_file(tmp_path)
    loaded = gs.models.load_model(path, compile=False)
    assert not loaded.compiled and loaded.optimizer is None


def test_file_layout(tmp_path):
    model, path = _trained_file(tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[0] == "manifest.json"
        manifest = json.loads(archive.read("manifest.json"))
        config = json.loads(archive.read("config.json"))
        for name in names:
            if name.endswith(".npy"):
                np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
    assert manifest["magic"] == "gradstep" and manifest["format_version"] == 1
    assert manifest["gradstep_version"] == gs.__version__ and manifest["kind"] == "model"
    assert [m["name"] for m in manifest["members"]] == names[1:]
    assert names[1:6] == ["config.json"] + [f"weights/{i:05d}.npy" for i in range(4)]
    assert {"optimizer/state.json", "optimizer/slot_0.npy", "optimizer/slot_1.npy"} <= set(names)
    assert config["seed"] == model._core.seed and config["compiled"] is True
    assert config["compile_config"]["metrics"] == ["accuracy"]
    assert config["model"]["config"] == json.loads(json.dumps(model.get_config()))
    assert path.read_bytes()[-80:].startswith(b"gradstep-sha256:")
    # the same model saves to the same bytes
    model.save(tmp_path / "again.gstep")
    assert (tmp_path / "again.gstep").read_bytes() == path.read_bytes()


def test_save_weights_load_weights(tmp_path):
    model, _ = _trained_file(tmp_path)
    model.save_weights(tmp_path / "w.weights.gstep")
    model.save_weights(str(tmp_path / "any_suffix.bin"))  # any name is fine for weights
    other = _mlp(seed=99)
    x, _ = _data()
    assert not np.array_equal(other.predict(x), model.predict(x))
    other.load_weights(tmp_path / "w.weights.gstep")
    assert np.array_equal(other.predict(x), model.predict(x))
    third = _mlp(seed=98)
    third.load_weights(tmp_path / "any_suffix.bin")
    assert np.array_equal(third.predict(x), model.predict(x))
    fourth = _mlp(seed=97)
    fourth.load_weights(tmp_path / "model.gstep")  # a full model file holds the weights too
    assert np.array_equal(fourth.predict(x), model.predict(x))
    error = _expect_value_error(tmp_path / "w.weights.gstep")
    assert "load_weights" in str(error)


def test_load_weights_mismatch_leaves_model_unchanged(tmp_path):
    model, _ = _trained_file(tmp_path)
    model.save_weights(tmp_path / "w.weights.gstep")
    wider = _mlp(features=6)
    before = wider.get_weights()
    error = _expect_value_error(tmp_path / "w.weights.gstep", wider.load_weights)
    assert "shape" in str(error) and "(5, 8)" in str(error) and "(6, 8)" in str(error)
    assert all(np.array_equal(a, b) for a, b in zip(before, wider.get_weights()))
    gs.set_seed(0)
    deeper = gs.Sequential([gs.Input((5,)), gs.layers.Dense(8), gs.layers.Dense(8), gs.layers.Dense(3)])
    error = _expect_value_error(tmp_path / "w.weights.gstep", deeper.load_weights)
    assert "4 weight arrays" in str(error) and "6" in str(error)


# ----------------------------------------------------------------------------------- damaged files
def test_truncated_at_every_offset(tmp_path):
    _, path = _trained_file(tmp_path)
    data = path.read_bytes()
    bad = tmp_path / "bad.gstep"
    for cut in range(len(data)):
        _put(bad, data[:cut])
        _expect_value_error(bad)
        _expect_value_error(bad, _mlp().load_weights if cut % 97 == 0 else None)


def test_bit_flip_at_every_byte(tmp_path):
    _, path = _trained_file(tmp_path)
    data = path.read_bytes()
    bad = tmp_path / "bad.gstep"
    for offset in range(len(data)):
        flipped = bytearray(data)
        flipped[offset] ^= 1 << (offset % 8)
        _put(bad, bytes(flipped))
        _expect_value_error(bad)


def test_garbage_and_foreign_files(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "x.gstep"
    for size in (0, 1, 3, 4, 100, 5000):
        path.write_bytes(rng.integers(0, 256, size=size, dtype=np.uint8).tobytes())
        _expect_value_error(path)
    path.write_bytes(b"PK\x03\x04" + rng.integers(0, 256, size=500, dtype=np.uint8).tobytes())
    _expect_value_error(path)
    path.write_text("hello, not a model\n")
    assert "not a gradstep file" in str(_expect_value_error(path))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.txt", "x")
    assert "manifest.json" in str(_expect_value_error(path))
    _craft(path, [], mutate_manifest=lambda m: m.update(magic="keras"))
    assert "not a gradstep file" in str(_expect_value_error(path))
    with pytest.raises(ValueError, match="directory"):
        gs.models.load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="not found"):
        gs.models.load_model(tmp_path / "missing.gstep")
    with pytest.raises(ValueError, match="not found"):  # also a ValueError, as Keras raises
        gs.models.load_model(tmp_path / "missing.gstep")


def test_newer_format_version(tmp_path):
    _, path = _trained_file(tmp_path)
    members = _members(path)
    for checksum in (True, False):
        _craft(
            path,
            members,
            mutate_manifest=lambda m: m.update(format_version=2, gradstep_version="9.0"),
            checksum=checksum,
        )
        message = str(_expect_value_error(path))
        assert "newer gradstep" in message and "format version 2" in message and "reads up to 1" in message
    for bad in (0, -1, "1", 1.0, None, True):
        _craft(path, members, mutate_manifest=lambda m: m.update(format_version=bad))
        assert "format_version" in str(_expect_value_error(path))


def test_damaged_members_with_valid_checksum(tmp_path):
    """Files whose archive checksum is right but whose contents are wrong reach the deeper checks."""
    model, path = _trained_file(tmp_path)
    members = _members(path)
    bad = tmp_path / "bad.gstep"

    _craft(bad, members)
    assert np.array_equal(gs.models.load_model(bad).get_weights()[0], model.get_weights()[0])  # the helper is right

    _craft(bad, members, checksum=False)
    assert "checksum" in str(_expect_value_error(bad))
    _craft(bad, [m for m in members if m[0] != "weights/00001.npy"], manifest_members=members)
    assert "missing" in str(_expect_value_error(bad))
    _craft(bad, members + [("extra.bin", b"x")], manifest_members=members)
    assert "extra.bin" in str(_expect_value_error(bad))
    _craft(bad, members, mutate_manifest=lambda m: m["members"][2].update(sha256="0" * 64))
    assert "SHA-256" in str(_expect_value_error(bad))
    _craft(bad, members, mutate_manifest=lambda m: m["members"][2].update(size=m["members"][2]["size"] + 1))
    assert "bytes" in str(_expect_value_error(bad))
    _craft(bad, members, mutate_manifest=lambda m: m.update(members="nope"))
    _expect_value_error(bad)
    _craft(bad, members, mutate_manifest=lambda m: m.update(kind="checkpoint"))
    _expect_value_error(bad)

    _craft(bad, _replace(members, "weights/00000.npy", _npy(np.zeros((2, 2), np.float32))))
    message = str(_expect_value_error(bad))
    assert "shape (2, 2)" in message and "(5, 8)" in message
    _craft(bad, _replace(members, "weights/00000.npy", _npy(np.zeros((5, 8), np.float64))))
    assert "float32" in str(_expect_value_error(bad))
    _craft(bad, _replace(members, "weights/00000.npy", _npy(np.array([{"a": 1}], dtype=object), allow_pickle=True)))
    assert "npy" in str(_expect_value_error(bad))  # never unpickled
    _craft(bad, _replace(members, "weights/00000.npy", b"\x93NUMPY garbage"))
    _expect_value_error(bad)
    _craft(bad, [m for m in members if m[0] != "weights/00003.npy"])
    assert "3 weight arrays" in str(_expect_value_error(bad))
    _craft(bad, _replace(members, "optimizer/slot_1.npy", _npy(np.zeros(7, np.float32))))
    assert "slot" in str(_expect_value_error(bad))

    config = json.loads(dict(members)["config.json"])
    for mutate in (
        lambda c: c["model"]["config"]["layers"][0].update(class_name="Conv9D"),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(units=-3),
        lambda c: c["model"]["config"]["layers"][0]["config"].update(bogus=1),
        lambda c: c["model"]["config"]["layers"].append(7),
        lambda c: c["model"].update(class_name="Functional"),
        lambda c: c["model"]["config"].update(input_shape=[0]),
        lambda c: c.update(seed=-1),
        lambda c: c.update(seed="x"),
        lambda c: c.update(built="yes"),
        lambda c: c["compile_config"].update(optimizer={"class_name": "Nadam", "config": {}}),
        lambda c: c["compile_config"].update(loss=None),
        lambda c: c["compile_config"].update(metrics=["no_such_metric"]),
        lambda c: c.pop("compile_config"),
        lambda c: c.clear(),
    ):
        changed = json.loads(json.dumps(config))
        mutate(changed)
        _craft(bad, _replace(members, "config.json", json.dumps(changed).encode()))
        _expect_value_error(bad)
    for text in (b"{not json", b"\xff\xfe", b"[]", b"null"):
        _craft(bad, _replace(members, "config.json", text))
        _expect_value_error(bad)
    state = json.loads(dict(members)["optimizer/state.json"])
    for mutate in (
        lambda s: s.update(iterations=-1),
        lambda s: s.update(iterations=1.5),
        lambda s: s.update(slot_names=["velocity", "momentum"]),
        lambda s: s.update(num_params=3),
        lambda s: s.clear(),
    ):
        changed = dict(state)
        mutate(changed)
        _craft(bad, _replace(members, "optimizer/state.json", json.dumps(changed).encode()))
        _expect_value_error(bad)


# ----------------------------------------------------------------------------------- writing safely
def test_failed_save_keeps_previous_file(tmp_path, monkeypatch):
    model, path = _trained_file(tmp_path)
    original = path.read_bytes()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)  # the model changed: a successful save would change the file

    def fail(*args, **kwargs):
        raise OSError("disk full (simulated)")

    for target, name in ((saving.np, "save"), (saving.os, "replace"), (saving.os, "fsync"), (saving, "_write_all")):
        with monkeypatch.context() as patch:
            patch.setattr(target, name, fail)
            with pytest.raises(OSError, match="simulated"):
                model.save(path)
        assert path.read_bytes() == original
        assert _no_temp_files(tmp_path) == []
    gs.models.load_model(path)


def test_write_failure_at_every_offset(tmp_path, monkeypatch):
    """Fail the write after k bytes for every k: the previous file always loads, unchanged."""
    model, path = _trained_file(tmp_path)
    original = path.read_bytes()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    new_data = saving._build_archive("model", saving._model_members(model))
    real_write_all = saving._write_all
    for limit in range(len(new_data)):

        def partial(file, data, limit=limit):
            real_write_all(file, data[:limit])
            raise OSError("killed (simulated)")

        monkeypatch.setattr(saving, "_write_all", partial)
        with pytest.raises(OSError):
            if limit % 101 == 0:
                model.save(path)  # the whole path now and then
            else:
                saving._atomic_write(str(path), new_data)
        assert path.read_bytes() == original
    assert _no_temp_files(tmp_path) == []
    monkeypatch.setattr(saving, "_write_all", real_write_all)
    gs.models.load_model(path)
    model.save(path)
    assert path.read_bytes() == new_data
    assert np.array_equal(gs.models.load_model(path).get_weights()[0], model.get_weights()[0])


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_during_save_keeps_previous_file(tmp_path):
    _, path = _trained_file(tmp_path)
    original = path.read_bytes()
    child = textwrap.dedent(f"""
        import sys, time
        import gradstep as gs
        from gradstep.models import saving
        real = saving._write_all
        def half(file, data):
            real(file, data[:len(data) // 2])
            file.flush()
            print("ready", flush=True)
            time.sleep(120)
        saving._write_all = half
        gs.set_seed(1)
        model = gs.Sequential([gs.Input((5,)), gs.layers.Dense(30), gs.layers.Dense(3)])
        model.save({str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
        proc.stdout.close()
    assert path.read_bytes() == original
    gs.models.load_model(path)
    leftovers = _no_temp_files(tmp_path)  # a killed process cannot clean up its temporary file
    assert all(name.startswith(".model.gstep.") for name in leftovers)


def test_overwrite_false(tmp_path):
    model, path = _trained_file(tmp_path)
    original = path.read_bytes()
    model.fit(*_data(), epochs=1, verbose=0)
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save(path, overwrite=False)
    with pytest.raises(FileExistsError):
        model.save_weights(path, overwrite=False)
    assert path.read_bytes() == original
    model.save(path)  # overwrite=True by default
    assert path.read_bytes() != original
    model.save(tmp_path / "fresh.gstep", overwrite=False)
    assert _no_temp_files(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_permissions_kept(tmp_path):
    model, path = _trained_file(tmp_path)
    os.chmod(path, 0o640)
    model.save(path)
    assert (os.stat(path).st_mode & 0o777) == 0o640
    os.chmod(path, 0o604)
    model.save_weights(path)
    assert (os.stat(path).st_mode & 0o777) == 0o604
    old = os.umask(0o027)
    try:
        model.save(tmp_path / "new.gstep")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "new.gstep").st_mode & 0o777) == 0o640  # umask, not tempfile's 0600


def test_path_arguments(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match=r"\.gstep"):
        model.save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"\.gstep"):
        model.save(str(tmp_path / "model.keras"))
    with pytest.raises(TypeError, match="filepath"):
        model.save(42)
    with pytest.raises(TypeError, match="filepath"):
        gs.models.load_model(None)
    model.save(str(tmp_path / "s.gstep"))
    model.save(pathlib.Path(tmp_path / "p.gstep"))
    model.save(os.fsencode(str(tmp_path / "b.gstep")))
    x, _ = _data()
    for name in ("s.gstep", "p.gstep", "b.gstep"):
        assert np.array_equal(gs.models.load_model(str(tmp_path / name)).predict(x), model.predict(x))
    with pytest.raises(OSError):
        model.save(tmp_path / "no_such_dir" / "m.gstep")
    assert _no_temp_files(tmp_path) == []
