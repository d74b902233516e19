"""Learning-rate schedules on the UCI digits: the same MLP trained with a constant rate and with
each schedule in gradstep.optimizers.schedules, same seeds, same number of steps.

    python examples/learning_rate_schedules.py [--epochs 10] [--seeds 3]

Model: 64 -> Dense(64, relu) -> Dense(10, softmax), SGD with momentum 0.9, peak rate 0.1,
batch 32. Every schedule starts at (or warms up to) 0.1 and is sized to the run's total number
of optimizer steps T. Each configuration is trained once per seed; the table shows the mean
(and, for accuracy, the spread) over seeds of the final test accuracy and loss, and the mean
final training loss.
"""

import argparse
import time

import numpy as np

import gradstep as gs

S = gs.optimizers.schedules
PEAK = 0.1


def schedules(total_steps, steps_per_epoch):
    t = total_steps
    return {
        "constant 0.1": PEAK,
        "StepDecay(x0.5 / 2 epochs)": S.StepDecay(PEAK, drop_rate=0.5, step_size=2 * steps_per_epoch),
        "ExponentialDecay(to 1%)": S.ExponentialDecay(PEAK, decay_steps=t, decay_rate=0.01),
        "InverseTimeDecay(1/epoch)": S.InverseTimeDecay(PEAK, decay_steps=steps_per_epoch, decay_rate=1.0),
        "PiecewiseConstantDecay": S.PiecewiseConstantDecay([t // 2, 3 * t // 4], [PEAK, PEAK / 10, PEAK / 100]),
        "PolynomialDecay(linear)": S.PolynomialDecay(PEAK, decay_steps=t, end_learning_rate=1e-4),
        "CosineDecay": S.CosineDecay(PEAK, decay_steps=t),
        "CosineDecay+warmup(10%)": S.CosineDecay(
            0.0, decay_steps=t - t // 10, warmup_target=PEAK, warmup_steps=t // 10
        ),
        "CosineDecayRestarts(3 cycles)": S.CosineDecayRestarts(PEAK, first_decay_steps=-(-t // 7), t_mul=2.0),
    }


def train(learning_rate, seed, data, epochs, batch_size):
    (x_train, y_train), (x_test, y_test) = data
    gs.set_seed(seed)
    model = gs.Sequential(
        [gs.Input((64,)), gs.layers.Dense(64, activation="relu"), gs.layers.Dense(10, activation="softmax")]
    )
    model.compile(
        optimizer=gs.optimizers.SGD(learning_rate=learning_rate, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    return test_acc, test_loss, history.history["loss"][-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per training step (default 1: this 64-64-10 MLP is too small to gain from more, "
        "and on a busy machine extra threads only wait for each other)",
    )
    args = parser.parse_args(argv)
    gs.set_num_threads(args.threads)

    start = time.perf_counter()
    data = gs.datasets.load_digits()
    n_train = len(data[0][0])
    steps_per_epoch = -(-n_train // args.batch_size)
    total = steps_per_epoch * args.epochs
    print(
        f"digits: {n_train} train / {len(data[1][0])} test; SGD(momentum=0.9), peak lr {PEAK}, "
        f"{args.epochs} epochs x {steps_per_epoch} steps = {total} steps; mean over {args.seeds} seed(s); "
        f"{gs.get_num_threads()} thread(s)\n"
    )
    header = f"{'schedule':30s} {'lr step 0 -> last':>19s} {'test acc':>15s} {'test loss':>10s} {'train loss':>10s}"
    print(header)
    print("-" * len(header))
    results = {}
    for label, lr in schedules(total, steps_per_epoch).items():
        runs = np.array([train(lr, seed, data, args.epochs, args.batch_size) for seed in range(args.seeds)])
        acc, loss, train_loss = runs.mean(axis=0)
        results[label] = (acc, loss, train_loss, runs[:, 0].std())
        first, last = (lr, lr) if isinstance(lr, float) else (lr(0), lr(total - 1))
        print(
            f"{label:30s} {first:8.3g} -> {last:8.3g} {acc:8.4f} ±{runs[:, 0].std():.4f} {loss:10.4f} "
            f"{train_loss:10.4f}"
        )
    const = results.pop("constant 0.1")
    best = min(results, key=lambda k: results[k][1])
    better = [k.split("(")[0] for k in results if results[k][1] < const[1]]
    worse_keys = [k for k in results if results[k][1] >= const[1]]
    worse = [k.split("(")[0] for k in worse_keys]
    underfit = bool(worse_keys) and all(results[k][2] > const[2] for k in worse_keys)
    print(
        f"\nfinding: {best} gives the lowest mean test loss ({results[best][1]:.4f} vs {const[1]:.4f} at a "
        f"constant 0.1, accuracy {results[best][0]:.4f} vs {const[0]:.4f}); {len(better)} of {len(results)} "
        f"schedules beat the constant rate on test loss ({', '.join(better) or 'none'}), "
        f"the others: {', '.join(worse) or 'none'}"
        + (
            " (they shrink the rate early, for most of the run, and end with a higher train loss than the "
            "constant rate: under-trained in this budget)"
            if underfit
            else ""
        )
        + (
            "; accuracy gaps are within about two seed standard deviations."
            if abs(results[best][0] - const[0]) < 2 * max(results[best][3], const[3])
            else "."
        )
    )
    print(f"(total time {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
