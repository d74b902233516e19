"""`compare(variants, function=... | data=...)`: run several optimizers, schedules or regularisers
from the same start, seed and data, and return a tidy table (and a figure).

Two modes:

* on a 2-D test function (`function=`): each variant is an optimizer, run by
  `gradstep.lab.trajectory` for `steps` updates from the same start;
* on data (`data=(x, y)`): each variant trains a model from `model_fn` with `Sequential.fit`;
  `gradstep.set_seed(seed)` is called before each variant's model is made, so every variant starts
  from the same initial weights (when the models have the same layers), the same shuffles and the
  same validation split.

A variant (the values of the `variants` dict) is, on a function: a new Optimizer, an optimizer name
or a callable returning a new Optimizer. On data, that too (the variant's optimizer) or a dict of
overrides of the shared settings, any of:

    {"optimizer": Optimizer | name | callable returning one,
     "model_fn": callable returning an uncompiled Sequential (e.g. with Dropout, BatchNormalization
                 or kernel_regularizer),
     "callbacks": list of callbacks, or a callable returning a list (e.g. EarlyStopping),
     "batch_size": int}

Only public gradstep API is used (Sequential.compile/fit, History, callbacks).
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .. import _random, callbacks, optimizers
from ..models import Sequential
from . import plotting
from .functions import get as get_function
from .table import ComparisonTable
from .trajectory import Trajectory, fresh_optimizer, trajectory

__all__ = ["DataRun", "compare", "describe_optimizer"]

DEFAULT_STEPS = 200
DEFAULT_EPOCHS = 10
DEFAULT_SEED = 0
VARIANT_KEYS = ("optimizer", "model_fn", "callbacks", "batch_size")


@dataclass
class DataRun:
    """One data variant's run: its History, the trained model and the seconds `fit` took."""

    name: str
    history: callbacks.History
    model: Sequential
    wall_time: float


def describe_optimizer(optimizer: optimizers.Optimizer) -> str:
    """A short description: the class, the learning rate (or its schedule) and every setting that
    differs from the class's defaults, e.g. "SGD(lr=0.01, momentum=0.9)".

    Note: optimizers are getting an `explain()` (the exact update rule with the hyper-parameters
    filled in, issue 14); once it exists, tables may show it in place of or next to this text."""
    config = optimizer.get_config()
    try:
        cls: Any = type(optimizer)
        defaults = cls().get_config()
    except Exception:  # a subclass without defaults for every argument: show every setting
        defaults = {}
    rate = config.get("learning_rate")
    parts = [f"lr={rate['class_name']}" if isinstance(rate, dict) else f"lr={rate:g}"]
    for key, value in config.items():
        if key in ("name", "learning_rate") or (key in defaults and defaults[key] == value):
            continue
        parts.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
    return f"{type(optimizer).__name__}({', '.join(parts)})"


def _check_tolerance(tolerance: Any) -> float | None:
    if tolerance is None:
        return None
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) or not math.isfinite(tolerance):
        raise ValueError(f"tolerance must be a finite number (a loss threshold) or None, got {tolerance!r}")
    return float(tolerance)


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def _check_variants(variants: Any) -> dict[str, Any]:
    if not isinstance(variants, Mapping):
        raise TypeError(f"variants must be a dict {{name: variant}}, got {type(variants).__name__}")
    if not variants:
        raise ValueError("variants must name at least one variant, got an empty dict")
    for name in variants:
        if not isinstance(name, str):
            raise TypeError(f"variants: the names must be strings, got {name!r}")
    return dict(variants)


def _check_distinct(opts: Mapping[str, optimizers.Optimizer]) -> None:
    """One optimizer object per variant: an optimizer keeps its state, so two runs cannot share one."""
    seen: dict[int, str] = {}
    for name, opt in opts.items():
        if id(opt) in seen:
            raise ValueError(
                f"variants[{seen[id(opt)]!r}] and variants[{name!r}] are the same optimizer object; an optimizer "
                f"keeps its state, so give each variant its own (or a callable returning a new one)"
            )
        seen[id(opt)] = name


def _reject(mode: str, **given: Any) -> None:
    """ValueError for arguments that have no meaning in this mode (never silently ignored)."""
    named = [name for name, value in given.items() if value is not None]
    if named:
        other = "data=(x, y)" if mode == "function" else "function="
        raise ValueError(f"compare with {mode}: {', '.join(named)} only apply with {other}; remove them")


def compare(
    variants: Mapping[str, Any],
    function: Any = None,
    *,
    data: tuple[Any, Any] | None = None,
    model_fn: Callable[[], Sequential] | None = None,
    epochs: int | None = None,
    steps: int | None = None,
    start: Any = None,
    plot: bool = True,
    save: Any = None,
    tolerance: float | None = None,
    validation_split: float | None = None,
    validation_data: tuple[Any, ...] | None = None,
    seed: int | None = None,
    optimizer: Any = None,
    loss: Any = None,
    metrics: Sequence[Any] | None = None,
    batch_size: int | None = None,
) -> ComparisonTable:
    """Run every variant under the same conditions; returns a ComparisonTable (str() prints it).

    - variants: {name: variant}; see the module docstring for the forms a variant takes.
    - function: a gradstep.lab.functions.Function2D or its name: compare optimizers on it, for
      `steps` updates (default 200) from `start` (default: the function's usual start).
    - data: (x, y) arrays: compare training runs of `model_fn()` (a callable returning an uncompiled
      Sequential; compiled here with the variant's optimizer, `loss` (default
      "sparse_categorical_crossentropy") and `metrics` (default ["accuracy"])) for `epochs`
      epochs (default 10) of `batch_size` (default 32), with `validation_split` or
      `validation_data` as in fit. `optimizer` (default "rmsprop", Keras' compile default) is
      used by dict variants that give none. `seed` (default 0) is set with gradstep.set_seed
      before each variant.
    - tolerance: a loss threshold: the table's steps_to_tol (function) / epochs_to_tol (data) column
      is the first step (0 = the start) / the first epoch (1-based) whose loss (data: training
      loss) is <= tolerance, None if never. Default: the function's `tolerance` attribute; on
      data, None (no such column).
    - plot: draw the figure (needs matplotlib: `pip install gradstep[plot]`): on a function, the
      paths over log-spaced contours and the loss per step; on data, the loss and validation
      accuracy per epoch. It is `table.figure`.
    - save: a path ending in .png or .svg: write the figure there (needs plot=True). A wrong suffix
      raises ValueError before anything runs.

    Columns, function: variant, optimizer, final_loss, steps_to_tol, wall_time_s.
    Columns, data: variant, optimizer, final_loss (training), epochs (run; fewer with early
    stopping), [epochs_to_tol], best_val_accuracy, best_epoch (1-based), wall_time_s.
    """
    variants = _check_variants(variants)
    if not isinstance(plot, bool):
        raise TypeError(f"plot must be True or False, got {plot!r}")
    save_path = plotting.check_save_path(save)
    if save_path is not None and not plot:
        raise ValueError("save= writes the figure, which plot=False does not draw; pass plot=True or drop save=")
    if plot:
        plotting.require_matplotlib()
    if (function is None) == (data is None):
        raise ValueError("compare needs exactly one of function= (a 2-D test function) and data=(x, y)")

    if function is not None:
        _reject(
            "function",
            model_fn=model_fn,
            epochs=epochs,
            validation_split=validation_split,
            validation_data=validation_data,
            seed=seed,
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            batch_size=batch_size,
        )
        table = _compare_on_function(variants, function, steps, start, tolerance, plot)
    else:
        _reject("data", steps=steps, start=start)
        table = _compare_on_data(
            variants,
            data,
            model_fn,
            DEFAULT_EPOCHS if epochs is None else _check_positive_int(epochs, "epochs"),
            _check_tolerance(tolerance),
            validation_split,
            validation_data,
            DEFAULT_SEED if seed is None else seed,
            "rmsprop" if optimizer is None else optimizer,
            "sparse_categorical_crossentropy" if loss is None else loss,
            ["accuracy"] if metrics is None else list(metrics),
            batch_size,
            plot,
        )
    if save_path is not None:
        plotting.save_figure(table.figure, save_path)
    return table


def _compare_on_function(
    variants: dict[str, Any], function: Any, steps: Any, start: Any, tolerance: Any, plot: bool
) -> ComparisonTable:
    function = get_function(function)
    steps = DEFAULT_STEPS if steps is None else steps
    tol = _check_tolerance(function.tolerance if tolerance is None else tolerance)
    # make (and check) every optimizer before running any
    opts = {name: fresh_optimizer(spec, f"variants[{name!r}]") for name, spec in variants.items()}
    _check_distinct(opts)
    runs: dict[str, Trajectory] = {}
    rows = []
    for name, opt in opts.items():
        description = describe_optimizer(opt)
        run = trajectory(opt, function, start, steps)
        runs[name] = run
        rows.append(
            {
                "variant": name,
                "optimizer": description,
                "final_loss": run.final_loss,
                "steps_to_tol": None if tol is None else run.steps_to(tol),
                "wall_time_s": run.wall_time,
            }
        )
    x0, y0 = next(iter(runs.values())).path[0]
    title = f"{function!r}, {steps} steps from ({x0:g}, {y0:g})"
    if tol is not None:
        title += f", tolerance: loss <= {tol:g}"
    table = ComparisonTable(rows, runs, title=title)
    if plot:
        table.figure = plotting.plot_trajectories(function, runs)
    return table


def _data_variant(name: str, spec: Any) -> dict[str, Any]:
    """A variant as a dict of overrides."""
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - set(VARIANT_KEYS))
        if unknown:
            raise ValueError(
                f"variants[{name!r}]: unknown key(s) {', '.join(map(repr, unknown))}; "
                f"a data variant may set {', '.join(VARIANT_KEYS)}"
            )
        return dict(spec)
    return {"optimizer": spec}


def _fresh_callbacks(name: str, spec: Any) -> list[Any]:
    value = spec() if callable(spec) else spec
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, callbacks.Callback) for c in value):
        raise TypeError(
            f"variants[{name!r}]['callbacks'] must be a list of gradstep callbacks or a callable returning one, "
            f"got {value!r}"
        )
    return list(value)


def _compare_on_data(
    variants: dict[str, Any],
    data: Any,
    model_fn: Any,
    epochs: int,
    tol: float | None,
    validation_split: Any,
    validation_data: Any,
    seed: Any,
    optimizer: Any,
    loss: Any,
    metrics: list[Any],
    batch_size: Any,
    plot: bool,
) -> ComparisonTable:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"data must be a pair (x, y) of arrays, got {type(data).__name__}")
    x, y = data
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {seed!r}")
    specs = {name: _data_variant(name, spec) for name, spec in variants.items()}
    for name, spec in specs.items():
        fn = spec.get("model_fn", model_fn)
        if fn is None:
            raise ValueError(f"variants[{name!r}]: no model: pass model_fn= to compare or a 'model_fn' in the variant")
        if not callable(fn):
            raise TypeError(f"model_fn must be a callable returning an uncompiled Sequential, got {type(fn).__name__}")
        if "batch_size" in spec:
            _check_positive_int(spec["batch_size"], f"variants[{name!r}]['batch_size']")
    opts = {
        name: fresh_optimizer(spec.get("optimizer", optimizer), f"variants[{name!r}]['optimizer']")
        for name, spec in specs.items()
    }
    _check_distinct(opts)
    fit_args: dict[str, Any] = {"epochs": epochs, "verbose": 0}
    if validation_split is not None:
        fit_args["validation_split"] = validation_split
    if validation_data is not None:
        fit_args["validation_data"] = validation_data

    runs: dict[str, DataRun] = {}
    rows = []
    for name, spec in specs.items():
        opt = opts[name]
        cbs = _fresh_callbacks(name, spec["callbacks"]) if "callbacks" in spec else []
        _random.set_seed(seed)
        model = spec.get("model_fn", model_fn)()
        if not isinstance(model, Sequential):
            raise TypeError(
                f"variants[{name!r}]: model_fn must return a gradstep.Sequential, got {type(model).__name__}"
            )
        model.compile(optimizer=opt, loss=loss, metrics=metrics)
        began = time.perf_counter()
        history = model.fit(x, y, batch_size=spec.get("batch_size", batch_size), callbacks=cbs, **fit_args)
        wall = time.perf_counter() - began
        runs[name] = DataRun(name, history, model, wall)
        losses = np.asarray(history.history.get("loss", []), dtype=np.float64)
        row: dict[str, Any] = {
            "variant": name,
            "optimizer": describe_optimizer(opt),
            "final_loss": float(losses[-1]) if len(losses) else None,
            "epochs": len(losses),
        }
        if tol is not None:
            hits = np.flatnonzero(losses <= tol)
            row["epochs_to_tol"] = int(hits[0]) + 1 if len(hits) else None
        val_acc = history.history.get("val_accuracy")
        best = int(np.argmax(val_acc)) if val_acc else None
        row["best_val_accuracy"] = None if best is None or val_acc is None else float(val_acc[best])
        row["best_epoch"] = None if best is None else best + 1
        row["wall_time_s"] = wall
        rows.append(row)
    title = f"data: {len(x)} samples, up to {epochs} epochs, seed {seed}"
    if tol is not None:
        title += f", tolerance: training loss <= {tol:g}"
    table = ComparisonTable(rows, runs, title=title)
    if plot:
        table.figure = plotting.plot_histories({name: run.history.history for name, run in runs.items()})
    return table
