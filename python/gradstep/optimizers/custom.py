"""Custom: an optimizer whose rule is your own NumPy function (cpp/optimizers/custom.hpp).

    def momentum_sgd(w, g, state, step, learning_rate):
        m = state["momentum"]
        m *= 0.9
        m -= learning_rate * g
        w += m

    model.compile(optimizer=gs.optimizers.Custom(momentum_sgd, slots=("momentum",), learning_rate=0.01), ...)

`update(w, g, state, step)` is called once per variable (a kernel, a bias: one segment of the
model's flat parameter buffer), serially and in the model's variable order, inside the C++
train step of fit():
    w      the variable's parameters, a writeable 1-D float32 NumPy view: update it IN PLACE
           (w -= ..., w[:] = ...); rebinding the name changes nothing;
    g      its gradient, a read-only 1-D float32 view (already clipped if clipnorm, clipvalue or
           global_clipnorm is set);
    state  {slot name: writeable 1-D float32 view} for the names in `slots`, zero-initialised
           when the optimizer is built and kept across steps (and saved by get_state);
    step   the 1-based step number (optimizer.iterations + 1);
    learning_rate  passed as a keyword only when `update` has a parameter of that name: the
           current learning rate (a LearningRateSchedule's value for this step).
Before `update`, the base class applies clipping and decoupled weight decay
(w -= learning_rate * weight_decay * w), as for every optimizer. The views share the model's and
the optimizer's memory and are valid only during the call: do not keep them, and do not call the
model from `update` (the train step holds it). An exception raised by `update` propagates out of
fit() unchanged; the variables before the failing one were already updated for that step and
`iterations` is not advanced.

Saving: a model compiled with Custom cannot be saved with model.save() (its rule is Python code,
not configuration): that raises a ValueError naming Custom. model.save_weights() works; compile
the loaded model with Custom again to resume (get_state/set_state carry the slots).

Speed (benchmarks/custom_optimizer.py, 2-core machine shared with other jobs, load average
10-14 during the runs, so only the orders of magnitude are meaningful; one thread): one step on
W1's parameters (MLP 784-256-128-10, 6 variables, 235,146 floats) took 0.65-0.97 ms with
SGD(momentum=0.9) and 1.7-1.9 ms with the NumPy momentum SGD above as Custom (about 2x: the
Python call per variable plus NumPy's separate passes); 0.7-1.05 ms with Adam and 7-8.7 ms with a
NumPy Adam (8-12x: every NumPy expression allocates and walks a 0.8 MB temporary). Over a W1
epoch (469 steps, model.fit, one thread, two alternated rounds): SGD(momentum) 4.24 and 4.08 s,
Custom momentum SGD 6.10 and 5.06 s (1.2-1.5x); Adam 3.94 and 4.21 s, Custom Adam 8.33 and
5.50 s (1.3-2.1x). With more threads the built-in step parallelises and the callback does not.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from .. import _core
from .explanation import num
from .optimizer import Optimizer


class Custom(Optimizer):
    def __init__(
        self,
        update: Callable[..., Any],
        slots: Sequence[str] = (),
        learning_rate: Any = 0.01,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str = "custom",
        **kwargs: Any,
    ) -> None:
        if not callable(update):
            raise TypeError(f"update must be a callable update(w, g, state, step), got {update!r}")
        if isinstance(slots, str) or not all(isinstance(s, str) and s for s in slots):
            raise TypeError(f"slots must be a sequence of non-empty slot names (str), got {slots!r}")
        if len(set(slots)) != len(slots):
            raise ValueError(f"slots must not repeat a name, got {list(slots)!r}")
        self.update = update
        self.slots = tuple(slots)
        self._pass_learning_rate = _takes_learning_rate(update)
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate: float) -> Any:
        return _core.Custom(learning_rate, list(self.slots), self.update, self._pass_learning_rate)

    def get_config(self) -> dict[str, Any]:
        """The configuration, with `update` as the function object itself (not JSON: from_config
        works in the same process, model.save() refuses, see the module docstring)."""
        return {**super().get_config(), "update": self.update, "slots": list(self.slots)}

    def _explain_title(self) -> str:
        return f"Custom ({_function_name(self.update)})"

    def _explain_symbols(self) -> dict[str, str]:
        return {f'state["{s}"]': s for s in self.slots}

    def _explain_rule(self, lr: float, step: int) -> list[tuple[str, str]]:
        call = "w, g, state, step" + (f", learning_rate={num(lr)}" if self._pass_learning_rate else "")
        text = f"{_function_name(self.update)}({call.replace('step', str(step))})  # in place on w and state"
        try:
            source = "\n".join("# | " + line for line in inspect.getsource(self.update).rstrip().splitlines())
            text = source + "\n" + text
        except (OSError, TypeError):
            pass
        name = _function_name(self.update).replace("_", r"\_")
        return [(text, rf"\text{{{name}}}(w, g, \mathit{{state}}, {step})")]


def _takes_learning_rate(update: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(update).parameters
    except (TypeError, ValueError):  # some builtins have no signature
        return False
    return "learning_rate" in parameters


def _function_name(function: Callable[..., Any]) -> str:
    return str(getattr(function, "__qualname__", None) or getattr(function, "__name__", None) or repr(function))
