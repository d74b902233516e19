"""Losses written in Python (gradstep.losses.Loss subclasses with call() and gradient()).

They must give the built-in losses' values and, trained with fit, the same weights (1e-5), with
and without sample weights; bad returns and missing methods raise clear errors; exceptions raised
inside them propagate out of fit unchanged; models compiled with them save and load with
custom_objects.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

import gradstep as gs


class PyMSE(gs.losses.Loss):
    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return np.mean((y_pred - y_true) ** 2, axis=-1)

    def gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return 2.0 * (y_pred - y_true) / y_pred.shape[-1]


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class PyCategoricalCE(gs.losses.Loss):
    """Categorical cross-entropy from logits, one-hot targets."""

    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return -(y_true * _log_softmax(y_pred)).sum(axis=-1)

    def gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return np.exp(_log_softmax(y_pred)) * y_true.sum(axis=-1, keepdims=True) - y_true


class PySparseCE(gs.losses.Loss):
    """Sparse categorical cross-entropy from logits: integer labels."""

    sparse_targets = True

    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return -_log_softmax(y_pred)[np.arange(len(y_true)), y_true]

    def gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        grad = np.exp(_log_softmax(y_pred))
        grad[np.arange(len(y_true)), y_true] -= 1.0
        return grad


class ScaledMSE(PyMSE):
    """A loss with a configuration (get_config / from_config round trip)."""

    def __init__(self, scale: float = 1.0, name: str = "scaled_mse", reduction: str = "sum_over_batch_size") -> None:
        self.scale = scale
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return self.scale * super().call(y_true, y_pred)

    def gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return self.scale * super().gradient(y_true, y_pred)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}


def _regression_data(n: int = 64, d: int = 6, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x @ rng.normal(size=(d, k)) + 0.1 * rng.normal(size=(n, k))).astype(np.float32)
    return x, y


def _classification_data(n: int = 64, d: int = 6, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x, rng.integers(0, k, size=n)


def _model(d: int, k: int, seed: int = 3) -> gs.Sequential:
    gs.set_seed(seed)
    model = gs.Sequential([gs.Input((d,)), gs.layers.Dense(8, activation="tanh"), gs.layers.Dense(k)])
    return model


def _train(loss: Any, x: np.ndarray, y: np.ndarray, sample_weight: Any = None) -> tuple[gs.Sequential, list[float]]:
    model = _model(x.shape[1], int(y.max()) + 1 if y.ndim == 1 else y.shape[1])
    model.compile(optimizer=gs.optimizers.Adam(0.01), loss=loss)
    history = model.fit(x, y, batch_size=16, epochs=3, sample_weight=sample_weight, shuffle=True, verbose=0)
    return model, history.history["loss"]


def _assert_same_training(builtin: Any, custom: Any, x: np.ndarray, y: np.ndarray, sample_weight: Any = None) -> None:
    gs.set_seed(11)
    model_a, losses_a = _train(builtin, x, y, sample_weight)
    gs.set_seed(11)
    model_b, losses_b = _train(custom, x, y, sample_weight)
    np.testing.assert_allclose(losses_b, losses_a, rtol=1e-5, atol=1e-6)
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_allclose(wb, wa, rtol=1e-5, atol=1e-5)
    eval_a = model_a.evaluate(x, y, sample_weight=sample_weight, verbose=0)
    eval_b = model_b.evaluate(x, y, sample_weight=sample_weight, verbose=0)
    assert eval_b == pytest.approx(eval_a, rel=1e-5, abs=1e-6)


# ------------------------------------------------------------------------------- values


def test_custom_mse_values_match_builtin() -> None:
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(10, 3)).astype(np.float32)
    y_pred = rng.normal(size=(10, 3)).astype(np.float32)
    weights = rng.uniform(0, 2, size=10).astype(np.float32)
    builtin, custom = gs.losses.MeanSquaredError(), PyMSE()
    assert custom(y_true, y_pred) == pytest.approx(builtin(y_true, y_pred), rel=1e-6)
    assert custom(y_true, y_pred, weights) == pytest.approx(builtin(y_true, y_pred, weights), rel=1e-6)
    value_b, grad_b = builtin.value_and_gradient(y_true, y_pred, weights)
    value_c, grad_c = custom.value_and_gradient(y_true, y_pred, weights)
    assert value_c == pytest.approx(value_b, rel=1e-6)
    np.testing.assert_allclose(grad_c, grad_b, rtol=1e-5, atol=1e-7)


def test_custom_sparse_ce_values_match_builtin() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(12, 5)).astype(np.float32)
    labels = rng.integers(0, 5, size=12)
    builtin = gs.losses.SparseCategoricalCrossentropy(from_logits=True)
    custom = PySparseCE()
    assert custom.sparse_targets and not PyMSE().sparse_targets
    value_b, grad_b = builtin.value_and_gradient(labels, logits)
    value_c, grad_c = custom.value_and_gradient(labels, logits)
    assert value_c == pytest.approx(value_b, rel=1e-6)
    np.testing.assert_allclose(grad_c, grad_b, rtol=1e-5, atol=1e-7)


def test_call_alone_serves_standalone_use() -> None:
    class CallOnly(gs.losses.Loss):
        def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
            return np.abs(y_pred - y_true).mean(axis=-1)

    y_true, y_pred = np.zeros((4, 2), np.float32), np.full((4, 2), 0.5, np.float32)
    assert CallOnly()(y_true, y_pred) == pytest.approx(0.5)


# ------------------------------------------------------------------------------- training


def test_custom_mse_trains_like_builtin() -> None:
    x, y = _regression_data()
    _assert_same_training("mse", PyMSE(), x, y)


def test_custom_mse_with_sample_weight_trains_like_builtin() -> None:
    x, y = _regression_data()
    weights = np.random.default_rng(5).uniform(0.0, 2.0, size=len(x)).astype(np.float32)
    weights[:5] = 0.0
    _assert_same_training("mse", PyMSE(), x, y, sample_weight=weights)


def test_custom_categorical_ce_trains_like_builtin() -> None:
    x, labels = _classification_data()
    one_hot = np.eye(4, dtype=np.float32)[labels]
    _assert_same_training(gs.losses.CategoricalCrossentropy(from_logits=True), PyCategoricalCE(), x, one_hot)


def test_custom_sparse_ce_trains_like_builtin() -> None:
    x, labels = _classification_data()
    weights = np.random.default_rng(6).uniform(0.5, 1.5, size=len(x)).astype(np.float32)
    builtin = gs.losses.SparseCategoricalCrossentropy(from_logits=True)
    _assert_same_training(builtin, PySparseCE(), x, labels)
    _assert_same_training(builtin, PySparseCE(), x, labels, sample_weight=weights)


def test_custom_sparse_ce_on_masked_sequences_matches_builtin() -> None:
    """(N, T, C) outputs arrive as (N * T, C) rows; padded steps are dropped as for the built-ins."""
    rng = np.random.default_rng(7)
    x = rng.integers(1, 9, size=(24, 5))
    x[:, 3:] = 0  # padding, masked by mask_zero=True
    labels = rng.integers(0, 3, size=(24, 5))

    def train(loss: Any) -> list[np.ndarray]:
        gs.set_seed(4)
        model = gs.Sequential(
            [
                gs.Input((5,)),
                gs.layers.Embedding(10, 4, mask_zero=True),
                gs.layers.SimpleRNN(6, return_sequences=True),
                gs.layers.Dense(3),
            ]
        )
        model.compile(optimizer=gs.optimizers.SGD(0.1), loss=loss)
        model.fit(x, labels, batch_size=8, epochs=2, shuffle=False, verbose=0)
        weights: list[np.ndarray] = model.get_weights()
        return weights

    expected = train(gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    for got, want in zip(train(PySparseCE()), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------- errors


def test_missing_gradient_fails_at_compile() -> None:
    class NoGradient(gs.losses.Loss):
        def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
            return np.mean((y_pred - y_true) ** 2, axis=-1)

    model = _model(6, 3)
    with pytest.raises(ValueError, match=r"NoGradient defines call\(\) but not gradient"):
        model.compile(optimizer="sgd", loss=NoGradient())


def test_missing_call_fails_at_construction() -> None:
    class Nothing(gs.losses.Loss):
        pass

    with pytest.raises(NotImplementedError, match=r"must define call\(y_true, y_pred\)"):
        Nothing()


def test_reduction_other_than_builtin_ones_is_refused() -> None:
    with pytest.raises(ValueError, match="reduction"):
        PyMSE(reduction="sum")


@pytest.mark.parametrize(
    "method,bad,pattern",
    [
        ("call", lambda t, p: np.zeros((len(p), 1)), r"PyBad\.call must return an array of shape \(16,\).*\(16, 1\)"),
        ("call", lambda t, p: np.array(["x"] * len(p)), r"PyBad\.call must return a float array.*dtype <U1"),
        (
            "gradient",
            lambda t, p: np.zeros(len(p)),
            r"PyBad\.gradient must return an array of shape \(16, 3\).*\(16,\)",
        ),
        ("gradient", lambda t, p: None, r"PyBad\.gradient must return a float array.*dtype object"),
    ],
)
def test_bad_returns_raise_value_error_naming_the_method(method: str, bad: Any, pattern: str) -> None:
    class PyBad(PyMSE):
        pass

    setattr(PyBad, method, lambda self, t, p: bad(t, p))
    x, y = _regression_data()
    model = _model(6, 3)
    model.compile(optimizer="sgd", loss=PyBad())
    with pytest.raises(ValueError, match=pattern):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)


def test_exceptions_propagate_unchanged_and_the_model_stays_usable() -> None:
    class Boom(RuntimeError):
        pass

    class Exploding(PyMSE):
        calls = 0

        def gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
            Exploding.calls += 1
            if Exploding.calls == 2:
                raise Boom("raised inside gradient")
            return super().gradient(y_true, y_pred)

    x, y = _regression_data()
    model = _model(6, 3)
    model.compile(optimizer="sgd", loss=Exploding())
    with pytest.raises(Boom, match="raised inside gradient"):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    # The model's lock was released: it trains again, from another thread too (no deadlock).
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    done: list[float] = []
    thread = threading.Thread(target=lambda: done.append(model.evaluate(x, y, verbose=0)))
    thread.start()
    thread.join(timeout=60)
    assert done and np.isfinite(done[0])


# ------------------------------------------------------------------------------- config and saving


def test_get_config_from_config_round_trip() -> None:
    loss = ScaledMSE(scale=2.5, name="mine")
    config = loss.get_config()
    assert config == {"name": "mine", "reduction": "sum_over_batch_size", "scale": 2.5}
    again = ScaledMSE.from_config(config)
    y_true, y_pred = np.zeros((3, 2), np.float32), np.ones((3, 2), np.float32)
    assert again(y_true, y_pred) == pytest.approx(2.5)


def test_save_and_load_with_custom_objects(tmp_path: Any) -> None:
    x, y = _regression_data()
    model = _model(6, 3)
    model.compile(optimizer=gs.optimizers.Adam(0.01), loss=ScaledMSE(scale=2.0))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    path = tmp_path / "custom.gstep"
    model.save(path)

    with pytest.raises(ValueError, match=r"custom_objects=\{'ScaledMSE': ScaledMSE\}"):
        gs.models.load_model(path)
    uncompiled = gs.models.load_model(path, compile=False)
    for a, b in zip(uncompiled.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)

    loaded = gs.models.load_model(path, custom_objects={"ScaledMSE": ScaledMSE})
    assert isinstance(loaded.loss, ScaledMSE) and loaded.loss.scale == 2.0
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
    # Training resumes exactly (optimizer state restored).
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_subclass_of_a_builtin_that_defines_call_computes_in_python() -> None:
    class DoubledMSE(gs.losses.MeanSquaredError):
        def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
            return 2.0 * np.mean((y_pred - y_true) ** 2, axis=-1)

        def gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
            return 4.0 * (y_pred - y_true) / y_pred.shape[-1]

    y_true, y_pred = np.zeros((3, 2), np.float32), np.ones((3, 2), np.float32)
    assert DoubledMSE()(y_true, y_pred) == pytest.approx(2.0)


def test_metrics_work_with_a_custom_sparse_loss() -> None:
    x, labels = _classification_data()
    gs.set_seed(2)
    model = _model(6, 4)
    model.compile(optimizer="adam", loss=PySparseCE(), metrics=["accuracy"])
    logs = model.fit(x, labels, batch_size=16, epochs=1, verbose=0).history
    assert 0.0 <= logs["accuracy"][0] <= 1.0
    predicted = model.predict(x, verbose=0).argmax(axis=-1)
    result = model.evaluate(x, labels, verbose=0, return_dict=True)
    assert result["accuracy"] == pytest.approx(np.mean(predicted == labels), abs=1e-6)


_DEADLOCK_SCRIPT = """
import threading, numpy as np, gradstep as gs

def touch():  # runs while training steps hold the model's lock and wait for the GIL in the callback
    for _ in range(300):
        model.set_weights(model.get_weights())
        model.layers[0].trainable = True
        model._core.last_output(1)

class PyMSE(gs.losses.Loss):
    threads = []
    def call(self, y_true, y_pred):
        if not self.threads:
            thread = threading.Thread(target=touch)
            thread.start()
            self.threads.append(thread)
        return np.mean((y_pred - y_true) ** 2, axis=-1)
    def gradient(self, y_true, y_pred):
        return 2.0 * (y_pred - y_true) / y_pred.shape[-1]

model = gs.Sequential([gs.Input((3,)), gs.layers.Dense(2)])
model.compile(optimizer="sgd", loss=PyMSE())
x = np.ones((64, 3), np.float32)
model.fit(x, np.zeros((64, 2), np.float32), batch_size=1, epochs=20, verbose=0)
PyMSE.threads[0].join()
print("ok")
"""


def test_no_deadlock_when_another_thread_uses_the_model_during_the_callback() -> None:
    """The callback holds the GIL while the step holds the model's lock: the bindings that take
    that lock must release the GIL first (checked in a subprocess: a deadlock would hang)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run(
        [sys.executable, "-c", _DEADLOCK_SCRIPT], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
