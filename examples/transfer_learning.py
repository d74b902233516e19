"""Transfer learning with frozen layers: a body trained on one task serves another.

    python examples/transfer_learning.py [--epochs 40] [--per-class 10] [--seed 0]

Task A: which digit (10 classes), learned from the digits 0-4 and from half of the images of
5-9. A small CNN body (Conv2D 16 -> MaxPooling2D -> Conv2D 32 -> Flatten -> Dense 64) with a
head (Dense 32 -> Dense 10) is trained on it. Task B: is the digit odd, learned from only --per-class images of
each digit taken from the other half (never seen by task A). Two ways to learn task B:
  - frozen:  task A's body with `trainable = False` (its weights are not updated) + a new head
             (Dense 32 -> Dense 2; Adam 1e-2: only its 2,146 parameters learn);
  - scratch: the same architecture trained from a random start on the few task-B images.
The frozen body's weights are checked to be bit-for-bit those task A left. Prints the test
accuracy of each on task B, the trainable / non-trainable parameter counts of the frozen model,
and the training times.
"""

import argparse
import time

import numpy as np

import gradstep as gs

L = gs.layers


def body():
    return [
        L.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
        L.MaxPooling2D(2, name="pool"),
        L.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
        L.Flatten(name="flatten"),
        L.Dense(64, activation="relu", name="features"),
    ]


def classifier(classes, head_name):
    head = [
        L.Dense(32, activation="relu", name=f"{head_name}_hidden"),
        L.Dense(classes, activation="softmax", name=head_name),
    ]
    return gs.Sequential([gs.Input((8, 8, 1))] + body() + head)


def fit(model, x, y, epochs, learning_rate=1e-3, batch_size=32):
    model.compile(
        optimizer=gs.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--per-class", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
    x_train, x_test = x_train.reshape(-1, 8, 8, 1), x_test.reshape(-1, 8, 8, 1)
    rng = np.random.default_rng(args.seed)
    halves = rng.permutation(len(x_train)) % 2 == 0
    task_a = np.flatnonzero(halves)
    few = np.concatenate(
        [rng.choice(np.flatnonzero(~halves & (y_train == digit)), args.per_class, replace=False) for digit in range(10)]
    )
    odd_train, odd_test = y_train % 2, y_test % 2
    print(
        f"task A (which digit): {len(task_a)} training images; task B (odd or even): {len(few)} other training "
        f"images ({args.per_class} per digit); {len(x_test)} test images"
    )

    gs.set_seed(args.seed)
    model_a = classifier(10, "head_a")
    seconds_a = fit(model_a, x_train[task_a], y_train[task_a], args.epochs // 2)
    _, accuracy_a = model_a.evaluate(x_test, y_test, verbose=0)
    print(f"task A model: test accuracy {accuracy_a:.4f} ({seconds_a:.1f} s)")

    # A new model for task B: task A's body, frozen, under a new head.
    gs.set_seed(args.seed + 1)
    frozen = classifier(2, "head_b")
    body_weights = [layer.get_weights() for layer in model_a.layers[:-2]]
    for layer, weights in zip(frozen.layers[:-2], body_weights):
        layer.set_weights(weights)
        layer.trainable = False
    trainable = sum(w.size for layer in frozen.layers if layer.trainable for w in layer.get_weights())
    print(f"frozen model: {trainable:,} trainable and {frozen.count_params() - trainable:,} non-trainable parameters")
    seconds_frozen = fit(frozen, x_train[few], odd_train[few], args.epochs, learning_rate=1e-2)
    _, accuracy_frozen = frozen.evaluate(x_test, odd_test, verbose=0)
    unchanged = all(
        np.array_equal(a, b)
        for layer, weights in zip(frozen.layers[:-2], body_weights)
        for a, b in zip(layer.get_weights(), weights)
    )

    gs.set_seed(args.seed + 1)
    scratch = classifier(2, "head_b")
    seconds_scratch = fit(scratch, x_train[few], odd_train[few], args.epochs)
    _, accuracy_scratch = scratch.evaluate(x_test, odd_test, verbose=0)

    print(
        f"task B, frozen task-A body + new head: test accuracy {accuracy_frozen:.4f} ({seconds_frozen:.1f} s); "
        f"body weights unchanged: {unchanged}"
    )
    print(f"task B, same network from scratch:    test accuracy {accuracy_scratch:.4f} ({seconds_scratch:.1f} s)")
    return {
        "task_a": accuracy_a,
        "frozen": accuracy_frozen,
        "scratch": accuracy_scratch,
        "body_unchanged": unchanged,
        "trainable_params": trainable,
    }


if __name__ == "__main__":
    main()
