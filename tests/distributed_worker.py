"""Run by tests/test_distributed.py under `mpiexec -n 2` (each scenario in its own job).

usage: distributed_worker.py SCENARIO OUT_DIR
"""

import json
import os
import sys

import numpy as np

import gradstep as gs
from gradstep import distributed


def mlp(seed, batchnorm_and_dropout=False):
    gs.set_seed(seed)
    layers = [gs.layers.Input((20,))]
    for units in (32, 16):
        layers.append(gs.layers.Dense(units, activation="relu"))
        if batchnorm_and_dropout:
            layers += [gs.layers.BatchNormalization(), gs.layers.Dropout(0.2)]
    layers.append(gs.layers.Dense(3))
    model = gs.Sequential(layers)
    model.compile(
        optimizer=gs.optimizers.Adam(1e-2),
        loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def data(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 20)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return x, y


def equivalence(out):
    # Rank 1 builds with another seed: fit must broadcast rank 0's weights (and shuffle by its seed).
    model = mlp(seed=7 if distributed.rank() == 0 else 8)
    x, y = data()
    history = model.fit(x, y, batch_size=25, epochs=2, verbose=0, distributed=True)
    if distributed.is_root():
        np.savez(os.path.join(out, "weights.npz"), *model.get_weights())
        with open(os.path.join(out, "history.json"), "w") as f:
            json.dump(history.history, f)


def digits(out):
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    gs.set_seed(1)
    model = gs.Sequential(
        [
            gs.layers.Input((64,)),
            gs.layers.Dense(128, activation="relu"),
            gs.layers.BatchNormalization(),
            gs.layers.Dropout(0.2),
            gs.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=gs.optimizers.Adam(3e-3),
        loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=32, epochs=15, verbose=0, distributed=True)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0, distributed=True)
    weights = model.get_weights()
    total = np.array([float(np.sum(w, dtype=np.float64)) for w in weights])
    reference = total.copy()
    distributed.broadcast(reference)
    with open(os.path.join(out, f"digits_{distributed.rank()}.json"), "w") as f:
        json.dump({"accuracy": accuracy, "loss": loss, "same_weights": bool(np.array_equal(total, reference))}, f)


def bn_model():
    gs.set_seed(11)
    model = gs.Sequential(
        [
            gs.layers.Input((20,)),
            gs.layers.Dense(16),
            gs.layers.BatchNormalization(),
            gs.layers.Activation("relu"),
            gs.layers.Dense(3),
        ]
    )
    model.compile(optimizer=gs.optimizers.SGD(0.1), loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def sync_batchnorm(out):
    # 2 ranks x 20 rows with synchronised statistics against 1 process x 40 rows (test side).
    model = bn_model()
    x, y = data(400)
    model.fit(x, y, batch_size=20, epochs=2, verbose=0, shuffle=True, distributed=True, sync_batchnorm=True)
    if distributed.is_root():
        np.savez(os.path.join(out, "sync.npz"), *model.get_weights())
    model = bn_model()
    model.fit(x, y, batch_size=20, epochs=2, verbose=0, shuffle=True, distributed=True)
    if distributed.is_root():
        np.savez(os.path.join(out, "local.npz"), *model.get_weights())


class FailOnRankOne(gs.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if distributed.rank() == 1 and batch == 3:
            raise RuntimeError("deliberate failure on rank 1 at batch 3")


def failure(out):
    model = mlp(seed=3)
    x, y = data()
    model.fit(x, y, batch_size=25, epochs=50, verbose=0, callbacks=[FailOnRankOne()], distributed=True)
    print("UNREACHABLE: fit returned", flush=True)


class StopOnRankOne(gs.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if distributed.rank() == 1 and batch == 2:
            self.model.stop_training = True


def stopping(out):
    model = mlp(seed=5)
    x, y = data()
    early = gs.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=10.0)
    log = gs.callbacks.CSVLogger(os.path.join(out, f"log_{distributed.rank()}.csv"))
    history = model.fit(
        x, y, batch_size=25, epochs=20, verbose=0, validation_split=0.2, callbacks=[early, log], distributed=True
    )
    epochs_run = len(history.history["loss"])
    model2 = mlp(seed=5)
    history2 = model2.fit(x, y, batch_size=25, epochs=3, verbose=0, callbacks=[StopOnRankOne()], distributed=True)
    with open(os.path.join(out, f"stopping_{distributed.rank()}.json"), "w") as f:
        json.dump(
            {
                "epochs_run": epochs_run,
                "val_loss": history.history["val_loss"],
                "epochs_after_stop": len(history2.history["loss"]),
                "iterations_after_stop": int(model2.optimizer.iterations),
            },
            f,
        )


if __name__ == "__main__":
    distributed.init()
    scenario, out_dir = sys.argv[1], sys.argv[2]
    {
        "equivalence": equivalence,
        "digits": digits,
        "failure": failure,
        "stopping": stopping,
        "sync_batchnorm": sync_batchnorm,
    }[scenario](out_dir)
