"""Speed cost of a loss written in Python (NumPy) against the built-in one, on W1's shapes.

W1: MLP 784-256-128-10 (ReLU), Adam(1e-3), batch 128, 60,000 standard-normal rows, one epoch,
sparse categorical cross-entropy from logits: the built-in C++ loss vs the same loss as a
gradstep.losses.Loss subclass in NumPy (one call back into Python per batch). The two variants
alternate, `--repeats` times each; the script prints every epoch's wall and CPU time (all threads)
and the minimum (the other processes of a shared machine only add time), then times the loss
alone on one batch. On an oversubscribed machine `--threads 1` gives the steadier figures.

    PYTHONPATH=python python benchmarks/custom_loss.py --repeats 5 [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import gradstep as gs

ROWS, FEATURES, CLASSES, BATCH = 60_000, 784, 10, 128


class NumpySparseCE(gs.losses.Loss):
    """Sparse categorical cross-entropy from logits, in NumPy (float32 throughout)."""

    sparse_targets = True

    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        shifted = y_pred - y_pred.max(axis=-1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=-1))
        return log_sum - shifted[np.arange(len(y_true)), y_true]

    def gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        exp = np.exp(y_pred - y_pred.max(axis=-1, keepdims=True))
        grad = exp / exp.sum(axis=-1, keepdims=True)
        grad[np.arange(len(y_true)), y_true] -= 1.0
        return grad


def epoch_seconds(loss: gs.losses.Loss, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(wall, CPU) seconds of one epoch; CPU time counts every thread of the process."""
    model = gs.Sequential(
        [
            gs.Input((FEATURES,)),
            gs.layers.Dense(256, activation="relu"),
            gs.layers.Dense(128, activation="relu"),
            gs.layers.Dense(CLASSES),
        ]
    )
    model.build(seed=0)
    model.compile(optimizer=gs.optimizers.Adam(1e-3), loss=loss)
    start, start_cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    return time.perf_counter() - start, time.process_time() - start_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="gradstep.set_num_threads (default: all cores)")
    args = parser.parse_args()
    if args.threads is not None:
        gs.set_num_threads(args.threads)
    print(f"threads: {gs.get_num_threads()}")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((ROWS, FEATURES), dtype=np.float32)
    y = rng.integers(0, CLASSES, size=ROWS)
    variants = {
        "built-in": lambda: gs.losses.SparseCategoricalCrossentropy(from_logits=True),
        "numpy": NumpySparseCE,
    }
    epoch_seconds(variants["built-in"](), x[:4096], y[:4096])  # warm up
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, make in variants.items():
            times[name].append(epoch_seconds(make(), x, y))
    # Minimum over runs: on a shared machine the other processes only ever add time.
    steps = -(-ROWS // BATCH)
    best = {}
    for name, values in times.items():
        best[name] = (min(v[0] for v in values), min(v[1] for v in values))
        runs = " ".join(f"{wall:.2f}/{cpu:.2f}" for wall, cpu in values)
        print(f"{name:9s} epoch wall/CPU s: {runs}  min {best[name][0]:.3f}/{best[name][1]:.3f}")
    for i, what in enumerate(("wall", "CPU")):
        ratio = best["numpy"][i] / best["built-in"][i]
        extra = (best["numpy"][i] - best["built-in"][i]) / steps * 1e6
        print(f"epoch {what}, numpy / built-in: {ratio:.3f}x, {extra:.1f} us more per step of {BATCH} rows")

    # The loss alone (value and gradient of one W1 batch through the same C++ entry point).
    logits = rng.standard_normal((BATCH, CLASSES), dtype=np.float32)
    labels = y[:BATCH]
    per_call = {}
    for name, make in variants.items():
        loss = make()
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            for _ in range(1000):
                loss.value_and_gradient(labels, logits)
            best = min(best, (time.perf_counter() - start) / 1000)
        per_call[name] = best * 1e6
        print(f"{name:9s} loss value + gradient of a {BATCH}x{CLASSES} batch: {per_call[name]:.1f} us (min)")
    print(f"loss, numpy - built-in: {per_call['numpy'] - per_call['built-in']:.1f} us per step")


if __name__ == "__main__":
    main()
