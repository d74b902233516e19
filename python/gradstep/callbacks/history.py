"""History: records the epoch-end logs; `fit` returns it (history.history["loss"], ...).

`History.plot()` draws the recorded curves with matplotlib, an optional dependency
(`pip install gradstep[plot]`), imported only when plot() is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes

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
        # key -> the epochs its values were logged at (val_ keys may skip epochs)
        self._epochs_of: dict[str, list[int]] = {}

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
        epochs = getattr(self, "_epochs_of", {}).get(key)
        if epochs is None or len(epochs) != len(values):
            epochs = self.epoch if len(self.epoch) == len(values) else range(len(values))
        return [int(e) + 1 for e in epochs]

    def _curves(self, metrics: str | Sequence[str] | None) -> list[tuple[str, list[str]]]:
        """[(metric name, [keys to draw])] for the requested metrics, train before validation."""
        keys = list(self.history)
        if metrics is None:
            names = [k for k in keys if not k.startswith("val_")]
            names += [k[4:] for k in keys if k.startswith("val_") and k[4:] not in self.history]
        else:
            names = [metrics] if isinstance(metrics, str) else list(metrics)
            if not names:
                raise ValueError("metrics must name at least one recorded metric, got an empty list")
        curves = []
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"metrics must be metric names (strings), got {type(name).__name__}")
            if name.startswith("val_") and name in self.history:
                drawn = [name]
            else:
                drawn = [k for k in (name, "val_" + name) if k in self.history]
            if not drawn:
                available = ", ".join(repr(k) for k in keys) or "none"
                raise ValueError(f"metrics: {name!r} was not recorded by this History; recorded: {available}")
            curves.append((name, drawn))
        return curves

    def plot(self, metrics: str | Sequence[str] | None = None, ax: Axes | None = None) -> Axes | NDArray[np.object_]:
        """Plot the training curves: for each metric, its training values and its "val_"
        counterpart (if recorded) against the epoch number (1-based).

        metrics: a name or list of names ("loss", "accuracy", ...); None plots every recorded
            metric.
        ax: a matplotlib Axes to draw every curve on; None creates a figure with one subplot per
            metric.
        Returns `ax` when given, otherwise the 1-D NumPy array of the new figure's Axes (one per
        metric; the figure is `axes[0].figure`). Needs matplotlib (`pip install gradstep[plot]`).
        """
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
            return ax

        count = len(curves)
        fig, axes = plt.subplots(1, count, figsize=(5.0 * count, 3.8), squeeze=False)
        axes = np.asarray(axes).ravel()
        for axis, (name, keys) in zip(axes, curves):
            for key in keys:
                label = "validation" if key.startswith("val_") else "training"
                axis.plot(self._x_values(key), self.history[key], marker="o", markersize=3, label=label)
            axis.set_title(name)
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_ylabel(name)
            axis.legend()
        fig.tight_layout()
        return axes
