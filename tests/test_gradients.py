"""Gradient checks: C++ analytic backward pass vs central differences of the
float64 NumPy reference (tests/reference.py).

For a model with output y = F(x; params) and a random upstream gradient dy,
model.forward_backward(x, dy) must return
    y, dx = d/dx sum(F * dy), grads = [d/dp sum(F * dy) for p in get_weights()].
The reference side is f(params) = sum(ref_forward(x, W, b) * dy) in float64,
differentiated by central differences (eps = 1e-6).

Error measure (whole array), see reference.rel_err:
    rel_err(a, n) = ||a - n||_2 / max(||a||_2 + ||n||_2, 1e-6)   < 1e-3
Pre-activations are kept at least 0.05 away from 0 so that no central
difference straddles a kink (relu, leaky_relu, elu).
"""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref

import gradstep as gs

GRAD_TOL = 1e-3
FWD_RTOL = 1e-5
FWD_ATOL = 1e-6
EPS = 1e-6
KINK_MARGIN = 0.05

ACT_NAMES = list(ref.ACTIVATIONS)  # every activation in the contract


def _f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def _as_np(a):
    return np.asarray(a, dtype=np.float64)


def _check_grad(label, analytic, numeric, tol=GRAD_TOL):
    analytic = _as_np(analytic)
    assert analytic.shape == numeric.shape, f"{label}: shape {analytic.shape}, expected {numeric.shape}"
    assert np.all(np.isfinite(analytic)), f"{label}: non-finite gradient {analytic}"
    err = ref.rel_err(analytic, numeric)
    assert err < tol, (
        f"{label}: rel_err={err:.3e} >= {tol}\n got (C++):\n{analytic}\n expected (central differences):\n{numeric}"
    )


def _check_forward(label, y, expected):
    y = _as_np(y)
    assert y.shape == expected.shape, f"{label}: y shape {y.shape}, expected {expected.shape}"
    np.testing.assert_allclose(
        y, expected, rtol=FWD_RTOL, atol=FWD_ATOL, err_msg=f"{label}: forward output differs from reference"
    )


def _forward_backward(model, x, dy):
    out = model.forward_backward(x, dy)
    assert isinstance(out, tuple) and len(out) == 3, f"forward_backward must return (y, dx, grads), got {type(out)}"
    y, dx, grads = out
    return y, dx, list(grads)


def _dense_case(seed, n, d, units, use_bias):
    """float32 x, W, b, dy with pre-activations away from 0."""
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        x = _f32(rng.normal(0.0, 1.0, size=(n, d)))
        W = _f32(rng.normal(0.0, 0.6, size=(d, units)))
        b = _f32(rng.normal(0.0, 0.3, size=(units,))) if use_bias else None
        z = ref.dense_preactivation(x, W, b)
        if np.min(np.abs(z)) > KINK_MARGIN:
            dy = _f32(rng.normal(0.0, 1.0, size=(n, units)))
            return x, W, b, dy
    raise RuntimeError("could not draw a kink-free case")


# --------------------------------------------------------------------------
# Dense(units, activation=...) with and without bias
# --------------------------------------------------------------------------

DENSE_CASES = [(a, bias) for a in ACT_NAMES + [None] for bias in (True, False)]


@pytest.mark.parametrize("act,use_bias", DENSE_CASES, ids=[f"{a}-{'bias' if b else 'nobias'}" for a, b in DENSE_CASES])
def test_dense_activation_gradients(act, use_bias):
    n, d, units = 5, 4, 3
    seed = 1000 + ACT_NAMES.index(act) * 2 + int(use_bias) if act else 7
    x, W, b, dy = _dense_case(seed, n, d, units, use_bias)
    layer = gs.layers.Dense(units, activation=act, use_bias=use_bias)
    model = gs.Sequential([gs.Input((d,)), layer])
    model.set_weights([W, b] if use_bias else [W])

    y, dx, grads = _forward_backward(model, x, dy)

    x64, W64, dy64 = _as_np(x), _as_np(W), _as_np(dy)
    b64 = None if b is None else _as_np(b)
    label = f"Dense({units}, activation={act!r}, use_bias={use_bias})"
    _check_forward(label, y, ref.dense_forward(x64, W64, b64, act))

    def f_x(xx):
        return float(np.sum(ref.dense_forward(xx, W64, b64, act) * dy64))

    def f_W(ww):
        return float(np.sum(ref.dense_forward(x64, ww, b64, act) * dy64))

    _check_grad(label + " dx", dx, ref.numeric_grad(f_x, x64, EPS))
    assert len(grads) == (2 if use_bias else 1), f"{label}: got {len(grads)} weight grads"
    _check_grad(label + " dkernel", grads[0], ref.numeric_grad(f_W, W64, EPS))
    if use_bias:

        def f_b(bb):
            return float(np.sum(ref.dense_forward(x64, W64, bb, act) * dy64))

        _check_grad(label + " dbias", grads[1], ref.numeric_grad(f_b, b64, EPS))


def test_dense_forward_backward_does_not_update_weights():
    x, W, b, dy = _dense_case(5, 4, 3, 3, True)
    model = gs.Sequential([gs.Input((3,)), gs.layers.Dense(3, activation="tanh")])
    model.set_weights([W, b])
    model.forward_backward(x, dy)
    after = model.get_weights()
    np.testing.assert_array_equal(after[0], W)
    np.testing.assert_array_equal(after[1], b)


# --------------------------------------------------------------------------
# standalone Activation layer
# --------------------------------------------------------------------------


def _activation_case(seed, n, d):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.5, size=(n, d))
    # push every entry at least KINK_MARGIN away from 0
    x = np.where(np.abs(x) < KINK_MARGIN, np.sign(x + 1e-12) * (KINK_MARGIN + np.abs(x)), x)
    return _f32(x), _f32(rng.normal(0.0, 1.0, size=(n, d)))


@pytest.mark.parametrize("act", ACT_NAMES)
def test_activation_layer_gradients(act):
    n, d = 4, 5
    x, dy = _activation_case(2000 + ACT_NAMES.index(act), n, d)
    model = gs.Sequential([gs.Input((d,)), gs.layers.Activation(act)])
    assert model.get_weights() == [] or len(model.get_weights()) == 0

    y, dx, grads = _forward_backward(model, x, dy)
    assert len(grads) == 0, f"Activation({act!r}) has no weights, got {len(grads)} grads"

    f = ref.ACTIVATIONS[act]
    x64, dy64 = _as_np(x), _as_np(dy)
    label = f"Activation({act!r})"
    _check_forward(label, y, f(x64))
    _check_grad(label + " dx", dx, ref.numeric_grad(lambda xx: float(np.sum(f(xx) * dy64)), x64, EPS))


@pytest.mark.parametrize("act", ACT_NAMES)
def test_activation_wide_range_is_stable(act):
    """Inputs up to |x| = 100: outputs and gradients finite and correct
    (e.g. softplus must not compute log(1 + exp(100)) in float32)."""
    vals = np.array([-100.0, -40.0, -12.0, -3.0, -0.5, 0.5, 3.0, 12.0, 40.0, 100.0])
    x = _f32(np.stack([vals, vals[::-1]]))
    dy = _f32(np.random.default_rng(3).normal(size=x.shape))
    model = gs.Sequential([gs.Input((x.shape[1],)), gs.layers.Activation(act)])
    y, dx, _ = _forward_backward(model, x, dy)
    f = ref.ACTIVATIONS[act]
    x64, dy64 = _as_np(x), _as_np(dy)
    label = f"Activation({act!r}) wide range"
    assert np.all(np.isfinite(_as_np(y))), f"{label}: non-finite output {y}"
    _check_forward(label, y, f(x64))
    _check_grad(label + " dx", dx, ref.numeric_grad(lambda xx: float(np.sum(f(xx) * dy64)), x64, EPS))


def test_activation_none_is_linear():
    x, W, b, dy = _dense_case(11, 3, 4, 2, True)
    m1 = gs.Sequential([gs.Input((4,)), gs.layers.Dense(2, activation=None)])
    m2 = gs.Sequential([gs.Input((4,)), gs.layers.Dense(2, activation="linear")])
    m1.set_weights([W, b])
    m2.set_weights([W, b])
    y1, dx1, g1 = _forward_backward(m1, x, dy)
    y2, dx2, g2 = _forward_backward(m2, x, dy)
    np.testing.assert_allclose(_as_np(y1), _as_np(y2), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(_as_np(dx1), _as_np(dx2), rtol=1e-6, atol=1e-7)
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(_as_np(a), _as_np(c), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------
# two-layer stack: Dense(relu) -> Dense(softmax)
# --------------------------------------------------------------------------


def test_two_layer_relu_softmax_stack():
    n, d, h, k = 5, 6, 4, 3
    rng = np.random.default_rng(42)
    for _ in range(1000):
        x = _f32(rng.normal(size=(n, d)))
        W1 = _f32(rng.normal(0.0, 0.5, size=(d, h)))
        b1 = _f32(rng.normal(0.0, 0.2, size=(h,)))
        W2 = _f32(rng.normal(0.0, 0.7, size=(h, k)))
        b2 = _f32(rng.normal(0.0, 0.2, size=(k,)))
        z1 = ref.dense_preactivation(x, W1, b1)
        if np.min(np.abs(z1)) > KINK_MARGIN and np.mean(z1 > 0) > 0.3:
            break
    dy = _f32(rng.normal(size=(n, k)))

    model = gs.Sequential(
        [gs.Input((d,)), gs.layers.Dense(h, activation="relu"), gs.layers.Dense(k, activation="softmax")]
    )
    model.set_weights([W1, b1, W2, b2])
    y, dx, grads = _forward_backward(model, x, dy)

    P = [_as_np(p) for p in (x, W1, b1, W2, b2)]
    dy64 = _as_np(dy)

    def fwd(x_, W1_, b1_, W2_, b2_):
        return ref.dense_forward(ref.dense_forward(x_, W1_, b1_, "relu"), W2_, b2_, "softmax")

    _check_forward("relu->softmax stack", y, fwd(*P))
    assert len(grads) == 4, f"expected 4 weight grads, got {len(grads)}"
    names = ["dx", "dW1", "db1", "dW2", "db2"]
    analytic = [dx] + grads
    for i, name in enumerate(names):

        def f(v, i=i):
            args = list(P)
            args[i] = v
            return float(np.sum(fwd(*args) * dy64))

        _check_grad(f"relu->softmax stack {name}", analytic[i], ref.numeric_grad(f, P[i], EPS))


@pytest.mark.parametrize(
    "act,loss",
    [
        ("softmax", "categorical_crossentropy"),
        ("softmax", "sparse_categorical_crossentropy"),
        ("sigmoid", "binary_crossentropy"),
    ],
)
@pytest.mark.parametrize("standalone", [False, True], ids=["dense_act", "activation_layer"])
def test_forward_backward_after_compile_with_fusable_loss(act, loss, standalone):
    """A compiled model may fuse its output activation with the loss for
    training; forward_backward must still back-propagate the given dy through
    the activation itself (true vector-Jacobian product)."""
    n, d, units = 4, 3, 3
    x, W, b, dy = _dense_case(77, n, d, units, True)
    if standalone:
        layers = [gs.Input((d,)), gs.layers.Dense(units), gs.layers.Activation(act)]
    else:
        layers = [gs.Input((d,)), gs.layers.Dense(units, activation=act)]
    model = gs.Sequential(layers)
    model.set_weights([W, b])
    model.compile(optimizer=gs.optimizers.SGD(learning_rate=0.1), loss=loss)
    y, dx, grads = _forward_backward(model, x, dy)
    x64, W64, b64, dy64 = _as_np(x), _as_np(W), _as_np(b), _as_np(dy)
    label = f"compiled ({act} + {loss}, standalone={standalone})"
    _check_forward(label, y, ref.dense_forward(x64, W64, b64, act))
    _check_grad(
        label + " dx",
        dx,
        ref.numeric_grad(lambda xx: float(np.sum(ref.dense_forward(xx, W64, b64, act) * dy64)), x64, EPS),
    )
    _check_grad(
        label + " dkernel",
        grads[0],
        ref.numeric_grad(lambda ww: float(np.sum(ref.dense_forward(x64, ww, b64, act) * dy64)), W64, EPS),
    )


def test_reference_self_check():
    ref._self_check()
