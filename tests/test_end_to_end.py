"""End-to-end training tests of the Keras-like API (Sequential + Dense).

Every model is built with an explicit seed (gs.set_seed) so the results are
deterministic. The data sets are tiny; the whole file runs in a few seconds.
"""

import math

import numpy as np
import pytest

gs = pytest.importorskip("gradstep")

Dense = gs.layers.Dense


def _model(input_dim, *layers):
    return gs.Sequential([gs.Input((input_dim,))] + list(layers))


def _separable_2d(n=200, margin=0.25, seed=1):
    """n points in [-1, 1]^2 labelled by the side of x0 + 2*x1 = 0.1, with a margin."""
    rng = np.random.default_rng(seed)
    pts = []
    while len(pts) < n:
        p = rng.uniform(-1.0, 1.0, size=2)
        s = (p[0] + 2.0 * p[1] - 0.1) / math.sqrt(5.0)
        if abs(s) >= margin:
            pts.append(p)
    x = np.asarray(pts, dtype=np.float32)
    y = (x[:, 0] + 2.0 * x[:, 1] - 0.1 > 0).astype(np.float32).reshape(-1, 1)
    assert 0.3 < y.mean() < 0.7
    return x, y


def _small_classification(n=100, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.integers(0, k, size=n).astype(np.int64)
    return x, y


def _clf_model(d=4, k=3, hidden=8):
    return _model(d, Dense(hidden, activation="relu"), Dense(k, activation="softmax"))


# --------------------------------------------------------------------------------------
# Learning actually works
# --------------------------------------------------------------------------------------


def test_logistic_regression_separable_reaches_full_accuracy():
    gs.set_seed(0)
    x, y = _separable_2d()
    model = _model(2, Dense(1, activation="sigmoid"))
    model.compile(optimizer=gs.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=150, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc == 1.0
    assert loss < 0.1
    assert history.history["loss"][-1] < history.history["loss"][0]
    p = model.predict(x, verbose=0)
    assert np.array_equal((p > 0.5).astype(np.float32), y)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_linear_regression_recovers_true_weights(optimizer):
    gs.set_seed(0)
    rng = np.random.default_rng(2)
    w_true = np.array([[1.5], [-2.0], [0.5]], dtype=np.float32)
    b_true = np.array([0.3], dtype=np.float32)
    x = rng.standard_normal((256, 3)).astype(np.float32)
    y = x @ w_true + b_true
    model = _model(3, Dense(1))
    if optimizer == "sgd":
        opt, epochs = gs.optimizers.SGD(learning_rate=0.1), 60
    else:
        opt, epochs = gs.optimizers.Adam(learning_rate=0.02), 150
    model.compile(optimizer=opt, loss="mse")
    history = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    kernel, bias = model.get_weights()
    assert kernel.shape == (3, 1) and bias.shape == (1,)
    np.testing.assert_allclose(kernel, w_true, atol=1e-2)
    np.testing.assert_allclose(bias, b_true, atol=1e-2)
    assert history.history["loss"][-1] < 1e-3


def test_mlp_on_digits_reaches_95_percent():
    gs.set_seed(0)
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    model = _model(64, Dense(64, activation="relu"), Dense(10, activation="softmax"))
    model.compile(
        optimizer=gs.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x_train, y_train, batch_size=32, epochs=25, verbose=0)
    result = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    assert set(result) == {"loss", "accuracy"}
    assert result["accuracy"] >= 0.95, result
    assert history.history["accuracy"][-1] >= 0.97
    # evaluate's accuracy agrees with argmax of predict
    pred = model.predict(x_test, verbose=0)
    assert pred.shape == (360, 10) and pred.dtype == np.float32
    np.testing.assert_allclose(pred.sum(axis=1), 1.0, atol=1e-5)
    assert result["accuracy"] == pytest.approx(float((pred.argmax(1) == y_test).mean()), abs=1e-6)


# --------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------


def _train_weights(seed, epochs=2):
    gs.set_seed(seed)
    x, y = _small_classification(n=100)
    model = _clf_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=epochs, shuffle=True, verbose=0)
    return model.get_weights(), history.history


def test_same_seed_gives_bitwise_identical_weights():
    w1, h1 = _train_weights(123)
    w2, h2 = _train_weights(123)
    assert len(w1) == len(w2) == 4
    for a, b in zip(w1, w2):
        assert a.dtype == np.float32
        assert np.array_equal(a, b)
    assert h1 == h2


def test_different_seed_gives_different_weights():
    w1, _ = _train_weights(123)
    w2, _ = _train_weights(124)
    assert any(not np.array_equal(a, b) for a, b in zip(w1, w2))


def test_same_seed_gives_same_initial_weights():
    gs.set_seed(7)
    a = _clf_model().get_weights()
    gs.set_seed(7)
    b = _clf_model().get_weights()
    for u, v in zip(a, b):
        assert np.array_equal(u, v)
    # biases start at zero, kernels are not all zero (glorot_uniform)
    assert not np.any(a[1]) and not np.any(a[3])
    assert np.any(a[0]) and np.any(a[2])
    # glorot_uniform limit sqrt(6 / (fan_in + fan_out)) for the (4, 8) kernel
    assert np.abs(a[0]).max() <= math.sqrt(6.0 / 12.0) + 1e-6


def test_shuffle_false_same_initial_weights_same_result():
    # With shuffle=False and equal initial weights, two fits agree exactly.
    gs.set_seed(3)
    x, y = _small_classification()
    m1 = _clf_model()
    m2 = _clf_model()
    m2.set_weights(m1.get_weights())
    for m in (m1, m2):
        m.compile(optimizer=gs.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
        m.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        assert np.array_equal(a, b)


# --------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------


def _compiled_clf():
    model = _clf_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_history_keys_without_validation():
    gs.set_seed(0)
    x, y = _small_classification()
    history = _compiled_clf().fit(x, y, epochs=3, verbose=0)
    h = history.history
    assert set(h) == {"loss", "accuracy"}
    for key, values in h.items():
        assert isinstance(values, list) and len(values) == 3, key
        for v in values:
            assert isinstance(v, float) and math.isfinite(v)
    for v in h["accuracy"]:
        assert 0.0 <= v <= 1.0


def test_history_keys_with_validation_split():
    gs.set_seed(0)
    x, y = _small_classification(n=100)
    model = _compiled_clf()
    history = model.fit(x, y, batch_size=32, epochs=4, validation_split=0.2, verbose=0)
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key in h:
        assert len(h[key]) == 4, key
        assert all(isinstance(v, float) for v in h[key])
    # Keras takes the LAST 20% of the samples (before shuffling) for validation;
    # the reported val_loss of the last epoch uses the final weights.
    loss, acc = model.evaluate(x[80:], y[80:], verbose=0)
    assert h["val_loss"][-1] == pytest.approx(loss, rel=1e-5, abs=1e-6)
    assert h["val_accuracy"][-1] == pytest.approx(acc, abs=1e-6)
    # 80 training samples, batch 32 -> 3 steps per epoch
    assert model.optimizer.iterations == 3 * 4


def test_history_keys_with_validation_data():
    gs.set_seed(0)
    x, y = _small_classification(n=100)
    xv, yv = _small_classification(n=30, seed=5)
    model = _compiled_clf()
    history = model.fit(x, y, epochs=3, validation_data=(xv, yv), verbose=0)
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in h.values())
    result = model.evaluate(xv, yv, verbose=0, return_dict=True)
    assert h["val_loss"][-1] == pytest.approx(result["loss"], rel=1e-5, abs=1e-6)
    assert h["val_accuracy"][-1] == pytest.approx(result["accuracy"], abs=1e-6)
    # validation does not consume optimizer steps: 100 samples, batch 32 -> 4 steps
    assert model.optimizer.iterations == 4 * 3


def test_history_other_metric_names():
    gs.set_seed(0)
    x = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = _model(3, Dense(1))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    h = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0).history
    assert set(h) == {"loss", "mae", "val_loss", "val_mae"}


def test_initial_epoch():
    gs.set_seed(0)
    x, y = _small_classification(n=64)
    model = _compiled_clf()
    history = model.fit(x, y, batch_size=32, epochs=5, initial_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 2
    assert len(history.history["accuracy"]) == 2
    assert model.optimizer.iterations == 2 * 2
    # epochs == initial_epoch: nothing to run
    history = model.fit(x, y, batch_size=32, epochs=3, initial_epoch=3, verbose=0)
    assert all(len(v) == 0 for v in history.history.values())
    assert model.optimizer.iterations == 4


def test_epochs_zero_trains_nothing():
    gs.set_seed(0)
    x, y = _small_classification()
    model = _compiled_clf()
    before = model.get_weights()
    model.fit(x, y, epochs=0, verbose=0)
    assert model.optimizer.iterations == 0
    for a, b in zip(before, model.get_weights()):
        assert np.array_equal(a, b)


# --------------------------------------------------------------------------------------
# predict / evaluate / __call__ / train_on_batch
# --------------------------------------------------------------------------------------


def test_predict_shape_and_dtype():
    gs.set_seed(0)
    x, _ = _small_classification(n=37)
    model = _clf_model()
    for bs in (None, 1, 5, 32, 100):
        p = model.predict(x, batch_size=bs, verbose=0)
        assert isinstance(p, np.ndarray)
        assert p.shape == (37, 3)
        assert p.dtype == np.float32
    ref = model.predict(x, verbose=0)
    for bs in (1, 5, 100):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), ref, rtol=1e-5, atol=1e-6)


def test_call_equals_predict():
    gs.set_seed(0)
    x, _ = _small_classification(n=20)
    model = _clf_model()
    out = model(x)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (20, 3)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model(x, training=False), out, rtol=1e-6, atol=1e-7)


def test_evaluate_return_forms():
    gs.set_seed(0)
    x, y = _small_classification()
    # no metrics -> a float
    model = _clf_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float) and math.isfinite(loss)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": pytest.approx(loss)}
    # metrics -> [loss, m1, m2]
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy", "sparse_categorical_accuracy"]
    )
    res = model.evaluate(x, y, verbose=0)
    assert isinstance(res, list) and len(res) == 3
    assert all(isinstance(v, float) for v in res)
    assert res[0] == pytest.approx(loss, rel=1e-6)
    assert res[1] == pytest.approx(res[2])
    d = model.evaluate(x, y, verbose=0, return_dict=True)
    assert isinstance(d, dict)
    assert list(d) == ["loss", "accuracy", "sparse_categorical_accuracy"]
    assert d["loss"] == pytest.approx(res[0]) and d["accuracy"] == pytest.approx(res[1])
    # loss is the mean over samples: independent of batch_size
    for bs in (1, 7, 100):
        assert model.evaluate(x, y, batch_size=bs, verbose=0)[0] == pytest.approx(loss, rel=1e-5)
    # and equals the loss function applied to predict
    p = model.predict(x, verbose=0)
    expected = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0))))
    assert loss == pytest.approx(expected, rel=1e-4)


def test_evaluate_does_not_train():
    gs.set_seed(0)
    x, y = _small_classification()
    model = _compiled_clf()
    before = model.get_weights()
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    model.test_on_batch(x, y)
    assert model.optimizer.iterations == 0
    for a, b in zip(before, model.get_weights()):
        assert np.array_equal(a, b)


def test_train_on_batch_and_test_on_batch():
    gs.set_seed(0)
    x, y = _small_classification(n=40)
    model = _compiled_clf()
    before = model.get_weights()
    t0 = model.test_on_batch(x, y)
    assert isinstance(t0, list) and len(t0) == 2 and all(isinstance(v, float) for v in t0)
    r = model.train_on_batch(x, y)
    assert isinstance(r, list) and len(r) == 2
    assert model.optimizer.iterations == 1
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    d = model.train_on_batch(x, y, return_dict=True)
    assert set(d) == {"loss", "accuracy"}
    assert model.optimizer.iterations == 2
    td = model.test_on_batch(x, y, return_dict=True)
    assert set(td) == {"loss", "accuracy"}
    assert model.optimizer.iterations == 2
    # test_on_batch's loss agrees with evaluate on the same batch
    assert td["loss"] == pytest.approx(model.evaluate(x, y, batch_size=40, verbose=0)[0], rel=1e-5)
    # repeated steps on one batch reduce its loss
    for _ in range(30):
        model.train_on_batch(x, y)
    assert model.test_on_batch(x, y, return_dict=True)["loss"] < t0[0]


def test_train_on_batch_no_metrics_returns_float():
    gs.set_seed(0)
    x = np.ones((4, 2), np.float32)
    y = np.zeros((4, 1), np.float32)
    model = _model(2, Dense(1))
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.train_on_batch(x, y), float)
    assert isinstance(model.test_on_batch(x, y), float)


# --------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------


def test_count_params():
    assert _model(3, Dense(2)).count_params() == 8
    assert _model(3, Dense(2, use_bias=False)).count_params() == 6
    assert _model(64, Dense(64, activation="relu"), Dense(10)).count_params() == 64 * 64 + 64 + 64 * 10 + 10


def test_get_set_weights_round_trip_and_shapes():
    gs.set_seed(0)
    model = _model(3, Dense(5, activation="tanh"), Dense(2))
    w = model.get_weights()
    assert [a.shape for a in w] == [(3, 5), (5,), (5, 2), (2,)]
    assert all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in w)
    rng = np.random.default_rng(0)
    new = [rng.standard_normal(a.shape).astype(np.float32) for a in w]
    model.set_weights(new)
    got = model.get_weights()
    for a, b in zip(new, got):
        assert np.array_equal(a, b)
    # get_weights returns copies: mutating them does not touch the model
    got[0][...] = 0.0
    assert np.array_equal(model.get_weights()[0], new[0])
    # the inputs of set_weights are copied too
    new[0][...] = 1.0
    assert not np.array_equal(model.get_weights()[0], new[0])
    # set_weights accepts float64 and converts
    model.set_weights([a.astype(np.float64) for a in got])
    assert model.get_weights()[1].dtype == np.float32
    # forward pass uses Keras layout: y = tanh(x @ W1 + b1) @ W2 + b2
    x = rng.standard_normal((6, 3)).astype(np.float32)
    w = model.get_weights()
    ref = np.tanh(x @ w[0] + w[1]) @ w[2] + w[3]
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-5)


def test_dense_without_bias_weights():
    model = _model(3, Dense(2, use_bias=False))
    w = model.get_weights()
    assert len(w) == 1 and w[0].shape == (3, 2)


# --------------------------------------------------------------------------------------
# Optimizer iterations
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,batch_size,epochs", [(100, 32, 3), (64, 32, 2), (10, 1, 2), (7, 100, 3)])
def test_optimizer_iterations_count_batches(n, batch_size, epochs):
    gs.set_seed(0)
    x, y = _small_classification(n=n)
    model = _compiled_clf()
    assert model.optimizer.iterations == 0
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    assert isinstance(model.optimizer.iterations, int)
    assert model.optimizer.iterations == math.ceil(n / batch_size) * epochs
    # a second fit continues counting
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    assert model.optimizer.iterations == math.ceil(n / batch_size) * (epochs + 1)


def test_compile_with_optimizer_instance_keeps_it():
    opt = gs.optimizers.SGD(learning_rate=0.1)
    model = _clf_model()
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    assert model.optimizer is opt
    x, y = _small_classification(n=20)
    model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert opt.iterations == 2


# --------------------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------------------


def test_results_do_not_depend_on_thread_count():
    gs.set_seed(0)
    x = np.random.default_rng(0).standard_normal((300, 64)).astype(np.float32)
    model = _model(64, Dense(128, activation="relu"), Dense(10, activation="softmax"))
    original = gs.get_num_threads()
    try:
        gs.set_num_threads(1)
        p1 = model.predict(x, verbose=0)
        gs.set_num_threads(2)
        p2 = model.predict(x, verbose=0)
    finally:
        gs.set_num_threads(original)
    np.testing.assert_allclose(p1, p2, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------
# "accuracy" resolution from the loss
# --------------------------------------------------------------------------------------


def test_accuracy_resolves_to_sparse_categorical():
    gs.set_seed(1)
    x, y = _small_classification(n=90)
    model = _clf_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    p = model.predict(x, verbose=0)
    expected = float((p.argmax(axis=1) == y).mean())
    acc = model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    assert acc == pytest.approx(expected, abs=1e-6)


def test_accuracy_resolves_to_categorical():
    gs.set_seed(1)
    x, labels = _small_classification(n=90)
    y = np.eye(3, dtype=np.float32)[labels]
    model = _clf_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    p = model.predict(x, verbose=0)
    expected = float((p.argmax(axis=1) == labels).mean())
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    assert res["accuracy"] == pytest.approx(expected, abs=1e-6)
    # same as the explicit metric
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["categorical_accuracy"])
    assert model.evaluate(x, y, verbose=0, return_dict=True)["categorical_accuracy"] == pytest.approx(
        expected, abs=1e-6
    )
    # CCE loss equals -mean(log p[label])
    expected_loss = float(-np.mean(np.log(np.clip(p[np.arange(90), labels], 1e-7, 1.0))))
    assert res["loss"] == pytest.approx(expected_loss, rel=1e-4)


def test_accuracy_resolves_to_binary():
    gs.set_seed(1)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((90, 4)).astype(np.float32)
    y = rng.integers(0, 2, size=(90, 1)).astype(np.float32)
    model = _model(4, Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    p = model.predict(x, verbose=0)
    expected = float(((p > 0.5).astype(np.float32) == y).mean())
    assert 0.0 < expected < 1.0
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    assert res["accuracy"] == pytest.approx(expected, abs=1e-6)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    assert model.evaluate(x, y, verbose=0, return_dict=True)["binary_accuracy"] == pytest.approx(expected, abs=1e-6)
