"""Figures of gradstep.lab: trajectories over contour plots, and training curves.

matplotlib is an optional dependency (`pip install gradstep[plot]`), imported only here and only
when a figure is drawn. Figures are made with matplotlib.figure.Figure (rendered by Agg), not with
pyplot, so drawing never opens a window nor touches pyplot's current figure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .functions import Function2D
from .trajectory import Trajectory

__all__ = ["check_save_path", "plot_histories", "plot_trajectories", "require_matplotlib", "save_figure"]

_INSTALL_HINT = (
    "gradstep.lab plotting needs matplotlib, an optional dependency of gradstep: install it with "
    "`pip install gradstep[plot]` (or `pip install matplotlib`), or pass plot=False"
)
SAVE_SUFFIXES = (".png", ".svg")
LOSS_FLOOR = 1e-12


def require_matplotlib() -> None:
    """Raise a clear ImportError now if matplotlib is missing (before any long run)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc


def check_save_path(save: Any) -> str | None:
    """`save` as a path string ending in .png or .svg (case-insensitive), None if None."""
    if save is None:
        return None
    if not isinstance(save, (str, os.PathLike)):
        raise TypeError(f"save must be a file path (str or os.PathLike) ending in .png or .svg, got {save!r}")
    path = os.fspath(save)
    if not isinstance(path, str):
        raise TypeError(f"save must be a text path, got {save!r}")
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SAVE_SUFFIXES:
        raise ValueError(f"save: the file name must end in .png or .svg (the format), got {suffix or 'no suffix'!r}")
    return path


def save_figure(figure: Any, path: str, dpi: int = 90) -> None:
    """Write `figure` to `path` in the format its suffix names (PNG or SVG)."""
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    figure.savefig(path, format=fmt, dpi=dpi)


def _new_figure(columns: int) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.6 * columns, 4.6))
    # fixed margins: a layout engine would measure every tick label again, doubling the drawing time
    figure.subplots_adjust(left=0.08 if columns > 1 else 0.13, right=0.98, bottom=0.11, top=0.92, wspace=0.22)
    axes = [figure.add_subplot(1, columns, i + 1) for i in range(columns)]
    return figure, axes


def _log_levels(z: np.ndarray, count: int) -> np.ndarray:
    """`count` contour levels spaced evenly in log(z - min(z)): dense near the minimum, sparse on the walls."""
    low, high = float(np.nanmin(z)), float(np.nanmax(z))
    span = high - low
    if not span > 0.0:
        return np.array([low])
    return low + np.geomspace(span * 1e-5, span, count)


def plot_trajectories(function: Function2D, runs: Mapping[str, Trajectory], levels: int = 30) -> Any:
    """A Figure: left, the paths of `runs` over log-spaced contours of `function` (its window);
    right, each run's loss against the step (minus the minimum, on a log axis, when the function
    has one). Returns the matplotlib Figure."""
    require_matplotlib()
    figure, (ax, ax_loss) = _new_figure(2)
    xs, ys, zs = function.grid(240)
    ax.contour(xs, ys, zs, levels=_log_levels(zs, levels), colors="0.6", linewidths=0.6)
    for minimum in function.minima:
        ax.plot(minimum[0], minimum[1], marker="*", color="black", markersize=12, linestyle="none")
    for index, (name, run) in enumerate(runs.items()):
        color = f"C{index % 10}"
        path = run.path.astype(np.float64)
        marker = "o" if len(path) <= 60 else None
        ax.plot(path[:, 0], path[:, 1], color=color, linewidth=1.4, marker=marker, markersize=2.5, label=name)
        steps = np.arange(len(run.losses))
        if function.min_value is not None:
            # floored: below ~1e-12 the float32 point only jitters between neighbouring values
            gap = np.maximum(run.losses - function.min_value, LOSS_FLOOR)
            ax_loss.semilogy(steps, gap, color=color, label=name)
        else:
            ax_loss.plot(steps, run.losses, color=color, label=name)
    first = next(iter(runs.values()), None)
    if first is not None:
        ax.plot(first.path[0, 0], first.path[0, 1], marker="s", color="black", markersize=6, linestyle="none")
    (x0, x1), (y0, y1) = function.window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title(f"{function.name}: paths (square: start, star: minimum)")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8, loc="best")
    ax_loss.set_title(f"loss - minimum (floor {LOSS_FLOOR:g})" if function.min_value is not None else "loss")
    ax_loss.set_xlabel("step")
    ax_loss.grid(True, alpha=0.3)
    ax_loss.legend(fontsize=8, loc="best")
    return figure


def plot_histories(histories: Mapping[str, Mapping[str, list[float]]]) -> Any:
    """A Figure: left, training loss (solid) and validation loss (dashed) per epoch; right, validation
    accuracy (or training accuracy without validation) per epoch, the best epoch marked, when
    accuracy was recorded. `histories`: variant name -> History.history. Returns the Figure."""
    require_matplotlib()
    accuracy_key = None
    for key in ("val_accuracy", "accuracy"):
        if any(key in h for h in histories.values()):
            accuracy_key = key
            break
    figure, axes = _new_figure(2 if accuracy_key else 1)
    ax_loss = axes[0]
    for index, (name, history) in enumerate(histories.items()):
        color = f"C{index % 10}"
        if "loss" in history:
            epochs = np.arange(1, len(history["loss"]) + 1)
            ax_loss.plot(epochs, history["loss"], color=color, label=f"{name} (train)")
        if "val_loss" in history:
            epochs = np.arange(1, len(history["val_loss"]) + 1)
            ax_loss.plot(epochs, history["val_loss"], color=color, linestyle="--", label=f"{name} (val)")
        if accuracy_key and accuracy_key in history:
            values = np.asarray(history[accuracy_key], dtype=np.float64)
            epochs = np.arange(1, len(values) + 1)
            axes[1].plot(epochs, values, color=color, label=name)
            best = int(np.argmax(values))
            axes[1].plot(epochs[best], values[best], marker="o", color=color, markersize=6)
    ax_loss.set_yscale("log")
    ax_loss.set_title("loss (solid: training, dashed: validation)")
    ax_loss.set_xlabel("epoch")
    ax_loss.grid(True, alpha=0.3)
    ax_loss.legend(fontsize=7, loc="best")
    if accuracy_key:
        title = "validation accuracy" if accuracy_key == "val_accuracy" else "training accuracy"
        axes[1].set_title(f"{title} (dot: best epoch)")
        axes[1].set_xlabel("epoch")
        axes[1].grid(True, alpha=0.3)
        axes[1].legend(fontsize=8, loc="best")
    return figure
