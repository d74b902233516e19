"""A small CNN on the bundled 8x8 digits, against the README's MLP on the same split.

    python examples/cnn_digits.py [--epochs 30] [--seed 0]

CNN: (8, 8, 1) -> Conv2D(32, 3, same, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, same, relu)
-> MaxPooling2D(2) -> Flatten -> Dropout(0.3) -> Dense(10, softmax); Adam(1e-3), batch 32, the
weights with the best validation accuracy kept (10% of the training images held out).
MLP: 64 -> Dense(128, relu) -> Dense(64, relu) -> Dense(10, softmax), same training.
Prints the test accuracy of both, the parameter counts and the training time.
"""

import argparse
import time

import gradstep as gs

L = gs.layers


def cnn():
    return gs.Sequential(
        [
            gs.Input((8, 8, 1)),
            L.Conv2D(32, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(64, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dropout(0.3),
            L.Dense(10, activation="softmax"),
        ]
    )


def mlp():
    return gs.Sequential(
        [
            gs.Input((64,)),
            L.Dense(128, activation="relu"),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ]
    )


def train(build, x_train, y_train, x_test, y_test, epochs, seed):
    gs.set_seed(seed)
    model = build()
    model.compile(optimizer=gs.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    best = gs.callbacks.EarlyStopping(monitor="val_accuracy", patience=epochs, restore_best_weights=True)
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, callbacks=[best], verbose=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return accuracy, model.count_params(), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    images_train, images_test = x_train.reshape(-1, 8, 8, 1), x_test.reshape(-1, 8, 8, 1)
    print(
        f"digits: {len(x_train)} training images (8x8), {len(x_test)} test; {args.epochs} epochs, "
        f"{gs.get_num_threads()} thread(s)"
    )
    results = {}
    for name, build, train_x, test_x in (("CNN", cnn, images_train, images_test), ("MLP", mlp, x_train, x_test)):
        accuracy, params, seconds = train(build, train_x, y_train, test_x, y_test, args.epochs, args.seed)
        results[name] = accuracy
        print(f"{name}: test accuracy {accuracy:.4f}, {params:,} parameters, trained in {seconds:.2f} s")
    return results


if __name__ == "__main__":
    main()
