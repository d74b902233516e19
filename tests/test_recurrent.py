"""Recurrent layers, Embedding, Masking and per-timestep targets.

Gradient checks: C++ analytic gradients (model.forward_backward) against central differences of
the float64 NumPy reference (tests/reference_rnn.py, Keras 3 semantics), rel err < 1e-3; forward
outputs within 1e-5. With torch (importorskip): LSTM and GRU against nn.LSTM / nn.GRU.
"""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref
import reference_rnn as rnn_ref

import gradstep as gs
from gradstep import _core

GRAD_TOL = 1e-3
CELLS = {
    "SimpleRNN": (gs.layers.SimpleRNN, rnn_ref.simple_rnn),
    "LSTM": (gs.layers.LSTM, rnn_ref.lstm),
    "GRU": (gs.layers.GRU, rnn_ref.gru),
}


def _random(shape, seed, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def _weights(model, seed):
    """Random weights of the model's shapes (scaled so that the gates are not saturated)."""
    return [_random(w.shape, seed + i, 0.5) for i, w in enumerate(model.get_weights())]


def _reference_fn(cell, layer):
    """x, kernel, recurrent_kernel[, bias] -> the reference output of `layer`'s configuration."""
    fn = CELLS[cell][1]
    kwargs = {
        "activation": layer.activation,
        "return_sequences": layer.return_sequences,
        "go_backwards": layer.go_backwards,
    }
    if cell != "SimpleRNN":
        kwargs["recurrent_activation"] = layer.recurrent_activation
    return lambda x, kernel, recurrent, bias=None, mask=None: fn(x, kernel, recurrent, bias, mask=mask, **kwargs)


def _check_gradients(model, x, reference, weights, dx_positions=None):
    """y, dx and each weight's gradient of model against the reference (float64)."""
    model.set_weights(weights)
    expected = reference(x, *weights)
    dy = _random(expected.shape, 99)
    y, dx, grads = model.forward_backward(x, dy)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=2e-5)

    def loss_of(position):
        def f(value):
            args = [x] + list(weights)
            args[position] = value
            return float(np.sum(reference(*args) * dy))

        return f

    numeric = ref.numeric_grad(loss_of(0), x)
    if dx_positions is not None:  # padded steps: perturbing them would change the mask
        dx, numeric = dx[dx_positions], numeric[dx_positions]
    assert ref.rel_err(dx, numeric) < GRAD_TOL, ("dx", ref.rel_err(dx, numeric))
    assert len(grads) == len(weights)
    for i, (grad, weight) in enumerate(zip(grads, weights)):
        numeric = ref.numeric_grad(loss_of(i + 1), weight)
        assert grad.shape == weight.shape
        assert ref.rel_err(grad, numeric) < GRAD_TOL, (
            model.get_config()["layers"][-1]["class_name"],
            i,
            ref.rel_err(grad, numeric),
        )


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("batch", [1, 3])
def test_recurrent_forward_and_gradients(cell, return_sequences, go_backwards, batch):
    gs.set_seed(0)
    layer = CELLS[cell][0](4, return_sequences=return_sequences, go_backwards=go_backwards)
    model = gs.Sequential([gs.Input((5, 3)), layer])
    x = _random((batch, 5, 3), 1)
    _check_gradients(model, x, _reference_fn(cell, layer), _weights(model, 10))


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("activation", ["relu", "linear", "sigmoid"])
def test_recurrent_other_activations(cell, activation):
    gs.set_seed(0)
    kwargs = {"activation": activation}
    if cell != "SimpleRNN":
        kwargs["recurrent_activation"] = "tanh" if activation == "sigmoid" else "sigmoid"
    layer = CELLS[cell][0](3, return_sequences=True, **kwargs)
    model = gs.Sequential([gs.Input((4, 2)), layer])
    _check_gradients(model, _random((2, 4, 2), 2), _reference_fn(cell, layer), _weights(model, 20))


@pytest.mark.parametrize("cell", list(CELLS))
def test_recurrent_without_bias(cell):
    gs.set_seed(0)
    layer = CELLS[cell][0](3, use_bias=False, return_sequences=True)
    model = gs.Sequential([gs.Input((4, 2)), layer])
    assert len(model.get_weights()) == 2
    _check_gradients(model, _random((2, 4, 2), 3), _reference_fn(cell, layer), _weights(model, 30))


def _padded_batch(lengths, steps, features, seed):
    """x with each sample's steps after its length set to 0 (Masking's default mask_value)."""
    x = _random((len(lengths), steps, features), seed)
    x[np.abs(x) < 1e-3] = 0.1  # no accidental all-zero step
    valid = np.arange(steps)[None, :] < np.asarray(lengths)[:, None]
    x[~valid] = 0.0
    return x, valid


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masked_sequences_of_different_lengths(cell, return_sequences, go_backwards):
    gs.set_seed(0)
    layer = CELLS[cell][0](4, return_sequences=return_sequences, go_backwards=go_backwards)
    model = gs.Sequential([gs.Input((6, 3)), gs.layers.Masking(), layer])
    x, valid = _padded_batch([6, 3, 1, 4], 6, 3, 5)
    base = _reference_fn(cell, layer)

    def reference(x, *weights):
        masked, mask = rnn_ref.masking(x)
        return base(masked, *weights, mask=mask)

    _check_gradients(model, x, reference, _weights(model, 40), dx_positions=valid)
    # Masking passes no gradient to padded steps.
    y, dx, _ = model.forward_backward(x, _random(model.predict(x, verbose=0).shape, 7))
    assert np.all(dx[~valid] == 0.0)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional(merge_mode, return_sequences):
    gs.set_seed(0)
    layer = gs.layers.LSTM(3, return_sequences=return_sequences)
    model = gs.Sequential([gs.Input((5, 2)), gs.layers.Bidirectional(layer, merge_mode=merge_mode)])
    assert model.output_shape == (None,) + ((5,) if return_sequences else ()) + (6 if merge_mode == "concat" else 3,)

    def reference(x, kf, rf, bf, kb, rb, bb):
        return rnn_ref.bidirectional(
            lambda x, go_backwards, mask: rnn_ref.lstm(
                x, kf, rf, bf, return_sequences=return_sequences, go_backwards=go_backwards, mask=mask
            ),
            lambda x, go_backwards, mask: rnn_ref.lstm(
                x, kb, rb, bb, return_sequences=return_sequences, go_backwards=go_backwards, mask=mask
            ),
            x,
            merge_mode=merge_mode,
            return_sequences=return_sequences,
        )

    _check_gradients(model, _random((2, 5, 2), 6), reference, _weights(model, 50))


@pytest.mark.parametrize("cell", ["GRU", "SimpleRNN"])
def test_bidirectional_masked_returns_zeros_at_padding(cell):
    gs.set_seed(0)
    layer = CELLS[cell][0](3, return_sequences=True)
    model = gs.Sequential([gs.Input((5, 2)), gs.layers.Masking(), gs.layers.Bidirectional(layer)])
    x, valid = _padded_batch([5, 2, 3], 5, 2, 8)
    fn = CELLS[cell][1]

    def reference(x, kf, rf, bf, kb, rb, bb):
        masked, mask = rnn_ref.masking(x)
        return rnn_ref.bidirectional(
            lambda x, go_backwards, mask: fn(
                x, kf, rf, bf, return_sequences=True, go_backwards=go_backwards, mask=mask
            ),
            lambda x, go_backwards, mask: fn(
                x, kb, rb, bb, return_sequences=True, go_backwards=go_backwards, mask=mask
            ),
            masked,
            return_sequences=True,
            mask=mask,
        )

    _check_gradients(model, x, reference, _weights(model, 60), dx_positions=valid)
    assert np.all(model.predict(x, verbose=0)[~valid] == 0.0)


def test_lstm_keras_weight_shapes_and_initial_values():
    gs.set_seed(0)
    model = gs.Sequential([gs.Input((7, 5)), gs.layers.LSTM(8)])
    kernel, recurrent, bias = model.get_weights()
    assert kernel.shape == (5, 32) and recurrent.shape == (8, 32) and bias.shape == (32,)
    # unit_forget_bias: the f block starts at 1, the rest at 0.
    np.testing.assert_array_equal(bias, np.r_[np.zeros(8), np.ones(8), np.zeros(16)])
    # orthogonal recurrent kernel: (8, 32) has orthonormal rows.
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(8), atol=1e-5)
    gru = gs.Sequential([gs.Input((7, 5)), gs.layers.GRU(6)])
    assert [w.shape for w in gru.get_weights()] == [(5, 18), (6, 18), (2, 18)]
    rnn = gs.Sequential([gs.Input((7, 5)), gs.layers.SimpleRNN(6)])
    assert [w.shape for w in rnn.get_weights()] == [(5, 6), (6, 6), (6,)]
    np.testing.assert_allclose(rnn.get_weights()[1] @ rnn.get_weights()[1].T, np.eye(6), atol=1e-5)


def test_orthogonal_initializer_tall_and_wide():
    tall = gs.initializers.Orthogonal(gain=2.0, seed=1)((12, 5))
    np.testing.assert_allclose(tall.T @ tall, 4.0 * np.eye(5), atol=1e-4)
    wide = gs.initializers.get("orthogonal")((3, 9), key=5)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)


# ---------------------------------------------------------------------------------- torch
def test_lstm_and_gru_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 4)).astype(np.float32)
    for cell in ("LSTM", "GRU"):
        gs.set_seed(0)
        model = gs.Sequential([gs.Input((6, 4)), CELLS[cell][0](5, return_sequences=True)])
        weights = _weights(model, 70)
        model.set_weights(weights)
        kernel, recurrent, bias = weights
        if cell == "LSTM":
            net = torch.nn.LSTM(4, 5, batch_first=True)
            order = [0, 1, 2, 3]  # i, f, g(c), o in both
            input_bias, recurrent_bias = bias, np.zeros_like(bias)
        else:
            net = torch.nn.GRU(4, 5, batch_first=True)
            order = [1, 0, 2]  # torch r, z, n from Keras z, r, h
            input_bias, recurrent_bias = bias[0], bias[1]

        def reorder(matrix):
            blocks = np.split(matrix, len(order), axis=-1)
            return np.concatenate([blocks[i] for i in order], axis=-1)

        with torch.no_grad():
            net.weight_ih_l0.copy_(torch.from_numpy(reorder(kernel).T.copy()))
            net.weight_hh_l0.copy_(torch.from_numpy(reorder(recurrent).T.copy()))
            net.bias_ih_l0.copy_(torch.from_numpy(reorder(input_bias).copy()))
            net.bias_hh_l0.copy_(torch.from_numpy(reorder(recurrent_bias).copy()))
        xt = torch.from_numpy(x).requires_grad_(True)
        out, _ = net(xt)
        dy = rng.standard_normal(out.shape).astype(np.float32)
        (out * torch.from_numpy(dy)).sum().backward()
        y, dx, grads = model.forward_backward(x, dy)
        np.testing.assert_allclose(y, out.detach().numpy(), atol=1e-4)
        np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-4)
        inverse = np.argsort(order)

        def back(matrix):  # torch layout -> Keras layout
            blocks = np.split(matrix, len(order), axis=-1)
            return np.concatenate([blocks[i] for i in inverse], axis=-1)

        np.testing.assert_allclose(grads[0], back(net.weight_ih_l0.grad.numpy().T), atol=1e-4)
        np.testing.assert_allclose(grads[1], back(net.weight_hh_l0.grad.numpy().T), atol=1e-4)
        if cell == "LSTM":  # one Keras bias = b_ih + b_hh: its gradient is either's
            np.testing.assert_allclose(grads[2], back(net.bias_ih_l0.grad.numpy()), atol=1e-4)
        else:
            np.testing.assert_allclose(grads[2][0], back(net.bias_ih_l0.grad.numpy()), atol=1e-4)
            np.testing.assert_allclose(grads[2][1], back(net.bias_hh_l0.grad.numpy()), atol=1e-4)


# ---------------------------------------------------------------------------------- Embedding
def test_embedding_forward_and_scatter_gradient_with_repeated_indices():
    gs.set_seed(0)
    model = gs.Sequential([gs.Input((4,)), gs.layers.Embedding(6, 3)])
    table = _random((6, 3), 1)
    model.set_weights([table])
    x = np.array([[1, 2, 2, 5], [5, 5, 0, 1]], dtype=np.int32)
    dy = _random((2, 4, 3), 2)
    y, dx, grads = model.forward_backward(x, dy)
    assert dx is None
    np.testing.assert_array_equal(y, rnn_ref.embedding(x, table).astype(np.float32))
    expected = np.zeros((6, 3))
    np.add.at(expected, x.reshape(-1), dy.reshape(-1, 3).astype(np.float64))
    np.testing.assert_allclose(grads[0], expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("bad, position", [(7, (1, 2)), (-1, (0, 3))])
def test_embedding_out_of_range_index_names_its_position(bad, position):
    gs.set_seed(0)
    model = gs.Sequential([gs.Input((4,)), gs.layers.Embedding(7, 2), gs.layers.Flatten(), gs.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.zeros((3, 4), dtype=np.int64)
    x[position] = bad
    with pytest.raises(ValueError, match=rf"index {bad} at position \({position[0]}, {position[1]}\)"):
        model.fit(x, np.zeros((3, 1)), verbose=0)
    with pytest.raises(ValueError, match="out of range"):
        model.predict(x, verbose=0)


def test_embedding_takes_integers_only_and_must_come_first():
    gs.set_seed(0)
    model = gs.Sequential([gs.Input((4,)), gs.layers.Embedding(7, 2), gs.layers.Flatten(), gs.layers.Dense(1)])
    with pytest.raises(TypeError, match="integer token indices.*float32"):
        model.predict(np.zeros((2, 4), np.float32), verbose=0)
    with pytest.raises(ValueError, match="embedding.*first layer"):
        gs.Sequential([gs.Input((4,)), gs.layers.Dense(3), gs.layers.Embedding(7, 2)])


def test_large_indices_are_not_rounded_through_float32():
    gs.set_seed(0)
    vocab = 2**24 + 3  # 16777217 is not a float32
    model = gs.Sequential([gs.Input((1,)), gs.layers.Embedding(vocab, 1, embeddings_initializer="zeros")])
    table = model.get_weights()[0]
    table[2**24 + 1, 0] = 5.0
    model.set_weights([table])
    assert model.predict(np.array([[2**24 + 1]]), verbose=0)[0, 0, 0] == 5.0


# ---------------------------------------------------------------------------------- masks and targets
def test_embedding_mask_zero_makes_the_loss_ignore_padding():
    gs.set_seed(0)
    model = gs.Sequential(
        [
            gs.Input((5,)),
            gs.layers.Embedding(9, 4, mask_zero=True),
            gs.layers.SimpleRNN(3, return_sequences=True),
            gs.layers.Dense(4, activation="softmax"),
        ]
    )
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5], [7, 0, 0, 0, 0]])
    y = np.random.default_rng(0).integers(0, 4, (3, 5))
    probs = model.predict(x, verbose=0)
    valid = x != 0
    nll = -np.log(np.take_along_axis(probs.astype(np.float64), y[..., None], axis=2)[..., 0])
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(nll[valid].mean(), rel=1e-5)
    assert accuracy == pytest.approx((probs.argmax(-1) == y)[valid].mean(), rel=1e-6)
    # Changing labels at padded positions changes nothing.
    y2 = y.copy()
    y2[~valid] = (y2[~valid] + 1) % 4
    assert model.evaluate(x, y2, verbose=0) == [loss, accuracy]


def test_per_timestep_sparse_labels_with_sample_and_class_weights():
    gs.set_seed(0)
    model = gs.Sequential(
        [gs.Input((4, 3)), gs.layers.GRU(5, return_sequences=True), gs.layers.Dense(3, activation="softmax")]
    )
    model.compile("sgd", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    x = _random((6, 4, 3), 2)
    y = rng.integers(0, 3, (6, 4))
    sample_weight = rng.uniform(0.5, 2.0, (6, 4)).astype(np.float32)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    probs = model.predict(x, verbose=0).astype(np.float64)
    nll = -np.log(np.take_along_axis(probs, y[..., None], axis=2)[..., 0])
    per_class = np.array([class_weight[c] for c in range(3)])[y]
    expected = np.mean(nll * sample_weight * per_class)  # Keras: sum over positions / positions
    weights = model._check_sample_weight(sample_weight, class_weight, model._check_targets(y, 6), 6)
    assert weights.shape == (6, 4)
    loss = model.train_on_batch(x, y, sample_weight=sample_weight, class_weight=class_weight)
    assert loss == pytest.approx(expected, rel=1e-5)
    # Per-sample weights broadcast over the positions; class weights apply at every position.
    loss = model.test_on_batch(x, y, sample_weight=sample_weight[:, 0])
    probs = model.predict(x, verbose=0).astype(np.float64)
    nll = -np.log(np.take_along_axis(probs, y[..., None], axis=2)[..., 0])
    assert loss == pytest.approx(np.mean(nll * sample_weight[:, :1]), rel=1e-5)


def test_one_hot_per_timestep_targets():
    gs.set_seed(0)
    model = gs.Sequential(
        [gs.Input((4, 3)), gs.layers.LSTM(5, return_sequences=True), gs.layers.Dense(3, activation="softmax")]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    y = np.eye(3)[np.random.default_rng(0).integers(0, 3, (8, 4))]
    history = model.fit(_random((8, 4, 3), 1), y, epochs=2, verbose=0, class_weight={1: 2.0})
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_layers_that_cannot_take_a_mask_raise_naming_the_layer():
    with pytest.raises(ValueError, match="'conv'.*does not support masking"):
        gs.Sequential([gs.Input((6,)), gs.layers.Embedding(5, 4, mask_zero=True), gs.layers.Conv1D(2, 3, name="conv")])
    ok = gs.Sequential(
        [gs.Input((6,)), gs.layers.Embedding(5, 4, mask_zero=True), gs.layers.LSTM(3), gs.layers.Dense(2)]
    )
    ok.build()  # the LSTM consumes the mask


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda: gs.layers.LSTM(0), ValueError, "units"),
        (lambda: gs.layers.LSTM(3, activation="gelu"), ValueError, "activation"),
        (lambda: gs.layers.GRU(3, reset_after=False), NotImplementedError, "reset_after"),
        (lambda: gs.layers.SimpleRNN(3, return_state=True), NotImplementedError, "return_state"),
        (lambda: gs.layers.LSTM(3, stateful=True), NotImplementedError, "stateful"),
        (lambda: gs.layers.LSTM(3, dropout=1.0), ValueError, "dropout"),
        (lambda: gs.layers.Bidirectional(gs.layers.Dense(3)), TypeError, "recurrent layer"),
        (lambda: gs.layers.Bidirectional(gs.layers.LSTM(3), merge_mode="max"), ValueError, "merge_mode"),
        (lambda: gs.layers.Embedding(0, 3), ValueError, "input_dim"),
    ],
)
def test_bad_arguments_raise(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_recurrent_input_must_be_a_sequence():
    with pytest.raises(ValueError, match="'lstm_flat'.*timesteps, features"):
        gs.Sequential([gs.Input((6,)), gs.layers.LSTM(3, name="lstm_flat")])


# ---------------------------------------------------------------------------------- training
def _sequence_model(seed=0):
    gs.set_seed(seed)
    model = gs.Sequential(
        [
            gs.Input((7,)),
            gs.layers.Embedding(12, 6, mask_zero=True),
            gs.layers.Bidirectional(gs.layers.LSTM(5, return_sequences=True, dropout=0.2, recurrent_dropout=0.2)),
            gs.layers.GRU(4, return_sequences=True, recurrent_dropout=0.1),
            gs.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(gs.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _sequence_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 12, (n, 7))
    lengths = rng.integers(2, 8, n)
    x[np.arange(7)[None, :] >= lengths[:, None]] = 0
    return x, x % 3


@pytest.fixture
def restore_threads():
    before = gs.get_num_threads() if hasattr(gs, "get_num_threads") else _core.get_num_threads()
    yield
    _core.set_num_threads(before)


def test_recurrent_training_is_bitwise_identical_for_1_and_2_threads(restore_threads):
    x, y = _sequence_data()
    results = []
    for threads in (1, 2):
        _core.set_num_threads(threads)
        model = _sequence_model()
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_recurrent_model_learns_saves_and_resumes_exactly(tmp_path):
    x, y = _sequence_data()
    model = _sequence_model()
    first = model.fit(x, y, batch_size=8, epochs=6, verbose=0).history["loss"]
    assert first[-1] < first[0]
    path = tmp_path / "seq.gstep"
    model.save(path)
    loaded = gs.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(l).__name__ for l in loaded.layers] == ["Embedding", "Bidirectional", "GRU", "Dense"]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_lstm_train_step_allocates_nothing_in_steady_state():
    x, y = _sequence_data(64)
    model = _sequence_model()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    before = _core.allocation_count()
    model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    model.evaluate(x, y, batch_size=16, verbose=0)
    model.predict(x, batch_size=16, verbose=0)
    assert _core.allocation_count() == before


def test_summary_and_count_params():
    model = _sequence_model()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "bidirectional" in text and "Bidirectional" in text
    # Embedding 12*6; Bidirectional 2 * (6*20 + 5*20 + 20); GRU 10*12 + 4*12 + 2*12; Dense 4*3 + 3
    assert model.count_params() == 72 + 2 * (120 + 100 + 20) + (120 + 48 + 24) + 15


def test_dropout_masks_are_one_per_sequence():
    """Input dropout: the same features of a sample are dropped at every step (Gal & Ghahramani;
    Keras' cached mask). SimpleRNN with identity kernel, zero recurrent kernel and linear
    activation outputs x * mask at each step."""
    gs.set_seed(0)
    layer = gs.layers.SimpleRNN(6, activation="linear", return_sequences=True, dropout=0.5, use_bias=False)
    model = gs.Sequential([gs.Input((7, 6)), layer])
    model.set_weights([np.eye(6, dtype=np.float32), np.zeros((6, 6), np.float32)])
    x = np.ones((5, 7, 6), np.float32)
    y = model(x, training=True)
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < np.count_nonzero(y) < y.size
    np.testing.assert_array_equal(y, np.repeat(y[:, :1], 7, axis=1))  # same mask at every step
    assert not np.array_equal(y[0, 0], y[1, 0])  # but not the same for every sample
    np.testing.assert_array_equal(model(x), x)  # inference: no dropout


def test_recurrent_dropout_trains_and_is_reproducible():
    x, y = _sequence_data(32)
    weights = []
    for _ in range(2):
        model = _sequence_model(seed=4)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "layers",
    [
        lambda: [
            gs.layers.Masking(mask_value=-1.0),
            gs.layers.SimpleRNN(4, go_backwards=True, dropout=0.1, kernel_regularizer="l2"),
        ],
        lambda: [
            gs.layers.LSTM(3, return_sequences=True, unit_forget_bias=False, recurrent_regularizer="l1"),
            gs.layers.GRU(2, activation="relu", recurrent_activation="tanh"),
        ],
        lambda: [
            gs.layers.Bidirectional(gs.layers.GRU(3, return_sequences=True), merge_mode="ave"),
            gs.layers.Bidirectional(gs.layers.SimpleRNN(2), merge_mode="mul"),
        ],
    ],
    ids=["masking-simple_rnn", "lstm-gru", "bidirectional"],
)
def test_every_recurrent_layer_survives_save_and_load(layers, tmp_path):
    gs.set_seed(1)
    model = gs.Sequential([gs.Input((5, 3))] + layers() + [gs.layers.Dense(2)])
    model.compile(gs.optimizers.Adam(1e-2), "mse")
    x = _random((16, 5, 3), 3)
    target = _random((16, 2), 4)
    model.fit(x, target, batch_size=4, epochs=2, verbose=0)
    model.save(tmp_path / "m.gstep")
    loaded = gs.models.load_model(tmp_path / "m.gstep")
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    model.fit(x, target, batch_size=4, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, target, batch_size=4, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_regularizers_reach_recurrent_weights():
    gs.set_seed(0)
    model = gs.Sequential(
        [
            gs.Input((4, 2)),
            gs.layers.LSTM(
                3,
                kernel_regularizer=gs.regularizers.L2(0.5),
                recurrent_regularizer=gs.regularizers.L1(0.25),
                bias_regularizer=gs.regularizers.L2(0.125),
            ),
        ]
    )
    model.compile("sgd", "mse")
    kernel, recurrent, bias = model.get_weights()
    x = _random((3, 4, 2), 5)
    y = model.predict(x, verbose=0)
    penalty = (
        0.5 * np.sum(kernel.astype(np.float64) ** 2)
        + 0.25 * np.sum(np.abs(recurrent))
        + 0.125 * np.sum(bias.astype(np.float64) ** 2)
    )
    assert model.evaluate(x, y, verbose=0) == pytest.approx(penalty, rel=1e-5)


ISAS = ["generic", "avx2", "avx512"]


@pytest.fixture(params=ISAS)
def isa(request):
    """Every instruction-set build of the gate kernels this CPU can run (cpp/kernels/recurrent_*.cpp)."""
    if ISAS.index(request.param) > ISAS.index(_core._detected_isa()):
        pytest.skip(f"CPU does not support {request.param}")
    previous = _core._active_isa()
    _core._set_isa(request.param)
    yield request.param
    _core._set_isa(previous)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_gate_activations_are_accurate_on_every_isa(isa, activation):
    """SimpleRNN with an identity kernel and a zero recurrent kernel outputs act(x) at every step:
    the vectorised exp/tanh/sigmoid against float64 over [-30, 30] (and beyond the clamps)."""
    gs.set_seed(0)
    values = np.concatenate([np.linspace(-30, 30, 4001), [-1e-6, 1e-6, 0.0, -200.0, 200.0, 0.6249, 0.6251]])
    values = np.resize(values, 16 * (len(values) // 16 + 1)).astype(np.float32)
    model = gs.Sequential(
        [
            gs.Input((len(values) // 16, 16)),
            gs.layers.SimpleRNN(16, activation=activation, return_sequences=True, use_bias=False),
        ]
    )
    model.set_weights([np.eye(16, dtype=np.float32), np.zeros((16, 16), np.float32)])
    y = model.predict(values.reshape(1, -1, 16), verbose=0).reshape(-1).astype(np.float64)
    x = values.astype(np.float64)
    expected = np.tanh(x) if activation == "tanh" else 1.0 / (1.0 + np.exp(-x))
    np.testing.assert_allclose(y, expected, rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_recurrent_gradients_on_every_isa(isa, cell):
    gs.set_seed(0)
    layer = CELLS[cell][0](20, return_sequences=True)  # 20 units: vector loops and scalar tails
    model = gs.Sequential([gs.Input((4, 3)), gs.layers.Masking(), layer])
    x, valid = _padded_batch([4, 2], 4, 3, 11)
    base = _reference_fn(cell, layer)

    def reference(x, *weights):
        masked, mask = rnn_ref.masking(x)
        return base(masked, *weights, mask=mask)

    _check_gradients(model, x, reference, _weights(model, 80), dx_positions=valid)
