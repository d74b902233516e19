"""Cost of fit(track=[...]) on W1 (one epoch, 60,000 rows, batch 128): tracking on vs off, alternating runs.

Usage: PYTHONPATH=python python benchmarks/tracking_overhead.py [runs=5] [threads]
Prints wall and process CPU seconds per run, min and median, and the on/off ratios. On a shared
machine wall time is noise; with one thread the CPU time is steadier. For instruction counts:
valgrind --tool=callgrind --collect-atstart=no --toggle-collect='gradstep::Sequential::train_batch*'.
"""

from __future__ import annotations

import statistics
import sys
import time

import gradstep as gs
from gradstep.benchmark.workloads import gradstep_mlp, make_data

TRACK = ["grad_norm", "update_ratio", "dead_relu", "bn_stats"]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else gs.get_num_threads()
    gs.set_num_threads(threads)
    x, y = make_data()
    wall: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    models = {mode: gradstep_mlp(False, 0.0) for mode in wall}
    for model in models.values():
        model.fit(x[:1280], y[:1280], batch_size=128, epochs=1, verbose=0)  # warm-up
    for r in range(runs):
        for mode in ("off", "on") if r % 2 == 0 else ("on", "off"):
            w0, c0 = time.perf_counter(), time.process_time()
            models[mode].fit(x, y, batch_size=128, epochs=1, verbose=0, track=TRACK if mode == "on" else None)
            wall[mode].append(time.perf_counter() - w0)
            cpu[mode].append(time.process_time() - c0)
    print(f"threads {threads}")
    for name, times in (("wall", wall), ("cpu", cpu)):
        for mode in ("off", "on"):
            v = times[mode]
            runs_text = " ".join(f"{s:.3f}" for s in v)
            print(f"{name} {mode}: {runs_text}  min {min(v):.3f} median {statistics.median(v):.3f}")
        on, off = times["on"], times["off"]
        print(
            f"{name} on/off: min {min(on) / min(off):.4f} median {statistics.median(on) / statistics.median(off):.4f}"
        )


if __name__ == "__main__":
    main()
