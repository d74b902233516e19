"""Standard 2-D test functions for optimizers, with analytic gradients.

Each function is an object:

    f = gradstep.lab.functions.Rosenbrock()
    f([1.0, 1.0])            # value at one point (float)
    f.gradient([0.0, 0.0])   # analytic gradient (float64 array of shape (2,))
    f.evaluate(x, y)         # vectorised over broadcastable arrays x, y (contour grids)
    f.start, f.minima, f.min_value, f.window, f.tolerance

`start` is the usual starting point (Moré, Garbow & Hillstrom, ACM TOMS 1981, where the function
is in their collection; otherwise a documented choice), `minima` the known global minimisers
(empty for the saddle), `window` the plotting window ((x_min, x_max), (y_min, y_max); assign
another to zoom) and
`tolerance` the loss threshold `gradstep.lab.compare` uses by default for "steps to tolerance".
Values and gradients are computed in float64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Window = tuple[tuple[float, float], tuple[float, float]]

__all__ = [
    "ALL",
    "Beale",
    "Booth",
    "Function2D",
    "Himmelblau",
    "IllConditionedQuadratic",
    "Rastrigin",
    "Rosenbrock",
    "Saddle",
    "get",
]


def _point(xy: Any, name: str = "xy") -> Array:
    """xy as a float64 array of shape (2,), or a clear error."""
    try:
        point = np.asarray(xy, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a point (x, y) of two numbers, got {xy!r}") from None
    if point.shape != (2,):
        raise ValueError(f"{name} must be a point (x, y) of shape (2,), got shape {point.shape}")
    return point


class Function2D:
    """Base class: subclasses define `_value(x, y)` and `_gradient(x, y)` on float64 arrays."""

    name: str = "function"
    #: the usual starting point
    start: Array
    #: known global minimisers (empty when the function has no minimum)
    minima: tuple[Array, ...] = ()
    #: the value at the minima (None when the function is unbounded below)
    min_value: float | None = 0.0
    #: default plotting window ((x_min, x_max), (y_min, y_max))
    window: Window = ((-2.0, 2.0), (-2.0, 2.0))
    #: default loss threshold of gradstep.lab.compare's "steps to tolerance"
    tolerance: float = 1e-4

    def _value(self, x: Array, y: Array) -> Array:
        raise NotImplementedError

    def _gradient(self, x: Array, y: Array) -> tuple[Array, Array]:
        raise NotImplementedError

    def __call__(self, xy: Any) -> float:
        """f(x, y) at one point."""
        point = _point(xy)
        return float(self._value(point[0], point[1]))

    def gradient(self, xy: Any) -> Array:
        """(df/dx, df/dy) at one point, float64 of shape (2,)."""
        point = _point(xy)
        gx, gy = self._gradient(point[0], point[1])
        return np.array([gx, gy], dtype=np.float64)

    def evaluate(self, x: Any, y: Any) -> Array:
        """f over broadcastable arrays x and y (e.g. from np.meshgrid), float64."""
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
        try:
            xs, ys = np.broadcast_arrays(xs, ys)
        except ValueError:
            raise ValueError(f"x and y must broadcast together, got shapes {xs.shape} and {ys.shape}") from None
        return np.asarray(self._value(xs, ys), dtype=np.float64)

    def grid(self, points: int = 200, window: Window | None = None) -> tuple[Array, Array, Array]:
        """(X, Y, Z) over `window` (default: self.window), `points` x `points`, for contour plots."""
        if isinstance(points, bool) or not isinstance(points, int) or points < 2:
            raise ValueError(f"points must be an int >= 2, got {points!r}")
        (x0, x1), (y0, y1) = window or self.window
        xs, ys = np.meshgrid(np.linspace(x0, x1, points), np.linspace(y0, y1, points))
        return xs, ys, self.evaluate(xs, ys)

    def get_config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Rosenbrock(Function2D):
    """f = (a - x)^2 + b (y - x^2)^2 (Rosenbrock 1960): a curved, flat-bottomed valley.

    Minimum 0 at (a, a^2); start (-1.2, 1) (Moré, Garbow & Hillstrom 1981)."""

    name = "Rosenbrock"
    window = ((-2.0, 2.0), (-1.0, 3.0))

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a, self.b = float(a), float(b)
        self.start = np.array([-1.2, 1.0])
        self.minima = (np.array([self.a, self.a**2]),)

    def _value(self, x: Array, y: Array) -> Array:
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _gradient(self, x: Array, y: Array) -> tuple[Array, Array]:
        r = y - x**2
        return -2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r

    def get_config(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b}


class Beale(Function2D):
    """f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2 (Beale 1958).

    Minimum 0 at (3, 0.5); start (1, 1) (Moré, Garbow & Hillstrom 1981); sharp ridges at the corners."""

    name = "Beale"
    window = ((-4.5, 4.5), (-4.5, 4.5))

    def __init__(self) -> None:
        self.start = np.array([1.0, 1.0])
        self.minima = (np.array([3.0, 0.5]),)

    _C = (1.5, 2.25, 2.625)

    def _value(self, x: Array, y: Array) -> Array:
        # sum() starts from the int 0, so its type is Array | int; with array terms the result is an Array
        return sum((c - x + x * y ** (k + 1)) ** 2 for k, c in enumerate(self._C))  # type: ignore[return-value]

    def _gradient(self, x: Array, y: Array) -> tuple[Array, Array]:
        gx: Any = 0.0
        gy: Any = 0.0
        for k, c in enumerate(self._C):
            power = k + 1
            r = c - x + x * y**power
            gx = gx + 2.0 * r * (y**power - 1.0)
            gy = gy + 2.0 * r * power * x * y ** (power - 1)
        return gx, gy


class Himmelblau(Function2D):
    """f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 (Himmelblau 1972): four global minima of value 0.

    Start (0, 0) (a common choice; the function is not in Moré et al.'s collection)."""

    name = "Himmelblau"
    window = ((-5.0, 5.0), (-5.0, 5.0))

    def __init__(self) -> None:
        self.start = np.array([0.0, 0.0])
        self.minima = (
            np.array([3.0, 2.0]),
            np.array([-2.805118086952745, 3.131312518250573]),
            np.array([-3.779310253377747, -3.283185991286170]),
            np.array([3.584428340330492, -1.848126526964404]),
        )

    def _value(self, x: Array, y: Array) -> Array:
        return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2

    def _gradient(self, x: Array, y: Array) -> tuple[Array, Array]:
        p, q = x**2 + y - 11.0, x + y**2 - 7.0
        return 4.0 * x * p + 2.0 * q, 2.0 * p + 4.0 * y * q


class Rastrigin(Function2D):
    """f = 2A + sum over x, y of (t^2 - A cos(2 pi t)), A = 10 (Rastrigin 1974): a bowl covered in
    local minima, about one per integer point. Minimum 0 at (0, 0); start (2.2, -3.3) (a chosen
    point several local minima away from the global one)."""

    name = "Rastrigin"
    window = ((-5.12, 5.12), (-5.12, 5.12))

    def __init__(self, A: float = 10.0) -> None:
        self.A = float(A)
        self.start = np.array([2.2, -3.3])
        self.minima = (np.array([0.0, 0.0]),)

    def _value(self, x: Array, y: Array) -> Array:
        a = self.A
        return 2.0 * a + (x**2 - a * np.cos(2.0 * math.pi * x)) + (y**2 - a * np.cos(2.0 * math.pi * y))

    def _gradient(self, x: Array, y: Array) -> tuple[Array, Array]:
        w = 2.0 * math.pi * self.A
        return 2.0 * x + w * np.sin(2.0 * math.pi * x), 2.0 * y + w * np.sin(2.0 * math.pi * y)

    def get_config(self) -> dict[str, Any]:
        return {"A": self.A}


class Booth(Function2D):
    """f = (x + 2y - 7)^2 + (2x + y - 5)^2 (Booth): a quadratic bowl (Hessian eigenvalues 2 and 18).

    Minimum 0 at (1, 3); start (-6, -4) (a chosen point; not in Moré et al.'s collection)."""

    name = "Booth"
    window = ((-10.0, 10.0), (-10.0, 10.0))

    def __init__(self) -> None:
        self.start = np.array([-6.0, -4.0])
        self.minima = (np.array([1.0, 3.0]),)

    def _value(self, x: Array, y: Array) -> Array:
        return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2

    def _gradient(self, x: Array, y: Array) -> tuple[Array, Array]:
        p, q = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
        return 2.0 * p + 4.0 * q, 4.0 * p + 2.0 * q


class IllConditionedQuadratic(Function2D):
    """f = 0.5 * (u^2 + condition * v^2), (u, v) = (x, y) rotated by -angle: a narrow valley.

    The Hessian's eigenvalues are 1 and `condition` (its condition number), the steep axis is the
    y axis turned by `angle` radians. Gradient descent needs learning_rate < 2 / condition to be
    stable and then about condition * ln(1 / tol) steps; momentum about sqrt(condition) times fewer.
    Minimum 0 at (0, 0); start (-4, 1) (a chosen point off both axes)."""

    name = "IllConditionedQuadratic"
    window = ((-5.0, 5.0), (-2.5, 2.5))

    def __init__(self, condition: float = 25.0, angle: float = 0.0) -> None:
        if isinstance(condition, bool) or not isinstance(condition, (int, float)) or not condition >= 1.0:
            raise ValueError(f"condition must be a number >= 1 (the Hessian's condition number), got {condition!r}")
        if isinstance(angle, bool) or not isinstance(angle, (int, float)) or not math.isfinite(angle):
            raise ValueError(f"angle must be a finite number of radians, got {angle!r}")
        self.condition, self.angle = float(condition), float(angle)
        self._cos, self._sin = math.cos(self.angle), math.sin(self.angle)
        self.start = np.array([-4.0, 1.0])
        self.minima = (np.array([0.0, 0.0]),)

    def _rotated(self, x: Array, y: Array) -> tuple[Array, Array]:
        return self._cos * x + self._sin * y, -self._sin * x + self._cos * y

    def _value(self, x: Array, y: Array) -> Array:
        u, v = self._rotated(x, y)
        return 0.5 * (u**2 + self.condition * v**2)

    def _gradient(self, x: Array, y: Array) -> tuple[Array, Array]:
        u, v = self._rotated(x, y)
        du, dv = u, self.condition * v
        return self._cos * du - self._sin * dv, self._sin * du + self._cos * dv

    def get_config(self) -> dict[str, Any]:
        return {"condition": self.condition, "angle": self.angle}


class Saddle(Function2D):
    """f = x^2 - y^2: a saddle point at (0, 0), unbounded below (no minimum).

    Start (1.5, 0.001): almost on the ridge line y = 0, so plain gradient descent first slides to
    the saddle and only slowly escapes along y. Default tolerance -1: "steps to tolerance" counts
    the steps to escape to f <= -1."""

    name = "Saddle"
    min_value = None
    tolerance = -1.0

    def __init__(self) -> None:
        self.start = np.array([1.5, 1e-3])
        self.minima = ()

    def _value(self, x: Array, y: Array) -> Array:
        return x**2 - y**2

    def _gradient(self, x: Array, y: Array) -> tuple[Array, Array]:
        return 2.0 * x, -2.0 * y


#: every function class, by name
ALL: dict[str, type[Function2D]] = {
    cls.name: cls for cls in (Rosenbrock, Beale, Himmelblau, Rastrigin, Booth, IllConditionedQuadratic, Saddle)
}


def get(identifier: str | Function2D) -> Function2D:
    """A function from its name (case-insensitive, e.g. "rosenbrock") or an instance."""
    if isinstance(identifier, Function2D):
        return identifier
    if isinstance(identifier, str):
        by_lower = {name.lower(): cls for name, cls in ALL.items()}
        cls = by_lower.get(identifier.lower())
        if cls is None:
            raise ValueError(f"function: unknown name {identifier!r}; expected one of {', '.join(ALL)}")
        return cls()
    raise TypeError(
        f"function must be a gradstep.lab.functions.Function2D or one of the names {', '.join(ALL)}, "
        f"got {type(identifier).__name__}"
    )
