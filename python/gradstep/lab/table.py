"""ComparisonTable: the tidy result of `gradstep.lab.compare` (one row per variant)."""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["ComparisonTable"]


def _format(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0.0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3e}"
        return f"{value:.4f}"
    return str(value)


class ComparisonTable:
    """Rows of results, one dict per variant, with the same keys in the same order.

    - rows: list of dicts (column name -> value; None where a value does not exist, e.g. a
      tolerance never reached);
    - columns: the column names, in order;
    - runs: variant name -> what was run (a gradstep.lab.Trajectory for functions, a
      gradstep.lab.DataRun for data), for further analysis;
    - figure: the matplotlib Figure drawn (None when plot=False).

    str(table) is an aligned text table; to_pandas() a DataFrame (pandas is optional).
    """

    def __init__(self, rows: Sequence[dict[str, Any]], runs: dict[str, Any] | None = None, title: str = "") -> None:
        self.rows: list[dict[str, Any]] = [dict(row) for row in rows]
        self.columns: list[str] = list(self.rows[0]) if self.rows else []
        for row in self.rows:
            if list(row) != self.columns:
                raise ValueError(f"every row must have the columns {self.columns}, got {list(row)}")
        self.runs: dict[str, Any] = dict(runs or {})
        self.title = title
        self.figure: Any = None

    def column(self, name: str) -> list[Any]:
        """The values of one column, in row order."""
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; the columns are {self.columns}")
        return [row[name] for row in self.rows]

    def add_column(self, name: str, values: Sequence[Any]) -> None:
        """Append a column (one value per row), e.g. a figure the caller computed from `runs`."""
        if name in self.columns:
            raise ValueError(f"the table already has a column {name!r}")
        if len(values) != len(self.rows):
            raise ValueError(f"values: expected {len(self.rows)} (one per row), got {len(values)}")
        for row, value in zip(self.rows, values):
            row[name] = value
        self.columns.append(name)

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame (needs pandas, an optional dependency)."""
        try:
            pd = importlib.import_module("pandas")
        except ImportError as exc:
            raise ImportError("ComparisonTable.to_pandas() needs pandas: `pip install pandas`") from exc
        return pd.DataFrame(self.rows, columns=self.columns)

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        cells = [[_format(row[c]) for c in self.columns] for row in self.rows]
        widths = [max([len(c)] + [len(line[i]) for line in cells]) for i, c in enumerate(self.columns)]
        # text columns (the variant names, descriptions) left-aligned, numbers right-aligned
        left = [
            any(isinstance(row[c], str) for row in self.rows)
            and all(isinstance(row[c], str) or row[c] is None for row in self.rows)
            for c in self.columns
        ]

        def line(values: Sequence[str]) -> str:
            return "  ".join(v.ljust(w) if lft else v.rjust(w) for v, w, lft in zip(values, widths, left))

        out = [self.title] if self.title else []
        out += [line(self.columns), "  ".join("-" * w for w in widths)]
        out += [line(values) for values in cells]
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"ComparisonTable({len(self.rows)} rows, columns={self.columns})"
