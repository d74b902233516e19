"""`python -m gradstep.benchmark [--workload W1,...,W6,G] [--threads N] [--repeats R] [--json F] [--plot F] [--profile]`

Runs gradstep, the NumPy baseline shipped in gradstep.benchmark.numpy_baseline and, when
importable, PyTorch in the same process, interleaved (gradstep, numpy, torch, gradstep, ...), and
prints the median seconds per epoch and the ratios gradstep/NumPy and gradstep/PyTorch (below 1
means gradstep is faster). Machines are noisy: only ratios measured in one run mean anything.
`--json` saves the results (the structure documented in gradstep.benchmark.plot), `--plot` draws
them (PNG or SVG, needs matplotlib), and `--replot results.json --plot out.png` prints and draws a
saved run again without running anything. `--profile` prints, instead, where one training step of
each workload spends its time, kernel by kernel (gradstep.benchmark.profile).

Every workload's GFLOP/s is also given as a fraction of the machine's GEMM peak, measured in the
same run as the best of `numpy @` on square float32 matrices of n = 1024 and 2048.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import plot as benchmark_plot
from . import workloads as W
from .profile import PROFILED, model_and_data, profile_lines, profile_workload

# One GEMM of a train step: (label, trans_a, trans_b, a's shape, b's shape).
GemmShape = tuple[str, bool, bool, tuple[int, int], tuple[int, int]]

# glibc's malloc returns freed memory at the top of the heap to the OS once it exceeds the trim
# threshold, and serves blocks above the mmap threshold with fresh mmaps; both thresholds move
# with the largest block freed so far. The NumPy baseline allocates ~1 MB of temporaries per
# step, so its speed depends on what the process freed before: on the development machine one
# W1 epoch took 1.8-2.0 s in a fresh process (page faults on every step) and 0.9-1.2 s once a
# 4 MB array had been freed (PyTorch: 1.3-1.9 s vs 1.2-1.4 s). gradstep allocates nothing per
# step. To compare against NumPy and PyTorch at their best, and the same way in every run, the
# benchmark fixes both thresholds high (`--malloc tuned`, the default); `--malloc untouched`
# leaves the allocator as a plain script finds it.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def _set_malloc(mode: str) -> str:
    if mode == "untouched":
        return "untouched"
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1
    except (OSError, AttributeError):
        ok = False
    return "tuned" if ok else "untouched (no glibc mallopt)"


def _machine(include_torch: bool) -> dict[str, Any]:
    import gradstep as gs

    info = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "gradstep": gs.__version__,
        "threads": gs.get_num_threads(),
        "isa": gs._core._active_isa(),
        "cpu": platform.processor(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    if include_torch:
        import torch

        info["torch"] = torch.__version__
    info["cores"] = os.cpu_count()
    if hasattr(os, "getloadavg"):
        info["load1"] = round(os.getloadavg()[0], 2)  # other processes on the cores skew every number
    info["openmp"] = gs._core._has_openmp()
    for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_PROC_BIND"):
        if name in os.environ:
            info[name] = os.environ[name]
    return info


# OpenBLAS's, PyTorch's and gradstep's (OpenMP) worker threads busy-wait for a while after each
# call (milliseconds, with libgomp's default policy). Timing the next library at once would
# measure it against the previous one's spinning threads on the same cores, so every timed block
# starts after the same short pause.
SETTLE_SECONDS = 0.3


def _settle() -> None:
    time.sleep(SETTLE_SECONDS)


def _mlp_workload(
    name: str,
    batchnorm: bool,
    dropout: float,
    repeats: int,
    include_torch: bool,
    x: NDArray[np.float32],
    y: NDArray[np.int64],
) -> dict[str, Any]:
    # (label, model, run(model, x, y) -> seconds): each run takes its own runner's kind of model
    runners: list[tuple[str, Any, Callable[[Any, NDArray[np.float32], NDArray[np.int64]], float]]] = [
        ("gradstep", W.gradstep_mlp(batchnorm, dropout), W.run_gradstep),
        ("numpy", W.numpy_mlp(batchnorm, dropout), W.run_numpy),
    ]
    if include_torch:
        runners.append(("torch", W.torch_mlp(batchnorm, dropout), W.run_torch))
    for _, model, run in runners:  # warm-up: caches, thread pools, first-touch of buffers
        run(model, x[:4096], y[:4096])
    times: dict[str, list[float]] = {label: [] for label, _, _ in runners}
    for _ in range(repeats):
        for label, model, run in runners:
            _settle()
            times[label].append(run(model, x, y))
    medians = {label: statistics.median(values) for label, values in times.items()}
    flops = W.gemm_flops_per_epoch()
    result = {
        "workload": name,
        "seconds": medians,
        "all_seconds": times,
        "gradstep_gflops": flops / medians["gradstep"] / 1e9,
        "ratio_vs_numpy": medians["gradstep"] / medians["numpy"],
    }
    if "torch" in medians:
        result["ratio_vs_torch"] = medians["gradstep"] / medians["torch"]
    return result


def _cnn_workload(name: str, repeats: int, include_torch: bool) -> dict[str, Any]:
    """gradstep against PyTorch on a CNN (NCHW for PyTorch) or RNN workload; no NumPy baseline
    for these."""
    model, x, y, batch, flops = model_and_data(name)
    # (label, model, run(model) -> seconds): each run takes its own runner's kind of model
    runners: list[tuple[str, Any, Callable[[Any], float]]] = [
        ("gradstep", model, lambda m: W.run_gradstep(m, x, y, batch))
    ]
    if include_torch:
        if name in W.RNNS:
            x_torch, torch_model = x, W.torch_rnn(name)
        else:
            x_torch, torch_model = np.ascontiguousarray(x.transpose(0, 3, 1, 2)), W.torch_cnn(name)
        runners.append(("torch", torch_model, lambda m: W.run_torch(m, x_torch, y, batch)))
    for _, model, run in runners:  # warm-up
        run(model)
    times: dict[str, list[float]] = {label: [] for label, _, _ in runners}
    for _ in range(repeats):
        for label, model, run in runners:
            _settle()
            times[label].append(run(model))
    medians = {label: statistics.median(values) for label, values in times.items()}
    result = {
        "workload": name,
        "seconds": medians,
        "all_seconds": times,
        "gradstep_gflops": flops / medians["gradstep"] / 1e9,
    }
    if "torch" in medians:
        result["ratio_vs_torch"] = medians["gradstep"] / medians["torch"]
    return result


# After the settle pause the cores need a few milliseconds to come back to speed (on the VM these
# numbers come from, the first calls after a 0.3 s sleep run 2-3x slower): each timed block of
# GEMMs starts after this much untimed work of the same library.
WARMUP_SECONDS = 0.03


def _seconds_per_call(run: Callable[[], object], inner: int) -> float:
    """One timed block: settle, warm up, then `inner` calls of run(); seconds per call."""
    _settle()
    warm_until = time.perf_counter() + WARMUP_SECONDS
    while time.perf_counter() < warm_until:
        run()
    start = time.perf_counter()
    for _ in range(inner):
        run()
    return (time.perf_counter() - start) / inner


def _time_gemm_pair(
    run_gradstep: Callable[[], object], run_numpy: Callable[[], object], inner: int, repeats: int
) -> tuple[float, float]:
    """Median seconds per call of each, timed in alternating blocks of `inner` calls."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for run, sink in ((run_gradstep, times[0]), (run_numpy, times[1])):
            sink.append(_seconds_per_call(run, inner))
    return statistics.median(times[0]), statistics.median(times[1])


def _gemm_workload(repeats: int, sizes: Sequence[int] = (256, 512, 1024, 2048)) -> dict[str, Any]:
    from .. import _core

    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = np.empty((n, n), np.float32)
        inner = max(1, int(2e9 // (2 * n**3)))
        _core._gemm(a, b, c=c)
        np.matmul(a, b, out=c)
        s_gs, s_np = _time_gemm_pair(partial(_core._gemm, a, b, c=c), partial(np.matmul, a, b, out=c), inner, repeats)
        flops = 2.0 * n**3
        g_gs, g_np = flops / s_gs / 1e9, flops / s_np / 1e9
        rows.append({"n": n, "gradstep_gflops": g_gs, "numpy_gflops": g_np, "ratio": g_gs / g_np})
    return {"workload": "G", "rows": rows}


def w1_gemm_shapes(batch: int = W.BATCH, sizes: Sequence[int] = W.SIZES) -> list[GemmShape]:
    """The GEMMs of one W1 train step: (label, trans_a, trans_b, a shape, b shape), as Dense runs
    them: forward x @ W, weight gradient x^T @ dz, input gradient dz @ W^T (not for layer 1)."""
    shapes: list[GemmShape] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes.append((f"fwd {batch}x{fan_in} @ {fan_in}x{fan_out}", False, False, (batch, fan_in), (fan_in, fan_out)))
        shapes.append((f"dW  ({batch}x{fan_in})^T @ {batch}x{fan_out}", True, False, (batch, fan_in), (batch, fan_out)))
        if i > 0:
            shapes.append(
                (f"dX  {batch}x{fan_out} @ ({fan_in}x{fan_out})^T", False, True, (batch, fan_out), (fan_in, fan_out))
            )
    return shapes


def _gemm_shapes_workload(repeats: int, shapes: Sequence[GemmShape] | None = None) -> dict[str, Any]:
    """gradstep vs numpy @ on each W1 GEMM (transposes passed as flags / as NumPy views), interleaved."""
    from .. import _core

    rng = np.random.default_rng(0)
    rows = []
    total_gs = total_np = 0.0
    for label, trans_a, trans_b, a_shape, b_shape in shapes or w1_gemm_shapes():
        a = rng.standard_normal(a_shape, dtype=np.float32)
        b = rng.standard_normal(b_shape, dtype=np.float32)
        op_a, op_b = (a.T if trans_a else a), (b.T if trans_b else b)
        c = np.empty((op_a.shape[0], op_b.shape[1]), np.float32)
        flops = 2.0 * op_a.shape[0] * op_a.shape[1] * op_b.shape[1]
        inner = max(20, int(2e8 // flops))
        _core._gemm(a, b, trans_a, trans_b, c=c)
        np.matmul(op_a, op_b, out=c)
        s_gs, s_np = _time_gemm_pair(
            partial(_core._gemm, a, b, trans_a, trans_b, c=c),
            partial(np.matmul, op_a, op_b, out=c),
            inner,
            max(repeats, 5),
        )
        total_gs += s_gs
        total_np += s_np
        rows.append(
            {
                "shape": label,
                "gradstep_us": s_gs * 1e6,
                "numpy_us": s_np * 1e6,
                "gradstep_gflops": flops / s_gs / 1e9,
                "numpy_gflops": flops / s_np / 1e9,
                "ratio": s_np / s_gs,
            }
        )
    return {"workload": "G-W1", "rows": rows, "step_gemm_us": {"gradstep": total_gs * 1e6, "numpy": total_np * 1e6}}


def _gemm_peak(n: int = 1024, blocks: int = 3) -> dict[str, Any]:
    """The machine's GEMM peak, the yardstick for the epoch GFLOP/s of every workload (what
    fraction of the GEMM speed the whole training step keeps): the best GFLOP/s of `numpy @` on
    square float32 matrices of n and 2n, in this run at the current thread count. gradstep's own
    square GEMM at n is measured alongside, for reference."""
    from .. import _core

    rng = np.random.default_rng(1)
    numpy_gflops: dict[str, float] = {}
    gradstep_gflops = 0.0
    for size in (n, 2 * n):
        a = rng.standard_normal((size, size), dtype=np.float32)
        b = rng.standard_normal((size, size), dtype=np.float32)
        c = np.empty((size, size), np.float32)
        inner = max(1, int(4e9 // (2 * size**3)))
        fastest = min(_seconds_per_call(partial(np.matmul, a, b, out=c), inner) for _ in range(blocks))
        numpy_gflops[str(size)] = 2.0 * size**3 / fastest / 1e9
        if size == n:
            fastest = min(_seconds_per_call(partial(_core._gemm, a, b, c=c), inner) for _ in range(blocks))
            gradstep_gflops = 2.0 * size**3 / fastest / 1e9
    return {
        "workload": "gemm_peak",
        "n": n,
        "gflops": max(numpy_gflops.values()),
        "numpy_gflops": numpy_gflops,
        "gradstep_gflops": gradstep_gflops,
    }


def _result_lines(r: dict[str, Any]) -> list[str]:
    """The text output of one entry of the results list (the same lines for a run and a replot)."""
    name = r["workload"]
    if name == "gemm_peak":
        threads = f", {r['threads']} thread(s)" if "threads" in r else ""
        if "numpy_gflops" not in r:  # results saved before the peak was numpy's
            return [f"GEMM peak (gradstep, n={r['n']}{threads}): {r['gflops']:.1f} GFLOP/s"]
        sizes = "/".join(r["numpy_gflops"])
        return [
            f"GEMM peak (numpy @, n={sizes}{threads}): {r['gflops']:.1f} GFLOP/s "
            f"(gradstep n={r['n']}: {r['gradstep_gflops']:.1f})"
        ]
    if name.startswith("profile-"):
        return profile_lines(r, r.get("peak_gflops"))
    if name in ("W1", "W2", "W3", "W4", "W5", "W6"):
        seconds = r["seconds"]
        line = f"{name}: gradstep {seconds['gradstep']:.3f} s/epoch"
        if "gradstep_gflops" in r and "fraction_of_gemm_peak" in r:
            line += f" ({r['gradstep_gflops']:.0f} GFLOP/s, {100 * r['fraction_of_gemm_peak']:.0f}% of the GEMM peak)"
        others = [f"{lib} {seconds[lib]:.3f} s" for lib in ("numpy", "torch") if lib in seconds]
        ratios = [
            f"gradstep/{lib} {seconds['gradstep'] / seconds[lib]:.2f}x" for lib in ("numpy", "torch") if lib in seconds
        ]
        if others:
            line += ", " + ", ".join(others) + " | " + ", ".join(ratios)
        return [line]
    if name == "G":
        return [
            f"G n={row['n']}: gradstep {row['gradstep_gflops']:.1f} GFLOP/s, numpy "
            f"{row['numpy_gflops']:.1f} GFLOP/s, ratio {row['gradstep_gflops'] / row['numpy_gflops']:.2f}x"
            for row in r["rows"]
        ]
    if name == "G-W1":
        lines = [
            f"G W1 {row['shape']:<28}: gradstep {row['gradstep_gflops']:.1f} GFLOP/s, numpy "
            f"{row['numpy_gflops']:.1f} GFLOP/s, ratio {row['gradstep_gflops'] / row['numpy_gflops']:.2f}x"
            for row in r["rows"]
        ]
        step = r.get("step_gemm_us")
        if step:
            lines.append(
                f"G W1 all GEMMs of one step: gradstep {step['gradstep']:.0f} us, numpy {step['numpy']:.0f} us, "
                f"ratio {step['numpy'] / step['gradstep']:.2f}x"
            )
        return lines
    return [f"{name}: {r}"]


def _check_output_path(parser: argparse.ArgumentParser, option: str, path: str) -> None:
    """Before a run of minutes: the file's folder must exist (the file is written after the run)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        parser.error(f"{option} {path}: folder {folder} does not exist")


def _write_json(path: str, report: dict[str, Any]) -> None:
    tmp = f"{path}.tmp{os.getpid()}"  # a temporary file renamed over the target: never a half-written file
    with open(tmp, "w") as f:
        json.dump(report, f, indent=2)
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(prog="python -m gradstep.benchmark", description=__doc__.splitlines()[0])
    # Run options default to None so that --replot can refuse them when given (it runs nothing).
    parser.add_argument("--workload", default=None, help="comma-separated: W1, W2, W3, W4, W5, W6, G (default all)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for gradstep and torch (NumPy's BLAS: set OPENBLAS_NUM_THREADS before starting Python)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed epochs per library (default 3); with --profile, profiled epochs per workload, "
        "the fastest one's table printed (default 1)",
    )
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if importable")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of comparing libraries, print where one training step of each workload (default W1-W6) "
        "spends its time, by kernel (gradstep.benchmark.profile)",
    )
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument(
        "--malloc",
        choices=("tuned", "untouched"),
        default=None,
        help="glibc malloc thresholds for the NumPy baseline and PyTorch (see the comment at "
        "M_TRIM_THRESHOLD); default: tuned (their best)",
    )
    parser.add_argument(
        "--plot",
        default=None,
        metavar="PATH",
        help="after the run, draw the results into PATH (.png or .svg; needs `pip install gradstep[plot]`)",
    )
    parser.add_argument(
        "--replot",
        default=None,
        metavar="RESULTS_JSON",
        help="run nothing: print the results saved by --json in RESULTS_JSON, and draw them with --plot",
    )
    args = parser.parse_args(argv)

    if args.plot is not None:  # before anything runs: a bad suffix or no matplotlib fails now, not after the run
        try:
            benchmark_plot.plot_format(args.plot)
        except (ValueError, ImportError) as error:
            parser.error(f"--plot: {error}")
        _check_output_path(parser, "--plot", args.plot)
    if args.replot is not None:
        given = [
            option
            for option, value in (
                ("--workload", args.workload),
                ("--threads", args.threads),
                ("--repeats", args.repeats),
                ("--no-torch", args.no_torch or None),
                ("--profile", args.profile or None),
                ("--json", args.json),
                ("--malloc", args.malloc),
            )
            if value is not None
        ]
        if given:
            parser.error(f"--replot runs nothing; it cannot be combined with {', '.join(given)}")
        try:
            report = benchmark_plot.load_results(args.replot)
        except (OSError, ValueError) as error:
            parser.error(f"--replot: {error}")
        print("machine: " + ", ".join(f"{k}={v}" for k, v in report["machine"].items()))
        for r in report["results"]:
            for line in _result_lines(r):
                print(line)
        if args.plot is not None:
            print(f"figure: {benchmark_plot.plot_results(report, args.plot)}")
        results: list[dict[str, Any]] = report["results"]
        return results
    if args.json is not None:
        _check_output_path(parser, "--json", args.json)
    repeats = 3 if args.repeats is None else args.repeats
    if repeats < 1:
        parser.error(f"--repeats must be at least 1, got {repeats}")
    default_workloads = ",".join(PROFILED) if args.profile else "W1,W2,W3,W4,W5,W6,G"
    wanted = [w.strip().upper() for w in (args.workload or default_workloads).split(",") if w.strip()]
    unknown = [w for w in wanted if w not in ("W1", "W2", "W3", "W4", "W5", "W6", "G")]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; available: W1, W2, W3, W4, W5, W6, G")
    if not wanted:
        parser.error(f"--workload {args.workload!r} names no workload; available: W1, W2, W3, W4, W5, W6, G")
    if args.profile and "G" in wanted:
        parser.error(f"--profile profiles training steps: {', '.join(PROFILED)}; G is a single GEMM, not a step")

    import gradstep as gs

    if args.threads:
        gs.set_num_threads(args.threads)
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    include_torch = not args.no_torch and W.torch_available()  # --no-torch: not even imported
    if include_torch:
        import torch

        torch.set_num_threads(gs.get_num_threads())
    malloc_mode = _set_malloc(args.malloc or "tuned")  # after the arguments are known good: it changes the process

    machine = _machine(include_torch)
    machine["malloc"] = malloc_mode
    print("machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()))
    if not include_torch:
        print("PyTorch not importable (or --no-torch): ratios against NumPy only")
    results = []

    def report_entry(r: dict[str, Any]) -> None:
        results.append(r)
        for line in _result_lines(r):
            print(line, flush=True)

    x: NDArray[np.float32] | None = None
    y: NDArray[np.int64] | None = None
    peak = None
    if any(name != "G" for name in wanted):
        peak_entry = _gemm_peak()
        peak_entry["threads"] = gs.get_num_threads()
        peak = peak_entry["gflops"]
        report_entry(peak_entry)
    if args.profile:
        for name in wanted:
            r = profile_workload(name, 1 if args.repeats is None else repeats)
            r["peak_gflops"] = peak
            report_entry(r)
        wanted = []
    for name in wanted:
        if name in ("W1", "W2"):
            if x is None or y is None:  # both are made together
                x, y = W.make_data()
            r = _mlp_workload(name, name == "W2", 0.2 if name == "W2" else 0.0, repeats, include_torch, x, y)
            r["fraction_of_gemm_peak"] = r["gradstep_gflops"] / peak
            report_entry(r)
        elif name in ("W3", "W4", "W5", "W6"):
            r = _cnn_workload(name, repeats, include_torch)
            r["fraction_of_gemm_peak"] = r["gradstep_gflops"] / peak
            report_entry(r)
        else:
            report_entry(_gemm_workload(repeats))
            report_entry(_gemm_shapes_workload(repeats))
    report = {"machine": machine, "results": results}
    if args.json:
        _write_json(args.json, report)
    if args.plot is not None:
        print(f"figure: {benchmark_plot.plot_results(report, args.plot)}")
    return results


if __name__ == "__main__":
    main()
