"""`python -m gradstep.demo`: train an MLP on the bundled UCI digits and report test accuracy.

64 pixel features -> Dense(128, relu) -> Dense(64, relu) -> Dense(10, softmax), Adam(1e-3),
sparse categorical cross-entropy, 30 epochs of batch 32, 10% of the training set held out for
validation. Fixed seed, so the printed numbers repeat from run to run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import gradstep as gs


def build_model() -> gs.Sequential:
    model = gs.Sequential(
        [
            gs.Input((64,)),
            gs.layers.Dense(128, activation="relu"),
            gs.layers.Dense(64, activation="relu"),
            gs.layers.Dense(10, activation="softmax"),
        ],
        name="digits_mlp",
    )
    model.compile(
        optimizer=gs.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    args = parser.parse_args(argv)

    gs.set_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    print(
        f"gradstep {gs.__version__}: UCI digits, {len(x_train)} training / {len(x_test)} test images of 8x8 "
        f"pixels; {gs.get_num_threads()} thread(s)"
    )
    model = build_model()
    start = time.perf_counter()
    model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1, verbose=args.verbose
    )
    train_seconds = time.perf_counter() - start
    results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print(
        f"test accuracy: {results['accuracy']:.4f}  test loss: {results['loss']:.4f}  "
        f"training time: {train_seconds:.2f} s ({args.epochs} epochs)"
    )
    return results


if __name__ == "__main__":
    main()
