"""BatchNormalization: training-mode gradients, moving statistics, inference, configuration.

Reference (Keras 3, float64 NumPy): statistics over every axis but the last (channels-last),
biased batch variance,
    y = gamma * (x - mean) / sqrt(var + epsilon) + beta
and in training the moving statistics are updated as
    moving = moving * momentum + batch_statistic * (1 - momentum)
(the moving variance takes the biased batch variance). Inference uses the moving statistics.

Gradient checks: model.forward_backward(x, dy, training=True) against central differences of
f = sum(ref(x, gamma, beta) * dy) in float64; whole-array relative error
    ||a - n|| / max(||a|| + ||n||, 1e-6) < 1e-3.
A training-mode forward also updates the moving statistics (as Keras); that does not change
training-mode outputs, so repeated calls are fine for the check.
"""

import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref

import gradstep as gs

GRAD_TOL = 1e-3


def _f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def bn_train_ref(x, gamma, beta, epsilon):
    """Training-mode output and the batch statistics (mean, biased variance) per channel."""
    x = np.asarray(x, dtype=np.float64)
    axes = tuple(range(x.ndim - 1))
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    y = (x - mean) / np.sqrt(var + epsilon)
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=np.float64)
    if beta is not None:
        y = y + np.asarray(beta, dtype=np.float64)
    return y, mean, var


def bn_infer_ref(x, gamma, beta, moving_mean, moving_var, epsilon):
    x = np.asarray(x, dtype=np.float64)
    y = (x - np.asarray(moving_mean, np.float64)) / np.sqrt(np.asarray(moving_var, np.float64) + epsilon)
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=np.float64)
    if beta is not None:
        y = y + np.asarray(beta, dtype=np.float64)
    return y


def _check_grad(label, analytic, numeric, tol=GRAD_TOL):
    analytic = np.asarray(analytic, dtype=np.float64)
    assert analytic.shape == numeric.shape, f"{label}: shape {analytic.shape}, expected {numeric.shape}"
    assert np.all(np.isfinite(analytic)), f"{label}: non-finite gradient"
    err = ref.rel_err(analytic, numeric)
    assert err < tol, (
        f"{label}: rel_err={err:.3e} >= {tol}\n got (C++):\n{analytic}\n expected (central differences):\n{numeric}"
    )


def _bn_model(feature_shape, **kwargs):
    return gs.Sequential([gs.Input(feature_shape), gs.layers.BatchNormalization(**kwargs)])


# ------------------------------------------------------------------------------ gradient checks
SHAPES = [
    pytest.param((6, 4), id="2d-N6-C4"),
    pytest.param((2, 5, 3), id="3d-NTC"),
    pytest.param((2, 3, 2, 4), id="4d-NHWC"),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("center,scale", [(True, True), (False, True), (True, False), (False, False)])
def test_training_gradients(shape, center, scale):
    rng = np.random.default_rng([*shape, int(center), int(scale)])
    C = shape[-1]
    epsilon = 1e-3
    # Different means/scales per channel so that normalisation does real work.
    x = _f32(rng.normal(size=shape) * rng.uniform(0.5, 3.0, size=C) + rng.uniform(-2, 2, size=C))
    dy = _f32(rng.normal(size=shape))
    gamma = _f32(rng.uniform(0.5, 2.0, size=C)) if scale else None
    beta = _f32(rng.normal(size=C)) if center else None

    model = _bn_model(shape[1:], center=center, scale=scale, epsilon=epsilon)
    weights = model.get_weights()
    expected_len = int(scale) + int(center) + 2
    assert len(weights) == expected_len
    new = []
    if scale:
        new.append(gamma)
    if center:
        new.append(beta)
    new += [np.zeros(C, np.float32), np.ones(C, np.float32)]
    model.set_weights(new)

    y, dx, grads = model.forward_backward(x, dy, training=True)
    y_ref, _, _ = bn_train_ref(x, gamma, beta, epsilon)
    np.testing.assert_allclose(
        np.asarray(y, np.float64),
        y_ref,
        rtol=1e-4,
        atol=1e-5,
        err_msg="training-mode forward output differs from the reference",
    )
    assert len(grads) == int(scale) + int(center), "grads must list the trainable weights only"

    dy64 = dy.astype(np.float64)
    g64 = None if gamma is None else gamma.astype(np.float64)
    b64 = None if beta is None else beta.astype(np.float64)
    x64 = x.astype(np.float64)

    num_dx = ref.numeric_grad(lambda p: float(np.sum(bn_train_ref(p, g64, b64, epsilon)[0] * dy64)), x64)
    _check_grad("dx", dx, num_dx)
    i = 0
    if scale:
        num_dg = ref.numeric_grad(lambda p: float(np.sum(bn_train_ref(x64, p, b64, epsilon)[0] * dy64)), g64)
        _check_grad("dgamma", grads[i], num_dg)
        i += 1
    if center:
        num_db = ref.numeric_grad(lambda p: float(np.sum(bn_train_ref(x64, g64, p, epsilon)[0] * dy64)), b64)
        _check_grad("dbeta", grads[i], num_db)


def test_training_gradients_large_epsilon_and_offset_inputs():
    """A large epsilon and inputs far from zero (mean 100): the statistics must not cancel."""
    rng = np.random.default_rng(3)
    shape, C, epsilon = (16, 5), 5, 0.5
    x = _f32(100.0 + rng.normal(size=shape) * 0.7)
    dy = _f32(rng.normal(size=shape))
    gamma = _f32(rng.uniform(0.5, 2.0, size=C))
    beta = _f32(rng.normal(size=C))
    model = _bn_model((C,), epsilon=epsilon)
    model.set_weights([gamma, beta, np.zeros(C, np.float32), np.ones(C, np.float32)])
    y, dx, (dg, db) = model.forward_backward(x, dy, training=True)
    np.testing.assert_allclose(y, bn_train_ref(x, gamma, beta, epsilon)[0], rtol=1e-3, atol=1e-3)
    x64, g64, b64, dy64 = (a.astype(np.float64) for a in (x, gamma, beta, dy))
    _check_grad("dx", dx, ref.numeric_grad(lambda p: float(np.sum(bn_train_ref(p, g64, b64, epsilon)[0] * dy64)), x64))
    _check_grad(
        "dgamma", dg, ref.numeric_grad(lambda p: float(np.sum(bn_train_ref(x64, p, b64, epsilon)[0] * dy64)), g64)
    )
    _check_grad(
        "dbeta", db, ref.numeric_grad(lambda p: float(np.sum(bn_train_ref(x64, g64, p, epsilon)[0] * dy64)), b64)
    )


def test_inference_gradient_uses_moving_statistics():
    """training=False: y = gamma*(x - mm)/sqrt(mv + eps) + beta with constant statistics, so
    dx = dy * gamma / sqrt(mv + eps)."""
    rng = np.random.default_rng(4)
    C, epsilon = 3, 1e-3
    x = _f32(rng.normal(size=(5, C)))
    dy = _f32(rng.normal(size=(5, C)))
    gamma, beta = _f32([0.5, 1.5, 2.0]), _f32([0.1, -0.2, 0.3])
    mm, mv = _f32([0.2, -0.1, 0.5]), _f32([0.5, 2.0, 1.5])
    model = _bn_model((C,), epsilon=epsilon)
    model.set_weights([gamma, beta, mm, mv])
    y, dx, (dg, db) = model.forward_backward(x, dy, training=False)
    np.testing.assert_allclose(y, bn_infer_ref(x, gamma, beta, mm, mv, epsilon), rtol=1e-5, atol=1e-6)
    inv = 1.0 / np.sqrt(mv.astype(np.float64) + epsilon)
    np.testing.assert_allclose(dx, dy * gamma * inv, rtol=1e-5, atol=1e-6)
    xhat = (x - mm.astype(np.float64)) * inv
    np.testing.assert_allclose(dg, (dy * xhat).sum(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(db, dy.sum(0), rtol=1e-5, atol=1e-5)
    # Inference must not move the statistics.
    np.testing.assert_array_equal(model.get_weights()[2], mm)
    np.testing.assert_array_equal(model.get_weights()[3], mv)


# ------------------------------------------------------------------------------ moving statistics
@pytest.mark.parametrize("feature_shape", [(4,), (3, 4), (2, 3, 4)], ids=["2d", "3d", "4d"])
def test_moving_statistics_after_k_forward_steps(feature_shape):
    rng = np.random.default_rng(5)
    C, momentum, epsilon, k = feature_shape[-1], 0.9, 1e-3, 5
    model = _bn_model(feature_shape, momentum=momentum, epsilon=epsilon)
    mm = np.zeros(C)
    mv = np.ones(C)
    for step in range(k):
        x = _f32(rng.normal(size=(8,) + feature_shape) * (1 + step) + step - 2)
        model(x, training=True)
        _, mean, var = bn_train_ref(x, None, None, epsilon)
        mm = mm * momentum + mean * (1 - momentum)
        mv = mv * momentum + var * (1 - momentum)
    w = model.get_weights()
    np.testing.assert_allclose(w[2], mm, rtol=1e-5, atol=1e-6, err_msg="moving_mean")
    np.testing.assert_allclose(w[3], mv, rtol=1e-5, atol=1e-6, err_msg="moving_variance")
    # Inference uses them (gamma = 1, beta = 0 untouched by forward passes).
    x = _f32(rng.normal(size=(7,) + feature_shape))
    expected = bn_infer_ref(x, w[0], w[1], w[2], w[3], epsilon)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6)


def test_moving_statistics_after_train_on_batch_and_inference_output():
    """BN as the first layer (its input is the data itself), then Dense; SGD steps."""
    rng = np.random.default_rng(6)
    C, momentum, epsilon, k = 6, 0.8, 1e-3, 4
    gs.set_seed(11)
    model = gs.Sequential(
        [gs.Input((C,)), gs.layers.BatchNormalization(momentum=momentum, epsilon=epsilon), gs.layers.Dense(3)]
    )
    model.compile(optimizer=gs.optimizers.SGD(learning_rate=0.1), loss="mse")
    mm, mv = np.zeros(C), np.ones(C)
    for _ in range(k):
        x = _f32(rng.normal(size=(16, C)) * 2 + 1)
        y = _f32(rng.normal(size=(16, 3)))
        model.train_on_batch(x, y)
        _, mean, var = bn_train_ref(x, None, None, epsilon)
        mm = mm * momentum + mean * (1 - momentum)
        mv = mv * momentum + var * (1 - momentum)
    w = model.get_weights()
    gamma, beta, w_mm, w_mv, kernel, bias = w
    np.testing.assert_allclose(w_mm, mm, rtol=1e-5, atol=1e-6, err_msg="moving_mean")
    np.testing.assert_allclose(w_mv, mv, rtol=1e-5, atol=1e-6, err_msg="moving_variance")
    # gamma/beta were trained (they are trainable) ...
    assert not np.array_equal(gamma, np.ones(C, np.float32))
    assert not np.array_equal(beta, np.zeros(C, np.float32))
    # ... and inference uses the moving statistics with them.
    x = _f32(rng.normal(size=(9, C)))
    h = bn_infer_ref(x, gamma, beta, w_mm, w_mv, epsilon)
    expected = h @ kernel.astype(np.float64) + bias
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-4, atol=1e-5)
    # evaluate / test_on_batch / predict do not move the statistics
    model.evaluate(x, _f32(rng.normal(size=(9, 3))), verbose=0)
    model.test_on_batch(x, _f32(rng.normal(size=(9, 3))))
    for a, b in zip(model.get_weights(), w):
        np.testing.assert_array_equal(a, b)


def test_momentum_zero_and_one():
    rng = np.random.default_rng(7)
    x = _f32(rng.normal(size=(10, 3)) * 3 + 2)
    _, mean, var = bn_train_ref(x, None, None, 1e-3)
    m0 = _bn_model((3,), momentum=0.0)
    m0(x, training=True)
    np.testing.assert_allclose(m0.get_weights()[2], mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m0.get_weights()[3], var, rtol=1e-5, atol=1e-6)
    m1 = _bn_model((3,), momentum=1.0)
    m1(x, training=True)
    np.testing.assert_array_equal(m1.get_weights()[2], np.zeros(3, np.float32))
    np.testing.assert_array_equal(m1.get_weights()[3], np.ones(3, np.float32))


def test_predict_deterministic_after_training():
    (x_train, y_train), (x_test, _) = gs.datasets.load_digits()
    gs.set_seed(3)
    model = gs.Sequential(
        [
            gs.Input((64,)),
            gs.layers.Dense(32),
            gs.layers.BatchNormalization(),
            gs.layers.Activation("relu"),
            gs.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=gs.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(x_train[:512], y_train[:512], batch_size=64, epochs=1, verbose=0)
    w = model.get_weights()
    p1 = model.predict(x_test)
    p2 = model.predict(x_test)
    p3 = model.predict(x_test, batch_size=7)
    p4 = model(x_test)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_allclose(p1, p3, rtol=1e-6, atol=1e-7)  # batch split does not matter at inference
    np.testing.assert_allclose(p1, p4, rtol=1e-6, atol=1e-7)
    for a, b in zip(model.get_weights(), w):
        np.testing.assert_array_equal(a, b)


def test_train_mode_output_independent_of_threads():
    rng = np.random.default_rng(8)
    x = _f32(rng.normal(size=(512, 96)) * 2 + 1)
    old = gs.get_num_threads()
    try:
        outs = []
        for n in (1, 2):
            gs.set_num_threads(n)
            model = _bn_model((96,))
            y = model(x, training=True)
            outs.append((y, model.get_weights()))
    finally:
        gs.set_num_threads(old)
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    for a, b in zip(outs[0][1], outs[1][1]):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------ weights / config
@pytest.mark.parametrize(
    "center,scale,names",
    [
        (True, True, ["gamma", "beta", "moving_mean", "moving_variance"]),
        (False, True, ["gamma", "moving_mean", "moving_variance"]),
        (True, False, ["beta", "moving_mean", "moving_variance"]),
        (False, False, ["moving_mean", "moving_variance"]),
    ],
)
def test_center_scale_weight_lists(center, scale, names):
    C = 5
    model = _bn_model((2, C), center=center, scale=scale)
    w = model.get_weights()
    assert len(w) == len(names)
    assert all(a.shape == (C,) and a.dtype == np.float32 for a in w)
    init = {"gamma": 1.0, "beta": 0.0, "moving_mean": 0.0, "moving_variance": 1.0}
    for name, a in zip(names, w):
        np.testing.assert_array_equal(a, np.full(C, init[name], np.float32), err_msg=name)
    assert model.count_params() == len(names) * C
    # without gamma/beta: the output is the plain standardisation (plus whichever is present)
    x = _f32(np.random.default_rng(9).normal(size=(4, 2, C)) * 2 + 3)
    y, _, grads = model.forward_backward(x, np.ones_like(x), training=True)
    assert len(grads) == int(center) + int(scale)
    np.testing.assert_allclose(y, bn_train_ref(x, None, None, 1e-3)[0], rtol=1e-4, atol=1e-5)


def test_batch_size_one_in_training_raises():
    model = _bn_model((4,))
    x = _f32(np.ones((1, 4)))
    with pytest.raises(ValueError, match="batch"):
        model(x, training=True)
    with pytest.raises(ValueError, match="batch"):
        model.forward_backward(x, x, training=True)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="batch"):
        model.train_on_batch(x, x)
    # inference with one sample is fine and uses the (initial) moving statistics
    np.testing.assert_allclose(model.predict(x), x / np.sqrt(1.0 + 1e-3), rtol=1e-6)
    np.testing.assert_allclose(model(x), x / np.sqrt(1.0 + 1e-3), rtol=1e-6)
    # one sample of a sequence still has T values per channel
    seq = _bn_model((3, 4))
    xs = _f32(np.random.default_rng(10).normal(size=(1, 3, 4)))
    np.testing.assert_allclose(seq(xs, training=True), bn_train_ref(xs, None, None, 1e-3)[0], rtol=1e-4, atol=1e-5)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="momentum"):
        gs.layers.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="momentum"):
        gs.layers.BatchNormalization(momentum=-0.1)
    with pytest.raises(ValueError, match="epsilon"):
        gs.layers.BatchNormalization(epsilon=0.0)


def test_get_config_round_trip():
    layer = gs.layers.BatchNormalization(
        momentum=0.9,
        epsilon=1e-2,
        center=False,
        scale=True,
        gamma_initializer="zeros",
        moving_variance_initializer="zeros",
        name="bn_custom",
    )
    cfg = layer.get_config()
    for key, value in {
        "axis": -1,
        "momentum": 0.9,
        "epsilon": 1e-2,
        "center": False,
        "scale": True,
        "name": "bn_custom",
    }.items():
        assert cfg[key] == pytest.approx(value) if isinstance(value, float) else cfg[key] == value, key
    ser = gs.layers.serialize(layer)
    assert ser["class_name"] == "BatchNormalization"
    restored = gs.layers.deserialize(json.loads(json.dumps(ser)))
    assert isinstance(restored, gs.layers.BatchNormalization)
    assert restored.get_config() == cfg
    restored2 = gs.layers.BatchNormalization.from_config(cfg)
    assert restored2.get_config() == cfg
    # the restored layer behaves the same: gamma starts at 0 -> output 0 in training
    model = gs.Sequential([gs.Input((3,)), restored])
    w = model.get_weights()
    assert len(w) == 3
    np.testing.assert_array_equal(w[0], np.zeros(3, np.float32))  # gamma_initializer="zeros"
    np.testing.assert_array_equal(w[2], np.zeros(3, np.float32))  # moving_variance_initializer="zeros"
    x = _f32(np.random.default_rng(12).normal(size=(4, 3)))
    np.testing.assert_array_equal(model(x, training=True), np.zeros((4, 3), np.float32))


# ------------------------------------------------------------------------------ training
def test_fit_on_digits_with_batchnorm():
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    gs.set_seed(1)
    model = gs.Sequential(
        [
            gs.Input((64,)),
            gs.layers.Dense(64),
            gs.layers.BatchNormalization(),
            gs.layers.Activation("relu"),
            gs.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=gs.optimizers.SGD(learning_rate=0.1, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, batch_size=32, epochs=4, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    assert acc > 0.9, f"test accuracy {acc:.3f} (loss {loss:.3f})"
    w = model.get_weights()
    # the moving statistics moved away from their initial values
    assert not np.allclose(w[4], 0.0) and not np.allclose(w[5], 1.0)


# ------------------------------------------------------------------------------ torch convention
def test_momentum_convention_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    R, C, keras_momentum, epsilon, k = 12, 4, 0.9, 1e-3, 3
    model = _bn_model((C,), momentum=keras_momentum, epsilon=epsilon)
    tbn = torch.nn.BatchNorm1d(C, momentum=1 - keras_momentum, eps=epsilon, dtype=torch.float64)
    tbn.train()
    var_keras, var_torch = np.ones(C), np.ones(C)
    for _ in range(k):
        x = _f32(rng.normal(size=(R, C)) * 2 + 1)
        y = model(x, training=True)
        with torch.no_grad():
            ty = tbn(torch.from_numpy(x.astype(np.float64))).numpy()
        np.testing.assert_allclose(y, ty, rtol=1e-4, atol=1e-5)
        var = x.astype(np.float64).var(axis=0)
        var_keras = var_keras * keras_momentum + var * (1 - keras_momentum)
        var_torch = var_torch * keras_momentum + var * R / (R - 1) * (1 - keras_momentum)
    w = model.get_weights()
    np.testing.assert_allclose(w[2], tbn.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    running_var = tbn.running_var.numpy()
    np.testing.assert_allclose(running_var, var_torch, rtol=1e-10)
    np.testing.assert_allclose(w[3], var_keras, rtol=1e-5, atol=1e-6)
    assert not np.allclose(w[3], running_var, rtol=1e-3)
    # the per-step increments differ by exactly the Bessel factor R / (R - 1)
    inc_gs = w[3].astype(np.float64) - keras_momentum**k
    inc_torch = running_var - keras_momentum**k
    np.testing.assert_allclose(inc_torch, inc_gs * R / (R - 1), rtol=1e-4)
