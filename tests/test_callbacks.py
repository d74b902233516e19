"""Callbacks: EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler,
TerminateOnNaN, CSVLogger, LambdaCallback, History and model.stop_training (Keras 3 semantics).

Monitor-driven callbacks are tested twice: with a scripted sequence of monitored values (a
callback placed before them overwrites logs["val_loss"], so the expected epoch of every action
is known exactly) and inside ordinary training on small data. Everything is seeded.
"""

import csv
import math
import os

import numpy as np
import pytest

gs = pytest.importorskip("gradstep")

cb = gs.callbacks
Dense = gs.layers.Dense


# ----------------------------------------------------------------------------- helpers
def _data(n=48, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (np.argmax(x[:, :k], axis=1)).astype(np.int64)
    return x, y


def _model(d=6, k=3, lr=0.05, optimizer=None, seed=0):
    gs.set_seed(seed)
    model = gs.Sequential([gs.Input((d,)), Dense(8, activation="relu"), Dense(k, activation="softmax")])
    model.compile(
        optimizer=optimizer or gs.optimizers.SGD(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


class Script(cb.Callback):
    """Overwrite logs[key] at each epoch end with a scripted value (placed before the callback
    under test, which then sees the scripted value)."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values = list(values)
        self.key = key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = float(self.values[epoch])


def _fit_scripted(callback, values, key="val_loss", model=None, before=(), **kwargs):
    x, y = _data()
    model = model or _model()
    history = model.fit(
        x,
        y,
        batch_size=16,
        epochs=len(values),
        verbose=0,
        callbacks=list(before) + [Script(values, key), callback],
        **kwargs,
    )
    return model, history


def _epochs_run(history):
    return len(history.history["loss"])


# ----------------------------------------------------------------------------- exports
def test_exports_and_defaults():
    for name in [
        "Callback",
        "CallbackList",
        "History",
        "ProgbarLogger",
        "EarlyStopping",
        "ModelCheckpoint",
        "LearningRateScheduler",
        "ReduceLROnPlateau",
        "TerminateOnNaN",
        "CSVLogger",
        "LambdaCallback",
    ]:
        assert hasattr(cb, name), name
    es = cb.EarlyStopping()
    assert (
        es.monitor,
        es.min_delta,
        es.patience,
        es.verbose,
        es.mode,
        es.baseline,
        es.restore_best_weights,
        es.start_from_epoch,
    ) == ("val_loss", 0, 0, 0, "auto", None, False, 0)
    r = cb.ReduceLROnPlateau()
    assert (r.monitor, r.factor, r.patience, r.verbose, r.mode, r.min_delta, r.cooldown, r.min_lr) == (
        "val_loss",
        0.1,
        10,
        0,
        "auto",
        1e-4,
        0,
        0.0,
    )
    mc = cb.ModelCheckpoint("m.gstep")
    assert (mc.monitor, mc.verbose, mc.save_best_only, mc.save_weights_only, mc.mode, mc.save_freq, mc.best) == (
        "val_loss",
        0,
        False,
        False,
        "auto",
        "epoch",
        None,
    )
    assert cb.TerminateOnNaN().raise_error is False
    assert issubclass(cb.NaNLossError, RuntimeError)
    assert cb.LearningRateScheduler(lambda e, lr: lr).verbose == 0
    logger = cb.CSVLogger("log.csv")
    assert (logger.sep, logger.append) == (",", False)


@pytest.mark.parametrize(
    "monitor, direction",
    [
        ("val_loss", "min"),
        ("loss", "min"),
        ("accuracy", "max"),
        ("val_accuracy", "max"),
        ("val_acc", "max"),
        ("sparse_categorical_accuracy", "max"),
        ("val_auc", "max"),
        ("val_mse", "min"),
        ("mae", "min"),
    ],
)
def test_auto_mode_direction(monitor, direction):
    assert cb.EarlyStopping(monitor=monitor).direction == direction
    assert cb.ModelCheckpoint("f.gstep", monitor=monitor).direction == direction
    assert cb.ReduceLROnPlateau(monitor=monitor).direction == direction


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="unknown"):
        es = cb.EarlyStopping(monitor="val_accuracy", mode="maximum")
    assert es.mode == "auto" and es.direction == "max"
    with pytest.warns(UserWarning, match="unknown"):
        assert cb.ReduceLROnPlateau(mode="x").mode == "auto"


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"patience": -1}, "patience"),
        ({"start_from_epoch": 1.5}, "start_from_epoch"),
        ({"min_delta": "a"}, "min_delta"),
    ],
)
def test_early_stopping_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        cb.EarlyStopping(**kwargs)


def test_callbacks_must_be_callback_instances():
    x, y = _data()
    with pytest.raises(TypeError, match="Callback"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[lambda logs: None])


# ----------------------------------------------------------------------------- EarlyStopping
def test_early_stopping_restores_best_weights_exactly():
    (x, y), (xt, yt) = gs.datasets.load_digits()
    x, y = x[:600], y[:600]
    gs.set_seed(3)
    model = gs.Sequential([gs.Input((64,)), Dense(32, activation="relu"), Dense(10, activation="softmax")])
    model.compile(optimizer=gs.optimizers.Adam(0.03), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    per_epoch = []
    record = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    es = cb.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = model.fit(
        x, y, batch_size=32, epochs=80, validation_data=(xt[:200], yt[:200]), verbose=0, callbacks=[record, es]
    )
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert model.stop_training
    assert _epochs_run(history) < 80, "training should have stopped early"
    assert best == es.best_epoch and _epochs_run(history) == best + 1 + 3  # patience 3 after the best epoch
    assert es.stopped_epoch == best + 3
    assert best < len(per_epoch) - 1  # the last weights are not the best ones
    final = model.get_weights()
    for w, w_best in zip(final, per_epoch[best]):
        assert np.array_equal(w, w_best)
    assert not all(np.array_equal(a, b) for a, b in zip(final, per_epoch[-1]))
    # the restored model evaluates to the best val_loss
    assert model.evaluate(xt[:200], yt[:200], verbose=0)[0] == pytest.approx(val_loss[best], rel=1e-5)


def test_early_stopping_without_restore_keeps_last_weights():
    model = _model()
    per_epoch = []
    record = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    x, y = _data()
    model.fit(
        x,
        y,
        batch_size=16,
        epochs=5,
        verbose=0,
        callbacks=[record, Script([1.0, 0.5, 0.9, 0.9, 0.9]), cb.EarlyStopping(patience=2)],
    )
    assert len(per_epoch) == 4
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), per_epoch[-1]))


def test_early_stopping_restores_even_without_early_stop():
    # Keras 3 restores the best weights at the end of training whether or not it stopped early.
    model = _model()
    per_epoch = []
    record = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    _, history = _fit_scripted(
        cb.EarlyStopping(patience=10, restore_best_weights=True), [1.0, 0.4, 0.6, 0.5], model=model, before=[record]
    )
    assert _epochs_run(history) == 4
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), per_epoch[1]))


@pytest.mark.parametrize(
    "values, patience, epochs_run",
    [
        ([5, 4, 4.5, 4.2, 3, 3, 3, 3], 2, 4),  # no improvement at epochs 2 and 3 -> stops after epoch 3
        ([5, 4, 4.5, 3.9, 4.0, 4.1, 4.2, 4.3], 2, 6),  # the improvement at epoch 3 resets the wait
        ([5, 6, 7, 8], 0, 2),  # patience 0: the first non-improving epoch stops
        ([5, 5, 5, 5, 5], 1, 2),  # equal is not an improvement
        ([5, 4, 3, 2, 1], 0, 5),  # always improving: never stops
        ([1, 2, 3, 4, 5, 6, 7, 8], 5, 6),
    ],
)
def test_early_stopping_patience(values, patience, epochs_run):
    es = cb.EarlyStopping(patience=patience)
    model, history = _fit_scripted(es, values)
    assert _epochs_run(history) == epochs_run
    assert model.stop_training == (epochs_run < len(values))
    assert es.stopped_epoch == (epochs_run - 1 if epochs_run < len(values) else 0)


def test_early_stopping_min_delta():
    values = [1.0, 0.95, 0.92, 0.91, 0.9]
    _, history = _fit_scripted(cb.EarlyStopping(patience=1), values)
    assert _epochs_run(history) == 5
    _, history = _fit_scripted(cb.EarlyStopping(patience=1, min_delta=0.1), values)
    assert _epochs_run(history) == 2
    # min_delta is used as an absolute value, as in Keras
    _, history = _fit_scripted(cb.EarlyStopping(patience=1, min_delta=-0.1), values)
    assert _epochs_run(history) == 2
    # an improvement larger than min_delta counts
    _, history = _fit_scripted(cb.EarlyStopping(patience=0, min_delta=0.1), [1.0, 0.85, 0.7, 0.65, 0.5])
    assert _epochs_run(history) == 4


def test_early_stopping_baseline():
    # Without a baseline a worse epoch 1 is within patience 2.
    _, history = _fit_scripted(cb.EarlyStopping(patience=2), [1.0, 1.1, 1.2, 1.3])
    assert _epochs_run(history) == 3
    # With a baseline the first epoch (not better than the baseline) does not reset the wait.
    _, history = _fit_scripted(cb.EarlyStopping(patience=2, baseline=0.5), [1.0, 1.1, 1.2, 1.3])
    assert _epochs_run(history) == 2
    # Beating the baseline resets it as usual.
    _, history = _fit_scripted(cb.EarlyStopping(patience=2, baseline=0.5), [0.4, 0.45, 0.46, 0.47, 0.48])
    assert _epochs_run(history) == 3
    # Keras 3: an epoch that improves on the best so far (though not on the baseline) never stops training.
    _, history = _fit_scripted(cb.EarlyStopping(patience=1, baseline=0.5), [1.0, 0.9, 0.8, 0.7, 0.75, 0.6])
    assert _epochs_run(history) == 5


def test_early_stopping_baseline_restores_best_of_the_patience_window():
    model = _model()
    per_epoch = []
    record = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    model.fit(
        *_data(),
        batch_size=16,
        epochs=6,
        verbose=0,
        callbacks=[
            record,
            Script([1.0, 0.9, 0.95, 0.97, 0.99, 1.0]),
            cb.EarlyStopping(patience=2, baseline=0.1, restore_best_weights=True),
        ],
    )
    assert len(per_epoch) == 3  # wait: 1, (improvement) 2, 3 >= 2 -> stop at epoch 2
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), per_epoch[1]))


def test_early_stopping_start_from_epoch():
    values = [1, 2, 3, 4, 5, 6]
    _, history = _fit_scripted(cb.EarlyStopping(patience=0), values)
    assert _epochs_run(history) == 2
    es = cb.EarlyStopping(patience=0, start_from_epoch=3)
    _, history = _fit_scripted(es, values)
    assert _epochs_run(history) == 5  # epoch 3 is the first monitored (best), epoch 4 is worse
    assert es.best_epoch == 3 and es.best == 4
    # weights before start_from_epoch are never restored
    model = _model()
    per_epoch = []
    record = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    model.fit(
        *_data(),
        batch_size=16,
        epochs=5,
        verbose=0,
        callbacks=[
            record,
            Script([0.1, 0.2, 3.0, 2.0, 2.5]),
            cb.EarlyStopping(patience=5, start_from_epoch=2, restore_best_weights=True),
        ],
    )
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), per_epoch[3]))


def test_early_stopping_mode_max_with_accuracy():
    values = [0.5, 0.6, 0.55, 0.58, 0.7]
    es = cb.EarlyStopping(monitor="val_accuracy", patience=1)
    _, history = _fit_scripted(es, values, key="val_accuracy")
    assert es.direction == "max"
    assert _epochs_run(history) == 3 and es.best == pytest.approx(0.6)
    _, history = _fit_scripted(
        cb.EarlyStopping(monitor="val_accuracy", patience=0, mode="min"), values, key="val_accuracy"
    )
    assert _epochs_run(history) == 2
    # on real training: val_accuracy rises, so monitoring it in max mode does not stop at once
    x, y = _data(n=120)
    model = _model(lr=0.2)
    es = cb.EarlyStopping(monitor="val_accuracy", patience=2, restore_best_weights=True)
    history = model.fit(x, y, batch_size=16, epochs=30, validation_split=0.25, verbose=0, callbacks=[es])
    acc = history.history["val_accuracy"]
    assert es.best == max(acc) and es.best_epoch == int(np.argmax(acc))


def test_early_stopping_missing_monitor_warns():
    x, y = _data()
    es = cb.EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="val_loss.*not available"):
        history = _model().fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[es])
    assert _epochs_run(history) == 3


def test_early_stopping_instance_is_reusable():
    es = cb.EarlyStopping(patience=1, restore_best_weights=True)
    _, h1 = _fit_scripted(es, [1.0, 2.0, 3.0])
    _, h2 = _fit_scripted(es, [5.0, 4.0, 3.0])
    assert _epochs_run(h1) == 2 and _epochs_run(h2) == 3
    assert es.best == 3.0 and es.best_epoch == 2


# ----------------------------------------------------------------------------- ModelCheckpoint
def _record_saves(model, monkeypatch):
    calls = []
    monkeypatch.setattr(model, "save", lambda path, overwrite=True: calls.append(("save", path, overwrite)))
    monkeypatch.setattr(
        model, "save_weights", lambda path, overwrite=True: calls.append(("save_weights", path, overwrite))
    )
    return calls


def test_model_checkpoint_save_best_only_writes_only_on_improvement(tmp_path, monkeypatch):
    model = _model()
    calls = _record_saves(model, monkeypatch)
    path = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.3f}.gstep")
    mc = cb.ModelCheckpoint(path, save_best_only=True)
    _fit_scripted(mc, [1.0, 0.8, 0.9, 0.7, 0.7, 0.75, 0.2], model=model)
    names = [os.path.basename(p) for _, p, _ in calls]
    assert names == ["ckpt-01-1.000.gstep", "ckpt-02-0.800.gstep", "ckpt-04-0.700.gstep", "ckpt-07-0.200.gstep"]
    assert all(kind == "save" and overwrite for kind, _, overwrite in calls)
    assert mc.best == pytest.approx(0.2)


def test_model_checkpoint_every_epoch_and_weights_only(tmp_path, monkeypatch):
    model = _model()
    calls = _record_saves(model, monkeypatch)
    mc = cb.ModelCheckpoint(str(tmp_path / "w-{epoch}.weights.gstep"), save_weights_only=True)
    _fit_scripted(mc, [1.0, 2.0, 3.0], model=model)
    assert [(k, os.path.basename(p)) for k, p, _ in calls] == [
        ("save_weights", f"w-{e}.weights.gstep") for e in (1, 2, 3)
    ]


def test_model_checkpoint_mode_max_and_initial_value_threshold(tmp_path, monkeypatch):
    model = _model()
    calls = _record_saves(model, monkeypatch)
    mc = cb.ModelCheckpoint(
        str(tmp_path / "best.gstep"), monitor="val_accuracy", save_best_only=True, initial_value_threshold=0.6
    )
    _fit_scripted(mc, [0.5, 0.6, 0.65, 0.62, 0.9], key="val_accuracy", model=model)
    assert len(calls) == 2 and mc.best == pytest.approx(0.9)  # 0.65 and 0.9 beat the threshold 0.6


def test_model_checkpoint_save_freq_batches(tmp_path, monkeypatch):
    model = _model()
    calls = _record_saves(model, monkeypatch)
    x, y = _data(n=48)  # 3 batches of 16 per epoch
    mc = cb.ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.gstep"), save_freq=2)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[mc])
    assert [os.path.basename(p) for _, p, _ in calls] == ["e1-b2.gstep", "e2-b1.gstep", "e2-b3.gstep"]
    with pytest.raises(ValueError, match="save_freq"):
        cb.ModelCheckpoint("x.gstep", save_freq="batch")
    with pytest.raises(ValueError, match=r"\.gstep"):
        cb.ModelCheckpoint("model.keras")
    cb.ModelCheckpoint("model.weights.npz", save_weights_only=True)  # any name for weights


def test_model_checkpoint_missing_monitor_and_bad_format(tmp_path, monkeypatch):
    model = _model()
    calls = _record_saves(model, monkeypatch)
    x, y = _data()
    mc = cb.ModelCheckpoint(str(tmp_path / "m.gstep"), monitor="val_loss", save_best_only=True)
    with pytest.warns(UserWarning, match="val_loss"):
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[mc])
    assert len(calls) == 2  # saved anyway, as Keras
    bad = cb.ModelCheckpoint(str(tmp_path / "m-{val_los:.2f}.gstep"))
    with pytest.raises(KeyError, match="val_los"):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, validation_split=0.25, callbacks=[bad])


def test_model_checkpoint_real_files(tmp_path):
    model = _model()
    x, y = _data(n=96)
    per_epoch = []
    record = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    values = [1.0, 0.8, 0.9, 0.7, 0.75]
    pattern = cb.ModelCheckpoint(str(tmp_path / "all" / "ckpt-{epoch:02d}-{val_loss:.3f}.gstep"), save_best_only=True)
    single = cb.ModelCheckpoint(str(tmp_path / "best.gstep"), save_best_only=True)
    weights = cb.ModelCheckpoint(str(tmp_path / "best.weights.gstep"), save_best_only=True, save_weights_only=True)
    model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[record, Script(values), pattern, single, weights])
    assert sorted(os.listdir(tmp_path / "all")) == ["ckpt-01-1.000.gstep", "ckpt-02-0.800.gstep", "ckpt-04-0.700.gstep"]
    assert os.path.getsize(tmp_path / "best.gstep") > 0
    load_model = getattr(gs.models, "load_model", None)
    if load_model is not None:
        restored = load_model(str(tmp_path / "best.gstep"))
        for w, w_best in zip(restored.get_weights(), per_epoch[3]):
            assert np.array_equal(w, w_best)
    fresh = _model(seed=5)
    fresh.load_weights(str(tmp_path / "best.weights.gstep"))
    for w, w_best in zip(fresh.get_weights(), per_epoch[3]):
        assert np.array_equal(w, w_best)


# ----------------------------------------------------------------------------- ReduceLROnPlateau
def _drive(callback, model, values, key="val_loss"):
    """Call the callback's hooks directly with scripted logs; returns (lr after each epoch, logs)."""
    callback.set_model(model)
    callback.set_params({"epochs": len(values)})
    callback.on_train_begin({})
    rates, all_logs = [], []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch, {})
        logs = {"loss": 1.0, key: value}
        callback.on_epoch_end(epoch, logs)
        rates.append(model.optimizer.learning_rate)
        all_logs.append(logs)
    callback.on_train_end({})
    return rates, all_logs


def _f32(values):
    return [float(np.float32(v)) for v in values]


@pytest.mark.parametrize(
    "patience, cooldown, expected",
    [
        # plateau from the start: reductions every `patience` epochs; cooldown c skips c epochs of counting
        (2, 0, [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125]),
        (2, 1, [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125]),  # as Keras: the cooldown epoch also counts
        (2, 2, [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125]),
        (1, 0, [1, 0.5, 0.25, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125]),
        (3, 1, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]),
        (3, 2, [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]),
    ],
)
def test_reduce_lr_scripted_plateau(patience, cooldown, expected):
    model = _model(optimizer=gs.optimizers.SGD(1.0))
    r = cb.ReduceLROnPlateau(factor=0.5, patience=patience, cooldown=cooldown, min_lr=0.125, min_delta=0.0)
    rates, logs = _drive(r, model, [1.0] * 10)
    assert rates == _f32(expected)
    # logs["learning_rate"] is the rate in use during the epoch (before this epoch's reduction)
    assert [l["learning_rate"] for l in logs] == _f32([1.0] + expected[:-1])


def test_reduce_lr_scripted_improvements_and_min_delta():
    model = _model(optimizer=gs.optimizers.SGD(0.5))
    r = cb.ReduceLROnPlateau(factor=0.1, patience=2)
    # default min_delta=1e-4: 0.99995 is not an improvement on 1.0; 0.9 is
    values = [1.0, 0.99995, 0.9, 0.95, 0.93, 0.8, 0.80005, 0.79995, 0.7999]
    rates, _ = _drive(r, model, values)
    expected = [0.5, 0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.005, 0.005]
    assert rates == pytest.approx(_f32(expected), rel=1e-6)
    assert r.best == pytest.approx(0.8) and r.wait == 1


def test_reduce_lr_mode_max_and_min_lr():
    model = _model(optimizer=gs.optimizers.SGD(0.1))
    r = cb.ReduceLROnPlateau(monitor="val_accuracy", factor=0.2, patience=1, min_lr=0.01)
    rates, _ = _drive(r, model, [0.5, 0.6, 0.55, 0.6, 0.7, 0.7, 0.7, 0.7], key="val_accuracy")
    assert rates == pytest.approx(_f32([0.1, 0.1, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01]), rel=1e-6)
    with pytest.raises(ValueError, match="factor"):
        cb.ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_missing_monitor_warns():
    model = _model(optimizer=gs.optimizers.SGD(0.1))
    r = cb.ReduceLROnPlateau(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="val_loss"):
        rates, logs = _drive(r, model, [1.0, 1.0], key="loss_other")
    assert rates == _f32([0.1, 0.1]) and logs[0]["learning_rate"] == float(np.float32(0.1))


def _reference_reduce_lr(values, lr, factor, patience, cooldown, min_lr, min_delta):
    """Learning rate during each epoch, following Keras' documented rules (mode min)."""
    best, wait, cooldown_counter, rates = math.inf, 0, 0, []
    for value in values:
        rates.append(lr)
        if cooldown_counter > 0:
            cooldown_counter -= 1
            wait = 0
        if value < best - min_delta:
            best, wait = value, 0
        elif cooldown_counter == 0:
            wait += 1
            if wait >= patience and lr > np.float32(min_lr):
                lr = float(np.float32(max(lr * factor, min_lr)))
                cooldown_counter, wait = cooldown, 0
    return rates


def test_reduce_lr_in_real_fit():
    (x, y), (xt, yt) = gs.datasets.load_digits()
    gs.set_seed(1)
    model = gs.Sequential([gs.Input((64,)), Dense(32, activation="relu"), Dense(10, activation="softmax")])
    model.compile(optimizer=gs.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    seen = []
    r = cb.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1, min_lr=1e-3)
    probe = cb.LambdaCallback(on_train_batch_begin=lambda b, logs: seen.append(model.optimizer.learning_rate))
    history = model.fit(
        x[:800], y[:800], batch_size=64, epochs=15, validation_data=(xt, yt), verbose=0, callbacks=[r, probe]
    )
    rates = history.history["learning_rate"]
    expected = _reference_reduce_lr(history.history["val_loss"], float(np.float32(0.02)), 0.5, 1, 1, 1e-3, 1e-4)
    assert rates == pytest.approx(expected, rel=1e-6)
    assert min(rates) < rates[0], "the plateau should have reduced the learning rate at least once"
    steps = -(-800 // 64)
    assert seen[::steps] == rates  # the rate in the logs is the one the optimizer used in that epoch


# ----------------------------------------------------------------------------- LearningRateScheduler
def test_learning_rate_scheduler_sets_rate_per_epoch():
    model = _model(optimizer=gs.optimizers.SGD(0.1))
    used = []
    probe = cb.LambdaCallback(
        on_train_batch_begin=lambda b, logs: used.append((len(used), model.optimizer.learning_rate))
    )
    calls = []

    def schedule(epoch, lr):
        calls.append((epoch, lr))
        return 0.1 * 0.5**epoch

    x, y = _data(n=32)
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[cb.LearningRateScheduler(schedule), probe])
    expected = _f32([0.1 * 0.5**e for e in range(4)])
    assert [lr for _, lr in used] == [e for e in expected for _ in range(2)]
    assert history.history["learning_rate"] == expected
    assert [e for e, _ in calls] == [0, 1, 2, 3]
    assert [lr for _, lr in calls] == _f32([0.1] + [0.1 * 0.5**e for e in range(3)])  # the current rate
    assert model.optimizer.learning_rate == expected[-1]


def test_learning_rate_scheduler_rate_is_used():
    # a zero rate from epoch 1 on freezes the weights
    model = _model(optimizer=gs.optimizers.SGD(0.1))
    per_epoch = []
    record = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    x, y = _data()
    model.fit(
        x,
        y,
        batch_size=16,
        epochs=3,
        verbose=0,
        callbacks=[cb.LearningRateScheduler(lambda epoch, lr: 0.1 if epoch == 0 else 0.0), record],
    )
    assert model.optimizer.iterations == 9
    assert all(np.array_equal(a, b) for a, b in zip(per_epoch[1], per_epoch[2]))
    assert all(np.array_equal(a, b) for a, b in zip(per_epoch[0], per_epoch[1]))


def test_learning_rate_scheduler_one_argument_and_bad_output():
    model = _model(optimizer=gs.optimizers.SGD(0.1))
    x, y = _data()
    model.fit(
        x, y, batch_size=16, epochs=2, verbose=0, callbacks=[cb.LearningRateScheduler(lambda epoch: 0.25 / (epoch + 1))]
    )
    assert model.optimizer.learning_rate == float(np.float32(0.125))
    model.fit(
        x,
        y,
        batch_size=16,
        epochs=1,
        verbose=0,
        callbacks=[cb.LearningRateScheduler(lambda epoch, lr: np.float32(0.5))],
    )
    assert model.optimizer.learning_rate == 0.5
    with pytest.raises(ValueError, match="float"):
        model.fit(
            x, y, batch_size=16, epochs=1, verbose=0, callbacks=[cb.LearningRateScheduler(lambda epoch, lr: "fast")]
        )
    with pytest.raises(TypeError, match="schedule"):
        cb.LearningRateScheduler(0.1)


def test_learning_rate_scheduler_verbose(capsys):
    model = _model(optimizer=gs.optimizers.SGD(0.1))
    model.fit(
        *_data(),
        batch_size=16,
        epochs=1,
        verbose=0,
        callbacks=[cb.LearningRateScheduler(lambda epoch, lr: 0.5, verbose=1)],
    )
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.5" in capsys.readouterr().out


# ----------------------------------------------------------------------------- TerminateOnNaN
def _exploding_model(lr=1e3):
    gs.set_seed(0)
    model = gs.Sequential([gs.Input((8,)), Dense(1, kernel_initializer=gs.initializers.Constant(1e5))])
    model.compile(optimizer=gs.optimizers.SGD(lr), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    return model, x, np.zeros((64, 1), np.float32)


def _first_bad_batch():
    model, x, y = _exploding_model()
    losses = []
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        verbose=0,
        shuffle=False,
        callbacks=[cb.LambdaCallback(on_train_batch_end=lambda b, logs: losses.append(logs["loss"]))],
    )
    bad = [i for i, v in enumerate(losses) if not math.isfinite(v)]
    assert bad and bad[0] > 0, "the set-up must blow up after a few finite batches"
    return bad[0]


def test_terminate_on_nan_stops_after_first_bad_batch(capsys):
    first_bad = _first_bad_batch()
    model, x, y = _exploding_model()
    ends = []
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=5,
        verbose=0,
        shuffle=False,
        callbacks=[cb.TerminateOnNaN(), cb.LambdaCallback(on_train_end=lambda logs: ends.append(1))],
    )
    assert model.optimizer.iterations == first_bad + 1
    assert model.stop_training and ends == [1]
    assert _epochs_run(history) == 1 and not math.isfinite(history.history["loss"][0])
    assert f"Batch {first_bad}: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_raise_error_keeps_model_usable():
    first_bad = _first_bad_batch()
    model, x, y = _exploding_model()
    start = model.get_weights()
    ends = []
    with pytest.raises(RuntimeError, match=f"batch {first_bad}") as info:
        model.fit(
            x,
            y,
            batch_size=8,
            epochs=5,
            verbose=0,
            shuffle=False,
            callbacks=[
                cb.TerminateOnNaN(raise_error=True),
                cb.LambdaCallback(on_train_end=lambda logs: ends.append(1)),
            ],
        )
    assert isinstance(info.value, cb.NaNLossError)
    assert model.stop_training and ends == []
    assert model.optimizer.iterations == first_bad + 1
    # the model can be repaired and trained further
    model.set_weights(start)
    model.optimizer.learning_rate = 1e-3
    history = model.fit(x, y / 1.0 + 1.0, batch_size=8, epochs=1, verbose=0, callbacks=[cb.TerminateOnNaN()])
    assert math.isfinite(history.history["loss"][0]) and not model.stop_training
    assert np.all(np.isfinite(model.predict(x)))


def test_terminate_on_nan_ignores_finite_losses():
    model = _model()
    history = model.fit(*_data(), batch_size=16, epochs=3, verbose=0, callbacks=[cb.TerminateOnNaN()])
    assert _epochs_run(history) == 3 and not model.stop_training


# ----------------------------------------------------------------------------- CSVLogger
def _read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_content(tmp_path):
    path = tmp_path / "log.csv"
    model = _model()
    x, y = _data(n=64)
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0, callbacks=[cb.CSVLogger(path)])
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(rows) == 4
    for epoch, row in enumerate(rows[1:]):
        assert int(row[0]) == epoch
        for key, text in zip(rows[0][1:], row[1:]):
            assert float(text) == history.history[key][epoch]  # exact: repr round-trips


def test_csv_logger_append_and_overwrite(tmp_path):
    path = tmp_path / "log.csv"
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[cb.CSVLogger(path, separator=";")])
    model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[cb.CSVLogger(path, separator=";", append=True)])
    rows = _read_csv(path, ";")
    assert rows[0] == ["epoch", "accuracy", "loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0", "1", "2"]
    assert sum(r == rows[0] for r in rows) == 1  # one header
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[cb.CSVLogger(path, separator=";")])
    assert len(_read_csv(path, ";")) == 2  # append=False overwrites
    # appending with different log keys keeps the existing columns ("NA" when missing)
    with pytest.warns(UserWarning, match="not columns"):
        model.fit(
            x,
            y,
            batch_size=16,
            epochs=1,
            verbose=0,
            validation_split=0.25,
            callbacks=[cb.LearningRateScheduler(lambda e, lr: lr), cb.CSVLogger(path, separator=";", append=True)],
        )
    rows = _read_csv(path, ";")
    assert rows[0] == ["epoch", "accuracy", "loss"] and all(len(r) == 3 for r in rows)


def test_csv_logger_append_to_missing_or_empty_file_writes_header(tmp_path):
    x, y = _data()
    for name, content in [("new.csv", None), ("empty.csv", "")]:
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        _model().fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[cb.CSVLogger(path, append=True)])
        assert _read_csv(path)[0] == ["epoch", "accuracy", "loss"]


def test_csv_logger_interrupted_run(tmp_path):
    """A crash leaves complete, flushed lines: never a header alone or a half-written one."""
    path = tmp_path / "log.csv"
    x, y = _data()

    def crash(epoch, logs):
        if epoch == 2:
            # what is on disk while the file is still open
            rows = _read_csv(path)
            assert rows[0] == ["epoch", "accuracy", "loss"] and len(rows) == 3
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _model().fit(
            x,
            y,
            batch_size=16,
            epochs=5,
            verbose=0,
            callbacks=[cb.CSVLogger(path), cb.LambdaCallback(on_epoch_begin=crash)],
        )
    crash_first = cb.LambdaCallback(on_train_batch_end=lambda b, logs: (_ for _ in ()).throw(KeyboardInterrupt))
    path2 = tmp_path / "log2.csv"
    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[cb.CSVLogger(path2), crash_first])
    assert path2.read_text() == ""  # no header without a row
    # a previous run cut mid-line: appended rows start on a fresh line
    path.write_text(path.read_text() + "2,0.5")
    _model().fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[cb.CSVLogger(path, append=True)])
    rows = _read_csv(path)
    assert rows[-2] == ["2", "0.5"] and rows[-1][0] == "0" and len(rows[-1]) == 3


# ----------------------------------------------------------------------------- LambdaCallback
def test_lambda_callback_hooks_in_order():
    events = []
    lam = cb.LambdaCallback(
        on_train_begin=lambda logs: events.append(("train_begin", dict(logs))),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_train_batch_begin=lambda batch, logs: events.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: events.append(("batch_end", batch, sorted(logs))),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: events.append(("train_end", sorted(logs))),
    )
    x, y = _data(n=40)  # 30 training samples -> 2 batches of 16
    _model().fit(x, y, batch_size=16, epochs=2, validation_split=0.25, verbose=0, callbacks=[lam])
    batch_keys = ["accuracy", "loss"]
    epoch_keys = ["accuracy", "loss", "val_accuracy", "val_loss"]
    expected = [("train_begin", {})]
    for epoch in range(2):
        expected.append(("epoch_begin", epoch))
        for batch in range(2):
            expected += [("batch_begin", batch), ("batch_end", batch, batch_keys)]
        expected.append(("epoch_end", epoch, epoch_keys))
    expected.append(("train_end", epoch_keys))
    assert events == expected


def test_lambda_callback_epoch_logs_are_the_history_values():
    seen = []
    lam = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))
    history = _model().fit(*_data(), batch_size=16, epochs=2, verbose=0, callbacks=[lam])
    assert [s["loss"] for s in seen] == history.history["loss"]


def test_lambda_callback_extra_hooks_and_errors():
    events = []
    lam = cb.LambdaCallback(
        on_test_begin=lambda logs: events.append("test_begin"),
        on_test_end=lambda logs: events.append(("test_end", sorted(logs))),
    )
    x, y = _data()
    model = _model()
    model.evaluate(x, y, verbose=0, callbacks=[lam])
    assert events == ["test_begin", ("test_end", ["accuracy", "loss"])]
    with pytest.raises(TypeError, match="on_epoch_ends"):
        cb.LambdaCallback(on_epoch_ends=lambda e, l: None)
    with pytest.raises(TypeError, match="callable"):
        cb.LambdaCallback(on_epoch_end=3)


def test_on_batch_end_alias():
    class Counter(cb.Callback):
        def __init__(self):
            super().__init__()
            self.begin = self.end = 0

        def on_batch_begin(self, batch, logs=None):
            self.begin += 1

        def on_batch_end(self, batch, logs=None):
            self.end += 1

    counter = Counter()
    _model().fit(*_data(n=48), batch_size=16, epochs=2, verbose=0, callbacks=[counter])
    assert counter.begin == counter.end == 6


# ----------------------------------------------------------------------------- History / stop_training
def test_history_keys_and_model_history():
    model = _model()
    x, y = _data(n=64)
    history = model.fit(
        x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0, callbacks=[cb.ReduceLROnPlateau(patience=5)]
    )
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert model.history is history
    assert all(isinstance(v, float) for vals in history.history.values() for v in vals)


def test_stop_training_from_a_callback_ends_fit_after_the_current_batch():
    model = _model()
    x, y = _data(n=64)  # 4 batches of 16 per epoch
    events = []

    def batch_end(batch, logs):
        events.append(("batch", len(events)))
        if model.optimizer.iterations == 6:  # epoch 1, batch 1
            model.stop_training = True

    lam = cb.LambdaCallback(
        on_train_batch_end=batch_end,
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch)),
        on_train_end=lambda logs: events.append(("train_end",)),
    )
    history = model.fit(x, y, batch_size=16, epochs=10, verbose=0, callbacks=[lam])
    assert model.optimizer.iterations == 6
    assert _epochs_run(history) == 2  # the interrupted epoch still ends (on_epoch_end), as Keras
    assert events[-2:] == [("epoch_end", 1), ("train_end",)]
    # a new fit starts again
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert _epochs_run(history) == 1 and not model.stop_training


def test_stop_training_at_epoch_end():
    model = _model()
    stop = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 2))
    history = model.fit(*_data(), batch_size=16, epochs=10, verbose=0, callbacks=[stop])
    assert _epochs_run(history) == 3 and model.optimizer.iterations == 9


def test_callback_list_passes_dicts():
    got = []

    class Probe(cb.Callback):
        def on_train_begin(self, logs=None):
            got.append(logs)

        def on_epoch_begin(self, epoch, logs=None):
            got.append(logs)

    _model().fit(*_data(), batch_size=16, epochs=1, verbose=0, callbacks=[Probe()])
    assert got == [{}, {}]
