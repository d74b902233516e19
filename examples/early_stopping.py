"""Early stopping on the digits data set.

The same MLP is trained twice for a deliberately long time (200 epochs, far past the point
where it stops generalising better):
  1. with no callback: it trains all 200 epochs and ends with the last epoch's weights;
  2. with EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True): training
     stops 10 epochs after the best validation loss and the weights of that best epoch are put
     back.
Both models start from the same weights (same seed) and are scored on the held-out test set.

Run:  python examples/early_stopping.py
"""

import time

import numpy as np

import gradstep as gs

EPOCHS = 200


def make_model():
    gs.set_seed(7)  # identical initial weights and shuffles for both runs
    model = gs.Sequential(
        [
            gs.Input((64,)),
            gs.layers.Dense(128, activation="relu"),
            gs.layers.Dense(128, activation="relu"),
            gs.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=gs.optimizers.Adam(learning_rate=1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def run(x_train, y_train, x_test, y_test, callbacks):
    model = make_model()
    start = time.perf_counter()
    history = model.fit(
        x_train, y_train, batch_size=64, epochs=EPOCHS, validation_split=0.2, verbose=0, callbacks=callbacks
    )
    seconds = time.perf_counter() - start
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    return history, test_loss, test_acc, seconds


def main():
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    print(f"digits: {len(x_train)} training samples (20% of them for validation), {len(x_test)} test samples")

    history, loss_full, acc_full, t_full = run(x_train, y_train, x_test, y_test, callbacks=[])
    val = history.history["val_loss"]
    print(f"\nwithout early stopping: trained {len(val)} epochs in {t_full:.1f} s")
    print(f"  best val_loss {min(val):.4f} at epoch {int(np.argmin(val)) + 1}, final val_loss {val[-1]:.4f}")
    print(f"  test loss {loss_full:.4f}, test accuracy {acc_full:.4f}")

    stopper = gs.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    history, loss_es, acc_es, t_es = run(x_train, y_train, x_test, y_test, callbacks=[stopper])
    val = history.history["val_loss"]
    print(
        f"\nwith EarlyStopping(patience=10, restore_best_weights=True): stopped after epoch "
        f"{stopper.stopped_epoch + 1} in {t_es:.1f} s"
    )
    print(f"  restored the weights of epoch {stopper.best_epoch + 1} (val_loss {stopper.best:.4f})")
    print(f"  test loss {loss_es:.4f}, test accuracy {acc_es:.4f}")

    diff = round((acc_full - acc_es) * len(y_test))  # test samples the longer run gets right in addition
    if diff <= 0:
        verdict = f"classifies {-diff} more of the {len(y_test)} test samples correctly"
    else:
        verdict = f"classifies {diff} fewer of the {len(y_test)} test samples correctly"
    print(
        f"\nfinding: early stopping trained {len(val)} of {EPOCHS} epochs, reached "
        f"a test loss of {loss_es:.4f} vs {loss_full:.4f} after all {EPOCHS} epochs, and {verdict}."
    )


if __name__ == "__main__":
    main()
