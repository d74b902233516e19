"""model.check_gradients: analytic gradients of the training objective vs central differences.

Every built-in layer (gradstep.layers' registry) gets a small model that must pass; a loss with a
deliberately wrong gradient must fail; the model must be unchanged afterwards (weights, moving
statistics, optimizer state, dropout counter: a later fit gives the same bits).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import gradstep as gs
from gradstep.layers import _REGISTRY

L = gs.layers
RNG = np.random.default_rng


def _dense_out(units: int = 3) -> Any:
    return L.Dense(units)


# Each case: (layers after Input, input shape, whether x is integer indices, loss). Smooth
# activations (tanh) keep central differences away from kinks; max pooling and ReLU-free
# paths are kept small so no +-eps step swaps a maximum.
Case = tuple[Callable[[], list[Any]], tuple[int, ...], bool, str]
CASES: dict[str, Case] = {
    "Activation": (lambda: [L.Dense(5), L.Activation("tanh"), _dense_out()], (4,), False, "mse"),
    "AveragePooling1D": (
        lambda: [L.Conv1D(3, 2, activation="tanh"), L.AveragePooling1D(2), L.Flatten(), _dense_out()],
        (7, 2),
        False,
        "mse",
    ),
    "AveragePooling2D": (
        lambda: [L.Conv2D(2, 2, activation="tanh"), L.AveragePooling2D(2), L.Flatten(), _dense_out()],
        (5, 5, 1),
        False,
        "mse",
    ),
    "BatchNormalization": (
        lambda: [L.Dense(5), L.BatchNormalization(), L.Activation("tanh"), L.Dense(3, activation="softmax")],
        (4,),
        False,
        "sparse_categorical_crossentropy",
    ),
    "Bidirectional": (lambda: [L.Bidirectional(L.LSTM(3)), _dense_out()], (4, 2), False, "mse"),
    "Conv1D": (
        lambda: [L.Conv1D(3, 3, activation="tanh", padding="same"), L.Flatten(), _dense_out()],
        (5, 2),
        False,
        "mse",
    ),
    "Conv2D": (
        lambda: [L.Conv2D(2, 3, strides=2, activation="tanh"), L.Flatten(), _dense_out()],
        (6, 6, 2),
        False,
        "mse",
    ),
    "Conv2DTranspose": (
        lambda: [L.Conv2DTranspose(2, 3, strides=2, activation="tanh"), L.Flatten(), _dense_out()],
        (3, 3, 2),
        False,
        "mse",
    ),
    "Dense": (
        lambda: [L.Dense(5, activation="tanh", kernel_regularizer=gs.regularizers.L2(0.01)), _dense_out()],
        (4,),
        False,
        "mse",
    ),
    "Dropout": (
        lambda: [L.Dense(8, activation="tanh"), L.Dropout(0.5), L.Dense(3, activation="softmax")],
        (4,),
        False,
        "sparse_categorical_crossentropy",
    ),
    "Embedding": (lambda: [L.Embedding(7, 3), L.Flatten(), _dense_out()], (4,), True, "mse"),
    "Flatten": (lambda: [L.Flatten(), _dense_out()], (3, 2), False, "mse"),
    "GlobalAveragePooling1D": (
        lambda: [L.Conv1D(3, 2, activation="tanh"), L.GlobalAveragePooling1D(), _dense_out()],
        (5, 2),
        False,
        "mse",
    ),
    "GlobalAveragePooling2D": (
        lambda: [L.Conv2D(3, 2, activation="tanh"), L.GlobalAveragePooling2D(), _dense_out()],
        (4, 4, 1),
        False,
        "mse",
    ),
    "GlobalMaxPooling1D": (
        lambda: [L.Conv1D(3, 2, activation="tanh"), L.GlobalMaxPooling1D(), _dense_out()],
        (5, 2),
        False,
        "mse",
    ),
    "GlobalMaxPooling2D": (
        lambda: [L.Conv2D(3, 2, activation="tanh"), L.GlobalMaxPooling2D(), _dense_out()],
        (4, 4, 1),
        False,
        "mse",
    ),
    "GRU": (lambda: [L.GRU(3, return_sequences=True), L.GRU(2), _dense_out()], (4, 2), False, "mse"),
    "LSTM": (lambda: [L.LSTM(3), _dense_out()], (4, 2), False, "mse"),
    "Masking": (lambda: [L.Masking(0.0), L.SimpleRNN(3), _dense_out()], (5, 2), False, "mse"),
    "MaxPooling1D": (
        lambda: [L.Conv1D(3, 2, activation="tanh"), L.MaxPooling1D(2), L.Flatten(), _dense_out()],
        (7, 2),
        False,
        "mse",
    ),
    "MaxPooling2D": (
        lambda: [L.Conv2D(2, 2, activation="tanh"), L.MaxPooling2D(2), L.Flatten(), _dense_out()],
        (5, 5, 1),
        False,
        "mse",
    ),
    "Reshape": (
        lambda: [L.Dense(6, activation="tanh"), L.Reshape((3, 2)), L.SimpleRNN(2), _dense_out()],
        (4,),
        False,
        "mse",
    ),
    "SimpleRNN": (
        lambda: [L.SimpleRNN(3, return_sequences=True), L.Dense(3, activation="softmax")],
        (4, 2),
        False,
        "sparse_categorical_crossentropy",
    ),
    "UpSampling2D": (
        lambda: [L.Conv2D(2, 2, activation="tanh"), L.UpSampling2D(2), L.Flatten(), _dense_out()],
        (3, 3, 1),
        False,
        "mse",
    ),
    "ZeroPadding2D": (
        lambda: [L.ZeroPadding2D(1), L.Conv2D(2, 2, activation="tanh"), L.Flatten(), _dense_out()],
        (3, 3, 1),
        False,
        "mse",
    ),
}


def test_every_builtin_layer_has_a_case() -> None:
    assert sorted(CASES) == sorted(_REGISTRY)


def _data(model: gs.Sequential, input_shape: tuple[int, ...], indices: bool, loss: str, n: int = 8) -> tuple[Any, Any]:
    rng = RNG(0)
    if indices:
        x = rng.integers(0, 7, size=(n,) + input_shape)
    else:
        x = rng.normal(size=(n,) + input_shape).astype(np.float32)
        if input_shape == (5, 2):  # Masking case: a padded tail on some samples
            x[::2, 3:] = 0.0
    output = tuple(model.output_shape[1:])
    if loss == "sparse_categorical_crossentropy":
        return x, rng.integers(0, output[-1], size=(n,) + output[:-1])
    return x, rng.normal(size=(n,) + output).astype(np.float32)


def _compiled(name: str, seed: int = 2) -> tuple[gs.Sequential, Any, Any]:
    layers, input_shape, indices, loss = CASES[name]
    gs.set_seed(seed)
    model = gs.Sequential([gs.Input(input_shape)] + layers())
    model.compile(optimizer=gs.optimizers.Adam(1e-3), loss=loss)
    x, y = _data(model, input_shape, indices, loss)
    return model, x, y


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_gradients_passes_for_every_builtin_layer(name: str) -> None:
    model, x, y = _compiled(name)
    result = model.check_gradients(x, y, max_checks_per_weight=12)
    assert result.passed, f"{name}:\n{result}"
    trainable = sum(1 for w in model.get_weights()) - (
        2 * sum(isinstance(l, L.BatchNormalization) for l in model.layers)
    )
    assert len(result) == trainable
    assert all(row.checked > 0 for row in result)


def test_table_prints_aligned_with_summary() -> None:
    model, x, y = _compiled("Dense")
    result = model.check_gradients(x, y)
    text = str(result)
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["layer", "weight"]
    assert len({len(line) for line in lines[2:-1]}) == 1, text  # rows align
    assert "passed" in lines[-1] and result.worst is not None
    assert result.worst.max_rel_error == max(row.max_rel_error for row in result)
    names = [(row.layer, row.weight) for row in result]
    dense = [layer.name for layer in model.layers]
    assert names == [(dense[0], "kernel"), (dense[0], "bias"), (dense[1], "kernel"), (dense[1], "bias")]
    # A small weight has all its coordinates checked, a large one max_checks_per_weight of them.
    assert [row.checked for row in result] == [20, 5, 15, 3]
    assert [row.checked for row in model.check_gradients(x, y, max_checks_per_weight=4)] == [4, 4, 4, 3]


def test_model_is_unchanged_after_check_gradients() -> None:
    """Dropout + BatchNormalization: weights, moving statistics, optimizer state and dropout
    counter stay put, so a fit afterwards gives the same bits as on an unchecked twin."""

    def make() -> gs.Sequential:
        gs.set_seed(5)
        model = gs.Sequential(
            [gs.Input((4,)), L.Dense(6), L.BatchNormalization(), L.Activation("tanh"), L.Dropout(0.3), L.Dense(3)]
        )
        model.compile(optimizer=gs.optimizers.Adam(0.01), loss="mse")
        return model

    rng = RNG(3)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = rng.normal(size=(32, 3)).astype(np.float32)
    checked, twin = make(), make()
    checked.fit(x, y, batch_size=8, epochs=1, verbose=0)
    twin.fit(x, y, batch_size=8, epochs=1, verbose=0)
    _ = checked(x[:4], training=True)  # both advance their dropout counter once (and update moving stats)
    _ = twin(x[:4], training=True)
    before = checked.get_weights()
    state_before = checked.get_training_state()

    assert checked.check_gradients(x[:8], y[:8]).passed

    for a, b in zip(checked.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert checked.get_training_state() == state_before
    assert checked.optimizer.iterations == twin.optimizer.iterations
    checked.fit(x, y, batch_size=8, epochs=2, verbose=0)
    twin.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for a, b in zip(checked.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(checked(x, training=True), twin(x, training=True))


def test_dropout_mask_is_the_same_in_every_pass() -> None:
    """With a fresh mask per pass the differences would be garbage: a high rate makes that obvious."""
    gs.set_seed(2)
    model = gs.Sequential([gs.Input((4,)), L.Dense(16, activation="tanh"), L.Dropout(0.7), L.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    rng = RNG(4)
    x, y = rng.normal(size=(16, 4)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)
    assert model.check_gradients(x, y).passed


def test_penalties_and_sample_weights_are_part_of_the_objective() -> None:
    gs.set_seed(8)
    model = gs.Sequential(
        [
            gs.Input((4,)),
            L.Dense(5, activation="tanh", kernel_regularizer=gs.regularizers.L1L2(l1=0.01, l2=0.1)),
            L.Dense(2, bias_regularizer=gs.regularizers.L2(0.5)),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    rng = RNG(9)
    x, y = rng.normal(size=(12, 4)).astype(np.float32), rng.normal(size=(12, 2)).astype(np.float32)
    weights = rng.uniform(0, 3, size=12).astype(np.float32)
    result = model.check_gradients(x, y, sample_weight=weights)
    assert result.passed, str(result)
    # The objective is fit's: the same value as train_on_batch reports before its update.
    assert result.loss == pytest.approx(model.test_on_batch(x, y, sample_weight=weights), rel=1e-5)


class _PyMSE(gs.losses.Loss):
    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor
        super().__init__()

    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return np.mean((y_pred - y_true) ** 2, axis=-1)

    def gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return self.factor * 2.0 * (y_pred - y_true) / y_pred.shape[-1]


def test_a_wrong_gradient_in_a_custom_loss_is_flagged() -> None:
    rng = RNG(6)
    x, y = rng.normal(size=(16, 4)).astype(np.float32), rng.normal(size=(16, 3)).astype(np.float32)
    results = {}
    for factor in (1.0, 1.5):
        gs.set_seed(7)
        model = gs.Sequential([gs.Input((4,)), L.Dense(5, activation="tanh"), L.Dense(3)])
        model.compile(optimizer="sgd", loss=_PyMSE(factor))
        results[factor] = model.check_gradients(x, y)
    assert results[1.0].passed, str(results[1.0])
    wrong = results[1.5]
    assert not wrong.passed and not any(row.passed for row in wrong)
    # a = 1.5 n: rel = 0.5 n / 1.5 n = 1/3 wherever the gradient is above the floor.
    assert wrong.worst is not None and wrong.worst.max_rel_error == pytest.approx(1 / 3, rel=0.02)
    assert "FAILED" in str(wrong) and "NO" in str(wrong)


def test_frozen_layers_are_skipped() -> None:
    model, x, y = _compiled("Dense")
    model.layers[0].trainable = False
    result = model.check_gradients(x, y)
    assert [row.layer for row in result] == [model.layers[1].name] * 2


@pytest.mark.parametrize(
    "kwargs,error,pattern",
    [
        ({"eps": 0.0}, ValueError, "eps"),
        ({"rtol": -1.0}, ValueError, "rtol"),
        ({"max_checks_per_weight": 0}, ValueError, "max_checks_per_weight"),
        ({"sample_weight": np.ones(3)}, ValueError, "sample_weight"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type, pattern: str) -> None:
    model, x, y = _compiled("Dense")
    with pytest.raises(error, match=pattern):
        model.check_gradients(x, y, **kwargs)


def test_requires_compile() -> None:
    model = gs.Sequential([gs.Input((4,)), L.Dense(2)])
    with pytest.raises(ValueError, match="compile"):
        model.check_gradients(np.zeros((2, 4), np.float32), np.zeros((2, 2), np.float32))
