"""Dropout: inverted dropout statistics, exact scaling, identity at inference, RNG determinism.

In training each element is zeroed with probability `rate` and the survivors are multiplied by
scale = 1 / (1 - rate), computed in float32 as the C++ does (1.0f / (1.0f - rate)); at inference
Dropout is the identity. Masks come from a counter-based RNG keyed by (seed, optimizer step,
element index), so they do not depend on the number of threads.
"""

import json

import numpy as np
import pytest

import gradstep as gs


def _f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def _scale(rate):
    one = np.float32(1.0)
    return one / (one - np.float32(rate))  # float32 arithmetic, as the C++


def _model(width, rate, seed=None):
    return gs.Sequential([gs.Input((width,)), gs.layers.Dropout(rate, seed=seed)])


@pytest.fixture
def restore_threads():
    old = gs.get_num_threads()
    yield
    gs.set_num_threads(old)


ONES = np.ones((1000, 1000), dtype=np.float32)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_fraction_dropped_and_exact_scaling(rate):
    gs.set_seed(123)
    model = _model(1000, rate)
    y = model(ONES, training=True)
    assert y.shape == ONES.shape and y.dtype == np.float32
    zeros = y == 0
    frac = zeros.mean()
    assert abs(frac - rate) < 0.005, f"rate {rate}: dropped fraction {frac:.5f}"
    scale = _scale(rate)
    survivors = y[~zeros]
    assert np.all(survivors == scale), (
        f"rate {rate}: survivors should all be exactly {scale!r} (float32 1/(1-rate)), "
        f"got values {np.unique(survivors)[:5]}"
    )
    # the mask is not trivially structured: every row and column drops some and keeps some
    per_row = zeros.mean(axis=1)
    per_col = zeros.mean(axis=0)
    assert per_row.min() > 0 and per_row.max() < 1
    assert per_col.min() > 0 and per_col.max() < 1
    assert abs(per_row.std() - np.sqrt(rate * (1 - rate) / 1000)) < 0.004


def test_survivors_scaled_exactly_on_random_inputs():
    rng = np.random.default_rng(0)
    x = _f32(rng.normal(size=(64, 200)))
    for rate in (0.25, 0.3, 0.7):
        gs.set_seed(5)
        y = _model(200, rate)(x, training=True)
        keep = y != 0
        np.testing.assert_array_equal(y[keep], x[keep] * _scale(rate))


@pytest.mark.parametrize("rate", [0.0, 0.5])
def test_identity_at_inference(rate):
    rng = np.random.default_rng(1)
    x = _f32(rng.normal(size=(50, 30)))
    model = _model(30, rate)
    np.testing.assert_array_equal(model.predict(x), x)
    np.testing.assert_array_equal(model(x), x)
    np.testing.assert_array_equal(model(x, training=False), x)
    np.testing.assert_array_equal(model.predict_on_batch(x), x)
    y, dx, grads = model.forward_backward(x, x * 2, training=False)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(dx, x * 2)
    assert grads == [] or len(grads) == 0


def test_rate_zero_is_identity_in_training():
    rng = np.random.default_rng(2)
    x = _f32(rng.normal(size=(20, 40)))
    model = _model(40, 0.0)
    np.testing.assert_array_equal(model(x, training=True), x)
    y, dx, _ = model.forward_backward(x, x + 1, training=True)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(dx, x + 1)


def test_same_seed_same_mask_on_one_and_two_threads(restore_threads):
    masks = []
    for n in (1, 2, 1):
        gs.set_num_threads(n)
        gs.set_seed(77)
        y = _model(1000, 0.5)(ONES, training=True)
        masks.append(y)
    np.testing.assert_array_equal(masks[0], masks[1])
    np.testing.assert_array_equal(masks[0], masks[2])
    # a different global seed gives a different mask
    gs.set_seed(78)
    other = _model(1000, 0.5)(ONES, training=True)
    assert not np.array_equal(other, masks[0])


def test_explicit_seed_same_mask_across_models(restore_threads):
    gs.set_seed(1)
    a = _model(1000, 0.4, seed=2024)(ONES[:200], training=True)
    gs.set_seed(999)  # the model seed must not matter for an explicit layer seed
    gs.set_num_threads(1)
    b = _model(1000, 0.4, seed=2024)(ONES[:200], training=True)
    np.testing.assert_array_equal(a, b)
    c = _model(1000, 0.4, seed=2025)(ONES[:200], training=True)
    assert not np.array_equal(a, c)


def test_every_training_call_and_step_gets_a_new_mask():
    gs.set_seed(9)
    model = _model(500, 0.5)
    model.compile(optimizer=gs.optimizers.SGD(0.1), loss="mse")
    x = ONES[:100, :500]
    m0 = model(x, training=True)
    assert not np.array_equal(model(x, training=True), m0)  # a new mask on every call (Keras)
    assert model.optimizer.iterations == 0
    model.train_on_batch(x, x)
    assert model.optimizer.iterations == 1
    m1 = model(x, training=True)
    assert not np.array_equal(m0, m1), "the mask must change when the optimizer step advances"
    # the masks at different steps are (nearly) independent
    agree = ((m0 == 0) == (m1 == 0)).mean()
    assert 0.45 < agree < 0.55
    model.train_on_batch(x, x)
    m2 = model(x, training=True)
    assert not np.array_equal(m1, m2) and not np.array_equal(m0, m2)


def test_two_dropout_layers_use_different_masks():
    gs.set_seed(4)
    model = gs.Sequential([gs.Input((400,)), gs.layers.Dropout(0.5), gs.layers.Dropout(0.5)])
    y = model(ONES[:50, :400], training=True)
    # independent masks: kept with probability 1/4, values 4; identical masks would keep 1/2
    kept = (y != 0).mean()
    assert abs(kept - 0.25) < 0.02, kept
    assert np.all(y[y != 0] == np.float32(4.0))


def test_backward_is_dy_times_mask():
    rng = np.random.default_rng(3)
    for rate in (0.2, 0.5, 0.9):
        gs.set_seed(10)
        model = _model(300, rate)
        x = _f32(rng.uniform(0.5, 1.5, size=(40, 300)))  # nonzero, so y == 0 exactly where dropped
        dy = _f32(rng.normal(size=(40, 300)))
        y, dx, grads = model.forward_backward(x, dy, training=True)
        mask = np.where(y != 0, _scale(rate), np.float32(0)).astype(np.float32)
        np.testing.assert_array_equal(y, x * mask)
        np.testing.assert_array_equal(dx, dy * mask)
        assert len(grads) == 0


def test_dropout_after_dense_gradients():
    """Dense -> Dropout: the kernel gradient is x^T (dy * mask)."""
    rng = np.random.default_rng(6)
    gs.set_seed(6)
    model = gs.Sequential([gs.Input((8,)), gs.layers.Dense(50, bias_initializer="ones"), gs.layers.Dropout(0.5)])
    x = _f32(rng.normal(size=(16, 8)))
    dy = _f32(rng.normal(size=(16, 50)))
    kernel, bias = model.get_weights()
    y, dx, (dk, db) = model.forward_backward(x, dy, training=True)
    z = x.astype(np.float64) @ kernel + bias
    mask = np.where(y != 0, 2.0, 0.0)
    np.testing.assert_allclose(y, z * mask, rtol=1e-5, atol=1e-6)
    g = dy * mask
    np.testing.assert_allclose(dk, x.T.astype(np.float64) @ g, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(db, g.sum(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx, g @ kernel.T.astype(np.float64), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, float("nan")])
def test_invalid_rate(rate):
    with pytest.raises(ValueError, match="rate"):
        gs.layers.Dropout(rate)


def test_get_config_round_trip():
    layer = gs.layers.Dropout(0.3, seed=42, name="drop_custom")
    cfg = layer.get_config()
    assert cfg["rate"] == pytest.approx(0.3) and cfg["seed"] == 42 and cfg["name"] == "drop_custom"
    ser = gs.layers.serialize(layer)
    assert ser["class_name"] == "Dropout"
    restored = gs.layers.deserialize(json.loads(json.dumps(ser)))
    assert isinstance(restored, gs.layers.Dropout)
    assert restored.get_config() == cfg
    a = gs.Sequential([gs.Input((100,)), layer])(ONES[:10, :100], training=True)
    b = gs.Sequential([gs.Input((100,)), restored])(ONES[:10, :100], training=True)
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------ fit determinism
def _fit_weights(seed, threads=None):
    if threads is not None:
        gs.set_num_threads(threads)
    (x_train, y_train), _ = gs.datasets.load_digits()
    gs.set_seed(seed)
    model = gs.Sequential(
        [
            gs.Input((64,)),
            gs.layers.Dense(64, activation="relu"),
            gs.layers.Dropout(0.5),
            gs.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=gs.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(x_train[:600], y_train[:600], batch_size=32, epochs=2, verbose=0)
    return model.get_weights()


def test_fit_with_dropout_is_deterministic(restore_threads):
    w1 = _fit_weights(21)
    w2 = _fit_weights(21)
    assert len(w1) == 4
    for a, b in zip(w1, w2):
        assert np.array_equal(a, b)
    w3 = _fit_weights(22)
    assert not all(np.array_equal(a, b) for a, b in zip(w1, w3))


def test_fit_with_dropout_independent_of_threads(restore_threads):
    w1 = _fit_weights(31, threads=1)
    w2 = _fit_weights(31, threads=2)
    for i, (a, b) in enumerate(zip(w1, w2)):
        assert np.array_equal(a, b), f"weight {i}: max |diff| {np.abs(a - b).max()}"
