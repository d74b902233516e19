"""L1 / L2 / L1L2 weight regularisers on Dense: reported loss and gradient vs a NumPy reference.

Keras 3 formulas (no factor 1/2):
    penalty = l1 * sum(|w|) + l2 * sum(w^2),   d penalty / dw = l1 * sign(w) + 2 * l2 * w
The penalty joins the loss reported by train_on_batch / test_on_batch / evaluate (computed on the
weights before the update), and its gradient joins the data gradient before the optimizer step.
One SGD step (no momentum) must therefore give
    W_new = W - lr * (dData/dW + l1 * sign(W) + 2 * l2 * W)
References are float64 on the float32 values handed to gradstep.
"""

import json

import numpy as np
import pytest

import gradstep as gs

R = gs.regularizers


def _f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def _penalty(reg, w):
    if reg is None:
        return 0.0
    w = np.asarray(w, dtype=np.float64)
    return reg.l1 * np.abs(w).sum() + reg.l2 * np.square(w).sum()


def _penalty_grad(reg, w):
    if reg is None:
        return np.zeros_like(w, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    return reg.l1 * np.sign(w) + 2 * reg.l2 * w


REGS = {
    "none": None,
    "L1": R.L1(0.01),
    "L2": R.L2(0.01),
    "L1L2": R.L1L2(l1=0.02, l2=0.03),
    "L1-big": R.L1(0.5),
    "L2-big": R.L2(0.7),
}
CASES = [
    ("L1", "none"),
    ("L2", "none"),
    ("L1L2", "none"),
    ("none", "L1"),
    ("none", "L2"),
    ("none", "L1L2"),
    ("L1", "L2"),
    ("L2", "L1"),
    ("L1L2", "L1L2"),
    ("L1-big", "L2-big"),
]


def _data(seed, n=12, d=5, u=3):
    rng = np.random.default_rng(seed)
    x = _f32(rng.normal(size=(n, d)))
    y = _f32(rng.normal(size=(n, u)))
    kernel = _f32(rng.normal(size=(d, u)))
    bias = _f32(rng.normal(size=u))
    return x, y, kernel, bias


def _dense_model(kreg, breg, kernel, bias, lr=0.1):
    model = gs.Sequential(
        [gs.Input((kernel.shape[0],)), gs.layers.Dense(kernel.shape[1], kernel_regularizer=kreg, bias_regularizer=breg)]
    )
    model.set_weights([kernel, bias])
    model.compile(optimizer=gs.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


@pytest.mark.parametrize("kname,bname", CASES, ids=[f"kernel-{k}_bias-{b}" for k, b in CASES])
def test_loss_and_one_sgd_step_match_reference(kname, bname):
    kreg, breg = REGS[kname], REGS[bname]
    x, y, kernel, bias = _data(CASES.index((kname, bname)))
    lr = 0.1
    model = _dense_model(kreg, breg, kernel, bias, lr=lr)

    x64, y64, k64, b64 = (a.astype(np.float64) for a in (x, y, kernel, bias))
    pred = x64 @ k64 + b64
    data_loss = np.mean((pred - y64) ** 2)
    penalty = _penalty(kreg, k64) + _penalty(breg, b64)
    expected_loss = data_loss + penalty

    assert model.test_on_batch(x, y) == pytest.approx(expected_loss, rel=1e-5)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected_loss, rel=1e-5)
    # evaluation does not change the weights
    np.testing.assert_array_equal(model.get_weights()[0], kernel)

    # one SGD step: the loss reported is that of the weights before the update
    assert model.train_on_batch(x, y) == pytest.approx(expected_loss, rel=1e-5)
    dpred = 2.0 * (pred - y64) / pred.size
    dk = x64.T @ dpred + _penalty_grad(kreg, k64)
    db = dpred.sum(axis=0) + _penalty_grad(breg, b64)
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, k64 - lr * dk, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(new_bias, b64 - lr * db, rtol=1e-5, atol=1e-7)


def test_regularizer_changes_the_step_by_lr_times_penalty_gradient():
    """The regulariser changes the step by exactly lr * penalty gradient relative to no regulariser."""
    x, y, kernel, bias = _data(1)
    lr = 0.05
    plain = _dense_model(None, None, kernel, bias, lr=lr)
    reg = R.L1L2(l1=0.05, l2=0.1)
    regd = _dense_model(reg, reg, kernel, bias, lr=lr)
    plain.train_on_batch(x, y)
    regd.train_on_batch(x, y)
    for before, a, b in zip((kernel, bias), plain.get_weights(), regd.get_weights()):
        diff = a.astype(np.float64) - b.astype(np.float64)  # = lr * penalty gradient
        np.testing.assert_allclose(diff, lr * _penalty_grad(reg, before), rtol=1e-4, atol=1e-6)


def test_two_layer_model_penalties_add_up():
    rng = np.random.default_rng(2)
    x = _f32(rng.normal(size=(20, 6)))
    labels = rng.integers(0, 4, size=20)
    gs.set_seed(2)
    model = gs.Sequential(
        [
            gs.Input((6,)),
            gs.layers.Dense(
                8,
                activation="tanh",
                kernel_regularizer=R.L2(0.02),
                bias_initializer="ones",
                bias_regularizer=R.L1(0.03),
            ),
            gs.layers.Dense(4, activation="softmax", kernel_regularizer=R.L1L2(l1=0.01, l2=0.04)),
        ]
    )
    model.compile(optimizer=gs.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    k1, b1, k2, b2 = (w.astype(np.float64) for w in model.get_weights())
    h = np.tanh(x @ k1 + b1)
    z = h @ k2 + b2
    z -= z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    data_loss = -np.mean(logp[np.arange(20), labels])
    penalty = 0.02 * np.sum(k1**2) + 0.03 * np.sum(np.abs(b1)) + 0.01 * np.sum(np.abs(k2)) + 0.04 * np.sum(k2**2)
    assert model.test_on_batch(x, labels) == pytest.approx(data_loss + penalty, rel=1e-5)
    assert model.train_on_batch(x, labels) == pytest.approx(data_loss + penalty, rel=1e-5)


def test_fit_history_loss_includes_penalty():
    """With a huge L2 factor the penalty dominates the reported training loss."""
    x, y, kernel, bias = _data(3, n=32)
    model = _dense_model(R.L2(10.0), None, kernel, bias, lr=0.001)
    hist = model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    expected = np.mean((x.astype(np.float64) @ kernel + bias - y) ** 2) + 10.0 * np.sum(kernel.astype(np.float64) ** 2)
    assert hist.history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_l1_zero_weight_has_zero_subgradient():
    """sign(0) = 0: a zero weight with only an L1 penalty and zero data gradient stays zero."""
    x = _f32(np.zeros((4, 3)))  # zero inputs -> zero kernel data gradient
    y = _f32(np.zeros((4, 2)))
    kernel = _f32([[0.0, 0.5], [-0.5, 0.0], [0.0, 0.0]])
    bias = _f32([0.0, 0.0])
    model = _dense_model(R.L1(0.1), None, kernel, bias, lr=0.1)
    model.train_on_batch(x, y)
    new_kernel = model.get_weights()[0]
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * 0.1 * np.sign(kernel), rtol=1e-6, atol=1e-8)
    assert np.all(new_kernel[kernel == 0] == 0)


# ------------------------------------------------------------------------------ regulariser objects
def test_call_computes_penalty():
    w = np.array([[1.0, -2.0], [0.5, 0.0]], dtype=np.float32)
    assert R.L1(0.1)(w) == pytest.approx(0.1 * 3.5)
    assert R.L2(0.2)(w) == pytest.approx(0.2 * 5.25)
    assert R.L1L2(l1=0.1, l2=0.2)(w) == pytest.approx(0.1 * 3.5 + 0.2 * 5.25)
    assert R.L1L2()(w) == 0.0
    assert R.L1()(w) == pytest.approx(0.01 * 3.5)  # Keras default 0.01
    assert R.L2()(w) == pytest.approx(0.01 * 5.25)


def test_defaults_and_get():
    assert R.L1().l1 == pytest.approx(0.01)
    assert R.L2().l2 == pytest.approx(0.01)
    assert R.L1L2().l1 == 0.0 and R.L1L2().l2 == 0.0
    l2 = R.get("l2")
    assert isinstance(l2, R.L2) and l2.l2 == pytest.approx(0.01)
    l1 = R.get("l1")
    assert isinstance(l1, R.L1) and l1.l1 == pytest.approx(0.01)
    assert isinstance(R.get("l1_l2"), R.L1L2)
    assert R.get(None) is None
    inst = R.L1(0.3)
    assert R.get(inst) is inst
    from_dict = R.get({"class_name": "L2", "config": {"l2": 0.25}})
    assert isinstance(from_dict, R.L2) and from_dict.l2 == pytest.approx(0.25)
    with pytest.raises(ValueError):
        R.get("l3")
    with pytest.raises(TypeError):
        R.get(3.5)


@pytest.mark.parametrize(
    "reg", [R.L1(0.3), R.L2(0.4), R.L1L2(l1=0.1, l2=0.2), R.L1L2()], ids=["L1", "L2", "L1L2", "L1L2-default"]
)
def test_get_config_from_config_serialize(reg):
    cfg = reg.get_config()
    json.dumps(cfg)
    again = type(reg).from_config(cfg)
    assert type(again) is type(reg)
    assert again.get_config() == cfg
    assert (again.l1, again.l2) == (reg.l1, reg.l2)
    ser = R.serialize(reg)
    assert ser == {"class_name": type(reg).__name__, "config": cfg}
    back = R.deserialize(json.loads(json.dumps(ser)))
    assert type(back) is type(reg) and back.get_config() == cfg
    assert R.serialize(None) is None and R.deserialize(None) is None


def test_config_keys_keras():
    assert R.L1(0.3).get_config() == {"l1": pytest.approx(0.3)}
    assert R.L2(0.4).get_config() == {"l2": pytest.approx(0.4)}
    assert R.L1L2(l1=0.1, l2=0.2).get_config() == {"l1": pytest.approx(0.1), "l2": pytest.approx(0.2)}


@pytest.mark.parametrize(
    "make,name",
    [
        (lambda: R.L1(-0.1), "l1"),
        (lambda: R.L2(-1.0), "l2"),
        (lambda: R.L1L2(l1=-0.01), "l1"),
        (lambda: R.L1L2(l2=-0.01), "l2"),
        (lambda: R.L1L2(l1=0.1, l2=-0.5), "l2"),
    ],
)
def test_negative_factors_raise(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_dense_config_round_trip_with_regularizers():
    layer = gs.layers.Dense(4, kernel_regularizer=R.L1L2(l1=0.1, l2=0.2), bias_regularizer="l2", name="dense_reg")
    cfg = layer.get_config()
    assert cfg["kernel_regularizer"] == {"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}
    assert cfg["bias_regularizer"] == {"class_name": "L2", "config": {"l2": 0.01}}
    restored = gs.layers.deserialize(json.loads(json.dumps(gs.layers.serialize(layer))))
    assert restored.get_config() == cfg
    assert isinstance(restored.kernel_regularizer, R.L1L2) and restored.kernel_regularizer.l2 == pytest.approx(0.2)
    plain = gs.layers.Dense(4)
    assert plain.get_config()["kernel_regularizer"] is None
    assert gs.layers.Dense.from_config(plain.get_config()).kernel_regularizer is None


def test_regularized_model_evaluate_equals_data_loss_plus_penalty_after_fit():
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    gs.set_seed(4)
    kreg = R.L2(1e-3)
    model = gs.Sequential([gs.Input((64,)), gs.layers.Dense(10, activation="softmax", kernel_regularizer=kreg)])
    model.compile(optimizer=gs.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    model.fit(x_train[:400], y_train[:400], batch_size=50, epochs=2, verbose=0)
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    z = x_test.astype(np.float64) @ kernel + bias
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    data_loss = -np.mean(np.log(np.clip(p[np.arange(len(y_test)), y_test], 1e-7, 1 - 1e-7)))
    assert model.evaluate(x_test, y_test, verbose=0) == pytest.approx(data_loss + kreg(kernel), rel=1e-4)
