"""model.summary(): a table of layers, output shapes and parameter counts, as Keras 3 prints it.

Layout (plain text, no colour codes, so that it reads the same in a terminal, a log file and a
notebook):

    Model: "sequential"
    +-----------------------------------+---------------------------+-----------+
    | Layer (type)                      | Output Shape              |   Param # |
    +===================================+===========================+===========+
    | dense (Dense)                     | (None, 64)                |     4,160 |
    ...
     Total params: 4,810 (18.79 KB)
     Trainable params: 4,810 (18.79 KB)
     Non-trainable params: 0 (0.00 B)

Parameter sizes are float32 (4 bytes each). As in Keras 3, once the optimizer has created its
state (after the first training step) an "Optimizer params" line follows and the total includes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sequential import Sequential

import shutil
import textwrap

_DEFAULT_LINE_LENGTH = 88  # Keras 3's default for sequential models
_DEFAULT_POSITIONS = (0.45, 0.80, 1.0)
_HEADER = ("Layer (type)", "Output Shape", "Param #")
_ALIGN = ("left", "left", "right")
_BYTES_PER_PARAM = 4  # float32


def readable_size(num_bytes: float) -> str:
    """A byte count as Keras shows it: '18.79 KB' (powers of 1024, two decimals)."""
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024.0:
            return f"{size:.2f} {unit}"
        size /= 1024.0
    return f"{size:.2f} PB"


def _format_shape(shape: Iterable[int | None]) -> str:
    return "(" + ", ".join("None" if d is None else str(int(d)) for d in shape) + ")"


def _column_widths(line_length: int, positions: Iterable[float]) -> list[int]:
    positions = list(positions)
    if not positions or len(positions) != len(_HEADER):
        raise ValueError(
            f"positions must hold {len(_HEADER)} increasing column end positions (relative, in (0, 1], "
            f"or absolute character positions), got {positions!r}"
        )
    if positions[-1] <= 1:
        ends = [round(p * line_length) for p in positions]
    else:
        ends = [int(p) for p in positions]
    widths = []
    current = 0
    for end in ends:
        width = end - current
        if width < 4:
            raise ValueError(
                f"positions {positions!r} with line_length={line_length} leave a column narrower than "
                f"4 characters; use a larger line_length or wider positions"
            )
        widths.append(width)
        current = end
    return widths


def _wrap(text: str, width: int) -> list[str]:
    """Cell text wrapped to `width` characters (long words broken) - never truncated."""
    return textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False) or [""]


def _table_lines(rows: Sequence[Sequence[str]], widths: Sequence[int]) -> list[str]:
    # "| a | b | c |": each column is its text plus 3 characters, plus the leading "|", so the
    # last column gives up one character to make the line exactly sum(widths) long
    inner = [max(w - 3, 1) for w in widths]
    inner[-1] = max(inner[-1] - 1, 1)

    def rule(char: str) -> str:
        return "+" + "+".join(char * (w + 2) for w in inner) + "+"

    def render(cells: Sequence[str]) -> list[str]:
        wrapped = [_wrap(str(cell), w) for cell, w in zip(cells, inner)]
        height = max(len(c) for c in wrapped)
        out = []
        for k in range(height):
            parts = []
            for cell_lines, w, align in zip(wrapped, inner, _ALIGN):
                text = cell_lines[k] if k < len(cell_lines) else ""
                parts.append(text.rjust(w) if align == "right" else text.ljust(w))
            out.append("| " + " | ".join(parts) + " |")
        return out

    lines = [rule("-")]
    lines += render(_HEADER)
    lines.append(rule("="))
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("-"))
        lines += render(row)
    lines.append(rule("-"))
    return lines


def _parameter_counts(model: Sequential) -> tuple[int, int]:
    """(trainable, non-trainable) element counts from the C++ model's weight table."""
    core = model._core
    assert core is not None  # called for built models
    trainable = non_trainable = 0
    for i in range(core.num_weights):
        _, _, shape, is_trainable = core.weight_info(i)
        is_trainable = is_trainable and not core.weight_frozen(i)  # a frozen layer's weights
        count = 1
        for d in shape:
            count *= int(d)
        if is_trainable:
            trainable += count
        else:
            non_trainable += count
    return trainable, non_trainable


def _optimizer_state_count(model: Sequential) -> int:
    """Elements of the optimizer's state (slots), 0 until the first training step (Keras builds its
    optimizer then; gradstep allocates the slots at compile, but reports them as Keras does)."""
    optimizer = getattr(model, "optimizer", None)
    core = getattr(optimizer, "_core", None)
    if not getattr(model, "compiled", False) or core is None or not getattr(core, "built", False):
        return 0
    if int(core.iterations) == 0:
        return 0
    try:
        return len(core.slot_names) * int(core.num_params)
    except (AttributeError, TypeError):
        return 0


def summary_lines(
    model: Sequential, line_length: int | None = None, positions: Sequence[float] | None = None
) -> list[str]:
    """The summary as a list of lines (what print_summary prints)."""
    layers = list(model.layers)
    if not model.built:
        if layers and getattr(model, "_input_shape", None) is not None:
            model.build()
        elif layers:
            raise ValueError(
                f"summary: model {model.name!r} is not built yet, so its output shapes and parameter "
                f"counts are unknown; start it with gradstep.Input(shape), call "
                f"model.build(input_shape) or fit it on data first"
            )
    if line_length is None:
        line_length = min(_DEFAULT_LINE_LENGTH, shutil.get_terminal_size((_DEFAULT_LINE_LENGTH + 4, 24)).columns - 4)
        line_length = max(line_length, 40)
    elif not isinstance(line_length, int) or isinstance(line_length, bool) or line_length <= 0:
        raise ValueError(f"line_length must be a positive integer, got {line_length!r}")
    widths = _column_widths(line_length, positions or _DEFAULT_POSITIONS)

    rows: list[tuple[str, str, str]] = []
    for layer in layers:
        rows.append(
            (f"{layer.name} ({type(layer).__name__})", _format_shape(layer.output_shape), f"{layer.count_params():,}")
        )
    if model.built:
        trainable, non_trainable = _parameter_counts(model)
    else:
        trainable = non_trainable = 0
    optimizer_count = _optimizer_state_count(model) if model.built else 0
    total = trainable + non_trainable + optimizer_count

    def totals(label: str, count: int) -> str:
        return f" {label}: {count:,} ({readable_size(count * _BYTES_PER_PARAM)})"

    lines = [f'Model: "{model.name}"']
    lines += _table_lines(rows, widths)
    lines.append(totals("Total params", total))
    lines.append(totals("Trainable params", trainable))
    lines.append(totals("Non-trainable params", non_trainable))
    if optimizer_count:
        lines.append(totals("Optimizer params", optimizer_count))
    return lines


def print_summary(
    model: Sequential,
    line_length: int | None = None,
    positions: Sequence[float] | None = None,
    print_fn: Callable[..., object] | None = None,
) -> None:
    """Print the summary of `model`, one line per call of print_fn (default: print to stdout).

    line_length: total width of the table (default: 88, or the terminal width - 4 if smaller).
    positions: end of each column, relative ([0.45, 0.80, 1.0], the default) or absolute.
    print_fn: called with each line; Keras' print_fn(line, line_break=...) signature also works
    since only the positional line is passed.
    """
    lines = summary_lines(model, line_length=line_length, positions=positions)
    if print_fn is None:
        print("\n".join(lines), flush=True)
        return
    if not callable(print_fn):
        raise TypeError(f"print_fn must be callable (it receives each line), got {type(print_fn).__name__}")
    for line in lines:
        print_fn(line)
