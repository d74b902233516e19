"""Run a real gradstep optimizer on a 2-D test function: `trajectory(optimizer, function, start, steps)`.

The point is a float32 array updated in place by `optimizer.apply` (the optimizer's public
standalone API), which calls the same C++ update code `Sequential.fit` uses, with the optimizer's
learning-rate schedule, clipping and weight decay. Each step: loss and gradient of the function at
the current point (float64, then the gradient rounded to float32 as the core works), then one update.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Union

import numpy as np
import numpy.typing as npt

from .. import optimizers
from .functions import get as get_function

OptimizerSpec = Union[optimizers.Optimizer, str, Callable[[], optimizers.Optimizer]]

__all__ = ["Trajectory", "fresh_optimizer", "trajectory"]


@dataclass
class Trajectory:
    """What `trajectory` returns.

    - path: float32 (n + 1, 2), the start and the point after each of the n steps taken (n = steps
      unless the run diverged);
    - losses: float64 (n + 1,), the function's value at each point of `path`;
    - learning_rates: float64 (n,), the learning rate each step used (its schedule's value);
    - name, config: the optimizer's name and get_config();
    - function: the function's name; diverged: True when the point or its loss became non-finite
      (the run stopped there; the last, non-finite point is kept in `path`);
    - wall_time: seconds spent in the loop.
    """

    path: npt.NDArray[np.float32]
    losses: npt.NDArray[np.float64]
    learning_rates: npt.NDArray[np.float64]
    name: str
    config: dict[str, Any]
    function: str
    diverged: bool = False
    wall_time: float = 0.0

    @property
    def steps(self) -> int:
        """Number of updates taken."""
        return len(self.path) - 1

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    def steps_to(self, tolerance: float) -> int | None:
        """The first index i with losses[i] <= tolerance (0: the start already is), or None if never."""
        hits = np.flatnonzero(self.losses <= tolerance)
        return int(hits[0]) if len(hits) else None


def fresh_optimizer(spec: Any, what: str = "optimizer") -> optimizers.Optimizer:
    """An unused optimizer from an Optimizer, a name ("adam") or a callable returning one."""
    optimizer: optimizers.Optimizer
    if isinstance(spec, (optimizers.Optimizer, str)):
        optimizer = optimizers.get(spec)
    elif callable(spec):
        optimizer = spec()
        if not isinstance(optimizer, optimizers.Optimizer):
            raise TypeError(
                f"{what}: the callable must return a gradstep.optimizers.Optimizer, got {type(optimizer).__name__}"
            )
    else:
        raise TypeError(
            f"{what} must be a gradstep.optimizers.Optimizer, an optimizer name or a callable returning "
            f"a fresh optimizer, got {type(spec).__name__}"
        )
    if optimizer.built or optimizer.iterations != 0:
        raise ValueError(
            f"{what}: this optimizer was already used (iterations={optimizer.iterations}); pass a new one, "
            f"or a callable that returns a new one (e.g. lambda: gs.optimizers.SGD(0.01))"
        )
    return optimizer


def _check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    return int(steps)


def trajectory(optimizer: Any, function: Any, start: Any = None, steps: int = 100) -> Trajectory:
    """Minimise `function` from `start` with `optimizer` for `steps` updates; returns a Trajectory.

    - optimizer: a new gradstep.optimizers.Optimizer (it keeps its state: one optimizer, one run), an
      optimizer name, or a callable returning a new optimizer;
    - function: a gradstep.lab.functions.Function2D or its name ("rosenbrock");
    - start: the starting point (x, y); None: the function's usual start;
    - steps: number of updates (the run stops early if the point or loss becomes non-finite).
    """
    function = get_function(function)
    opt = fresh_optimizer(optimizer)
    steps = _check_steps(steps)
    start_point = function.start if start is None else start
    try:
        point = np.array(start_point, dtype=np.float32)
    except (TypeError, ValueError):
        raise TypeError(f"start must be a point (x, y) of two numbers, got {start_point!r}") from None
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"start must be a finite point (x, y) of shape (2,), got {start_point!r}")

    path = [point.copy()]
    losses = [function(point)]
    rates: list[float] = []
    diverged = False
    began = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            if not np.isfinite(losses[-1]):
                diverged = True
                break
            grad = function.gradient(point).astype(np.float32)
            rates.append(opt.learning_rate)  # the rate of the step about to be taken (its schedule's value)
            opt.apply([grad], [point])
            path.append(point.copy())
            losses.append(function(point) if np.all(np.isfinite(point)) else float("nan"))
        diverged = diverged or not np.isfinite(losses[-1])
    return Trajectory(
        path=np.array(path, dtype=np.float32),
        losses=np.array(losses, dtype=np.float64),
        learning_rates=np.array(rates, dtype=np.float64),
        name=opt.name,
        config=opt.get_config(),
        function=function.name,
        diverged=diverged,
        wall_time=time.perf_counter() - began,
    )
