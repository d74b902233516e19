"""The fused train step allocates its buffers once: in steady state (same batch size) the core's
allocation counter stays flat, for training, evaluation and prediction."""

import numpy as np

import gradstep as gs
from gradstep import _core


def _model():
    gs.set_seed(3)
    model = gs.Sequential(
        [
            gs.Input((20,)),
            gs.layers.Dense(32, activation="relu", kernel_regularizer=gs.regularizers.L2(1e-3)),
            gs.layers.BatchNormalization(),
            gs.layers.Dropout(0.2),
            gs.layers.Dense(16, activation="gelu"),
            gs.layers.Dense(5, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=gs.optimizers.Adam(1e-3, clipnorm=1.0), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def test_train_step_allocates_nothing_in_steady_state():
    model = _model()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((640, 20)).astype(np.float32)
    y = rng.integers(0, 5, 640)
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)  # warm-up: buffers sized for batch 64
    before = _core.allocation_count()
    model.fit(x, y, batch_size=64, epochs=10, verbose=0)  # 100 batches, shuffled
    assert _core.allocation_count() == before
    for _ in range(20):
        model.train_on_batch(x[:64], y[:64])
        model.test_on_batch(x[:64], y[:64])
    model.predict(x, batch_size=64)
    assert _core.allocation_count() == before


def test_larger_batch_grows_buffers_once():
    model = _model()
    x = np.ones((256, 20), np.float32)
    y = np.zeros(256, np.int64)
    model.train_on_batch(x[:32], y[:32])
    grown = _core.allocation_count()
    model.train_on_batch(x, y)
    after_growth = _core.allocation_count()
    assert after_growth > grown  # bigger batch: buffers grow...
    for _ in range(5):
        model.train_on_batch(x, y)
        model.train_on_batch(x[:32], y[:32])  # ...and smaller ones reuse them
    assert _core.allocation_count() == after_growth
