"""W1 data-parallel: seconds per epoch of fit(distributed=True) under MPI.

    python benchmarks/distributed_w1.py                       # 1 process, all threads
    mpiexec -n 2 -genv OMP_NUM_THREADS 1 python benchmarks/distributed_w1.py

Each run prints, on rank 0, the median and minimum of `--repeats` one-epoch fits of W1
(784-256-128-10, Adam 1e-3, 60,000 standard-normal rows) with a global batch of 128 rows
(`--global-batch`), i.e. 128 / size() rows per process, so that every configuration takes the
same steps with the same global batch, plus the share of a step spent in the gradient allreduce.
"""

import argparse
import statistics
import time

import numpy as np

import gradstep as gs
from gradstep import distributed
from gradstep.benchmark import workloads


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--global-batch", type=int, default=workloads.BATCH)
    args = parser.parse_args()
    rank, size = distributed.init()
    if args.global_batch % size:
        raise SystemExit(f"--global-batch {args.global_batch} is not a multiple of {size} processes")
    x, y = workloads.make_data()
    gs.set_seed(0)
    model = workloads.gradstep_mlp(batchnorm=False, dropout=0.0)
    model.fit(x[:2048], y[:2048], batch_size=args.global_batch // size, epochs=1, verbose=0, distributed=True)
    # Time the allreduce alone on a buffer of the same size (the step's one collective).
    buffer = np.zeros(model.count_params() + 2, dtype=np.float32)
    distributed.barrier()
    start = time.perf_counter()
    for _ in range(50):
        distributed.allreduce_sum(buffer)
    allreduce_seconds = (time.perf_counter() - start) / 50
    times = []
    for _ in range(args.repeats):
        distributed.barrier()
        start = time.perf_counter()
        model.fit(x, y, batch_size=args.global_batch // size, epochs=1, verbose=0, distributed=True)
        distributed.barrier()
        times.append(time.perf_counter() - start)
    steps = -(-len(x) // args.global_batch)
    if rank == 0:
        print(
            f"W1 distributed: {size} process(es) x {gs.get_num_threads()} thread(s), global batch "
            f"{args.global_batch}: median {statistics.median(times):.3f} s, min {min(times):.3f} s per epoch; "
            f"allreduce of {buffer.nbytes / 1e3:.1f} kB: {allreduce_seconds * 1e3:.3f} ms "
            f"({allreduce_seconds * steps / min(times):.1%} of the fastest epoch)"
        )


if __name__ == "__main__":
    main()
