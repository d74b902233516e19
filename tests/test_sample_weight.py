"""fit/evaluate/train_on_batch with sample_weight and class_weight (Keras semantics: the batch
loss is sum(w_i * loss_i) / N, weights multiply per sample; class_weight maps a sample's class
to its weight)."""

import numpy as np
import pytest

import gradstep as gs


def _model(seed=0, units=3):
    gs.set_seed(seed)
    model = gs.Sequential([gs.Input((4,)), gs.layers.Dense(units, activation="softmax")])
    model.compile(optimizer=gs.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


def _data(n=12, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)).astype(np.float32), rng.integers(0, 3, n)


def _per_sample_ce(model, x, y):
    p = model.predict(x).astype(np.float64)
    return -np.log(p[np.arange(len(y)), y])


def test_evaluate_sample_weight_matches_weighted_mean():
    model = _model()
    x, y = _data()
    w = np.linspace(0.0, 2.0, len(x)).astype(np.float32)
    expected = np.sum(w * _per_sample_ce(model, x, y)) / len(x)
    got = model.evaluate(x, y, sample_weight=w, batch_size=5)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_zero_weight_samples_do_not_move_weights():
    model = _model()
    x, y = _data()
    before = model.get_weights()
    model.train_on_batch(x, y, sample_weight=np.zeros(len(x), np.float32))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_sample_weight_two_equals_duplicated_sample():
    # Weight 2 on one sample == that sample appearing twice, once the mean's N is accounted for.
    x, y = _data(n=4)
    w = np.array([2.0, 1.0, 1.0, 1.0], np.float32)
    weighted = _model()
    weighted.train_on_batch(x, y, sample_weight=w * 4 / 5)  # N=4 vs N=5: rescale to the same mean
    duplicated = _model()
    duplicated.train_on_batch(np.concatenate([x, x[:1]]), np.concatenate([y, y[:1]]))
    for a, b in zip(weighted.get_weights(), duplicated.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_class_weight_equals_sample_weight_from_labels():
    x, y = _data(n=30)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    a = _model()
    a.fit(x, y, batch_size=8, epochs=2, verbose=0, class_weight=class_weight, shuffle=True)
    b = _model()
    b.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        verbose=0,
        shuffle=True,
        sample_weight=np.array([class_weight[int(c)] for c in y], np.float32),
    )
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_class_weight_with_one_hot_targets():
    x, y = _data(n=16)
    onehot = np.eye(3, dtype=np.float32)[y]
    gs.set_seed(0)
    a = gs.Sequential([gs.Input((4,)), gs.layers.Dense(3, activation="softmax")])
    a.compile(optimizer=gs.optimizers.SGD(0.1), loss="categorical_crossentropy")
    a.train_on_batch(x, onehot, class_weight={0: 2.0, 1: 1.0, 2: 1.0})
    gs.set_seed(0)
    b = gs.Sequential([gs.Input((4,)), gs.layers.Dense(3, activation="softmax")])
    b.compile(optimizer=gs.optimizers.SGD(0.1), loss="categorical_crossentropy")
    b.train_on_batch(x, onehot, sample_weight=np.where(y == 0, 2.0, 1.0).astype(np.float32))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.ones(5, np.float32), r"sample_weight.*\(12,\).*\(5,\)"),
        (np.ones((12, 2), np.float32), r"sample_weight.*\(12,\).*\(12, 2\)"),
    ],
)
def test_sample_weight_shape_errors(bad, message):
    model = _model()
    x, y = _data()
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, sample_weight=bad, verbose=0)


def test_class_weight_must_be_dict():
    model = _model()
    x, y = _data()
    with pytest.raises(TypeError, match="class_weight"):
        model.fit(x, y, class_weight=[1.0, 2.0, 3.0], verbose=0)
