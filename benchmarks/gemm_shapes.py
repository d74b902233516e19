"""GEMM speed on the shapes W1 trains with, against numpy @ (OpenBLAS), plus square sizes.

    python benchmarks/gemm_shapes.py [--threads N] [--repeats R] [--square 256,512,1024,2048]

For each GEMM of one W1 train step (batch 128, MLP 784-256-128-10: forward x @ W, weight
gradient x^T @ dz, input gradient dz @ W^T) prints gradstep's and NumPy's GFLOP/s and the ratio
gradstep/NumPy in GFLOP/s (above 1: gradstep faster), then the same for square n x n products.
Transposes are passed to gradstep as flags and to NumPy as .T views (both avoid copies).
NumPy's thread count follows OPENBLAS_NUM_THREADS (set it before starting Python to compare at
equal thread counts). Timings are medians of interleaved repeats; the machine load is printed
because other processes on the cores change everything.
"""

import argparse
import os

import gradstep as gs
from gradstep.benchmark.__main__ import _gemm_shapes_workload, _gemm_workload, w1_gemm_shapes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--square", default="256,512,1024,2048", help="comma-separated n, or '' for none")
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    if args.threads:
        gs.set_num_threads(args.threads)
    print(
        f"threads={gs.get_num_threads()} isa={gs._core._active_isa()} load1={os.getloadavg()[0]:.2f} "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(default)')}"
    )
    r = _gemm_shapes_workload(args.repeats, w1_gemm_shapes(batch=args.batch))
    print(f"{'W1 GEMM':<32} {'gradstep':>10} {'numpy':>10} {'GF/s gs':>8} {'GF/s np':>8} {'ratio':>6}")
    for row in r["rows"]:
        print(
            f"{row['shape']:<32} {row['gradstep_us']:>8.1f}us {row['numpy_us']:>8.1f}us "
            f"{row['gradstep_gflops']:>8.1f} {row['numpy_gflops']:>8.1f} {row['ratio']:>6.2f}"
        )
    step = r["step_gemm_us"]
    print(
        f"{'all GEMMs of one step':<32} {step['gradstep']:>8.0f}us {step['numpy']:>8.0f}us "
        f"{'':>8} {'':>8} {step['numpy'] / step['gradstep']:>6.2f}"
    )
    sizes = tuple(int(n) for n in args.square.split(",") if n.strip())
    if sizes:
        for row in _gemm_workload(max(3, args.repeats // 2), sizes)["rows"]:
            print(
                f"square n={row['n']:<24} {'':>10} {'':>10} {row['gradstep_gflops']:>8.1f} "
                f"{row['numpy_gflops']:>8.1f} {row['ratio']:>6.2f}"
            )


if __name__ == "__main__":
    main()
