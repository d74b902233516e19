"""The adding problem (Hochreiter & Schmidhuber 1997) at T = 50: LSTM and GRU against SimpleRNN.

    python examples/sequence_memory.py [--epochs 12] [--seed 0]

Each input is a (50, 2) sequence: channel 0 holds values drawn uniformly from [0, 1], channel 1
is 0 except at two marked steps (one in the first 25 steps, one in the last 25) where it is 1.
The target is the sum of the two marked values, so the network has to carry a value over up to
49 steps. Predicting the mean, 1.0, gives an MSE of Var(a + b) = 1/6 ~ 0.167 (the baseline).
Each cell has 32 units and feeds Dense(1); all three models use the same data (5,000 training
sequences, 2,000 test), loss MSE, Adam(5e-3, clipnorm=1.0), batch 32 and epochs.
Prints the baseline and each model's test MSE, parameter count and training time:
LSTM and GRU get below 0.01, SimpleRNN stays near the baseline.
"""

import argparse
import time

import numpy as np

import gradstep as gs

L = gs.layers

TIMESTEPS = 50
UNITS = 32
NUM_TRAIN, NUM_TEST = 5000, 2000
CELLS = ("LSTM", "GRU", "SimpleRNN")


def adding_problem(n, rng, timesteps=TIMESTEPS):
    """x (n, timesteps, 2) float32 and y (n, 1): the sum of the two marked values of each sequence."""
    x = np.zeros((n, timesteps, 2), dtype=np.float32)
    x[:, :, 0] = rng.uniform(0.0, 1.0, (n, timesteps))
    rows = np.arange(n)
    first = rng.integers(0, timesteps // 2, n)
    second = rng.integers(timesteps // 2, timesteps, n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = (x[rows, first, 0] + x[rows, second, 0]).reshape(n, 1)
    return x, y


def train(cell, x_train, y_train, x_test, y_test, epochs, seed):
    gs.set_seed(seed)
    model = gs.Sequential([gs.Input((TIMESTEPS, 2)), getattr(L, cell)(UNITS), L.Dense(1)])
    model.compile(optimizer=gs.optimizers.Adam(5e-3, clipnorm=1.0), loss="mse")
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    mse = float(model.evaluate(x_test, y_test, verbose=0))
    return mse, model.count_params(), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    x_train, y_train = adding_problem(NUM_TRAIN, rng)
    x_test, y_test = adding_problem(NUM_TEST, rng)
    baseline = float(np.mean((y_test - 1.0) ** 2))
    print(
        f"adding problem, T = {TIMESTEPS}: {NUM_TRAIN} training sequences, {NUM_TEST} test; {args.epochs} epochs, "
        f"{gs.get_num_threads()} thread(s)"
    )
    print(f"baseline (always predict 1.0): test MSE {baseline:.4f}")
    results = {"baseline": baseline}
    for cell in CELLS:
        mse, params, seconds = train(cell, x_train, y_train, x_test, y_test, args.epochs, args.seed)
        results[cell] = mse
        print(f"{cell}({UNITS}): test MSE {mse:.4f}, {params:,} parameters, trained in {seconds:.2f} s")
    return results


if __name__ == "__main__":
    main()
