"""`python -m gradstep.benchmark --profile`: where one training step of each workload spends its time.

The counters live in the C++ core (cpp/core/profile.hpp). Each kernel entry point records its
exclusive time on the calling thread, its FLOPs and the bytes its operands occupy (each read and
each written once: a lower bound on the traffic). While the profile is off, which is the default,
a kernel pays one relaxed atomic load and a branch. One epoch of the workload is timed with the
counters on, after an untimed warm-up epoch. "python + fit loop" is the wall time that no C++
scope claims: the epoch loop, callbacks, the NaN check of the inputs, and shuffling. "train step
(glue)" is time inside train_batch that no kernel below it claims: the layer code between
kernels and the waits at the end of parallel regions.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import workloads as W

PROFILED = ("W1", "W2", "W3", "W4", "W5", "W6")


def model_and_data(name: str) -> tuple[Any, NDArray[np.float32], NDArray[np.int64], int, float]:
    """(gradstep model, x, y, batch, GEMM FLOPs per epoch) of workload W1-W6: what the comparison
    (gradstep.benchmark.__main__) and the profile both run."""
    if name in ("W1", "W2"):
        x, y = W.make_data()
        model = W.gradstep_mlp(name == "W2", 0.2 if name == "W2" else 0.0)
        return model, x, y, W.BATCH, float(W.gemm_flops_per_epoch())
    if name in W.RNNS:
        x, y = W.make_sequence_data()
        return W.gradstep_rnn(name), x, y, W.RNN_BATCH, float(W.rnn_gemm_flops_per_epoch(name))
    x, y = W.make_image_data()
    return W.gradstep_cnn(name), x, y, W.CNNS[name][0], float(W.cnn_gemm_flops_per_epoch(name))


def profile_workload(name: str, repeats: int = 1) -> dict[str, Any]:
    """Workload `name` with the core's counters on, a row per kernel, per step: the table of the
    fastest of `repeats` profiled epochs (each counted on its own), after an untimed warm-up. On a
    shared host one epoch can fall into a slow phase; the fastest is the least disturbed."""
    from .. import _core

    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    model, x, y, batch, gemm_flops = model_and_data(name)
    W.run_gradstep(model, x, y, batch)  # warm-up: buffers sized, pages touched, threads started
    wall = float("inf")
    counted: list[dict[str, Any]] = []
    for _ in range(repeats):
        _core._reset_profile()
        _core._set_profiling(True)
        try:
            start = time.perf_counter()
            W.run_gradstep(model, x, y, batch)
            seconds = time.perf_counter() - start
        finally:
            _core._set_profiling(False)
        if seconds < wall:
            wall, counted = seconds, _core._profile()
    steps = -(-len(x) // batch)
    rows = [r for r in counted if r["calls"] > 0 or r["flops"] > 0]
    claimed = sum(r["seconds"] for r in rows)
    rows.append({"kernel": "python + fit loop", "seconds": max(wall - claimed, 0.0), "flops": 0.0, "bytes": 0.0})
    rows.sort(key=lambda r: -r["seconds"])
    table = [
        {
            "kernel": r["kernel"],
            "us_per_step": 1e6 * r["seconds"] / steps,
            "fraction": r["seconds"] / wall,
            "gflops": r["flops"] / r["seconds"] / 1e9 if r["seconds"] > 0 and r["flops"] > 0 else None,
            "gbytes_per_s": r["bytes"] / r["seconds"] / 1e9 if r["seconds"] > 0 and r["bytes"] > 0 else None,
            "mbytes_per_step": r["bytes"] / steps / 1e6 if r["bytes"] > 0 else None,
        }
        for r in rows
    ]
    return {
        "workload": f"profile-{name}",
        "seconds": wall,
        "steps": steps,
        "us_per_step": 1e6 * wall / steps,
        "gflops": gemm_flops / wall / 1e9,
        "rows": table,
    }


def _number(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def profile_lines(r: dict[str, Any], peak: float | None = None) -> list[str]:
    """The printed table of one profile_workload result."""
    name = r["workload"].removeprefix("profile-")
    head = f"profile {name}: {r['us_per_step']:.0f} us/step over {r['steps']} steps, {r['gflops']:.0f} GFLOP/s"
    if peak:
        head += f" ({100 * r['gflops'] / peak:.0f}% of the GEMM peak {peak:.0f})"
    lines = [head, f"  {'kernel':<22} {'us/step':>8} {'step':>6} {'GFLOP/s':>8} {'GB/s':>6} {'MB/step':>8}"]
    for row in r["rows"]:
        lines.append(
            f"  {row['kernel']:<22} {row['us_per_step']:8.1f} {100 * row['fraction']:5.1f}% "
            f"{_number(row['gflops'], '8.1f'):>8} {_number(row['gbytes_per_s'], '6.1f'):>6} "
            f"{_number(row['mbytes_per_step'], '8.2f'):>8}"
        )
    return lines
