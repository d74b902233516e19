"""History: records the epoch-end logs; `fit` returns it (history.history["loss"], ...).

`History.plot()` draws the recorded curves with matplotlib, an optional dependency
(`pip install gradstep[plot]`), imported only when plot() is called.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from .._tracking import is_tracked_key
from .._typing import Logs
from .callback import Callback

_PLOT_INSTALL_HINT = (
    "History.plot() needs matplotlib, an optional dependency of gradstep: install it with "
    "`pip install gradstep[plot]` (or `pip install matplotlib`)"
)


def _import_pyplot() -> ModuleType:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_PLOT_INSTALL_HINT) from exc
    return plt


class History(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []
        self._epochs_of: dict[str, list[int]] = {}  # key -> the epochs its values were logged at (val_ keys may skip)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        # Keras keeps the same History across fit calls of one model only via model.history;
        # each fit gets a fresh record.
        self.epoch = []
        self.history = {}
        self._epochs_of = {}

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
            self._epochs_of.setdefault(key, []).append(epoch)
        if self.model is not None:
            self.model.history = self

    # ----------------------------------------------------------------------------- plotting
    def _x_values(self, key: str) -> list[int]:
        """1-based epoch numbers of key's values (as the progress display counts epochs)."""
        values = self.history[key]
        epochs: Sequence[int] | None = getattr(self, "_epochs_of", {}).get(key)
        if epochs is None or len(epochs) != len(values):
            epochs = self.epoch if len(self.epoch) == len(values) else range(len(values))
        return [int(e) + 1 for e in epochs]

    def _curves(self, metrics: str | Sequence[str] | None) -> list[tuple[str, list[str]]]:
        """[(subplot title, [keys to draw])] for the requested metrics, train before validation.

        A tracked figure ("grad_norm", or a prefix such as "grad_norm/dense") or a glob pattern
        ("*/dense_1/*") gathers every matching key into one subplot."""
        keys = list(self.history)
        if metrics is None:
            plain = [k for k in keys if not is_tracked_key(k)]
            names = [k for k in plain if not k.startswith("val_")]
            names += [k[4:] for k in plain if k.startswith("val_") and k[4:] not in self.history]
            names += list(dict.fromkeys(k.partition("/")[0] for k in keys if is_tracked_key(k)))
        else:
            names = [metrics] if isinstance(metrics, str) else list(metrics)
            if not names:
                raise ValueError("metrics must name at least one recorded metric, got an empty list")
        curves = []
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"metrics must be metric names (strings), got {type(name).__name__}")
            if name in self.history and (name.startswith("val_") or is_tracked_key(name)):
                drawn = [name]
            elif any(c in name for c in "*?["):
                drawn = [k for k in keys if fnmatch.fnmatchcase(k, name)]
            else:
                drawn = [k for k in (name, "val_" + name) if k in self.history]
                drawn = drawn or [k for k in keys if k.startswith(name + "/")]
            if not drawn:
                available = ", ".join(repr(k) for k in keys) or "none"
                raise ValueError(f"metrics: {name!r} was not recorded by this History; recorded: {available}")
            curves.append((name, drawn))
        return curves

    def plot(
        self,
        metrics: str | Sequence[str] | None = None,
        ax: Axes | None = None,
        save: str | os.PathLike[str] | None = None,
    ) -> Axes | NDArray[np.object_]:
        """Plot the training curves: for each metric, its training values and its `val_`
        counterpart (if recorded) against the epoch number (1-based).

        - metrics: a name or list of names ("loss", "accuracy", ...), each drawn in its own subplot.
          A figure tracked by fit(track=...) ("grad_norm", "update_ratio", "dead_relu",
          "bn_stats"), a key prefix ("grad_norm/dense") or a glob pattern (`*/dense/kernel`)
          draws every matching key in one subplot. None plots every recorded metric, and one
          subplot per tracked figure (grad_norm and update_ratio on a log scale).
        - ax: a matplotlib Axes to draw every curve on; None creates a figure with one subplot per
          metric.
        - save: a file name ending in .png or .svg: the figure is written there.

        Returns `ax` when given, otherwise the 1-D NumPy array of the new figure's Axes (one per
        metric; the figure is `axes[0].figure`). Needs matplotlib (`pip install gradstep[plot]`).
        """
        if save is not None:
            if not isinstance(save, (str, os.PathLike)):
                raise TypeError(f"save must be a file name (str or path), got {type(save).__name__}")
            suffix = os.path.splitext(os.fspath(save))[1].lower()
            if suffix not in (".png", ".svg"):
                raise ValueError(f"save must name a .png or .svg file, got {os.fspath(save)!r}")
        if not self.history:
            raise ValueError("History.plot: nothing to plot, no epoch has been recorded (train with fit first)")
        curves = self._curves(metrics)
        plt = _import_pyplot()
        from matplotlib.ticker import MaxNLocator

        if ax is not None:
            for _, keys in curves:
                for key in keys:
                    ax.plot(self._x_values(key), self.history[key], marker="o", markersize=3, label=key)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if len(curves) == 1:
                ax.set_ylabel(curves[0][0])
            ax.legend()
            if save is not None:
                # matplotlib types ax.figure as Figure | SubFigure; the Axes of a pyplot figure is a Figure's
                cast("Figure", ax.figure).savefig(save)
            return ax

        count = len(curves)
        fig, axes = plt.subplots(1, count, figsize=(5.0 * count, 3.8), squeeze=False)
        axes = np.asarray(axes).ravel()
        for axis, (name, keys) in zip(axes, curves):
            for key in keys:
                axis.plot(self._x_values(key), self.history[key], marker="o", markersize=3, label=_label(name, key))
            if name in ("grad_norm", "update_ratio") and all(v > 0 for k in keys for v in self.history[k]):
                axis.set_yscale("log")
            axis.set_title(name)
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_ylabel(name)
            axis.legend(fontsize="small" if len(keys) > 2 else None)
        fig.tight_layout()
        if save is not None:
            fig.savefig(save)
        return axes


def _label(name: str, key: str) -> str:
    """A curve's legend in its own subplot: training / validation, or what a group's key adds."""
    if key == name or key == "val_" + name:
        return "validation" if key.startswith("val_") else "training"
    return key[len(name) + 1 :] if key.startswith(name + "/") else key
