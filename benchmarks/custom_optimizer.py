"""Speed cost of gradstep.optimizers.Custom (a NumPy update per variable) against the built-ins.

    python benchmarks/custom_optimizer.py [--rounds R] [--no-fit]

1. One optimizer step on W1's parameters (MLP 784-256-128-10: 6 variables, 235,146 floats),
   through the C++ apply (clipping, the callback per variable, GIL taken per call): best of
   5 x 50 steps, the gradient copy subtracted.
2. One W1 epoch (60,000 rows, batch 128: 469 steps) of model.fit per optimizer, alternated over
   `rounds`. The machine load is printed: other processes on the cores change everything.
Compared: SGD(momentum=0.9) vs the same rule in NumPy, Adam vs Adam (Keras form) in NumPy.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any, Callable

import numpy as np

import gradstep as gs
from gradstep.benchmark.workloads import BATCH, SIZES, make_data


def momentum_sgd(w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], step: int, learning_rate: float) -> None:
    m = state["momentum"]
    m *= 0.9
    m -= learning_rate * g
    w += m


def adam(w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], step: int, learning_rate: float) -> None:
    m, v = state["m"], state["v"]
    m += (g - m) * (1 - 0.9)
    v += (g * g - v) * (1 - 0.999)
    alpha = learning_rate * math.sqrt(1 - 0.999**step) / (1 - 0.9**step)
    w -= alpha * m / (np.sqrt(v) + 1e-7)


OPTIMIZERS: dict[str, Callable[[], Any]] = {
    "SGD(momentum=0.9)": lambda: gs.optimizers.SGD(0.01, momentum=0.9),
    "Custom momentum SGD": lambda: gs.optimizers.Custom(momentum_sgd, slots=["momentum"], learning_rate=0.01),
    "Adam": lambda: gs.optimizers.Adam(1e-3),
    "Custom Adam": lambda: gs.optimizers.Custom(adam, slots=["m", "v"], learning_rate=1e-3),
}


def step_times() -> dict[str, float]:
    sizes = [a * b for a, b in zip(SIZES, SIZES[1:])]
    sizes = [n for pair in zip(sizes, SIZES[1:]) for n in pair]  # kernel, bias per layer
    rng = np.random.default_rng(0)
    w = rng.normal(size=sum(sizes)).astype(np.float32)
    g0 = (rng.normal(size=w.size) * 1e-3).astype(np.float32)
    optimizers = {name: make() for name, make in OPTIMIZERS.items()}
    for optimizer in optimizers.values():
        optimizer._core.build(sizes)
    start = time.perf_counter()
    for _ in range(50):
        g0.copy()
    copy_time = (time.perf_counter() - start) / 50
    best: dict[str, float] = {}
    for _ in range(5):
        for name, optimizer in optimizers.items():
            start = time.perf_counter()
            for _ in range(50):
                optimizer._core.apply_flat(w, g0.copy())
            best[name] = min(best.get(name, math.inf), (time.perf_counter() - start) / 50 - copy_time)
    return best


def fit_times(rounds: int) -> dict[str, list[float]]:
    x, y = make_data()
    times: dict[str, list[float]] = {name: [] for name in OPTIMIZERS}
    for _ in range(rounds):
        for name, make in OPTIMIZERS.items():
            model = gs.Sequential([gs.layers.Dense(n, activation="relu") for n in SIZES[1:-1]] + [gs.layers.Dense(10)])
            model.build((None, SIZES[0]), seed=0)
            model.compile(optimizer=make(), loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
            start = time.perf_counter()
            model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
            times[name].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-fit", action="store_true")
    args = parser.parse_args()
    print(f"threads {gs.get_num_threads()}, load average {os.getloadavg()}")
    for name, seconds in step_times().items():
        print(f"step  {name:22s} {seconds * 1e3:7.2f} ms")
    if not args.no_fit:
        for name, seconds_list in fit_times(args.rounds).items():
            print(f"epoch {name:22s} " + " ".join(f"{s:6.2f}" for s in seconds_list) + " s")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
