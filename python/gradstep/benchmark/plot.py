"""Draw the results of `python -m gradstep.benchmark` as one figure (PNG or SVG).

The results structure is what the benchmark builds and `--json` writes::

    {"machine": {"cpu": str, "isa": str, "threads": int, "date": str, "gradstep": str, ...},
     "results": [
         {"workload": "gemm_peak", "n": 1024, "gflops": float, ...},
         {"workload": "W1", "seconds": {"gradstep": s, "numpy": s, "torch": s}, ...},  # W1..W6
         {"workload": "G", "rows": [{"n": int, "gradstep_gflops": float, "numpy_gflops": float, ...}]},
         {"workload": "G-W1", "rows": [...], ...},
     ]}

`seconds` holds the median seconds per epoch of each library that ran (NumPy only for W1 and W2,
PyTorch only when importable). Panel (a) draws them, panel (b) the square GEMMs of G; the other
entries are not drawn. matplotlib is the optional `plot` extra; the figure is drawn on an Agg
canvas of its own (no pyplot, no display, the process's matplotlib backend is left alone).
"""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = {".png": "png", ".svg": "svg"}
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6")
# What each workload trains, under its name on the axis (definitions in workloads.py).
WORKLOAD_LABELS = {"W1": "MLP", "W2": "MLP+BN+DO", "W3": "CNN", "W4": "LSTM", "W5": "convnet", "W6": "GRU"}
LIBRARIES = ("gradstep", "numpy", "torch")
LIBRARY_LABELS = {"gradstep": "gradstep", "numpy": "NumPy baseline", "torch": "PyTorch"}
COLORS = {"gradstep": "#1f77b4", "numpy": "#ff7f0e", "torch": "#2ca02c"}
# Above this max/min ratio of the plotted seconds the bars are drawn on a log axis: on a linear
# one the shortest bars would be a few pixels high.
LOG_SCALE_SPREAD = 20.0
MISSING_MATPLOTLIB = (
    "drawing the benchmark needs matplotlib, an optional dependency of gradstep: install it with "
    "`pip install gradstep[plot]` (or `pip install matplotlib`)"
)


def plot_format(path: str | os.PathLike[str]) -> str:
    """The format ("png" or "svg") chosen by `path`'s suffix. Raises ValueError for any other suffix
    and ImportError when matplotlib is missing, so a caller can check both before a long run."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in FORMATS:
        raise ValueError(f"plot path must end in .png or .svg, got {os.fspath(path)!r} (suffix {suffix or 'none'!r})")
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(MISSING_MATPLOTLIB) from error
    return FORMATS[suffix]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"benchmark results: {where} must be a positive number, got {value!r}")
    return float(value)


def validate_results(report: Any) -> dict[str, Any]:
    """Check that `report` has the structure above (the parts the plot and the text output read);
    returns it. Raises ValueError naming the first entry that does not."""
    if not isinstance(report, dict) or not isinstance(report.get("machine"), dict):
        raise ValueError("benchmark results must be a dict with a 'machine' dict and a 'results' list")
    results = report.get("results")
    if not isinstance(results, list):
        raise ValueError(f"benchmark results: 'results' must be a list, got {type(results).__name__}")
    for index, entry in enumerate(results):
        if not isinstance(entry, dict) or not isinstance(entry.get("workload"), str):
            raise ValueError(f"benchmark results: results[{index}] must be a dict with a 'workload' name")
        name = entry["workload"]
        if name in WORKLOADS:
            seconds = entry.get("seconds")
            if not isinstance(seconds, dict) or "gradstep" not in seconds:
                raise ValueError(f"benchmark results: {name} needs 'seconds' with a 'gradstep' entry")
            for library, value in seconds.items():
                _number(value, f"{name} seconds[{library!r}]")
        elif name in ("G", "G-W1"):
            rows = entry.get("rows")
            if not isinstance(rows, list) or not rows:
                raise ValueError(f"benchmark results: {name} needs a non-empty 'rows' list")
            for row in rows:
                if not isinstance(row, dict):
                    raise ValueError(f"benchmark results: every row of {name} must be a dict, got {row!r}")
                if name == "G":
                    _number(row.get("n"), "G row 'n'")
                for library in ("gradstep", "numpy"):
                    _number(row.get(f"{library}_gflops"), f"{name} row {library}_gflops")
        elif name == "gemm_peak":
            _number(entry.get("gflops"), "gemm_peak gflops")
    return report


def load_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a results file written by `python -m gradstep.benchmark --json PATH`."""
    try:
        with open(path) as f:
            report = json.load(f)
    except json.JSONDecodeError as error:
        raise ValueError(f"{os.fspath(path)!r} is not a JSON results file: {error}") from error
    return validate_results(report)


def figure_title(machine: dict[str, Any]) -> str:
    """The machine the numbers come from, and when: CPU, ISA path, threads, date (and load)."""
    cpu = machine.get("cpu") or "unknown CPU"
    isa = machine.get("isa", "unknown")
    threads = machine.get("threads", "?")
    date = machine.get("date", "date unknown")
    title = f"gradstep {machine.get('gradstep', '')} benchmark: {cpu}, {isa} kernels, {threads} thread(s), {date}"
    details = [f"{machine['cores']} cores"] if "cores" in machine else []
    if "load1" in machine:
        details.append(f"load average {machine['load1']} at the start")
    details += [
        f"{name}={machine[name]}" for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_PROC_BIND") if name in machine
    ]
    versions = [f"{name} {machine[name]}" for name in ("numpy", "torch") if name in machine]
    line2 = ", ".join(details + versions)
    return f"{title}\n{line2}" if line2 else title


def _grouped_bars(ax: Any, groups: list[str], values: dict[str, list[float | None]]) -> None:
    """Side by side in each group, one bar per library that has a value there (None: no bar, and
    the group's other bars close up around its centre)."""
    libraries = [library for library in LIBRARIES if any(v is not None for v in values.get(library, []))]
    width = 0.8 / max(1, len(libraries))
    positions: dict[str, list[float]] = {library: [] for library in libraries}
    heights: dict[str, list[float]] = {library: [] for library in libraries}
    for group in range(len(groups)):
        here = [(library, value) for library in libraries if (value := values[library][group]) is not None]
        for i, (library, value) in enumerate(here):
            positions[library].append(group + (i - (len(here) - 1) / 2) * width)
            heights[library].append(value)
    for library in libraries:
        bars = ax.bar(positions[library], heights[library], width, label=LIBRARY_LABELS[library], color=COLORS[library])
        ax.bar_label(bars, labels=[f"{value:.3g}" for value in heights[library]], fontsize=7, padding=1)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)
    ax.legend(fontsize=8)


def _draw_epochs(ax: Any, entries: list[dict[str, Any]]) -> None:
    seconds = [entry["seconds"] for entry in entries]
    values = {library: [s.get(library) for s in seconds] for library in LIBRARIES}
    groups = []
    for entry, s in zip(entries, seconds):
        label = f"{entry['workload']}\n{WORKLOAD_LABELS[entry['workload']]}"
        if "torch" in s:
            label += f"\n{s['gradstep'] / s['torch']:.2f}x"
        groups.append(label)
    _grouped_bars(ax, groups, values)
    flat = [v for s in seconds for v in s.values()]
    if max(flat) / min(flat) > LOG_SCALE_SPREAD:
        ax.set_yscale("log")
    ax.set_ylabel("seconds per epoch (median; lower is better)")
    torch_note = " (under each: gradstep / PyTorch time)" if any("torch" in s for s in seconds) else ""
    ax.set_title(f"(a) one training epoch{torch_note}", fontsize=9)
    ax.margins(y=0.12)


def _draw_gemm(ax: Any, rows: list[dict[str, Any]]) -> None:
    groups = [f"n={row['n']}\n{row['gradstep_gflops'] / row['numpy_gflops']:.2f}x" for row in rows]
    values: dict[str, list[float | None]] = {
        library: [row[f"{library}_gflops"] for row in rows] for library in ("gradstep", "numpy")
    }
    _grouped_bars(ax, groups, values)
    ax.set_ylabel("GFLOP/s (higher is better)")
    ax.set_title("(b) float32 GEMM n x n (under each: gradstep / NumPy)", fontsize=9)
    ax.margins(y=0.12)


def results_figure(report: dict[str, Any]) -> Figure:
    """The figure of `report` (the structure above), on an Agg canvas of its own.

    Panel (a): seconds per epoch of W1-W6, grouped bars per library (log axis when the values span
    more than LOG_SCALE_SPREAD), the gradstep/PyTorch ratio under each workload (below 1: gradstep
    is faster). Panel (b): GFLOP/s of the square GEMMs of G per size, gradstep against NumPy, their
    ratio under each size. A panel without results is left out. The title names the machine, the
    ISA path, the threads and the date of the run."""
    validate_results(report)
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(MISSING_MATPLOTLIB) from error

    epochs = [entry for entry in report["results"] if entry["workload"] in WORKLOADS]
    gemm = [row for entry in report["results"] if entry["workload"] == "G" for row in entry["rows"]]
    if not epochs and not gemm:
        raise ValueError("benchmark results: nothing to draw (no W1-W6 and no G results)")
    panels = int(bool(epochs)) + int(bool(gemm))
    widths = [max(3, len(epochs)), max(2, len(gemm))] if panels == 2 else [1]
    figure = Figure(figsize=(5.5 * panels + 1, 5.2), layout="constrained")
    FigureCanvasAgg(figure)  # draws the PNG; savefig switches to matplotlib's SVG writer for .svg
    axes = figure.subplots(1, panels, squeeze=False, gridspec_kw={"width_ratios": widths})[0]
    if epochs:
        _draw_epochs(axes[0], epochs)
    if gemm:
        _draw_gemm(axes[-1], gemm)
    figure.suptitle(figure_title(report["machine"]), fontsize=9)
    return figure


def plot_results(report: dict[str, Any], path: str | os.PathLike[str], dpi: int = 100) -> str:
    """Draw `report` (see results_figure) into `path`, a .png or .svg file; returns the path.
    Raises ValueError for another suffix or malformed results, ImportError without matplotlib."""
    fmt = plot_format(path)
    results_figure(report).savefig(path, format=fmt, dpi=dpi)
    return os.fspath(path)
