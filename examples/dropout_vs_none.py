"""Dropout vs none on a small subset of the UCI digits: the train/test gap of an over-parameterised MLP.

    python examples/dropout_vs_none.py [--train-size 300] [--epochs 50] [--seeds 3] [--rate 0.5]

Model: 64 -> Dense(256, relu) [-> Dropout(rate)] -> Dense(256, relu) [-> Dropout(rate)] -> Dense(10,
softmax), about 85k weights for a few hundred training images; Adam(1e-3), batch 32. Each seed
draws its own training subset; both variants see the same subset and the same initial weights.
The table shows the means over the seeds of the final loss/accuracy on the training subset
(evaluated at inference, without dropout) and on the full test set.
"""

import argparse
import time

import numpy as np

import gradstep as gs


def run(rate, seed, data, train_size, epochs):
    (x_train, y_train), (x_test, y_test) = data
    idx = np.random.default_rng(seed).permutation(len(x_train))[:train_size]
    x_small, y_small = x_train[idx], y_train[idx]
    gs.set_seed(seed)
    layers = [gs.Input((64,))]
    for _ in range(2):
        layers.append(gs.layers.Dense(256, activation="relu"))
        if rate > 0:
            layers.append(gs.layers.Dropout(rate))
    layers.append(gs.layers.Dense(10, activation="softmax"))
    model = gs.Sequential(layers)
    model.compile(optimizer=gs.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_small, y_small, batch_size=32, epochs=epochs, verbose=0)
    train_loss, train_acc = model.evaluate(x_small, y_small, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    return train_acc, train_loss, test_acc, test_loss


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.5)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    data = gs.datasets.load_digits()
    print(
        f"digits: {args.train_size} training images (of {len(data[0][0])}), {len(data[1][0])} test; "
        f"{args.epochs} epochs; mean over {args.seeds} seed(s)"
    )
    print(
        f"{'model':14s} {'train acc':>9s} {'train loss':>10s} {'test acc':>9s} {'test loss':>9s} "
        f"{'acc gap':>8s} {'loss gap':>8s}"
    )
    results = {}
    for rate in (0.0, args.rate):
        r = np.mean([run(rate, seed, data, args.train_size, args.epochs) for seed in range(args.seeds)], axis=0)
        results[rate] = r
        label = "no dropout" if rate == 0 else f"dropout {rate:g}"
        tr_acc, tr_loss, te_acc, te_loss = r
        print(
            f"{label:14s} {tr_acc:9.4f} {tr_loss:10.4f} {te_acc:9.4f} {te_loss:9.4f} {tr_acc - te_acc:8.4f} "
            f"{te_loss - tr_loss:8.4f}"
        )
    a, b = results[0.0], results[args.rate]
    acc_gap = (a[0] - a[2], b[0] - b[2])
    loss_gap = (a[3] - a[1], b[3] - b[1])
    verdict = (
        "dropout narrows both gaps"
        if acc_gap[1] < acc_gap[0] and loss_gap[1] < loss_gap[0]
        else "dropout narrows the loss gap only"
        if loss_gap[1] < loss_gap[0]
        else "dropout narrows the accuracy gap only"
        if acc_gap[1] < acc_gap[0]
        else "dropout narrows neither gap"
    )
    if min(a[0], b[0]) >= 0.999 and abs(acc_gap[0] - acc_gap[1]) < 0.02:
        verdict += (
            "; both variants fit the training subset perfectly and the differences are small on this easy data set"
        )
    print(
        f"\nfinding: train-test accuracy gap {acc_gap[0]:.4f} without dropout vs {acc_gap[1]:.4f} with dropout "
        f"{args.rate:g}, test-train loss gap {loss_gap[0]:.4f} vs {loss_gap[1]:.4f} (test accuracy {a[2]:.4f} -> "
        f"{b[2]:.4f}, test loss {a[3]:.4f} -> {b[3]:.4f}):\n         {verdict}."
    )
    print(f"(total time {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
