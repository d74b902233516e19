"""Tests for gradstep.optimizers against the Keras 3 update rules.

* golden single/two-step cases whose expected numbers are worked out by hand
  in the comments (independent of the reference implementation);
* 20-step trajectories over a registry of (class, kwargs) cases compared with
  the float64 NumPy reference in tests/reference_optimizers.py;
* iterations counter, get_config/from_config, gs.optimizers.get;
* hyper-parameter validation;
* model-level SGD / Adam step through Sequential.train_on_batch;
* optional comparison with torch.optim where the formulas coincide.
"""

import os
import sys

import numpy as np
import pytest

import gradstep as gs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_optimizers import make_reference


def opt_class(name):
    return getattr(gs.optimizers, name)


def f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


# ---------------------------------------------------------------------------
# Registry of optimizer configurations (PyTorch-test style).
# Clip thresholds are chosen so that clipping is active on some steps and not
# on others with the gradient scales used in the trajectory test.
# ---------------------------------------------------------------------------
CASES = [
    # SGD
    ("SGD", dict(learning_rate=0.05)),
    ("SGD", dict(learning_rate=0.05, momentum=0.9)),
    ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(learning_rate=0.05, momentum=0.5, clipnorm=2.0)),
    ("SGD", dict(learning_rate=0.05, clipvalue=0.5)),
    ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True, global_clipnorm=2.5)),
    ("SGD", dict(learning_rate=0.05, momentum=0.9, weight_decay=0.1)),
    # RMSprop
    ("RMSprop", dict(learning_rate=0.01)),
    ("RMSprop", dict(learning_rate=0.01, rho=0.8, momentum=0.5)),
    ("RMSprop", dict(learning_rate=0.01, centered=True)),
    ("RMSprop", dict(learning_rate=0.01, rho=0.95, momentum=0.9, centered=True, epsilon=1e-3)),
    ("RMSprop", dict(learning_rate=0.01, clipnorm=2.0)),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5, clipvalue=0.5)),
    ("RMSprop", dict(learning_rate=0.01, centered=True, global_clipnorm=2.5)),
    ("RMSprop", dict(learning_rate=0.01, weight_decay=0.05)),
    # Adam
    ("Adam", dict(learning_rate=0.01)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    # small beta_2 so that v really decreases on some steps and v_hat matters
    ("Adam", dict(learning_rate=0.01, beta_2=0.6, amsgrad=True)),
    ("Adam", dict(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-3)),
    ("Adam", dict(learning_rate=0.01, clipnorm=2.0)),
    ("Adam", dict(learning_rate=0.01, clipvalue=0.5)),
    ("Adam", dict(learning_rate=0.01, beta_2=0.8, amsgrad=True, global_clipnorm=2.5)),
    ("Adam", dict(learning_rate=0.01, weight_decay=0.1)),
    # AdamW (default weight_decay=0.004)
    ("AdamW", dict(learning_rate=0.01)),
    ("AdamW", dict(learning_rate=0.01, weight_decay=0.1, beta_2=0.7, amsgrad=True)),
    ("AdamW", dict(learning_rate=0.01, weight_decay=0.05, clipnorm=2.0)),
    ("AdamW", dict(learning_rate=0.01, clipvalue=0.5)),
    ("AdamW", dict(learning_rate=0.01, global_clipnorm=2.5)),
    # Adagrad
    ("Adagrad", dict(learning_rate=0.1)),
    ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-3)),
    ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.0)),
    ("Adagrad", dict(learning_rate=0.1, clipnorm=2.0)),
    ("Adagrad", dict(learning_rate=0.1, clipvalue=0.5)),
    ("Adagrad", dict(learning_rate=0.1, global_clipnorm=2.5)),
    ("Adagrad", dict(learning_rate=0.1, weight_decay=0.05)),
]


def _case_id(case):
    name, kw = case
    parts = [name] + [f"{k}={v}" for k, v in kw.items()]
    return "-".join(parts)


CASE_PARAMS = [pytest.param(c, id=_case_id(c)) for c in CASES]
CLASS_NAMES = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad"]


# ---------------------------------------------------------------------------
# Golden cases: expected values computed by hand (arithmetic in comments).
# Each entry: (class, kwargs, initial variables, per-step gradient lists,
#              expected variables after all steps).
# ---------------------------------------------------------------------------
GOLDEN = [
    pytest.param(
        # w = [1, -2], g = [0.5, 0.25], lr = 0.1
        # w - lr*g = [1 - 0.05, -2 - 0.025] = [0.95, -2.025]
        "SGD",
        dict(learning_rate=0.1),
        [[1.0, -2.0]],
        [[[0.5, 0.25]]],
        [[0.95, -2.025]],
        id="sgd-plain",
    ),
    pytest.param(
        # momentum 0.9, lr 0.1, same g twice.
        # step1: m = 0.9*0 - 0.1*[0.5, 0.25] = [-0.05, -0.025]; w = [0.95, -2.025]
        # step2: m = 0.9*[-0.05, -0.025] - [0.05, 0.025] = [-0.095, -0.0475]
        #        w = [0.95 - 0.095, -2.025 - 0.0475] = [0.855, -2.0725]
        "SGD",
        dict(learning_rate=0.1, momentum=0.9),
        [[1.0, -2.0]],
        [[[0.5, 0.25]], [[0.5, 0.25]]],
        [[0.855, -2.0725]],
        id="sgd-momentum",
    ),
    pytest.param(
        # nesterov: m = 0.9*m - lr*g; w += 0.9*m - lr*g
        # step1: m = [-0.05, -0.025]; w += [-0.045 - 0.05, -0.0225 - 0.025]
        #        = [-0.095, -0.0475] -> w = [0.905, -2.0475]
        # step2: m = [-0.095, -0.0475]; w += [-0.0855 - 0.05, -0.04275 - 0.025]
        #        = [-0.1355, -0.06775] -> w = [0.7695, -2.11525]
        "SGD",
        dict(learning_rate=0.1, momentum=0.9, nesterov=True),
        [[1.0, -2.0]],
        [[[0.5, 0.25]], [[0.5, 0.25]]],
        [[0.7695, -2.11525]],
        id="sgd-nesterov",
    ),
    pytest.param(
        # decoupled weight decay before the rule: w *= (1 - wd*lr) = (1 - 0.5*0.1)
        # w = [0.95, -1.9]; then w -= 0.1*[0.5, 0.25] -> [0.9, -1.925]
        "SGD",
        dict(learning_rate=0.1, weight_decay=0.5),
        [[1.0, -2.0]],
        [[[0.5, 0.25]]],
        [[0.9, -1.925]],
        id="sgd-weight_decay",
    ),
    pytest.param(
        # RMSprop, lr 0.1, rho 0.9, eps 0.015 (large on purpose: eps INSIDE sqrt)
        # g = [0.5, 2.5]: v = 0.1*g^2 = [0.025, 0.625]; v + eps = [0.04, 0.64]
        # sqrt = [0.2, 0.8]; inc = 0.1*g/sqrt = [0.05/0.2, 0.25/0.8] = [0.25, 0.3125]
        # w = [1 - 0.25, -2 - 0.3125] = [0.75, -2.3125]
        # (eps outside the sqrt would give sqrt(0.025)+0.015 = 0.1731 -> differs)
        "RMSprop",
        dict(learning_rate=0.1, rho=0.9, epsilon=0.015),
        [[1.0, -2.0]],
        [[[0.5, 2.5]]],
        [[0.75, -2.3125]],
        id="rmsprop-plain",
    ),
    pytest.param(
        # RMSprop momentum 0.5, lr 0.1, rho 0.9, eps 0.015
        # step1 (g=[0.5, 2.5]): as above inc = [0.25, 0.3125]; mom = inc;
        #        w = [0.75, -2.3125]; v = [0.025, 0.625]
        # step2 (g=[0.5, 0.0]): v = 0.9*[0.025, 0.625] + 0.1*[0.25, 0]
        #        = [0.0475, 0.5625]; inc = [0.1*0.5/sqrt(0.0475+0.015), 0]
        #        = [0.05/0.25, 0] = [0.2, 0]
        #        mom = 0.5*[0.25, 0.3125] + [0.2, 0] = [0.325, 0.15625]
        #        w = [0.75 - 0.325, -2.3125 - 0.15625] = [0.425, -2.46875]
        "RMSprop",
        dict(learning_rate=0.1, rho=0.9, momentum=0.5, epsilon=0.015),
        [[1.0, -2.0]],
        [[[0.5, 2.5]], [[0.5, 0.0]]],
        [[0.425, -2.46875]],
        id="rmsprop-momentum",
    ),
    pytest.param(
        # RMSprop centered, lr 0.1, rho 0.9, eps 0.0304, g = [0.5, 2.5]
        # v = 0.1*g^2 = [0.025, 0.625]; a = 0.1*g = [0.05, 0.25]; a^2 = [0.0025, 0.0625]
        # v - a^2 + eps = [0.0225 + 0.0304, 0.5625 + 0.0304] = [0.0529, 0.5929]
        # sqrt = [0.23, 0.77]; inc = [0.05/0.23, 0.25/0.77] = [0.2173913, 0.3246753]
        # w = [0.7826087, -2.3246753]
        "RMSprop",
        dict(learning_rate=0.1, rho=0.9, centered=True, epsilon=0.0304),
        [[1.0, -2.0]],
        [[[0.5, 2.5]]],
        [[0.7826087, -2.3246753]],
        id="rmsprop-centered",
    ),
    pytest.param(
        # Adam (Keras form), lr 0.1, beta_1 0.5, beta_2 0.96, eps 0.1, g = [0.5, 0.25] twice
        # step1 (t=1): alpha = 0.1*sqrt(1-0.96)/(1-0.5) = 0.1*0.2/0.5 = 0.04
        #   m = 0.5*g = [0.25, 0.125]; v = 0.04*g^2 = [0.01, 0.0025]; sqrt v = [0.1, 0.05]
        #   upd = m*alpha/(sqrt v + eps) = [0.01/0.2, 0.005/0.15] = [0.05, 0.0333333]
        #   w = [0.95, -2.0333333]
        # step2 (t=2): alpha = 0.1*sqrt(1-0.9216)/(1-0.25) = 0.1*0.28/0.75 = 0.0373333
        #   m = [0.25 + 0.5*(0.5-0.25), 0.125 + 0.5*(0.25-0.125)] = [0.375, 0.1875]
        #   v = [0.01 + 0.04*(0.25-0.01), 0.0025 + 0.04*(0.0625-0.0025)]
        #     = [0.0196, 0.0049]; sqrt v = [0.14, 0.07]
        #   upd = [0.375*0.0373333/0.24, 0.1875*0.0373333/0.17]
        #       = [0.014/0.24, 0.007/0.17] = [0.0583333, 0.0411765]
        #   w = [0.95 - 0.0583333, -2.0333333 - 0.0411765] = [0.8916667, -2.0745098]
        "Adam",
        dict(learning_rate=0.1, beta_1=0.5, beta_2=0.96, epsilon=0.1),
        [[1.0, -2.0]],
        [[[0.5, 0.25]], [[0.5, 0.25]]],
        [[0.8916667, -2.0745098]],
        id="adam",
    ),
    pytest.param(
        # AMSGrad, same hyper-parameters; step2 gradient [0.0, 0.25]
        # step1 as above: w = [0.95, -2.0333333], m = [0.25, 0.125], v = v_hat = [0.01, 0.0025]
        # step2: m = [0.25 + 0.5*(0 - 0.25), 0.1875] = [0.125, 0.1875]
        #   v = [0.01 + 0.04*(0 - 0.01), 0.0049] = [0.0096, 0.0049]
        #   v_hat = max([0.01, 0.0025], v) = [0.01, 0.0049]; sqrt = [0.1, 0.07]
        #   upd = [0.125*0.0373333/0.2, 0.0411765] = [0.0233333, 0.0411765]
        #   w = [0.9266667, -2.0745098]   (plain Adam would give 0.9264286)
        "Adam",
        dict(learning_rate=0.1, beta_1=0.5, beta_2=0.96, epsilon=0.1, amsgrad=True),
        [[1.0, -2.0]],
        [[[0.5, 0.25]], [[0.0, 0.25]]],
        [[0.9266667, -2.0745098]],
        id="adam-amsgrad",
    ),
    pytest.param(
        # AdamW, weight_decay 0.5, lr 0.1: w *= 1 - 0.05 -> [0.95, -1.9]
        # then the Adam step1 update from above [0.05, 0.0333333] -> [0.9, -1.9333333]
        "AdamW",
        dict(learning_rate=0.1, weight_decay=0.5, beta_1=0.5, beta_2=0.96, epsilon=0.1),
        [[1.0, -2.0]],
        [[[0.5, 0.25]]],
        [[0.9, -1.9333333]],
        id="adamw",
    ),
    pytest.param(
        # Adagrad lr 0.1, initial_accumulator_value 0.5, eps 0.0049, g = [0.6, 0.8]
        # acc = 0.5 + [0.36, 0.64] = [0.86, 1.14]; acc + eps = [0.8649, 1.1449]
        # sqrt = [0.93, 1.07]; upd = 0.1*[0.6/0.93, 0.8/1.07] = [0.0645161, 0.0747664]
        # w = [0.9354839, -2.0747664]
        "Adagrad",
        dict(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=0.0049),
        [[1.0, -2.0]],
        [[[0.6, 0.8]]],
        [[0.9354839, -2.0747664]],
        id="adagrad",
    ),
    # --- gradient clipping: two variables, w1 = [1, -2], w2 = [0.5],
    #     g1 = [3, -4] (||g1|| = 5), g2 = [12] (||g2|| = 12), global norm
    #     sqrt(9 + 16 + 144) = 13; SGD lr 0.1.
    pytest.param(
        # clipnorm 1 per variable: g1 -> [3, -4]*1/5 = [0.6, -0.8]; g2 -> [12]/12 = [1]
        # w1 = [1 - 0.06, -2 + 0.08] = [0.94, -1.92]; w2 = [0.5 - 0.1] = [0.4]
        "SGD",
        dict(learning_rate=0.1, clipnorm=1.0),
        [[1.0, -2.0], [0.5]],
        [[[3.0, -4.0], [12.0]]],
        [[0.94, -1.92], [0.4]],
        id="clipnorm",
    ),
    pytest.param(
        # clipnorm 20 > both norms: no clipping
        # w1 = [1 - 0.3, -2 + 0.4] = [0.7, -1.6]; w2 = [0.5 - 1.2] = [-0.7]
        "SGD",
        dict(learning_rate=0.1, clipnorm=20.0),
        [[1.0, -2.0], [0.5]],
        [[[3.0, -4.0], [12.0]]],
        [[0.7, -1.6], [-0.7]],
        id="clipnorm-inactive",
    ),
    pytest.param(
        # global_clipnorm 1: every gradient scaled by 1/13
        # w1 = [1 - 0.3/13, -2 + 0.4/13] = [0.9769231, -1.9692308]
        # w2 = [0.5 - 1.2/13] = [0.4076923]
        "SGD",
        dict(learning_rate=0.1, global_clipnorm=1.0),
        [[1.0, -2.0], [0.5]],
        [[[3.0, -4.0], [12.0]]],
        [[0.9769231, -1.9692308], [0.4076923]],
        id="global_clipnorm",
    ),
    pytest.param(
        # clipvalue 0.5: g1 -> [0.5, -0.5]; g2 -> [0.5]
        # w1 = [0.95, -1.95]; w2 = [0.45]
        "SGD",
        dict(learning_rate=0.1, clipvalue=0.5),
        [[1.0, -2.0], [0.5]],
        [[[3.0, -4.0], [12.0]]],
        [[0.95, -1.95], [0.45]],
        id="clipvalue",
    ),
]


@pytest.mark.parametrize("name, kwargs, init, grad_steps, expected", GOLDEN)
def test_golden_steps(name, kwargs, init, grad_steps, expected):
    opt = opt_class(name)(**kwargs)
    variables = [f32(w) for w in init]
    for grads in grad_steps:
        opt.apply([f32(g) for g in grads], variables)
    assert opt.iterations == len(grad_steps)
    for got, exp in zip(variables, expected):
        np.testing.assert_allclose(got, np.asarray(exp), rtol=0, atol=2e-6)


# ---------------------------------------------------------------------------
# 20-step trajectory vs the float64 reference
# ---------------------------------------------------------------------------
SHAPES = [(3, 4), (4,)]
N_STEPS = 20


def _run_trajectory(opt, ref, seed=0, steps=N_STEPS):
    rng = np.random.default_rng(seed)
    vars32 = [f32(rng.standard_normal(s)) for s in SHAPES]
    vars64 = [v.astype(np.float64) for v in vars32]
    for step in range(steps):
        # gradient scale varies per step so clipping / amsgrad switch on and off
        scale = rng.uniform(0.2, 2.0)
        grads32 = [f32(rng.standard_normal(s) * scale) for s in SHAPES]
        opt.apply(grads32, vars32)
        ref.apply([g.astype(np.float64) for g in grads32], vars64)
        assert opt.iterations == step + 1
    return vars32, vars64


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_trajectory_matches_reference(case):
    name, kwargs = case
    opt = opt_class(name)(**kwargs)
    ref = make_reference(name, **kwargs)
    vars32, vars64 = _run_trajectory(opt, ref)
    for got, exp in zip(vars32, vars64):
        assert got.dtype == np.float32 and got.shape == exp.shape
        rel = np.max(np.abs(got.astype(np.float64) - exp)) / np.max(np.abs(exp))
        assert rel < 1e-5, f"{name}{kwargs} shape {exp.shape}: max rel err {rel:.3e}\ngot={got}\nref={exp}"


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_trajectory_moves_weights(case):
    # guard against a no-op optimizer passing trivially
    name, kwargs = case
    opt = opt_class(name)(**kwargs)
    rng = np.random.default_rng(1)
    w = f32(rng.standard_normal((3, 4)))
    w0 = w.copy()
    opt.apply([f32(rng.standard_normal((3, 4)))], [w])
    assert np.all(np.isfinite(w))
    assert not np.array_equal(w, w0)


def test_learning_rate_is_settable():
    opt = gs.optimizers.SGD(learning_rate=0.1)
    assert opt.learning_rate == pytest.approx(0.1)
    w = f32([1.0, -2.0])
    opt.apply([f32([0.5, 0.25])], [w])  # w = [0.95, -2.025]
    opt.learning_rate = 0.5
    assert opt.learning_rate == pytest.approx(0.5)
    opt.apply([f32([0.5, 0.25])], [w])  # w = [0.95 - 0.25, -2.025 - 0.125]
    np.testing.assert_allclose(w, [0.7, -2.15], rtol=0, atol=2e-6)


def test_learning_rate_change_used_by_weight_decay_and_adam():
    # Keras reads the current learning rate at every step (decay and rule).
    kwargs = dict(learning_rate=0.01, weight_decay=0.1)
    opt = gs.optimizers.AdamW(**kwargs)
    ref = make_reference("AdamW", **kwargs)
    rng = np.random.default_rng(5)
    w32 = f32(rng.standard_normal(6))
    w64 = w32.astype(np.float64)
    for step in range(6):
        if step == 3:
            opt.learning_rate = 0.05
            ref.learning_rate = 0.05
        g = f32(rng.standard_normal(6))
        opt.apply([g], [w32])
        ref.apply([g.astype(np.float64)], [w64])
    np.testing.assert_allclose(w32, w64, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# iterations counter
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASS_NAMES)
def test_iterations_counter(name):
    opt = opt_class(name)()
    assert opt.iterations == 0
    assert isinstance(opt.iterations, int)
    w = [f32(np.ones((2, 3))), f32(np.zeros(3))]
    for k in range(1, 4):
        opt.apply([f32(np.full((2, 3), 0.1)), f32(np.full(3, -0.2))], w)
        assert opt.iterations == k
        assert isinstance(opt.iterations, int)


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_apply_rejects_changed_shapes(name):
    opt = opt_class(name)()
    w = [f32(np.ones((2, 3)))]
    opt.apply([f32(np.ones((2, 3)))], w)
    with pytest.raises((ValueError, TypeError)):
        opt.apply([f32(np.ones((3, 2)))], [f32(np.ones((3, 2)))])
    with pytest.raises((ValueError, TypeError)):
        opt.apply([f32(np.ones((2, 2)))], w)  # gradient shape != variable shape


# ---------------------------------------------------------------------------
# get_config / from_config / get
# ---------------------------------------------------------------------------
BASE_KEYS = {"name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue"}
SPECIFIC_KEYS = {
    "SGD": {"momentum", "nesterov"},
    "RMSprop": {"rho", "momentum", "epsilon", "centered"},
    "Adam": {"beta_1", "beta_2", "epsilon", "amsgrad"},
    "AdamW": {"beta_1", "beta_2", "epsilon", "amsgrad"},
    "Adagrad": {"initial_accumulator_value", "epsilon"},
}
DEFAULTS = {
    "SGD": dict(learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None),
    "RMSprop": dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, weight_decay=None),
    "Adam": dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None),
    "AdamW": dict(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False),
    "Adagrad": dict(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None),
}


def _assert_config_value(cfg, key, expected):
    got = cfg[key]
    if expected is None:
        assert got is None, (key, got)
    elif isinstance(expected, bool):
        assert got == expected and isinstance(got, bool), (key, got, expected)
    elif isinstance(expected, float):
        # learning_rate may be stored in float32 (Keras stores it in a variable)
        assert got == pytest.approx(expected, rel=1e-6), (key, got, expected)
    else:
        assert got == expected, (key, got, expected)


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_get_config_defaults(name):
    cfg = opt_class(name)().get_config()
    assert isinstance(cfg, dict)
    missing = (BASE_KEYS | SPECIFIC_KEYS[name]) - set(cfg)
    assert not missing, f"get_config() lacks Keras keys {sorted(missing)}"
    assert isinstance(cfg["name"], str) and cfg["name"]
    for key, val in DEFAULTS[name].items():
        _assert_config_value(cfg, key, val)
    for key in ("clipnorm", "clipvalue", "global_clipnorm"):
        assert cfg[key] is None


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_get_config_from_config_roundtrip(case):
    name, kwargs = case
    cls = opt_class(name)
    opt = cls(name="my_opt", **kwargs)
    cfg = opt.get_config()
    missing = (BASE_KEYS | SPECIFIC_KEYS[name]) - set(cfg)
    assert not missing, f"get_config() lacks Keras keys {sorted(missing)}"
    assert cfg["name"] == "my_opt"
    for key, val in kwargs.items():
        _assert_config_value(cfg, key, val)

    clone = cls.from_config(dict(cfg))
    assert type(clone) is cls
    assert clone.iterations == 0
    cfg2 = clone.get_config()
    assert set(cfg2) == set(cfg)
    for key, val in cfg.items():
        _assert_config_value(cfg2, key, val)

    # the clone behaves like the original (fresh state, same hyper-parameters;
    # not bitwise: the config may carry learning_rate rounded to float32)
    a, _ = _run_trajectory(opt, make_reference(name, **kwargs), steps=3)
    b, _ = _run_trajectory(clone, make_reference(name, **kwargs), steps=3)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "ident, name",
    [
        ("sgd", "SGD"),
        ("rmsprop", "RMSprop"),
        ("adam", "Adam"),
        ("adamw", "AdamW"),
        ("adagrad", "Adagrad"),
    ],
)
def test_optimizers_get_string(ident, name):
    opt = gs.optimizers.get(ident)
    cls = opt_class(name)
    assert isinstance(opt, cls)
    assert type(opt) is cls  # "adam" must not resolve to AdamW or vice versa
    assert opt.learning_rate == pytest.approx(DEFAULTS[name]["learning_rate"])
    assert opt.iterations == 0


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_optimizers_get_instance_passthrough(name):
    opt = opt_class(name)(learning_rate=0.123)
    assert gs.optimizers.get(opt) is opt


def test_optimizers_get_unknown_string():
    with pytest.raises(ValueError):
        gs.optimizers.get("not_an_optimizer")


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------
INVALID = []
for _n in CLASS_NAMES:
    INVALID.append((_n, dict(learning_rate=-1.0), "learning_rate"))
    INVALID.append((_n, dict(learning_rate=-1e-3), "learning_rate"))
for _n in ("Adam", "AdamW"):
    for _arg in ("beta_1", "beta_2"):
        for _bad in (-0.1, 1.0, 1.5):
            INVALID.append((_n, {_arg: _bad}, _arg))
for _bad in (-0.1, 1.0, 1.5):
    INVALID.append(("RMSprop", dict(rho=_bad), "rho"))
for _n in ("RMSprop", "Adam", "AdamW", "Adagrad"):
    INVALID.append((_n, dict(epsilon=-1e-7), "epsilon"))
    INVALID.append((_n, dict(epsilon=-1.0), "epsilon"))
for _n in ("SGD", "RMSprop"):
    INVALID.append((_n, dict(momentum=-0.5), "momentum"))
    INVALID.append((_n, dict(momentum=-1e-3), "momentum"))
INVALID.append(("Adagrad", dict(initial_accumulator_value=-0.1), "initial_accumulator_value"))
# Keras 3 AdamW: weight_decay=None -> ValueError naming weight_decay
INVALID.append(("AdamW", dict(weight_decay=None), "weight_decay"))


@pytest.mark.parametrize("name, kwargs, arg", [pytest.param(*c, id=_case_id(c[:2])) for c in INVALID])
def test_invalid_hyperparameters(name, kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        opt_class(name)(**kwargs)


CLIP_COMBOS = [
    dict(clipnorm=1.0, clipvalue=1.0),
    dict(clipnorm=1.0, global_clipnorm=1.0),
    dict(clipvalue=1.0, global_clipnorm=1.0),
    dict(clipnorm=1.0, clipvalue=1.0, global_clipnorm=1.0),
]


@pytest.mark.parametrize("name", CLASS_NAMES)
@pytest.mark.parametrize("combo", CLIP_COMBOS, ids=lambda c: "+".join(c))
def test_more_than_one_clip_argument(name, combo):
    with pytest.raises(ValueError, match="clip") as excinfo:
        opt_class(name)(**combo)
    msg = str(excinfo.value)
    for arg in combo:
        assert arg in msg, f"message {msg!r} does not name {arg}"


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", dict(learning_rate=0.0, momentum=0.0)),
        ("RMSprop", dict(rho=0.0, momentum=0.0)),
        ("Adam", dict(beta_1=0.0, beta_2=0.0)),
        ("AdamW", dict(beta_1=0.0, beta_2=0.0, weight_decay=0.0)),
        ("Adagrad", dict(initial_accumulator_value=0.0)),
    ],
)
def test_boundary_values_accepted(name, kwargs):
    opt = opt_class(name)(**kwargs)
    assert opt.iterations == 0


# ---------------------------------------------------------------------------
# model-level: Sequential + Dense + MSE, one train_on_batch step
# ---------------------------------------------------------------------------
def _dense_mse_problem(seed=3):
    rng = np.random.default_rng(seed)
    W = f32(rng.standard_normal((3, 2)))
    b = f32(rng.standard_normal(2))
    x = f32(rng.standard_normal((5, 3)))
    y = f32(rng.standard_normal((5, 2)))
    # float64 forward + MSE gradient: loss = mean_batch(mean_out((p - y)^2))
    x64, y64, W64, b64 = (a.astype(np.float64) for a in (x, y, W, b))
    p = x64 @ W64 + b64
    n, k = p.shape
    loss = np.mean(np.mean((p - y64) ** 2, axis=1))
    dp = 2.0 * (p - y64) / (n * k)
    dW = x64.T @ dp
    db = dp.sum(axis=0)
    return (W, b, x, y), (W64, b64, loss, dW, db)


def _train_one_batch(optimizer, W, b, x, y):
    model = gs.Sequential([gs.Input((3,)), gs.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    model.set_weights([W, b])
    out = model.train_on_batch(x, y)
    return model, out


def test_model_sgd_one_step():
    (W, b, x, y), (W64, b64, loss, dW, db) = _dense_mse_problem()
    model, out = _train_one_batch(gs.optimizers.SGD(0.1), W, b, x, y)
    newW, newb = model.get_weights()
    np.testing.assert_allclose(newW, W64 - 0.1 * dW, rtol=0, atol=1e-5)
    np.testing.assert_allclose(newb, b64 - 0.1 * db, rtol=0, atol=1e-5)
    # Keras returns the loss computed before the update
    out_loss = out[0] if isinstance(out, (list, tuple)) else out
    assert float(out_loss) == pytest.approx(loss, rel=1e-5)
    assert model.optimizer.iterations == 1


def test_model_adam_one_step():
    (W, b, x, y), (W64, b64, loss, dW, db) = _dense_mse_problem()
    model, out = _train_one_batch(gs.optimizers.Adam(learning_rate=0.01), W, b, x, y)
    ref = make_reference("Adam", learning_rate=0.01)
    expW, expb = W64.copy(), b64.copy()
    ref.apply([dW, db], [expW, expb])
    newW, newb = model.get_weights()
    np.testing.assert_allclose(newW, expW, rtol=0, atol=1e-5)
    np.testing.assert_allclose(newb, expb, rtol=0, atol=1e-5)
    out_loss = out[0] if isinstance(out, (list, tuple)) else out
    assert float(out_loss) == pytest.approx(loss, rel=1e-5)
    assert model.optimizer.iterations == 1


# ---------------------------------------------------------------------------
# optional: torch.optim comparison where the formulas coincide.
#
# * SGD momentum / nesterov (dampening=0): torch keeps buf = mu*buf + g and
#   does w -= lr*buf (nesterov: w -= lr*(g + mu*buf)); Keras keeps
#   m = mu*m - lr*g and does w += m (nesterov: w += mu*m - lr*g).  With a
#   constant learning rate m == -lr*buf, so the trajectories are identical.
# * Adagrad: torch uses sqrt(acc) + eps, Keras sqrt(acc + eps).  We pass
#   epsilon=1e-10 to both and the accumulator starts at 0.1, so the two
#   placements differ by < 1e-9 relative (far below float32 resolution).
# * RMSprop: torch uses sqrt(v) + eps, Keras sqrt(v + eps); same trick with
#   epsilon=1e-10 (v >= (1-rho)*g^2 is never tiny for our gradients).
# * Adam is NOT compared: torch's eps is added to sqrt(v_hat) (bias-corrected),
#   Keras's "epsilon hat" to sqrt(v) -- different rules, not just placement.
# ---------------------------------------------------------------------------
def _torch_cases():
    return [
        ("SGD", dict(learning_rate=0.05, momentum=0.9), lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
        (
            "SGD",
            dict(learning_rate=0.05, momentum=0.9, nesterov=True),
            lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        ),
        (
            "Adagrad",
            dict(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=1e-10),
            lambda torch, p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=1e-10),
        ),
        (
            "RMSprop",
            dict(learning_rate=0.01, rho=0.9, momentum=0.5, centered=True, epsilon=1e-10),
            lambda torch, p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, eps=1e-10),
        ),
    ]


@pytest.mark.parametrize("idx", range(4), ids=["sgd-momentum", "sgd-nesterov", "adagrad", "rmsprop-centered"])
def test_matches_torch(idx):
    torch = pytest.importorskip("torch")
    name, kwargs, make_torch = _torch_cases()[idx]
    rng = np.random.default_rng(11)
    vars32 = [f32(rng.standard_normal(s)) for s in SHAPES]
    params = [torch.tensor(v.copy(), requires_grad=True) for v in vars32]
    topt = make_torch(torch, params)
    opt = opt_class(name)(**kwargs)
    for _ in range(N_STEPS):
        grads = [f32(rng.standard_normal(s) * rng.uniform(0.2, 2.0)) for s in SHAPES]
        opt.apply(grads, vars32)
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g.copy())
        topt.step()
    for got, p in zip(vars32, params):
        exp = p.detach().numpy().astype(np.float64)
        rel = np.max(np.abs(got - exp)) / np.max(np.abs(exp))
        assert rel < 1e-5, f"{name}{kwargs}: rel err vs torch {rel:.3e}"
