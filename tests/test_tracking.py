"""Glass-box training: fit(track=[...]) figures against NumPy recomputations of the same steps.

Each test trains a model with tracking and a twin (same seed, same weights) step by step with
train_on_batch, recomputing every figure of every step in float64 from the twin's weights,
gradients (forward_backward) and layer outputs; fit's epoch figure is the mean over the steps.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gradstep as gs
from gradstep import _core

ALL = ["grad_norm", "update_ratio", "dead_relu", "bn_stats"]
L2 = 1e-2


@pytest.fixture
def restore_threads() -> Any:
    before = gs.get_num_threads()
    yield
    gs.set_num_threads(before)


def _data(n: int = 32, features: int = 6, outputs: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = rng.standard_normal((n, outputs)).astype(np.float32)
    return x, y


def _twins(make: Callable[[], gs.Sequential]) -> tuple[gs.Sequential, gs.Sequential]:
    """Two models with the same layers and weights (their layer names differ)."""
    a, b = make(), make()
    b.set_weights(a.get_weights())
    return a, b


def _mse_grad(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d/dpred of Keras' mean squared error: mean over the last axis, then over the batch."""
    return (2.0 * (pred.astype(np.float64) - y) / (pred.shape[0] * pred.shape[1])).astype(np.float32)


def _plain_sgd(w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], step: int, learning_rate: float) -> None:
    w -= learning_rate * g


# The update is measured on three paths: in the rule's own loop (Adam), by hooks around each block
# of the optimizer's pass (other element-wise
# rules without clipping) or by separate passes around it (clipping, where grad_norm is the
# gradient before clipping, and Custom rules). Each must equal the NumPy recomputation.
OPTIMIZERS: dict[str, Callable[[], Any]] = {
    "adam-clipnorm (separate passes)": lambda: gs.optimizers.Adam(0.05, clipnorm=0.05),
    "adam (squares in its own loop)": lambda: gs.optimizers.Adam(0.05),
    "sgd-momentum-decay (hooks around each block)": lambda: gs.optimizers.SGD(0.05, momentum=0.9, weight_decay=0.1),
    "custom (separate passes)": lambda: gs.optimizers.Custom(_plain_sgd, learning_rate=0.05),
}


def _mlp(optimizer: str = "adam-clipnorm (separate passes)") -> gs.Sequential:
    model = gs.Sequential(
        [
            gs.Input((6,)),
            gs.layers.Dense(8, activation="relu", kernel_regularizer=gs.regularizers.L2(L2)),
            gs.layers.Dense(5),
            gs.layers.Activation("relu"),
            gs.layers.Dense(3),
        ]
    )
    model.compile(optimizer=OPTIMIZERS[optimizer](), loss="mse")
    return model


def _epoch_means(per_step: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's mean over the steps it has a value at."""
    keys = dict.fromkeys(key for step in per_step for key in step)
    return {key: float(np.mean([step[key] for step in per_step if key in step])) for key in keys}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_grad_norm_update_ratio_and_dead_relu_equal_numpy_recomputation(optimizer: str) -> None:
    gs.set_seed(11)
    x, y = _data()
    model, twin = _twins(lambda: _mlp(optimizer))
    # Unit 0 of the first layer never fires, unit 1 always does.
    kernel, bias = model.layers[0].get_weights()
    bias[:2] = [-50.0, 50.0]
    for m in (model, twin):
        m.layers[0].set_weights([kernel, bias])
    history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, track=ALL)

    names = [(model.layers[i].name, w) for i in (0, 1, 3) for w in ("kernel", "bias")]
    per_step = []
    for start in (0, 16):
        xb, yb = x[start : start + 16], y[start : start + 16]
        weights = [w.astype(np.float64) for w in twin.get_weights()]
        pred = twin.predict_on_batch(xb)
        _, _, grads = twin.forward_backward(xb, _mse_grad(pred, yb))
        grads = [g.astype(np.float64) for g in grads]
        grads[0] += 2 * L2 * weights[0]  # the L2 penalty's gradient joins before clipping and decay
        twin.train_on_batch(xb, yb)
        after = [w.astype(np.float64) for w in twin.get_weights()]
        figures = {}
        for (layer, weight), g, w0, w1 in zip(names, grads, weights, after):
            figures[f"grad_norm/{layer}/{weight}"] = np.linalg.norm(g)
            if np.linalg.norm(w0) > 0:  # zero biases at step 1: no ratio
                figures[f"update_ratio/{layer}/{weight}"] = np.linalg.norm(w1 - w0) / np.linalg.norm(w0)
        z1 = xb @ weights[0] + weights[1]
        h1 = np.maximum(z1, 0.0)
        z2 = h1 @ weights[2] + weights[3]
        assert np.abs(z1).min() > 1e-4 and np.abs(z2).min() > 1e-4  # no sign is a rounding matter
        figures[f"dead_relu/{model.layers[0].name}"] = np.mean(np.all(h1 == 0, axis=0))
        figures[f"dead_relu/{model.layers[2].name}"] = np.mean(np.all(z2 <= 0, axis=0))
        per_step.append(figures)

    expected = _epoch_means(per_step)
    assert f"update_ratio/{names[3][0]}/bias" not in per_step[0]  # a zero bias has no ratio at step 1
    got = {k: v[0] for k, v in history.history.items() if k != "loss"}
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-5, abs=1e-12), key
    assert got[f"dead_relu/{model.layers[0].name}"] >= 1 / 8  # unit 0
    # Tracking leaves training as it is: fit's weights are the twin's, bit for bit.
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_dead_relu_of_a_convolution_counts_filters() -> None:
    gs.set_seed(12)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 7, 7, 1)).astype(np.float32)
    y = rng.integers(0, 2, 8)

    def make() -> gs.Sequential:
        model = gs.Sequential(
            [
                gs.Input((7, 7, 1)),
                gs.layers.Conv2D(4, 3, activation="relu"),
                gs.layers.MaxPooling2D(2),  # 5x5 -> 2x2: the pooling drops the last row and column
                gs.layers.Flatten(),
                gs.layers.Dense(2),
            ]
        )
        model.compile(optimizer=gs.optimizers.SGD(0.1), loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    model = make()
    kernel, bias = model.layers[0].get_weights()
    bias[:] = [-50.0, 0.0, 0.0, 50.0]  # filter 0 is dead
    model.layers[0].set_weights([kernel, bias])
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0, track=["dead_relu"])
    # Recompute on the positions the pooling sees (the figure of a pooled convolution).
    patches = np.stack([x[:, i : i + 3, j : j + 3, 0] for i in range(4) for j in range(4)], axis=1)
    z = patches.reshape(8, 16, 9).astype(np.float64) @ kernel.reshape(9, 4) + bias
    assert np.abs(z).min() > 1e-4
    expected = np.mean(np.all(z <= 0, axis=(0, 1)))
    assert history.history["dead_relu/" + model.layers[0].name] == [pytest.approx(expected)]
    assert expected >= 0.25


def _bn_model(optimizer: str = "SGD") -> gs.Sequential:
    model = gs.Sequential([gs.Input((6,)), gs.layers.BatchNormalization(), gs.layers.Dense(3)])
    model.compile(optimizer=getattr(gs.optimizers, optimizer)(0.1), loss="mse")
    return model


def test_bn_stats_equal_numpy_batch_statistics() -> None:
    x, y = _data()
    x = x * np.arange(1, 7, dtype=np.float32) + np.arange(-3, 3, dtype=np.float32)
    model = _bn_model()
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, track=["bn_stats"])
    abs_means, stds = [], []
    for start in (0, 16):
        xb = x[start : start + 16].astype(np.float64)  # the layer's input: the model's input
        abs_means.append(np.mean(np.abs(xb.mean(axis=0))))
        stds.append(np.mean(np.sqrt(xb.var(axis=0))))
    name = model.layers[0].name
    assert history.history[f"bn_stats/{name}/abs_mean"] == [pytest.approx(np.mean(abs_means), rel=1e-5)] * 2
    assert history.history[f"bn_stats/{name}/std"] == [pytest.approx(np.mean(stds), rel=1e-5)] * 2


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_frozen_layers_have_no_figures(optimizer: str) -> None:
    x, y = _data()
    model = _bn_model(optimizer)
    model.layers[0].trainable = False  # a frozen BatchNormalization uses its moving statistics
    frozen_weights = model.layers[0].get_weights()
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0, track=["grad_norm", "update_ratio", "bn_stats"])
    name = model.layers[0].name
    frozen = [k for k in history.history if f"/{name}/" in k]
    assert len(frozen) == 2 + 2 + 2  # gamma, beta (grad_norm, update_ratio), abs_mean, std
    assert all(math.isnan(history.history[k][0]) for k in frozen)
    assert history.history[f"grad_norm/{model.layers[1].name}/kernel"][0] > 0
    for before, after in zip(frozen_weights, model.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)


def _wide_model() -> gs.Sequential:
    gs.set_seed(5)
    model = gs.Sequential(
        [
            gs.Input((100,)),
            gs.layers.Dense(200, activation="relu"),  # 20,000 weights: several summation blocks
            gs.layers.BatchNormalization(),
            gs.layers.Dropout(0.2),
            gs.layers.Dense(4),
        ]
    )
    model.compile(optimizer=gs.optimizers.AdamW(1e-3), loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _wide_fit(track: list[str] | None, threads: int = 1) -> tuple[list[np.ndarray], dict[str, list[Any]]]:
    gs.set_num_threads(threads)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((256, 100)).astype(np.float32)
    y = rng.integers(0, 4, 256)
    model = _wide_model()
    history = model.fit(x, y, batch_size=64, epochs=2, verbose=0, track=track)
    return model.get_weights(), history.history


def test_tracking_changes_no_bit_of_training_and_is_thread_count_independent(restore_threads: Any) -> None:
    plain_weights, plain = _wide_fit(None)
    weights_1, tracked_1 = _wide_fit(ALL, threads=1)
    weights_2, tracked_2 = _wide_fit(ALL, threads=2)
    for a, b, c in zip(plain_weights, weights_1, weights_2):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert plain["loss"] == tracked_1["loss"] == tracked_2["loss"]
    assert len(tracked_1) == 1 + 6 + 6 + 1 + 2  # loss, 6 weights x 2 figures, dead_relu, bn_stats x 2
    # Bitwise (the sums run over fixed blocks in a fixed order); the layer names differ.
    assert list(tracked_1.values()) == list(tracked_2.values())


@pytest.fixture
def restore_isa() -> Any:
    isa = _core._active_isa()
    yield
    _core._set_isa(isa)


ISA_ORDER = ["generic", "avx2", "avx512"]
ISAS = ISA_ORDER[: ISA_ORDER.index(_core._detected_isa()) + 1]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("optimizer", ["AdamW", "SGD"])
def test_every_path_gives_the_same_bits(optimizer: str, isa: str, restore_threads: Any, restore_isa: Any) -> None:
    """Three ways to watch a step give the same weights and figures: Adam sums the squares in its
    own loop, SGD runs between the tracker's hooks, and a clipnorm too large to clip sends either
    down the separate passes around the whole update. (The GEMMs differ across ISAs in the last
    bits, so the comparison is within one ISA; each ISA's own loops are compared.)"""
    gs.set_num_threads(2)
    _core._set_isa(isa)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((256, 100)).astype(np.float32)
    y = rng.integers(0, 4, 256)
    results = []
    for clipnorm in (None, 1e30):
        model = _wide_model()
        optimizer_object = getattr(gs.optimizers, optimizer)(1e-2, clipnorm=clipnorm, weight_decay=0.01)
        model.compile(optimizer=optimizer_object, loss=model.loss)
        history = model.fit(x, y, batch_size=64, epochs=2, verbose=0, track=ALL)
        results.append((model.get_weights(), list(history.history.values())))
    (observed_weights, observed), (separate_weights, separate) = results
    for a, b in zip(observed_weights, separate_weights):
        np.testing.assert_array_equal(a, b)
    assert observed == separate


def test_bad_track_arguments_raise() -> None:
    x, y = _data()
    model = _mlp()
    with pytest.raises(ValueError, match="unknown figure 'grad_norms'; valid names are 'grad_norm', 'update_ratio'"):
        model.fit(x, y, verbose=0, track=["grad_norms"])
    with pytest.raises(TypeError, match="track must be None or a list"):
        model.fit(x, y, verbose=0, track=3)
    with pytest.raises(TypeError, match="figure names"):
        model.fit(x, y, verbose=0, track=[None])
    history = model.fit(x, y, verbose=0, track="dead_relu")  # one name alone
    assert set(history.history) == {"loss", "dead_relu/" + model.layers[0].name, "dead_relu/" + model.layers[2].name}


def test_tracked_keys_stay_out_of_the_progress_line_but_reach_callbacks(tmp_path: Path) -> None:
    x, y = _data()
    model = _mlp()
    out = io.StringIO()
    with redirect_stdout(out):
        model.fit(x, y, epochs=2, verbose=2, track=ALL, callbacks=[gs.callbacks.CSVLogger(str(tmp_path / "log.csv"))])
    assert "loss:" in out.getvalue() and "grad_norm" not in out.getvalue()
    with open(tmp_path / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and f"grad_norm/{model.layers[0].name}/kernel" in rows[0]


@pytest.mark.parametrize("optimizer", ["adam-clipnorm (separate passes)", "adam (squares in its own loop)"])
def test_tracking_allocates_nothing_in_steady_state(optimizer: str) -> None:
    x, y = _data(256)
    model = _mlp(optimizer)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, track=ALL)  # warm-up
    before = _core.allocation_count()
    model.fit(x, y, batch_size=32, epochs=3, verbose=0, track=ALL)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert _core.allocation_count() == before


def test_history_plot_draws_and_saves_tracked_figures(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = _data()
    model = _mlp()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, track=ALL)
    axes = history.plot(save=tmp_path / "all.png")
    try:
        assert [ax.get_title() for ax in axes] == ["loss", "grad_norm", "update_ratio", "dead_relu"]
        assert len(axes[1].get_lines()) == 6  # one curve per weight
        assert axes[1].get_lines()[0].get_label() == model.layers[0].name + "/kernel"
    finally:
        plt.close(axes[0].figure)
    assert (tmp_path / "all.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    name = model.layers[0].name
    axes = history.plot(["loss", f"*/{name}/kernel"], save=str(tmp_path / "some.svg"))
    try:
        assert len(axes) == 2
        assert [line.get_label() for line in axes[1].get_lines()] == [
            f"grad_norm/{name}/kernel",
            f"update_ratio/{name}/kernel",
        ]
    finally:
        plt.close(axes[0].figure)
    assert b"<svg" in (tmp_path / "some.svg").read_bytes()[:1000]
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        history.plot(save=tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="'bn_stats' was not recorded"):
        history.plot("bn_stats")
