"""Loss checks against the float64 Keras-3-semantics reference (tests/reference.py).

* loss.value_and_gradient(y_true, y_pred): value vs reference (rtol 1e-5),
  gradient vs central differences of the float64 reference batch loss,
      rel_err(a, n) = ||a - n||_2 / max(||a||_2 + ||n||_2, 1e-6)  < 1e-3
* loss(y_true, y_pred[, sample_weight]) with "sum_over_batch_size" reduction:
      sum(w * per_sample) / N
* string aliases via gs.losses.get
* numerical stability with logits of magnitude 1e4 and probabilities 0 / 1
* model-level: one SGD(0.1) train_on_batch step equals W - 0.1 * dL/dW of the
  reference (softmax + sparse CE / categorical CE, sigmoid + binary CE).
"""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref

import gradstep as gs

VAL_RTOL = 1e-5
VAL_ATOL = 1e-7
GRAD_TOL = 1e-3
EPS = 1e-6
N = 5


def _f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def _as_np(a):
    return np.asarray(a, dtype=np.float64)


def _scalar(v, label):
    v = np.asarray(v)
    assert v.size == 1, f"{label}: expected a scalar loss, got shape {v.shape}"
    return float(v.reshape(()))


def _check_value(label, got, expected, rtol=VAL_RTOL):
    assert np.isfinite(got), f"{label}: non-finite loss {got}"
    assert abs(got - expected) <= VAL_ATOL + rtol * abs(expected), (
        f"{label}: loss {got!r}, expected {expected!r} (rel diff {abs(got - expected) / max(abs(expected), 1e-30):.2e})"
    )


def _check_grad(label, analytic, numeric, tol=GRAD_TOL):
    analytic = np.asarray(analytic)
    assert analytic.shape == numeric.shape, f"{label}: gradient shape {analytic.shape}, expected {numeric.shape}"
    assert np.all(np.isfinite(analytic)), f"{label}: non-finite gradient\n{analytic}"
    err = ref.rel_err(analytic, numeric)
    assert err < tol, (
        f"{label}: gradient rel_err={err:.3e} >= {tol}\n got (C++):\n"
        f"{analytic}\n expected (central differences):\n{numeric}"
    )


# --------------------------------------------------------------------------
# data generators (float32 y_pred; y_true float32, or int64 labels for SCCE)
# --------------------------------------------------------------------------


def _away_from(v, points, margin=0.05):
    """Shift entries of v that are within `margin` of any of `points`."""
    v = np.array(v, dtype=np.float64)
    for p in points:
        close = np.abs(v - p) < margin
        v[close] = p + np.where(v[close] >= p, margin, -margin) * 1.5
    return v


def _regression(rng, delta=None, k=3):
    y_true = rng.normal(size=(N, k))
    mag = rng.uniform(0.1, 2.5, size=(N, k))
    pts = [] if delta is None else [delta]
    mag = _away_from(mag, pts)
    sign = rng.choice([-1.0, 1.0], size=(N, k))
    y_pred = y_true + sign * mag
    # make the float32 error (not only the float64 one) clear of the kinks
    return _f32(y_true), _f32(y_pred)


def _binary_probs(rng, k=3):
    y_true = (rng.random((N, k)) > 0.5).astype(np.float32)
    y_true[0, 0], y_true[1, 0] = 0.0, 1.0  # both classes present
    return y_true, _f32(rng.uniform(0.05, 0.95, size=(N, k)))


def _binary_logits(rng, k=3):
    y_true, _ = _binary_probs(rng, k)
    return y_true, _f32(rng.normal(0.0, 2.0, size=(N, k)))


def _labels(rng, k):
    lab = rng.integers(0, k, size=N)
    lab[0], lab[1] = 0, k - 1
    return lab.astype(np.int64)


def _onehot_probs(rng, k=4):
    lab = _labels(rng, k)
    return _f32(ref.one_hot(lab, k)), _f32(ref.softmax(rng.normal(size=(N, k))))


def _onehot_unnormalised(rng, k=4):
    """Rows of y_pred do not sum to 1: Keras renormalises before clipping."""
    lab = _labels(rng, k)
    return _f32(ref.one_hot(lab, k)), _f32(rng.uniform(0.1, 1.0, size=(N, k)))


def _onehot_logits(rng, k=4):
    lab = _labels(rng, k)
    return _f32(ref.one_hot(lab, k)), _f32(rng.normal(0.0, 2.0, size=(N, k)))


def _soft_label_logits(rng, k=4):
    return _f32(ref.softmax(rng.normal(size=(N, k)))), _f32(rng.normal(0.0, 2.0, size=(N, k)))


def _sparse_probs(rng, k=4):
    return _labels(rng, k), _f32(ref.softmax(rng.normal(size=(N, k))))


def _sparse_unnormalised(rng, k=4):
    return _labels(rng, k), _f32(rng.uniform(0.1, 1.0, size=(N, k)))


def _sparse_logits(rng, k=4):
    return _labels(rng, k), _f32(rng.normal(0.0, 2.0, size=(N, k)))


def _hinge01(rng, k=3):
    y_true = (rng.random((N, k)) > 0.5).astype(np.float32)
    y_true[0, 0], y_true[1, 0] = 0.0, 1.0
    t = 2.0 * y_true - 1.0
    y_pred = rng.normal(0.0, 1.5, size=(N, k))
    # keep the margin 1 - t*y_pred away from 0
    m = _away_from(t * y_pred, [1.0])
    return y_true, _f32(m * t)


def _hinge_pm1(rng, k=3):
    y01, y_pred = _hinge01(rng, k)
    return _f32(2.0 * y01 - 1.0), y_pred


# id -> (factory, reference name, reference kwargs, data generator)
LOSSES = {
    "mse": (lambda: gs.losses.MeanSquaredError(), "mean_squared_error", {}, _regression),
    "mae": (lambda: gs.losses.MeanAbsoluteError(), "mean_absolute_error", {}, _regression),
    "huber": (lambda: gs.losses.Huber(), "huber", {"delta": 1.0}, lambda r: _regression(r, delta=1.0)),
    "huber_delta0.5": (
        lambda: gs.losses.Huber(delta=0.5),
        "huber",
        {"delta": 0.5},
        lambda r: _regression(r, delta=0.5),
    ),
    "bce": (lambda: gs.losses.BinaryCrossentropy(), "binary_crossentropy", {"from_logits": False}, _binary_probs),
    "bce_k1": (
        lambda: gs.losses.BinaryCrossentropy(),
        "binary_crossentropy",
        {"from_logits": False},
        lambda r: _binary_probs(r, k=1),
    ),
    "bce_logits": (
        lambda: gs.losses.BinaryCrossentropy(from_logits=True),
        "binary_crossentropy",
        {"from_logits": True},
        _binary_logits,
    ),
    "cce": (
        lambda: gs.losses.CategoricalCrossentropy(),
        "categorical_crossentropy",
        {"from_logits": False},
        _onehot_probs,
    ),
    "cce_unnormalised": (
        lambda: gs.losses.CategoricalCrossentropy(),
        "categorical_crossentropy",
        {"from_logits": False},
        _onehot_unnormalised,
    ),
    "cce_logits": (
        lambda: gs.losses.CategoricalCrossentropy(from_logits=True),
        "categorical_crossentropy",
        {"from_logits": True},
        _onehot_logits,
    ),
    "cce_logits_soft_labels": (
        lambda: gs.losses.CategoricalCrossentropy(from_logits=True),
        "categorical_crossentropy",
        {"from_logits": True},
        _soft_label_logits,
    ),
    "scce": (
        lambda: gs.losses.SparseCategoricalCrossentropy(),
        "sparse_categorical_crossentropy",
        {"from_logits": False},
        _sparse_probs,
    ),
    "scce_unnormalised": (
        lambda: gs.losses.SparseCategoricalCrossentropy(),
        "sparse_categorical_crossentropy",
        {"from_logits": False},
        _sparse_unnormalised,
    ),
    "scce_logits": (
        lambda: gs.losses.SparseCategoricalCrossentropy(from_logits=True),
        "sparse_categorical_crossentropy",
        {"from_logits": True},
        _sparse_logits,
    ),
    "hinge01": (lambda: gs.losses.Hinge(), "hinge", {}, _hinge01),
    "hinge_pm1": (lambda: gs.losses.Hinge(), "hinge", {}, _hinge_pm1),
}
LOSS_IDS = list(LOSSES)


def _case(loss_id):
    factory, name, kw, gen = LOSSES[loss_id]
    rng = np.random.default_rng(LOSS_IDS.index(loss_id) + 100)
    y_true, y_pred = gen(rng)
    return factory(), name, kw, y_true, y_pred


def _ref_value(name, kw, y_true, y_pred, sample_weight=None):
    return ref.loss_value(name, y_true, _as_np(y_pred), sample_weight=sample_weight, **kw)


@pytest.mark.parametrize("loss_id", LOSS_IDS)
def test_value_and_gradient(loss_id):
    loss, name, kw, y_true, y_pred = _case(loss_id)
    out = loss.value_and_gradient(y_true, y_pred)
    assert isinstance(out, tuple) and len(out) == 2, f"value_and_gradient must return (loss, grad), got {type(out)}"
    value, grad = out
    value = _scalar(value, loss_id)
    _check_value(f"{loss_id} value_and_gradient", value, _ref_value(name, kw, y_true, y_pred))
    grad = np.asarray(grad)
    assert grad.dtype == np.float32, f"{loss_id}: gradient dtype {grad.dtype}, expected float32"
    numeric = ref.numeric_grad(lambda q: _ref_value(name, kw, y_true, q), _as_np(y_pred), EPS)
    _check_grad(f"{loss_id} dloss/dy_pred", grad, numeric)


@pytest.mark.parametrize("loss_id", LOSS_IDS)
def test_call_value(loss_id):
    loss, name, kw, y_true, y_pred = _case(loss_id)
    _check_value(
        f"{loss_id}(y_true, y_pred)", _scalar(loss(y_true, y_pred), loss_id), _ref_value(name, kw, y_true, y_pred)
    )


@pytest.mark.parametrize("loss_id", LOSS_IDS)
def test_call_with_sample_weight(loss_id):
    loss, name, kw, y_true, y_pred = _case(loss_id)
    w = _f32(np.random.default_rng(7).uniform(0.2, 2.0, size=(N,)))
    w[2] = 0.0
    expected = _ref_value(name, kw, y_true, y_pred, sample_weight=_as_np(w))
    got = _scalar(loss(y_true, y_pred, sample_weight=w), loss_id)
    _check_value(f"{loss_id} with sample_weight (sum(w*l)/N)", got, expected)
    # ones == no weights
    ones = np.ones(N, dtype=np.float32)
    _check_value(
        f"{loss_id} with unit sample_weight",
        _scalar(loss(y_true, y_pred, sample_weight=ones), loss_id),
        _ref_value(name, kw, y_true, y_pred),
    )


ALIASES = [
    ("mse", "MeanSquaredError", "mse"),
    ("mean_squared_error", "MeanSquaredError", "mse"),
    ("mae", "MeanAbsoluteError", "mae"),
    ("mean_absolute_error", "MeanAbsoluteError", "mae"),
    ("huber", "Huber", "huber"),
    ("binary_crossentropy", "BinaryCrossentropy", "bce"),
    ("categorical_crossentropy", "CategoricalCrossentropy", "cce"),
    ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "scce"),
    ("hinge", "Hinge", "hinge01"),
]


@pytest.mark.parametrize("alias,cls_name,loss_id", ALIASES, ids=[a[0] for a in ALIASES])
def test_get_alias(alias, cls_name, loss_id):
    loss = gs.losses.get(alias)
    cls = getattr(gs.losses, cls_name)
    assert isinstance(loss, cls), f"gs.losses.get({alias!r}) -> {type(loss)}, expected {cls_name}"
    _, name, kw, y_true, y_pred = _case(loss_id)
    _check_value(
        f"gs.losses.get({alias!r})", _scalar(loss(y_true, y_pred), alias), _ref_value(name, kw, y_true, y_pred)
    )


def test_get_instance_passthrough():
    inst = gs.losses.Huber(delta=2.0)
    assert gs.losses.get(inst) is inst


# --------------------------------------------------------------------------
# numerical stability
# --------------------------------------------------------------------------

BIG = 1e4
_BIG_LOGITS = _f32([[BIG, -BIG, 0.0], [-BIG, BIG, 1.0], [0.5, -BIG, BIG], [BIG, BIG, -BIG]])
_BIG_LABELS = np.array([1, 1, 0, 2], dtype=np.int64)


@pytest.mark.parametrize("kind", ["cce", "scce"])
def test_crossentropy_from_logits_extreme(kind):
    onehot = _f32(ref.one_hot(_BIG_LABELS, 3))
    if kind == "cce":
        loss, y_true = gs.losses.CategoricalCrossentropy(from_logits=True), onehot
    else:
        loss, y_true = gs.losses.SparseCategoricalCrossentropy(from_logits=True), _BIG_LABELS
    value, grad = loss.value_and_gradient(y_true, _BIG_LOGITS)
    value = _scalar(value, kind)
    expected = ref.loss_value("categorical_crossentropy", onehot, _BIG_LOGITS, from_logits=True)
    _check_value(f"{kind} from_logits with |logits|=1e4", value, expected)
    grad = np.asarray(grad)
    assert np.all(np.isfinite(grad)), f"{kind}: non-finite gradient\n{grad}"
    np.testing.assert_allclose(
        _as_np(grad),
        ref.cce_from_logits_grad(onehot, _BIG_LOGITS),
        rtol=1e-5,
        atol=1e-6,
        err_msg=f"{kind} gradient at |logits|=1e4",
    )
    _check_value(f"{kind}(...) call at |logits|=1e4", _scalar(loss(y_true, _BIG_LOGITS), kind), expected)


def test_bce_from_logits_extreme():
    y_true = _f32([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    loss = gs.losses.BinaryCrossentropy(from_logits=True)
    value, grad = loss.value_and_gradient(y_true, _BIG_LOGITS)
    value = _scalar(value, "bce")
    expected = ref.loss_value("binary_crossentropy", y_true, _BIG_LOGITS, from_logits=True)
    _check_value("bce from_logits with |logits|=1e4", value, expected)
    grad = np.asarray(grad)
    assert np.all(np.isfinite(grad)), f"bce: non-finite gradient\n{grad}"
    np.testing.assert_allclose(
        _as_np(grad),
        ref.bce_from_logits_grad(y_true, _BIG_LOGITS),
        rtol=1e-5,
        atol=1e-6,
        err_msg="bce gradient at |logits|=1e4",
    )


def test_bce_probabilities_exactly_zero_and_one():
    y_true = _f32([[0, 1, 0, 1], [1, 0, 1, 0]])
    y_pred = _f32([[0, 1, 1, 0], [1, 0, 0.5, 0.5]])  # right and badly wrong
    loss = gs.losses.BinaryCrossentropy()
    value, grad = loss.value_and_gradient(y_true, y_pred)
    value = _scalar(value, "bce")
    assert np.isfinite(value), f"BCE at probabilities 0/1: loss {value}"
    assert np.all(np.isfinite(np.asarray(grad))), f"BCE at probabilities 0/1: gradient {grad}"
    # Clipping to [1e-7, 1-1e-7]: in float32 the upper bound rounds to
    # 0.99999988, so only a loose comparison with the float64 reference holds.
    expected = ref.loss_value("binary_crossentropy", y_true, y_pred)
    assert abs(value - expected) < 0.02 * expected, f"BCE clipped loss {value}, expected ~{expected}"
    called = _scalar(loss(y_true, y_pred), "bce")
    assert np.isfinite(called)


def test_cce_probabilities_with_zeros_finite():
    y_true = _f32([[0, 1, 0], [1, 0, 0]])
    y_pred = _f32([[1, 0, 0], [1, 0, 0]])
    value, grad = gs.losses.CategoricalCrossentropy().value_and_gradient(y_true, y_pred)
    assert np.isfinite(_scalar(value, "cce")), value
    assert np.all(np.isfinite(np.asarray(grad))), grad


def _final_layer_model(d, k, activation, W, b):
    model = gs.Sequential([gs.Input((d,)), gs.layers.Dense(k, activation=activation)])
    model.set_weights([W, b])
    return model


def _train_result(res):
    if isinstance(res, dict):
        res = res["loss"]
    if isinstance(res, (list, tuple)):
        res = res[0]
    return _scalar(res, "train_on_batch")


def test_softmax_cce_fused_extreme_logits_train_on_batch():
    d, k = 3, 4
    x = _f32([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    W = _f32([[1e4, -1e4, 0.0, 5e3], [-1e4, 1e4, -5e3, 0.0], [0.0, -1e4, 1e4, -1e4]])
    b = np.zeros(k, dtype=np.float32)
    y = _f32(ref.one_hot([1, 0, 3, 2], k))  # all badly wrong
    model = _final_layer_model(d, k, "softmax", W, b)
    model.compile(optimizer=gs.optimizers.SGD(learning_rate=0.1), loss=gs.losses.CategoricalCrossentropy())
    loss = _train_result(model.train_on_batch(x, y))
    assert np.isfinite(loss), f"softmax + CCE at logits 1e4: train_on_batch loss {loss}"
    for w in model.get_weights():
        assert np.all(np.isfinite(w)), f"non-finite weights after the step: {w}"
    # and the next forward pass is still finite
    assert np.all(np.isfinite(model.predict(x)))


def test_sigmoid_bce_extreme_logits_train_on_batch():
    x = _f32([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W = _f32([[1e4], [-1e4]])
    b = np.zeros(1, dtype=np.float32)
    y = _f32([[0.0], [1.0], [1.0]])
    model = _final_layer_model(2, 1, "sigmoid", W, b)
    model.compile(optimizer=gs.optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy")
    loss = _train_result(model.train_on_batch(x, y))
    assert np.isfinite(loss), f"sigmoid + BCE at logits 1e4: train_on_batch loss {loss}"
    for w in model.get_weights():
        assert np.all(np.isfinite(w))


# --------------------------------------------------------------------------
# model-level: one SGD step == W - lr * dL/dW of the reference
# --------------------------------------------------------------------------

MODEL_CASES = {
    "softmax+sparse_categorical_crossentropy": ("softmax", "sparse_categorical_crossentropy", False),
    "softmax+categorical_crossentropy": ("softmax", "categorical_crossentropy", False),
    "sigmoid+binary_crossentropy": ("sigmoid", "binary_crossentropy", False),
    "Activation(softmax)+sparse_categorical_crossentropy": ("softmax", "sparse_categorical_crossentropy", True),
    "Activation(sigmoid)+binary_crossentropy": ("sigmoid", "binary_crossentropy", True),
    "linear+mse": (None, "mse", False),
    "tanh+huber": ("tanh", "huber", False),
}


@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_single_sgd_step_matches_reference(case):
    act, loss_name, standalone = MODEL_CASES[case]
    n, d, k = 6, 4, 3
    lr = 0.1
    rng = np.random.default_rng(123)
    x = _f32(rng.normal(size=(n, d)))
    W = _f32(rng.normal(0.0, 0.5, size=(d, k)))
    b = _f32(rng.normal(0.0, 0.1, size=(k,)))
    if loss_name == "sparse_categorical_crossentropy":
        y = rng.integers(0, k, size=n).astype(np.int64)
    elif loss_name == "categorical_crossentropy":
        y = _f32(ref.one_hot(rng.integers(0, k, size=n), k))
    elif loss_name == "binary_crossentropy":
        y = (rng.random((n, k)) > 0.5).astype(np.float32)
    else:
        y = _f32(rng.normal(size=(n, k)))

    if standalone:
        model = gs.Sequential([gs.Input((d,)), gs.layers.Dense(k), gs.layers.Activation(act)])
        model.set_weights([W, b])
    else:
        model = _final_layer_model(d, k, act, W, b)
    model.compile(optimizer=gs.optimizers.SGD(learning_rate=lr), loss=loss_name)
    loss = _train_result(model.train_on_batch(x, y))

    x64, W64, b64 = _as_np(x), _as_np(W), _as_np(b)

    ref_name = {"mse": "mean_squared_error"}.get(loss_name, loss_name)

    def L(W_, b_):
        return ref.loss_value(ref_name, y, ref.dense_forward(x64, W_, b_, act))

    # train_on_batch reports the loss of the forward pass before the update
    _check_value(f"{case}: train_on_batch loss", loss, L(W64, b64))

    gW = ref.numeric_grad(lambda w: L(w, b64), W64, EPS)
    gb = ref.numeric_grad(lambda bb: L(W64, bb), b64, EPS)
    new_W, new_b = model.get_weights()
    np.testing.assert_allclose(
        _as_np(new_W), W64 - lr * gW, rtol=1e-4, atol=1e-6, err_msg=f"{case}: kernel after one SGD(lr={lr}) step"
    )
    np.testing.assert_allclose(
        _as_np(new_b), b64 - lr * gb, rtol=1e-4, atol=1e-6, err_msg=f"{case}: bias after one SGD(lr={lr}) step"
    )
