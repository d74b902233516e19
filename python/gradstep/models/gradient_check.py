"""Numerical vs analytic gradients of a model's training objective (Sequential.check_gradients).

The objective is what fit minimises on one batch: the compiled loss (sample weights, masks, the
fused softmax/sigmoid output) plus the weight penalties, in training mode. Its analytic gradient
comes from the same C++ backward pass as the training step; the numerical one from central
differences of the objective:

    n_k = (L(w + h+ e_k) - L(w - h- e_k)) / (h+ + h-)

where h+ and h- are the steps eps actually makes in float32 (w + eps is rounded to float32).

Errors, per checked coordinate k with analytic a_k and numerical n_k:

    abs_k = |a_k - n_k|        rel_k = abs_k / max(|a_k|, |n_k|, floor)

and a weight passes when every rel_k <= rtol. A coordinate that fails is differenced again with
eps / 10 and keeps the smaller error: a kink (relu, a maximum changing hands in max pooling)
crossed by the +-eps steps is ten times less likely to be crossed by the smaller ones, while a
wrong gradient fails at both steps. The floor keeps coordinates whose gradient is
(nearly) zero from failing on rounding noise: the core computes in float32, so the objective
carries a relative error of about 1e-7, and a difference quotient with step eps an absolute error
of about 1e-7 * |L| / eps (1e-4 for eps = 1e-3 and L ~ 1). rel_k then compares a gradient error
with the size of the gradient, or with `floor` when the gradient is smaller than that noise.

Kinks (relu, max pooling, MAE, hinge) make central differences wrong when w +- eps crosses one;
the retry with eps / 10 removes most such failures, not all: keep inputs away from kinks (smooth
activations, few pooling windows) when a failure must mean a wrong gradient.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Callable

import numpy as np

# objective(want_grad) -> (value, gradients of the checked weights or None)
Objective = Callable[[bool], "tuple[float, list[np.ndarray] | None]"]


@dataclass(frozen=True)
class WeightToCheck:
    """One trainable weight: where it is and how to read and write it."""

    layer: str
    name: str
    get: Callable[[], np.ndarray]
    set: Callable[[np.ndarray], None]


@dataclass(frozen=True)
class GradientCheckRow:
    layer: str
    weight: str
    shape: tuple[int, ...]
    checked: int  # coordinates compared (all of them for small weights)
    max_abs_error: float
    max_rel_error: float
    passed: bool


class GradientCheck:
    """The result of model.check_gradients: one row per weight; prints as an aligned table.

    `passed` is True when every row passed; `worst` is the row with the largest relative error.
    """

    _COLUMNS = ("layer", "weight", "shape", "checked", "max abs error", "max rel error", "passed")

    def __init__(self, rows: Sequence[GradientCheckRow], loss: float, eps: float, rtol: float, floor: float) -> None:
        self.rows = list(rows)
        self.loss = loss
        self.eps = eps
        self.rtol = rtol
        self.floor = floor

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def worst(self) -> GradientCheckRow | None:
        return max(self.rows, key=lambda row: row.max_rel_error, default=None)

    def __iter__(self) -> Iterator[GradientCheckRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> GradientCheckRow:
        return self.rows[index]

    def __str__(self) -> str:
        cells = [
            (
                row.layer,
                row.weight,
                str(row.shape),
                str(row.checked),
                f"{row.max_abs_error:.2e}",
                f"{row.max_rel_error:.2e}",
                "yes" if row.passed else "NO",
            )
            for row in self.rows
        ]
        widths = [max(len(text) for text in column) for column in zip(self._COLUMNS, *cells)]
        right = {3, 4, 5}  # numbers align right

        def line(values: Sequence[str]) -> str:
            parts = [v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))]
            return "  ".join(parts).rstrip()

        lines = [line(self._COLUMNS), line(["-" * w for w in widths])] + [line(c) for c in cells]
        worst = self.worst
        verdict = "passed" if self.passed else "FAILED"
        summary = f"gradient check {verdict}: loss {self.loss:.6g}, eps {self.eps:g}, rtol {self.rtol:g}"
        if worst is not None:
            summary += f"; worst {worst.layer}/{worst.weight} rel error {worst.max_rel_error:.2e}"
        return "\n".join(lines + [summary])

    def __repr__(self) -> str:
        return str(self)


def check_gradients(
    objective: Objective,
    weights: Sequence[WeightToCheck],
    eps: float,
    rtol: float,
    floor: float,
    max_checks_per_weight: int,
    seed: int,
) -> GradientCheck:
    """Compare objective's analytic gradients with central differences on each weight; every
    weight is restored to its exact value afterwards, even when the objective raises."""
    loss, analytic = objective(True)
    assert analytic is not None and len(analytic) == len(weights)
    rng = np.random.default_rng(seed)
    rows = []
    for weight, grad in zip(weights, analytic):
        original = weight.get()
        coords = _coordinates(grad, max_checks_per_weight, rng)
        errors_abs, errors_rel = [], []
        try:
            for k in coords:
                a = float(grad.flat[k])
                error, rel = _errors(a, _central_difference(objective, weight, original, int(k), eps), floor)
                if rel > rtol:
                    # A kink crossed by the +-eps steps (relu, a maximum changing hands) is ten
                    # times less likely to be crossed by eps / 10; a wrong gradient fails both.
                    error_small, rel_small = _errors(
                        a, _central_difference(objective, weight, original, int(k), eps / 10), floor
                    )
                    if rel_small < rel:
                        error, rel = error_small, rel_small
                errors_abs.append(error)
                errors_rel.append(rel)
        finally:
            weight.set(original)
        worst_rel = max(errors_rel, default=0.0)
        rows.append(
            GradientCheckRow(
                layer=weight.layer,
                weight=weight.name,
                shape=tuple(int(d) for d in original.shape),
                checked=len(coords),
                max_abs_error=max(errors_abs, default=0.0),
                max_rel_error=worst_rel,
                passed=bool(np.isfinite(worst_rel) and worst_rel <= rtol),
            )
        )
    return GradientCheck(rows, loss=loss, eps=eps, rtol=rtol, floor=floor)


def _coordinates(grad: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """Every coordinate of a weight with at most `limit`, else `limit` of them drawn by `rng`: half
    among those with a non-zero analytic gradient (an Embedding's batch touches few rows), the
    rest uniformly (so a gradient missing where it should not be is caught too)."""
    size = grad.size
    if size <= limit:
        return np.arange(size)
    nonzero = np.flatnonzero(grad)
    chosen = rng.choice(nonzero, size=min(limit // 2, nonzero.size), replace=False).astype(np.int64)
    rest = np.setdiff1d(np.arange(size), chosen)
    uniform = rng.choice(rest, size=limit - chosen.size, replace=False)
    return np.sort(np.concatenate([chosen, uniform]))


def _errors(analytic: float, numeric: float, floor: float) -> tuple[float, float]:
    error = abs(analytic - numeric)
    return error, error / max(abs(analytic), abs(numeric), floor)


def _central_difference(objective: Objective, weight: WeightToCheck, original: np.ndarray, k: int, eps: float) -> float:
    value = original.copy()
    w = original.flat[k]
    up, down = np.float32(w + eps), np.float32(w - eps)
    value.flat[k] = up
    weight.set(value)
    plus, _ = objective(False)
    value.flat[k] = down
    weight.set(value)
    minus, _ = objective(False)
    step = float(up) - float(down)  # the float32 steps actually taken
    return (plus - minus) / step
