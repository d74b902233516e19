"""W1 thread scaling and peak memory, each measured in fresh processes.

    python benchmarks/threads_and_memory.py [--repeats 3] [--rounds 3]

1. Speed-up 1 -> 2 threads: W1 (60,000 x 784 float32, MLP 784-256-128-10, Adam, batch 128) is
   trained for one epoch at 1 thread and at 2 threads, alternating child processes
   (--rounds times), each child timing --repeats epochs after a warm-up. Prints the median
   seconds per epoch for each thread count and their ratio.
2. Peak RSS during a W1 fit: a child builds the data, trains one epoch at the default thread
   count and reports ru_maxrss (the high-water mark of its resident set, so it covers the fit);
   compared with the size of the input data (x and y) + 64 MiB (the issue's target). The RSS
   right after `import gradstep` is printed too: the interpreter, NumPy and the extension are
   part of the peak whatever the training loop does.

Other processes on the cores skew every number here (a 2-thread run needs both cores): the
load average is printed with each measurement; compare only numbers from one quiet run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD_SPEED = r"""
import json, sys, time
import gradstep as gs
from gradstep.benchmark import workloads as W
threads, repeats = int(sys.argv[1]), int(sys.argv[2])
gs.set_num_threads(threads)
x, y = W.make_data()
model = W.gradstep_mlp(False, 0.0)
W.run_gradstep(model, x[:4096], y[:4096])
print(json.dumps([W.run_gradstep(model, x, y) for _ in range(repeats)]))
"""

CHILD_MEMORY = r"""
import json, resource
def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
import gradstep as gs
from gradstep.benchmark import workloads as W
after_import = rss_mib()
x, y = W.make_data()
after_data = rss_mib()
model = W.gradstep_mlp(False, 0.0)
W.run_gradstep(model, x, y)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
print(json.dumps({"after_import_mib": after_import, "after_data_mib": after_data, "peak_mib": peak,
                  "data_mib": (x.nbytes + y.nbytes) / 2**20, "threads": gs.get_num_threads()}))
"""


def child(code, *args):
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed per child")
    parser.add_argument("--rounds", type=int, default=3, help="alternating 1-/2-thread child pairs")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    if not args.skip_speed:
        times = {1: [], 2: []}
        for _ in range(args.rounds):
            for threads in (1, 2):
                load = os.getloadavg()[0]
                seconds = child(CHILD_SPEED, threads, args.repeats)
                times[threads] += seconds
                print(f"threads={threads} load1={load:.2f}: " + " ".join(f"{s:.3f}" for s in seconds), flush=True)
        m1, m2 = statistics.median(times[1]), statistics.median(times[2])
        print(f"W1 median s/epoch: 1 thread {m1:.3f}, 2 threads {m2:.3f}; speed-up 1->2 threads {m1 / m2:.2f}x")

    if not args.skip_memory:
        r = child(CHILD_MEMORY)
        budget = r["data_mib"] + 64
        print(
            f"W1 fit peak RSS {r['peak_mib']:.1f} MiB (threads={r['threads']}): data {r['data_mib']:.1f} MiB "
            f"-> peak - data = {r['peak_mib'] - r['data_mib']:.1f} MiB (target <= 64 MiB: "
            f"{'met' if r['peak_mib'] <= budget else 'NOT met'}); RSS after import {r['after_import_mib']:.1f} MiB, "
            f"after data {r['after_data_mib']:.1f} MiB"
        )


if __name__ == "__main__":
    main()
