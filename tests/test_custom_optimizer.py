"""gradstep.optimizers.Custom: a Python update(w, g, state, step) run by the C++ train step.

A momentum SGD written in a few lines of NumPy must reproduce the built-in SGD(momentum) through
fit (with clipping and weight decay from the base class, and a schedule); the state persists
across steps; exceptions raised by the function come out of fit() unchanged, and the model
stays usable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gradstep as gs


def momentum_sgd(w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], step: int, learning_rate: float) -> None:
    """Keras' SGD with momentum 0.9, in place: m = 0.9 m - lr g; w += m."""
    m = state["momentum"]
    m *= 0.9
    m -= learning_rate * g
    w += m


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 6)).astype(np.float32)
    y = (x[:, :3] @ rng.normal(size=(3, 2))).astype(np.float32)
    return x, y


def _model(optimizer: Any) -> Any:
    model = gs.Sequential([gs.layers.Dense(5, activation="tanh"), gs.layers.Dense(2)])
    model.build((None, 6), seed=3)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _fit_weights(optimizer: Any, epochs: int = 3) -> list[np.ndarray]:
    x, y = _data()
    model = _model(optimizer)
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    return list(model.get_weights())


@pytest.mark.parametrize(
    "options",
    [{}, {"clipnorm": 0.05}, {"weight_decay": 0.1}, {"global_clipnorm": 0.1, "weight_decay": 0.01}],
    ids=["plain", "clipnorm", "weight-decay", "global-clipnorm-decay"],
)
def test_numpy_momentum_sgd_matches_builtin_through_fit(options: dict[str, float]) -> None:
    builtin = _fit_weights(gs.optimizers.SGD(0.05, momentum=0.9, **options))
    custom = _fit_weights(gs.optimizers.Custom(momentum_sgd, slots=["momentum"], learning_rate=0.05, **options))
    for b, c in zip(builtin, custom):
        np.testing.assert_array_equal(b, c)  # same float32 operations in the same order


def test_scheduled_learning_rate_reaches_the_function() -> None:
    def schedule() -> Any:
        return gs.optimizers.schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5)

    builtin = _fit_weights(gs.optimizers.SGD(schedule(), momentum=0.9))
    custom = _fit_weights(gs.optimizers.Custom(momentum_sgd, slots=["momentum"], learning_rate=schedule()))
    for b, c in zip(builtin, custom):
        np.testing.assert_allclose(b, c, rtol=1e-6, atol=1e-6)


def test_state_persists_and_step_counts_from_one() -> None:
    calls: list[tuple[int, int]] = []

    def count(w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], step: int) -> None:
        assert not g.flags.writeable and w.flags.writeable and w.dtype == np.float32
        assert w.shape == g.shape == state["count"].shape == state["sum"].shape
        state["count"] += 1.0
        state["sum"] += g
        calls.append((step, w.size))

    x, y = _data()
    optimizer = gs.optimizers.Custom(count, slots=("count", "sum"))
    model = _model(optimizer)
    before = model.get_weights()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    steps = 2 * 64 // 16
    assert optimizer.iterations == steps
    # One call per variable (kernel, bias, kernel, bias) and step, in variable order.
    assert calls == [(s, n) for s in range(1, steps + 1) for n in (30, 5, 10, 2)]
    state = optimizer.get_state()
    assert state["slot_names"] == ["count", "sum"]
    np.testing.assert_array_equal(state["slots"][0], np.full(47, steps, np.float32))
    assert np.any(state["slots"][1] != 0)
    for a, b in zip(before, model.get_weights()):  # `count` never touches w
        np.testing.assert_array_equal(a, b)


class Boom(RuntimeError):
    pass


def test_exception_propagates_out_of_fit_and_the_model_stays_usable() -> None:
    def failing(w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], step: int) -> None:
        if step == 3:
            raise Boom(f"failed at step {step}")
        w -= 0.01 * g

    x, y = _data()
    optimizer = gs.optimizers.Custom(failing)
    model = _model(optimizer)
    with pytest.raises(Boom, match="failed at step 3"):
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert optimizer.iterations == 2  # the failing step did not count
    # Neither the model's lock nor the GIL is left held.
    assert np.all(np.isfinite(model.predict(x, verbose=0)))
    model.evaluate(x, y, verbose=0)


def test_writing_the_gradient_raises() -> None:
    def bad(w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], step: int) -> None:
        g *= 2.0

    x, y = _data()
    with pytest.raises(ValueError, match="read-only"):
        _model(gs.optimizers.Custom(bad)).fit(x, y, epochs=1, batch_size=16, verbose=0)


def test_standalone_apply_and_frozen_layers() -> None:
    optimizer = gs.optimizers.Custom(momentum_sgd, slots=["momentum"], learning_rate=0.1)
    reference = gs.optimizers.SGD(0.1, momentum=0.9)
    rng = np.random.default_rng(2)
    a = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=4).astype(np.float32)]
    b = [v.copy() for v in a]
    for _ in range(3):
        grads = [rng.normal(size=v.shape).astype(np.float32) for v in a]
        optimizer.apply(grads, a)
        reference.apply(grads, b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)

    x, y = _data()
    model = _model(gs.optimizers.Custom(momentum_sgd, slots=["momentum"], learning_rate=0.1))
    model.layers[0].trainable = False
    frozen = [w.copy() for w in model.layers[0].get_weights()]
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for before, after in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)


def test_validation() -> None:
    with pytest.raises(TypeError, match="update must be a callable"):
        gs.optimizers.Custom(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="slots must be a sequence"):
        gs.optimizers.Custom(momentum_sgd, slots="momentum")
    with pytest.raises(ValueError, match="must not repeat"):
        gs.optimizers.Custom(momentum_sgd, slots=["m", "m"])
    with pytest.raises(TypeError, match="unexpected keyword"):
        gs.optimizers.Custom(momentum_sgd, momentum=0.9)


def test_config_explain_and_saving(tmp_path: Any) -> None:
    optimizer = gs.optimizers.Custom(momentum_sgd, slots=["momentum"], learning_rate=0.05, clipvalue=1.0)
    config = optimizer.get_config()
    assert config["update"] is momentum_sgd and config["slots"] == ["momentum"]
    assert gs.optimizers.Custom.from_config(config).get_config() == config
    text = optimizer.explain().text
    assert "Custom (momentum_sgd)" in text and "momentum_sgd(w, g, state, 1, learning_rate=0.05)" in text
    assert "g = clip(g, -1.0, 1.0)" in text and "# | " in text  # the clipping step and the function's source

    x, y = _data()
    model = _model(optimizer)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="cannot serialize the Custom optimizer"):
        model.save(tmp_path / "m.gstep")
    model.save_weights(tmp_path / "m.weights.gstep")
    restored = _model(gs.optimizers.Custom(momentum_sgd, slots=["momentum"], learning_rate=0.05))
    restored.load_weights(tmp_path / "m.weights.gstep")
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


_CROSS_THREAD_SCRIPT = """
import threading, time
import numpy as np
import gradstep as gs

started = threading.Event()

def slow(w, g, state, step):
    started.set()
    time.sleep(0.02)  # releases the GIL while the train step holds the model's lock
    w -= 0.01 * g

rng = np.random.default_rng(0)
x = rng.normal(size=(64, 6)).astype(np.float32)
y = rng.normal(size=(64, 2)).astype(np.float32)
model = gs.Sequential([gs.layers.Dense(5), gs.layers.Dense(2)])
model.build((None, 6), seed=0)
model.compile(optimizer=gs.optimizers.Custom(slow), loss="mse")
trainer = threading.Thread(target=lambda: model.fit(x, y, epochs=2, batch_size=16, verbose=0))
trainer.start()
started.wait()
model.layers[0].trainable = False  # takes the model's lock from another thread
trainer.join()
print("done")
"""


def test_other_threads_can_use_the_model_while_the_callback_runs() -> None:
    """A thread that takes the model's lock (layer.trainable) while fit runs a Custom update
    must not deadlock with it (run in a subprocess: a deadlock would hang this process)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(gs.__file__)), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", _CROSS_THREAD_SCRIPT], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
