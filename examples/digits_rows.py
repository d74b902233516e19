"""The bundled 8x8 digits read row by row by an LSTM: a sequence of 8 steps of 8 pixels.

    python examples/digits_rows.py [--epochs 60] [--seed 0]

Model: (8, 8) -> LSTM(128) -> Dropout(0.3) -> Dense(10, softmax); Adam(3e-3), batch 32, the
weights with the best validation accuracy kept (10% of the training images held out).
Split: gs.datasets.load_digits(), the same as examples/cnn_digits.py: 1,437 training images
(1,293 fitted, 144 for validation) and 360 test images.
Prints the split, the test accuracy, the parameter count and the training time.
"""

import argparse
import time

import gradstep as gs

L = gs.layers


def lstm_rows():
    return gs.Sequential(
        [
            gs.Input((8, 8)),  # 8 timesteps (the rows), 8 features (the pixels of a row)
            L.LSTM(128),
            L.Dropout(0.3),
            L.Dense(10, activation="softmax"),
        ]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    rows_train, rows_test = x_train.reshape(-1, 8, 8), x_test.reshape(-1, 8, 8)
    fitted = int(len(x_train) * (1.0 - 0.1))  # fit(validation_split=0.1) holds out the last rows
    validation = len(x_train) - fitted
    print(
        f"digits: {len(x_train)} training images ({fitted} fitted, {validation} validation), "
        f"{len(x_test)} test; each read as 8 rows of 8 pixels; {args.epochs} epochs, "
        f"{gs.get_num_threads()} thread(s)"
    )
    gs.set_seed(args.seed)
    model = lstm_rows()
    model.compile(optimizer=gs.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    best = gs.callbacks.EarlyStopping(monitor="val_accuracy", patience=args.epochs, restore_best_weights=True)
    start = time.perf_counter()
    model.fit(rows_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.1, callbacks=[best], verbose=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(rows_test, y_test, verbose=0)
    params = model.count_params()
    print(
        f"LSTM over rows: test accuracy {accuracy:.4f} ({round(accuracy * len(x_test))}/{len(x_test)}), "
        f"{params:,} parameters, trained in {seconds:.2f} s"
    )
    return {
        "accuracy": accuracy,
        "params": params,
        "num_train": len(x_train),
        "num_validation": validation,
        "num_test": len(x_test),
    }


if __name__ == "__main__":
    main()
