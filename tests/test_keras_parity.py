"""Keras parity (issue 12): behaviour a Keras user relies on without thinking about it."""

import numpy as np
import pytest

import gradstep as gs


def _order_probe(seed=0, n=12):
    """A model that cannot learn (SGD lr=0, zero weights) on targets y_i = i + 1: with batch 1,
    each step's loss is (i + 1)^2, so the batch order can be read back from the logged losses."""
    gs.set_seed(seed)
    model = gs.Sequential([gs.Input((1,)), gs.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(gs.optimizers.SGD(0.0), "mse")
    x = np.zeros((n, 1), np.float32)
    y = np.arange(1, n + 1, dtype=np.float32).reshape(-1, 1)
    return model, x, y


def _orders(model, x, y, epochs=1):
    """The sample order of every epoch of one fit call."""
    orders, running = [], []

    def on_batch_end(batch, logs):
        running.append(logs["loss"])

    def on_epoch_end(epoch, logs):
        means = np.array(running, dtype=np.float64)
        steps = np.arange(1, len(means) + 1)
        losses = steps * means - np.r_[0.0, (steps * means)[:-1]]
        orders.append(list(np.rint(np.sqrt(losses)).astype(int) - 1))
        running.clear()

    callback = gs.callbacks.LambdaCallback(on_train_batch_end=on_batch_end, on_epoch_end=on_epoch_end)
    model.fit(x, y, batch_size=1, epochs=epochs, verbose=0, callbacks=[callback])
    return orders


def test_every_fit_call_draws_a_new_order_and_continues_after_save_and_load(tmp_path):
    model, x, y = _order_probe()
    first = _orders(model, x, y)[0]
    second = _orders(model, x, y)[0]
    assert sorted(first) == sorted(second) == list(range(12))
    assert first != second
    # The same orders as one fit of 2 epochs, from the same seed.
    model_b, _, _ = _order_probe()
    assert _orders(model_b, x, y, epochs=2) == [first, second]
    # Saved and reloaded, the model continues the sequence: its third order is model_b's third.
    model.save(tmp_path / "m.gstep")
    loaded = gs.models.load_model(tmp_path / "m.gstep")
    assert _orders(loaded, x, y)[0] == _orders(model_b, x, y)[0]


def test_save_load_fit_in_a_loop_is_bitwise_an_uninterrupted_run(tmp_path):
    def make():
        gs.set_seed(3)
        model = gs.Sequential(
            [gs.Input((4,)), gs.layers.Dense(8, activation="relu"), gs.layers.Dropout(0.3), gs.layers.Dense(1)]
        )
        model.compile(gs.optimizers.Adam(1e-2), "mse")
        return model

    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    y = rng.standard_normal((40, 1)).astype(np.float32)
    straight = make()
    straight.fit(x, y, batch_size=8, epochs=3, verbose=0)
    model = make()
    for _ in range(3):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        model.save(tmp_path / "loop.gstep")
        model = gs.models.load_model(tmp_path / "loop.gstep")
    for a, b in zip(straight.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_dropout_draws_a_new_mask_on_every_training_call():
    gs.set_seed(0)
    model = gs.Sequential([gs.Input((64,)), gs.layers.Dropout(0.5)])
    x = np.ones((4, 64), np.float32)
    first, second = model(x, training=True), model(x, training=True)
    assert not np.array_equal(first, second)
    assert set(np.unique(first)) <= {0.0, 2.0}
    np.testing.assert_array_equal(model(x), x)
    # Deterministic for a given seed and call sequence.
    gs.set_seed(0)
    again = gs.Sequential([gs.Input((64,)), gs.layers.Dropout(0.5)])
    np.testing.assert_array_equal(again(x, training=True), first)
    np.testing.assert_array_equal(again(x, training=True), second)


def test_to_categorical_matches_keras():
    labels = np.array([[2], [0], [1], [2]])
    out = gs.utils.to_categorical(labels)
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[[2, 0, 1, 2]])
    assert out.dtype == np.float32
    seq = gs.utils.to_categorical(np.array([[0, 3], [1, 1]]), num_classes=5)
    assert seq.shape == (2, 2, 5) and seq[0, 1, 3] == 1.0 and seq.sum() == 4
    with pytest.raises(ValueError, match=r"label 5 at position \(1,\).*num_classes=4"):
        gs.utils.to_categorical(np.array([1, 5]), num_classes=4)
    with pytest.raises(ValueError, match="integer class labels"):
        gs.utils.to_categorical(np.array([0.5, 1.0]))


def test_set_random_seed_and_clear_session():
    gs.utils.set_random_seed(5)
    a = gs.Sequential([gs.Input((3,)), gs.layers.Dense(2)]).get_weights()
    gs.set_seed(5)
    b = gs.Sequential([gs.Input((3,)), gs.layers.Dense(2)]).get_weights()
    np.testing.assert_array_equal(a[0], b[0])
    gs.layers.Dense(2)
    gs.utils.clear_session()
    assert gs.layers.Dense(2).name == "dense"
    assert gs.layers.Dense(2).name == "dense_1"


def test_a_model_that_starts_with_input_is_built_at_construction_and_can_grow():
    model = gs.Sequential([gs.Input((4,)), gs.layers.Dense(3)])
    assert model.built and model.layers[0].kernel.shape == (4, 3)  # before compile or fit
    growing = gs.Sequential([gs.Input((4,))])
    growing.add(gs.layers.Dense(3))
    first = growing.get_weights()
    growing.add(gs.layers.Dense(2, name="head"))
    assert [w.shape for w in growing.get_weights()] == [(4, 3), (3,), (3, 2), (2,)]
    np.testing.assert_array_equal(growing.get_weights()[0], first[0])  # kept, not re-drawn
    growing.compile("sgd", "mse")
    with pytest.raises(ValueError, match="compiled"):
        growing.add(gs.layers.Dense(1))


def _frozen_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 6)).astype(np.float32), rng.integers(0, 3, n)


def _frozen_model(body_trainable=True):
    gs.set_seed(2)
    model = gs.Sequential(
        [
            gs.Input((6,)),
            gs.layers.Dense(
                8, activation="relu", kernel_regularizer=gs.regularizers.L2(0.1), name="body", trainable=body_trainable
            ),
            gs.layers.BatchNormalization(name="bn"),
            gs.layers.Dense(3, activation="softmax", name="head"),
        ]
    )
    model.compile(gs.optimizers.Adam(1e-2, global_clipnorm=1.0), "sparse_categorical_crossentropy")
    return model


def test_trainable_false_layers_are_not_updated_nor_penalised():
    x, y = _frozen_data()
    model = _frozen_model(body_trainable=False)
    assert model.get_layer("body") is model.layers[0] and model.get_layer(index=2).name == "head"
    body_before = [w.copy() for w in model.get_layer("body").get_weights()]
    head_before = [w.copy() for w in model.layers[2].get_weights()]
    # The L2 penalty of a frozen kernel is not part of the loss (Keras: trainable weights only).
    loss_with_frozen_penalty = model.evaluate(x, y, verbose=0)
    model.layers[0].trainable = True
    assert model.evaluate(x, y, verbose=0) > loss_with_frozen_penalty
    model.layers[0].trainable = False
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    for a, b in zip(model.layers[0].get_weights(), body_before):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(model.layers[2].get_weights()[0], head_before[0])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    # body: 6*8 + 8 = 56 frozen; bn: 16 trainable + 16 moving statistics; head: 27
    assert "Trainable params: 43" in text and "Non-trainable params: 72" in text
    assert model.get_config()["layers"][0]["config"]["trainable"] is False


def test_unfreezing_after_compile_takes_effect_at_the_next_step():
    x, y = _frozen_data()
    model = _frozen_model(body_trainable=False)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    frozen_kernel = model.layers[0].get_weights()[0]
    model.layers[0].trainable = True
    model.train_on_batch(x[:16], y[:16])
    assert not np.array_equal(model.layers[0].get_weights()[0], frozen_kernel)
    model.trainable = False
    before = model.get_weights()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # everything frozen, BN statistics included
    assert model.trainable is False


def test_a_frozen_batchnormalization_runs_in_inference_mode():
    x, y = _frozen_data()
    model = _frozen_model()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.layers[1].trainable = False
    moving = [w.copy() for w in model.layers[1].get_weights()[2:]]
    np.testing.assert_array_equal(model(x, training=True), model(x, training=False))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    for a, b in zip(model.layers[1].get_weights()[2:], moving):
        np.testing.assert_array_equal(a, b)


def test_layer_weights_are_read_only_views_that_follow_training():
    x, y = _frozen_data()
    model = _frozen_model()
    kernel = model.layers[2].kernel
    with pytest.raises(ValueError, match="read-only"):
        kernel[:] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        model.layers[2].weights[1][0] = 1.0
    before = kernel.copy()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert not np.array_equal(kernel, before)  # the view shows the trained values
    np.testing.assert_array_equal(kernel, model.layers[2].get_weights()[0])
    copy = model.layers[2].get_weights()[0]
    copy[:] = 0.0  # get_weights() returns copies: writable, and the model is unchanged
    assert np.any(model.layers[2].kernel != 0.0)
    model.layers[2].set_weights([copy, model.layers[2].get_weights()[1]])
    assert np.all(model.layers[2].kernel == 0.0)


@pytest.mark.skipif(
    __import__("os").environ.get("GRADSTEP_SANITIZED") == "1", reason="a full training run; too slow under ASan/UBSan"
)
def test_transfer_learning_example_freezes_its_body():
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "transfer_learning.py")
    spec = importlib.util.spec_from_file_location("example_transfer_learning", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main([])
    assert results["body_unchanged"] is True
    assert results["trainable_params"] == 32 * 64 + 32 + 32 * 2 + 2  # the new head only
    assert results["task_a"] >= 0.9 and results["frozen"] >= 0.85, results


def _small_classifier():
    gs.set_seed(0)
    model = gs.Sequential([gs.Input((4,)), gs.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    return model, rng.standard_normal((100, 4)).astype(np.float32), rng.integers(0, 3, 100)


def test_evaluate_and_predict_show_progress_and_honour_steps(capsys):
    model, x, y = _small_classifier()
    full = model.evaluate(x, y, verbose=0)
    assert capsys.readouterr().out == ""
    model.evaluate(x, y, verbose=1)
    assert "4/4 [" in capsys.readouterr().out  # the finished bar, as fit's (not a terminal here)
    first_two = model.evaluate(x, y, steps=2, verbose=2)
    out = capsys.readouterr().out
    assert "2/2 steps" in out and "loss:" in out and "accuracy:" in out
    assert first_two == model.evaluate(x[:64], y[:64], verbose=0) != full
    assert model.predict(x, steps=1, verbose=0).shape == (32, 3)
    model.predict(x, verbose=1)
    assert "4/4 [" in capsys.readouterr().out
    seen = []
    callback = gs.callbacks.LambdaCallback(on_predict_batch_end=lambda batch, logs: seen.append(logs["outputs"].shape))
    np.testing.assert_array_equal(
        model.predict(x, batch_size=40, verbose=0, callbacks=[callback]), model.predict(x, verbose=0)
    )
    assert seen == [(40, 3), (40, 3), (20, 3)]


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: gs.Input((3,), batch_size=8), "batch_size"),
        (lambda: gs.losses.MeanSquaredError(dtype="float16"), "dtype"),
    ],
)
def test_arguments_that_would_be_ignored_raise(make, argument):
    with pytest.raises(NotImplementedError, match=argument):
        make()


_BACKUP_SCRIPT = r"""
import os, signal, sys
import numpy as np
import gradstep as gs

gs.set_seed(7)
model = gs.Sequential([gs.Input((5,)), gs.layers.Dense(16, activation="relu"), gs.layers.Dropout(0.3),
                       gs.layers.Dense(1)])
model.compile(gs.optimizers.Adam(1e-2), "mse")
rng = np.random.default_rng(0)
x = rng.standard_normal((96, 5)).astype(np.float32)
y = rng.standard_normal((96, 1)).astype(np.float32)
kill_at = int(os.environ.get("KILL_AT_EPOCH", "-1"))

def maybe_die(batch, logs):
    if model.history is not None and batch == 3 and kill_at == current[0]:
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of any kind, as a crash or an OOM kill

current = [0]
callbacks = [gs.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: current.__setitem__(0, epoch),
                                         on_train_batch_end=maybe_die)]
if sys.argv[2] == "backup":
    callbacks.insert(0, gs.callbacks.BackupAndRestore(sys.argv[3]))
history = model.fit(x, y, batch_size=8, epochs=6, verbose=0, callbacks=callbacks)
np.savez(sys.argv[1], *model.get_weights())
with open(sys.argv[1] + ".epochs", "w") as f:
    f.write(" ".join(str(e) for e in history.epoch))
"""


def test_backup_and_restore_resumes_a_killed_fit_bitwise(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "train.py"
    script.write_text(_BACKUP_SCRIPT)
    backup = tmp_path / "backup"
    env = dict(os.environ)
    straight = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "straight.npz"), "plain", ""], env=env, timeout=300
    )
    assert straight.returncode == 0
    killed = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "resumed.npz"), "backup", str(backup)],
        env=dict(env, KILL_AT_EPOCH="3"),
        timeout=300,
    )
    assert killed.returncode == -9  # died mid-epoch 3, after backing up epochs 0-2
    assert sorted(os.listdir(backup)) == ["epoch_2.gstep"]
    resumed = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "resumed.npz"), "backup", str(backup)], env=env, timeout=300
    )
    assert resumed.returncode == 0
    assert os.listdir(backup) == []  # deleted once fit finished
    # The second run trained only epochs 3-5, from the restored state.
    assert (tmp_path / "resumed.npz.epochs").read_text() == "3 4 5"
    assert (tmp_path / "straight.npz.epochs").read_text() == "0 1 2 3 4 5"
    a, b = np.load(tmp_path / "straight.npz"), np.load(tmp_path / "resumed.npz")
    assert len(a.files) == len(b.files) == 4
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])


# ---------------------------------------------------------------------------------- metric classes
def _binary_data(seed=0, n=500):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.float32)
    p = np.clip(0.5 * y + rng.uniform(0.0, 0.6, n), 0.0, 1.0).astype(np.float32)
    return y, p


def _in_batches(metric, y, p, size=64):
    metric.reset_state()
    for start in range(0, len(y), size):
        metric.update_state(y[start : start + size], p[start : start + size])
    return metric.result()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metric_classes_against_scikit_learn(seed):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    y, p = _binary_data(seed)
    assert _in_batches(gs.metrics.Precision(), y, p) == pytest.approx(sklearn_metrics.precision_score(y, p > 0.5))
    assert _in_batches(gs.metrics.Recall(), y, p) == pytest.approx(sklearn_metrics.recall_score(y, p > 0.5))
    assert _in_batches(gs.metrics.Recall(thresholds=0.3), y, p) == pytest.approx(
        sklearn_metrics.recall_score(y, p > 0.3)
    )
    # AUC over 200 thresholds: the exact ROC area up to the threshold grid.
    assert _in_batches(gs.metrics.AUC(), y, p) == pytest.approx(sklearn_metrics.roc_auc_score(y, p), abs=5e-3)
    assert _in_batches(gs.metrics.AUC(num_thresholds=2000), y, p) == pytest.approx(
        sklearn_metrics.roc_auc_score(y, p), abs=5e-4
    )
    rng = np.random.default_rng(seed)
    scores = rng.random((300, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 300)
    for k in (1, 3, 5):
        expected = sklearn_metrics.top_k_accuracy_score(labels, scores, k=k, labels=np.arange(10))
        assert _in_batches(gs.metrics.SparseTopKCategoricalAccuracy(k=k), labels, scores) == pytest.approx(expected)
        assert _in_batches(gs.metrics.TopKCategoricalAccuracy(k=k), np.eye(10)[labels], scores) == pytest.approx(
            expected
        )
    target = rng.standard_normal((100, 3))
    guess = rng.standard_normal((100, 3))
    assert _in_batches(gs.metrics.MeanSquaredError(), target, guess) == pytest.approx(
        sklearn_metrics.mean_squared_error(target, guess)
    )
    assert _in_batches(gs.metrics.MeanAbsoluteError(), target, guess) == pytest.approx(
        sklearn_metrics.mean_absolute_error(target, guess)
    )


def test_metric_objects_and_names_in_compile_fit_evaluate_and_save(tmp_path):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.standard_normal(200) > 0).astype(np.float32).reshape(-1, 1)
    gs.set_seed(0)
    model = gs.Sequential([gs.Input((5,)), gs.layers.Dense(1, activation="sigmoid")])
    model.compile(
        gs.optimizers.Adam(1e-2),
        "binary_crossentropy",
        metrics=["accuracy", gs.metrics.AUC(name="roc"), "precision", gs.metrics.Recall(thresholds=0.4)],
    )
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    assert list(history.history) == ["loss", "accuracy", "roc", "precision", "recall"]
    loss, accuracy, roc, precision, recall = model.evaluate(x, y, verbose=0)
    p = model.predict(x, verbose=0).reshape(-1)
    assert roc == pytest.approx(sklearn_metrics.roc_auc_score(y.reshape(-1), p), abs=5e-3)
    assert precision == pytest.approx(sklearn_metrics.precision_score(y.reshape(-1), p > 0.5))
    assert recall == pytest.approx(sklearn_metrics.recall_score(y.reshape(-1), p > 0.4))
    model.save(tmp_path / "m.gstep")
    loaded = gs.models.load_model(tmp_path / "m.gstep")
    assert loaded.evaluate(x, y, verbose=0) == [loss, accuracy, roc, precision, recall]
    with pytest.raises(ValueError, match="SparseTopKCategoricalAccuracy"):
        model.compile("sgd", "binary_crossentropy", metrics=["sparse_top_k_categorical_accuracy"])


# ---------------------------------------------------------------------------------- data sources
class _Batches(gs.utils.PyDataset):
    def __init__(self, x, y, size):
        super().__init__()
        self.x, self.y, self.size = x, y, size
        self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // self.size)

    def __getitem__(self, index):
        part = slice(index * self.size, (index + 1) * self.size)
        return self.x[part], self.y[part]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _regression(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    return x, (x @ rng.standard_normal((5, 1))).astype(np.float32)


def _regressor(seed=0):
    gs.set_seed(seed)
    model = gs.Sequential([gs.Input((5,)), gs.layers.Dense(8, activation="tanh"), gs.layers.Dense(1)])
    model.compile(gs.optimizers.Adam(1e-2), "mse", metrics=["mae"])
    return model


def test_fit_evaluate_predict_take_a_pydataset_like_the_same_arrays():
    x, y = _regression()
    reference = _regressor()
    reference.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    model = _regressor()
    data = _Batches(x, y, 16)
    history = model.fit(data, epochs=3, verbose=0, validation_data=_Batches(x[:32], y[:32], 16))
    assert data.epochs_ended == 3 and "val_loss" in history.history
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)  # the same batches in the same order: the same bits
    assert model.evaluate(data, verbose=0) == reference.evaluate(x, y, batch_size=16, verbose=0)
    np.testing.assert_array_equal(model.predict(data, verbose=0), reference.predict(x, verbose=0))
    with pytest.raises(ValueError, match="y must be None"):
        model.fit(data, y, verbose=0)


def test_fit_takes_a_generator_with_steps_per_epoch_and_weighted_batches():
    x, y = _regression()

    def forever():
        while True:
            for start in range(0, 96, 16):
                yield x[start : start + 16], y[start : start + 16], np.full(16, 2.0, np.float32)

    model = _regressor()
    history = model.fit(
        forever(),
        steps_per_epoch=6,
        epochs=2,
        verbose=0,
        validation_data=((x[i : i + 16], y[i : i + 16]) for i in range(0, 96, 16)),
        validation_steps=3,
    )
    assert len(history.history["loss"]) == 2 and len(history.history["val_loss"]) == 2
    reference = _regressor()
    reference.fit(x, y, sample_weight=np.full(96, 2.0, np.float32), batch_size=16, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"x batch 0: y.*expected shape"):
        model.fit(iter([(x[:4], y[:4, 0])]), verbose=0)


@pytest.mark.skipif(
    __import__("os").environ.get("GRADSTEP_SANITIZED") == "1",
    reason="ASan's quarantine and shadow memory make RSS meaningless",
)
def test_memory_stays_bounded_by_a_batch_for_a_long_generator():
    import os

    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc/self/status")

    def rss_mib():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024

    rng = np.random.default_rng(0)
    weights = rng.standard_normal((256, 1)).astype(np.float32)

    def batches(count):
        for _ in range(count):
            xb = rng.standard_normal((512, 256)).astype(np.float32)  # 0.5 MiB per batch
            yield xb, xb @ weights

    gs.set_seed(0)
    model = gs.Sequential([gs.Input((256,)), gs.layers.Dense(32, activation="relu"), gs.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(batches(50), epochs=1, verbose=0)  # warm-up
    before = rss_mib()
    model.fit(batches(1000), epochs=1, verbose=0)  # 500 MiB of data went through
    assert rss_mib() - before < 40, (before, rss_mib())


def test_python_and_cpp_share_one_rule_per_hyper_parameter():
    from gradstep import _core

    with pytest.raises(ValueError, match=r"momentum must be in \[0\.0, 1\.0\]"):
        gs.optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match=r"momentum must be in \[0\.0, 1\.0\]"):
        _core.SGD(0.01, 1.5, False)
    # 0 disables a clipping mode in both: a zero clipnorm next to a clipvalue is accepted by both...
    gs.optimizers.Adam(clipnorm=0.0, clipvalue=1.0)
    _core.Adam(0.001, 0.9, 0.999, 1e-7, False).set_clipping(0.0, 1.0, 0.0)
    # ...and two positive ones are refused by both, with one message.
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm"):
        gs.optimizers.Adam(clipnorm=1.0, global_clipnorm=2.0)
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm"):
        _core.Adam(0.001, 0.9, 0.999, 1e-7, False).set_clipping(1.0, 0.0, 2.0)


def test_pydataset_refuses_what_it_would_ignore():
    for kwargs in ({"workers": 4}, {"use_multiprocessing": True}, {"max_queue_size": 3}):
        with pytest.raises(NotImplementedError, match=next(iter(kwargs))):
            gs.utils.PyDataset(**kwargs)


def test_metric_classes_take_sample_weights_as_scikit_learn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    y, p = _binary_data(5)
    w = np.random.default_rng(5).uniform(0.0, 2.0, len(y))
    for metric, expected in (
        (gs.metrics.Precision(), sklearn_metrics.precision_score(y, p > 0.5, sample_weight=w)),
        (gs.metrics.Recall(), sklearn_metrics.recall_score(y, p > 0.5, sample_weight=w)),
        (gs.metrics.MeanAbsoluteError(), sklearn_metrics.mean_absolute_error(y, p, sample_weight=w)),
    ):
        metric.update_state(y, p, sample_weight=w)
        assert metric.result() == pytest.approx(expected)
    auc = gs.metrics.AUC(num_thresholds=2000)
    auc.update_state(y, p, sample_weight=w)
    assert auc.result() == pytest.approx(sklearn_metrics.roc_auc_score(y, p, sample_weight=w), abs=5e-4)


def test_metric_objects_skip_masked_positions():
    gs.set_seed(0)
    model = gs.Sequential(
        [
            gs.Input((5,)),
            gs.layers.Embedding(9, 4, mask_zero=True),
            gs.layers.LSTM(3, return_sequences=True),
            gs.layers.Dense(4, activation="softmax"),
        ]
    )
    model.compile(
        "sgd", "sparse_categorical_crossentropy", metrics=["accuracy", gs.metrics.SparseTopKCategoricalAccuracy(k=2)]
    )
    x = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5], [7, 0, 0, 0, 0]])
    y = np.random.default_rng(0).integers(0, 4, (3, 5))
    _, accuracy, top2 = model.evaluate(x, y, verbose=0)
    probs = model.predict(x, verbose=0)
    valid = x != 0
    assert accuracy == pytest.approx((probs.argmax(-1) == y)[valid].mean())
    rank = (probs > np.take_along_axis(probs, y[..., None], axis=2)).sum(-1)
    assert top2 == pytest.approx((rank < 2)[valid].mean())
