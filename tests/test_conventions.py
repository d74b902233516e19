"""convention="keras"|"torch" on SGD, RMSprop, Adam, AdamW and BatchNormalization, and explain().

The torch convention is checked over several steps (with a learning-rate schedule, where the two
SGD and RMSprop-momentum forms differ) against a float64 NumPy transcription of PyTorch's
published rules (torch.optim.SGD/RMSprop/Adam/AdamW, torch.nn.BatchNorm1d), and against torch
itself when it is installed. The keras convention is covered by test_optimizers.py and
test_batchnorm.py (unchanged); here only that it stays the default.

explain(): the text's statements are run with NumPy on a snapshot of the variables, gradients
and slots, and must reproduce the step the C++ optimizer then applies.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np
import pytest

import gradstep as gs
from gradstep.optimizers.explanation import NAMESPACE

SHAPES = [(3, 4), (4,)]
STEPS = 8
SCHEDULE_ARGS = {"initial_learning_rate": 0.05, "decay_steps": 2, "decay_rate": 0.5}


def _schedule() -> Any:
    return gs.optimizers.schedules.ExponentialDecay(**SCHEDULE_ARGS)


def _scheduled_lr(step: int) -> float:
    """ExponentialDecay(0.05, 2, 0.5) at `step` (0-based), the learning rate of update step+1."""
    return 0.05 * 0.5 ** (step / 2)


def _problem(seed: int = 0) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Initial variables and STEPS gradients per variable (fixed, independent of the weights)."""
    rng = np.random.default_rng(seed)
    variables = [rng.normal(size=s).astype(np.float32) for s in SHAPES]
    grads = [[rng.normal(size=s).astype(np.float32) for s in SHAPES] for _ in range(STEPS)]
    return variables, grads


def _run_gradstep(optimizer: Any) -> list[np.ndarray]:
    variables, grads = _problem()
    for step_grads in grads:
        optimizer.apply(step_grads, variables)
    return variables


# ------------------------------------------------------------------ PyTorch's rules, float64 NumPy
class TorchRule:
    """One torch.optim step per call, in float64 (torch's single-tensor code path, dampening 0,
    maximize False; weight decay is decoupled, as AdamW's and as gradstep applies it)."""

    def __init__(self, kind: str, weight_decay: float = 0.0, **hp: Any) -> None:
        self.kind, self.hp, self.weight_decay = kind, hp, weight_decay
        self.state: list[dict[str, np.ndarray]] = []
        self.t = 0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        self.t += 1
        if not self.state:
            self.state = [{} for _ in params]
        for p, g, s in zip(params, grads, self.state):
            g = np.asarray(g, np.float64)
            p *= 1.0 - lr * self.weight_decay
            getattr(self, "_" + self.kind)(p, g, s, lr)

    def _sgd(self, p: np.ndarray, g: np.ndarray, s: dict[str, np.ndarray], lr: float) -> None:
        mu = self.hp["momentum"]
        if mu == 0:
            p -= lr * g
            return
        buf = s["buf"] = g.copy() if "buf" not in s else mu * s["buf"] + g  # torch: buf = g at step 1
        p -= lr * (g + mu * buf if self.hp["nesterov"] else buf)

    def _rmsprop(self, p: np.ndarray, g: np.ndarray, s: dict[str, np.ndarray], lr: float) -> None:
        alpha, eps, mu = self.hp["alpha"], self.hp["eps"], self.hp["momentum"]
        sq = s["square_avg"] = alpha * s.get("square_avg", np.zeros_like(p)) + (1 - alpha) * g * g
        if self.hp["centered"]:
            ga = s["grad_avg"] = s.get("grad_avg", np.zeros_like(p)) + (g - s.get("grad_avg", 0.0)) * (1 - alpha)
            avg = np.sqrt(sq - ga * ga) + eps
        else:
            avg = np.sqrt(sq) + eps
        if mu > 0:
            buf = s["buf"] = mu * s.get("buf", np.zeros_like(p)) + g / avg
            p -= lr * buf
        else:
            p -= lr * g / avg

    def _adam(self, p: np.ndarray, g: np.ndarray, s: dict[str, np.ndarray], lr: float) -> None:
        b1, b2, eps = self.hp["beta1"], self.hp["beta2"], self.hp["eps"]
        m = s["exp_avg"] = s.get("exp_avg", np.zeros_like(p)) * b1 + (1 - b1) * g
        v = s["exp_avg_sq"] = s.get("exp_avg_sq", np.zeros_like(p)) * b2 + (1 - b2) * g * g
        if self.hp["amsgrad"]:
            v = s["max_exp_avg_sq"] = np.maximum(s.get("max_exp_avg_sq", np.zeros_like(p)), v)
        m_hat = m / (1 - b1**self.t)
        v_hat = v / (1 - b2**self.t)
        p -= lr * m_hat / (np.sqrt(v_hat) + eps)


def _run_torch_rule(rule: TorchRule, scheduled: bool, lr: float) -> list[np.ndarray]:
    variables, grads = _problem()
    params = [v.astype(np.float64) for v in variables]
    for k, step_grads in enumerate(grads):
        rule.step(params, step_grads, _scheduled_lr(k) if scheduled else lr)
    return params


# (gradstep optimizer factory, torch rule, torch.optim class name and kwargs), keyed by id
CASES: dict[str, tuple[Callable[[Any], Any], Callable[[], TorchRule], str, dict[str, Any]]] = {
    "sgd-momentum": (
        lambda lr: gs.optimizers.SGD(lr, momentum=0.9, convention="torch"),
        lambda: TorchRule("sgd", momentum=0.9, nesterov=False),
        "SGD",
        {"momentum": 0.9},
    ),
    "sgd-nesterov": (
        lambda lr: gs.optimizers.SGD(lr, momentum=0.8, nesterov=True, convention="torch"),
        lambda: TorchRule("sgd", momentum=0.8, nesterov=True),
        "SGD",
        {"momentum": 0.8, "nesterov": True},
    ),
    "rmsprop": (
        lambda lr: gs.optimizers.RMSprop(lr, rho=0.95, epsilon=1e-3, convention="torch"),
        lambda: TorchRule("rmsprop", alpha=0.95, eps=1e-3, momentum=0.0, centered=False),
        "RMSprop",
        {"alpha": 0.95, "eps": 1e-3},
    ),
    "rmsprop-centered-momentum": (
        lambda lr: gs.optimizers.RMSprop(lr, rho=0.9, momentum=0.7, epsilon=1e-3, centered=True, convention="torch"),
        lambda: TorchRule("rmsprop", alpha=0.9, eps=1e-3, momentum=0.7, centered=True),
        "RMSprop",
        {"alpha": 0.9, "eps": 1e-3, "momentum": 0.7, "centered": True},
    ),
    "adam": (
        lambda lr: gs.optimizers.Adam(lr, epsilon=1e-2, convention="torch"),
        lambda: TorchRule("adam", beta1=0.9, beta2=0.999, eps=1e-2, amsgrad=False),
        "Adam",
        {"eps": 1e-2},
    ),
    "adam-amsgrad": (
        lambda lr: gs.optimizers.Adam(lr, beta_1=0.8, beta_2=0.9, epsilon=1e-3, amsgrad=True, convention="torch"),
        lambda: TorchRule("adam", beta1=0.8, beta2=0.9, eps=1e-3, amsgrad=True),
        "Adam",
        {"betas": (0.8, 0.9), "eps": 1e-3, "amsgrad": True},
    ),
    "adamw": (
        lambda lr: gs.optimizers.AdamW(lr, weight_decay=0.1, epsilon=1e-2, convention="torch"),
        lambda: TorchRule("adam", weight_decay=0.1, beta1=0.9, beta2=0.999, eps=1e-2, amsgrad=False),
        "AdamW",
        {"weight_decay": 0.1, "eps": 1e-2},
    ),
}


@pytest.mark.parametrize("scheduled", [False, True], ids=["constant-lr", "schedule"])
@pytest.mark.parametrize("case", list(CASES))
def test_torch_convention_matches_numpy_reference(case: str, scheduled: bool) -> None:
    make, rule, _, _ = CASES[case]
    got = _run_gradstep(make(_schedule() if scheduled else 0.02))
    expected = _run_torch_rule(rule(), scheduled, 0.02)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", ["sgd-momentum", "sgd-nesterov", "rmsprop-centered-momentum", "adam"])
def test_keras_convention_differs_where_the_rules_differ(case: str) -> None:
    """With a schedule (SGD, RMSprop momentum) or a large epsilon (Adam) the Keras rule leaves
    PyTorch's trajectory: the comparison above would catch a convention that is not applied."""
    make, rule, _, _ = CASES[case]
    keras_optimizer = make(_schedule())
    config = keras_optimizer.get_config()
    config["convention"] = "keras"
    got = _run_gradstep(type(keras_optimizer).from_config(config))
    expected = _run_torch_rule(rule(), True, 0.0)
    assert max(float(np.max(np.abs(g - e))) for g, e in zip(got, expected)) > 1e-4


@pytest.mark.parametrize("scheduled", [False, True], ids=["constant-lr", "schedule"])
@pytest.mark.parametrize("case", list(CASES))
def test_torch_convention_matches_torch(case: str, scheduled: bool) -> None:
    torch = pytest.importorskip("torch")
    make, _, torch_name, torch_kwargs = CASES[case]
    got = _run_gradstep(make(_schedule() if scheduled else 0.02))
    variables, grads = _problem()
    params = [torch.tensor(v.astype(np.float64), requires_grad=True) for v in variables]
    optimizer = getattr(torch.optim, torch_name)(params, lr=0.02, **torch_kwargs)
    for k, step_grads in enumerate(grads):
        for group in optimizer.param_groups:
            group["lr"] = _scheduled_lr(k) if scheduled else 0.02
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g.astype(np.float64))
        optimizer.step()
    for g, p in zip(got, params):
        np.testing.assert_allclose(g, p.detach().numpy(), rtol=2e-5, atol=2e-6)


def test_torch_and_keras_sgd_agree_for_a_constant_learning_rate() -> None:
    """The header's claim: the two momentum forms give the same steps when lr is constant."""
    keras = _run_gradstep(gs.optimizers.SGD(0.02, momentum=0.9, nesterov=True))
    torch_form = _run_gradstep(gs.optimizers.SGD(0.02, momentum=0.9, nesterov=True, convention="torch"))
    for k, t in zip(keras, torch_form):
        np.testing.assert_allclose(k, t, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------ configuration, validation
@pytest.mark.parametrize("cls", [gs.optimizers.SGD, gs.optimizers.RMSprop, gs.optimizers.Adam, gs.optimizers.AdamW])
def test_optimizer_convention_config_and_validation(cls: Any) -> None:
    assert cls().convention == "keras"
    optimizer = cls(convention="torch")
    config = optimizer.get_config()
    assert config["convention"] == "torch"
    assert cls.from_config(json.loads(json.dumps(config))).convention == "torch"
    restored = gs.optimizers.deserialize(gs.optimizers.serialize(optimizer))
    assert restored.convention == "torch" and restored._core.convention == "torch"
    with pytest.raises(ValueError, match=r"convention must be 'keras' or 'torch', got 'pytorch'"):
        cls(convention="pytorch")
    with pytest.raises(TypeError, match="convention must be 'keras' or 'torch'"):
        cls(convention=None)


def test_model_with_torch_conventions_round_trips_through_save(tmp_path: Any) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 5)).astype(np.float32)
    y = rng.normal(size=(32, 2)).astype(np.float32)
    model = gs.Sequential(
        [gs.Input((5,)), gs.layers.Dense(4), gs.layers.BatchNormalization(convention="torch"), gs.layers.Dense(2)]
    )
    model.compile(optimizer=gs.optimizers.SGD(0.05, momentum=0.9, convention="torch"), loss="mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.gstep")
    loaded = gs.models.load_model(tmp_path / "m.gstep")
    bn = loaded.layers[1]
    assert (bn.convention, bn.momentum, bn.epsilon) == ("torch", 0.1, 1e-5)
    assert loaded.optimizer.convention == "torch"
    # Training on resumes identically: same rule, same slots.
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------------- BatchNormalization
def test_batchnorm_defaults_follow_the_convention() -> None:
    keras = gs.layers.BatchNormalization()
    torch_bn = gs.layers.BatchNormalization(convention="torch")
    assert (keras.momentum, keras.epsilon, keras.convention) == (0.99, 1e-3, "keras")
    assert (torch_bn.momentum, torch_bn.epsilon) == (0.1, 1e-5)
    given = gs.layers.BatchNormalization(momentum=0.3, epsilon=1e-4, convention="torch")
    assert (given.momentum, given.epsilon) == (0.3, 1e-4)
    assert gs.layers.BatchNormalization.from_config(given.get_config()).convention == "torch"
    with pytest.raises(ValueError, match=r"convention must be 'keras' or 'torch', got 'tf'"):
        gs.layers.BatchNormalization(convention="tf")


def _bn_steps(convention: str, momentum: float, feature_shape: tuple[int, ...]) -> tuple[Any, list[np.ndarray]]:
    rng = np.random.default_rng(3)
    model = gs.Sequential(
        [gs.Input(feature_shape), gs.layers.BatchNormalization(momentum=momentum, convention=convention)]
    )
    batches = [(rng.normal(size=(6,) + feature_shape) * (1 + k) + k).astype(np.float32) for k in range(4)]
    for x in batches:
        model(x, training=True)
    return model, batches


@pytest.mark.parametrize("feature_shape", [(3,), (2, 3)], ids=["2d", "3d"])
def test_batchnorm_torch_moving_statistics_numpy(feature_shape: tuple[int, ...]) -> None:
    momentum = 0.2
    model, batches = _bn_steps("torch", momentum, feature_shape)
    mean, var = np.zeros(feature_shape[-1]), np.ones(feature_shape[-1])
    for x in batches:
        rows = x.reshape(-1, feature_shape[-1]).astype(np.float64)
        mean = (1 - momentum) * mean + momentum * rows.mean(axis=0)
        var = (1 - momentum) * var + momentum * rows.var(axis=0, ddof=1)  # unbiased
    weights = model.get_weights()
    np.testing.assert_allclose(weights[2], mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights[3], var, rtol=1e-5, atol=1e-6)
    # Training normalises with the biased variance in both conventions.
    x = batches[-1]
    rows = x.reshape(-1, feature_shape[-1]).astype(np.float64)
    expected = (rows - rows.mean(0)) / np.sqrt(rows.var(0) + 1e-5)
    np.testing.assert_allclose(model(x, training=True).reshape(rows.shape), expected, rtol=1e-4, atol=1e-5)


def test_batchnorm_torch_moving_statistics_match_torch() -> None:
    torch = pytest.importorskip("torch")
    model, batches = _bn_steps("torch", 0.1, (3,))
    reference = torch.nn.BatchNorm1d(3, momentum=0.1, eps=1e-5, dtype=torch.float64)
    reference.train()
    for x in batches:
        y = reference(torch.tensor(x.astype(np.float64)))
    weights = model.get_weights()
    np.testing.assert_allclose(weights[2], reference.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights[3], reference.running_var.numpy(), rtol=1e-5, atol=1e-6)
    reference.eval()
    x = batches[0]
    expected = reference(torch.tensor(x.astype(np.float64))).detach().numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
    # The training-mode output of the last batch (a training call updates the moving statistics
    # once more, hence last).
    np.testing.assert_allclose(model(batches[-1], training=True), y.detach().numpy(), rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------------------- explain()
def _slots_per_variable(optimizer: Any, sizes: list[int], names: Any = ()) -> list[dict[str, np.ndarray]]:
    """Each variable's part of every slot; zeros for `names` before the first step builds them."""
    state = optimizer.get_state()
    if state is None:
        return [{name: np.zeros(size, np.float32) for name in names} for size in sizes]
    out: list[dict[str, np.ndarray]] = [{} for _ in sizes]
    for name, flat in zip(state["slot_names"], state["slots"]):
        offset = 0
        for k, size in enumerate(sizes):
            out[k][name] = np.array(flat[offset : offset + size], dtype=np.float32)
            offset += size
    return out


def _check_explained_step(optimizer: Any, warmup: int = 3) -> str:
    """Run `warmup` steps, then check that executing explain()'s statements on the snapshot gives
    the next step. Returns the explanation text."""
    variables, grads = _problem(seed=7)
    for step_grads in grads[:warmup]:
        optimizer.apply(step_grads, variables)
    sizes = [v.size for v in variables]
    before_w = [v.copy().reshape(-1) for v in variables]
    step_grads = grads[warmup]
    explanation = optimizer.explain()
    before_slots = _slots_per_variable(optimizer, sizes, explanation.symbols.values())
    global_norm = float(np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in step_grads)))
    optimizer.apply(step_grads, variables)
    after_slots = _slots_per_variable(optimizer, sizes)
    for k in range(len(variables)):
        namespace: dict[str, Any] = dict(NAMESPACE)
        namespace.update(w=before_w[k].copy(), g=step_grads[k].reshape(-1).copy(), global_norm=global_norm)
        for symbol, slot in explanation.symbols.items():
            namespace[symbol] = before_slots[k][slot].copy()
        exec(explanation.text, namespace)  # running the explained statements is the point of the test
        np.testing.assert_allclose(variables[k].reshape(-1), namespace["w"], rtol=1e-5, atol=1e-6)
        for symbol, slot in explanation.symbols.items():
            np.testing.assert_allclose(after_slots[k][slot], namespace[symbol], rtol=1e-5, atol=1e-6, err_msg=slot)
    return explanation.text


EXPLAINED = {
    "sgd": lambda c: gs.optimizers.SGD(0.1, convention=c),
    "sgd-momentum": lambda c: gs.optimizers.SGD(_schedule(), momentum=0.9, convention=c),
    "sgd-nesterov-clipnorm": lambda c: gs.optimizers.SGD(0.05, momentum=0.5, nesterov=True, clipnorm=0.5, convention=c),
    "rmsprop": lambda c: gs.optimizers.RMSprop(0.01, epsilon=1e-3, clipvalue=0.3, convention=c),
    "rmsprop-centered-momentum": lambda c: gs.optimizers.RMSprop(
        _schedule(), momentum=0.6, centered=True, epsilon=1e-3, weight_decay=0.01, convention=c
    ),
    "adam": lambda c: gs.optimizers.Adam(0.01, epsilon=1e-2, global_clipnorm=1.0, convention=c),
    "adam-amsgrad": lambda c: gs.optimizers.Adam(_schedule(), beta_2=0.9, amsgrad=True, convention=c),
    "adamw": lambda c: gs.optimizers.AdamW(0.01, weight_decay=0.05, epsilon=1e-3, convention=c),
}


@pytest.mark.parametrize("convention", ["keras", "torch"])
@pytest.mark.parametrize("case", list(EXPLAINED))
def test_explain_reproduces_the_applied_step(case: str, convention: str) -> None:
    optimizer = EXPLAINED[case](convention)
    text = _check_explained_step(optimizer)
    if "momentum" in case or "nesterov" in case or case.startswith(("rmsprop", "adam")):
        assert f"convention {convention}" in text
    assert f"t = {4}" in text
    if "clipnorm" in case:
        assert "clipnorm" not in text and "norm(g)" in text
    if case in ("sgd-momentum", "rmsprop-centered-momentum", "adam-amsgrad"):
        assert f"scheduled: ExponentialDecay at iteration {3}" in text
        assert gs.optimizers.explanation.num(_scheduled_lr(3)) in text


def test_explain_adagrad_and_latex() -> None:
    optimizer = gs.optimizers.Adagrad(0.1, initial_accumulator_value=0.2, clipnorm=2.0, weight_decay=0.01)
    _check_explained_step(optimizer)
    explanation = optimizer.explain()
    assert str(explanation) == explanation.text
    latex = explanation._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and "\\sqrt" in latex and "0.1" in latex


def test_explain_detects_a_rule_it_does_not_describe() -> None:
    """The check is discriminating: Keras' explanation run against PyTorch's applied step fails."""
    torch_adam = gs.optimizers.Adam(0.01, epsilon=1e-2, convention="torch")
    keras_text = gs.optimizers.Adam(0.01, epsilon=1e-2).explain
    torch_adam.explain = keras_text  # type: ignore[method-assign]
    with pytest.raises(AssertionError):
        _check_explained_step(torch_adam, warmup=0)
