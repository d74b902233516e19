"""Optimizer base class: what every optimizer shares (Keras 3 base optimizer).

Owns learning_rate, weight_decay (decoupled: w -= lr * weight_decay * w before the update, for
every optimizer, as Keras 3), gradient clipping (clipnorm per variable, global_clipnorm over
all, clipvalue element-wise; at most one), the `iterations` counter and `get_config()`.
The update itself runs in C++ (cpp/optimizers/), over the model's flat parameter buffer in
one parallel pass.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _core
from .._typing import Config, FloatArray
from .._validation import check_float
from . import schedules as _schedules
from .explanation import Explanation, num


class Optimizer:
    r"""Base class of the optimizers: clipping, decoupled weight decay, the step counter, the config.

    One step, over all parameters at once (Keras 3's order), with learning rate :math:`\eta`
    (the schedule's value at `iterations` when `learning_rate` is a
    :class:`~gradstep.optimizers.schedules.LearningRateSchedule`):

    1. clip the gradient, at most one mode: `clipnorm` :math:`c` rescales each variable's gradient,
       `global_clipnorm` all of them together, `clipvalue` :math:`v` clips each element:

       .. math::

           g \leftarrow g\, \frac{c}{\max(\lVert g \rVert_2,\, c)}, \qquad
           g \leftarrow \min(\max(g, -v), v)

    2. decoupled weight decay with :math:`\lambda` (`weight_decay`), for every optimizer:
       :math:`w \leftarrow w - \eta\, \lambda\, w`;
    3. the subclass's rule (stated in its docstring), element-wise over the flat parameter buffer;
    4. `iterations` += 1.

    References:
        Loshchilov, I. & Hutter, F. (2019). Decoupled weight decay regularization. ICLR.

        Pascanu, R., Mikolov, T. & Bengio, Y. (2013). On the difficulty of training recurrent neural
        networks. ICML (gradient norm clipping).
    """

    def __init__(
        self,
        learning_rate: float | _schedules.LearningRateSchedule,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
        self.name = name or type(self).__name__
        # learning_rate: a float, or a LearningRateSchedule evaluated at `iterations` before every step
        self._learning_rate_schedule: _schedules.LearningRateSchedule | None = None
        if isinstance(learning_rate, _schedules.LearningRateSchedule):
            self._learning_rate_schedule = learning_rate
            learning_rate = self._scheduled_learning_rate(0)
        else:
            learning_rate = _check_learning_rate(learning_rate)
        self.weight_decay = check_float(weight_decay, "weight_decay", minimum=0.0, allow_none=True)
        self.clipnorm = check_float(clipnorm, "clipnorm", minimum=0.0, allow_none=True)
        self.clipvalue = check_float(clipvalue, "clipvalue", minimum=0.0, allow_none=True)
        self.global_clipnorm = check_float(global_clipnorm, "global_clipnorm", minimum=0.0, allow_none=True)
        # One rule, the C++ core's (Optimizer::set_clipping): 0 or None disables a clipping mode,
        # and at most one may be positive.
        given = [
            n
            for n, v in (
                ("clipnorm", self.clipnorm),
                ("clipvalue", self.clipvalue),
                ("global_clipnorm", self.global_clipnorm),
            )
            if v
        ]
        if len(given) > 1:
            raise ValueError(f"only one of clipnorm, clipvalue and global_clipnorm can be set, got {', '.join(given)}")
        self._core = self._make_core(learning_rate)
        self._core.set_clipping(self.clipnorm or 0.0, self.clipvalue or 0.0, self.global_clipnorm or 0.0)
        if self.weight_decay is not None:
            self._core.weight_decay = self.weight_decay
        self._variable_shapes: list[tuple[int, ...]] | None = None  # shapes seen by apply(), for standalone use

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        raise NotImplementedError

    @property
    def learning_rate(self) -> float:
        """The current learning rate. With a schedule, schedule(iterations) (the rate of the next step,
        Keras semantics); otherwise the float set."""
        if self._learning_rate_schedule is not None:
            return self._scheduled_learning_rate(self.iterations)
        return float(self._core.learning_rate)

    @learning_rate.setter
    def learning_rate(self, value: float | _schedules.LearningRateSchedule) -> None:
        if isinstance(value, _schedules.LearningRateSchedule):
            self._learning_rate_schedule = value
            self._core.learning_rate = self._scheduled_learning_rate(self.iterations)
            return
        if self._learning_rate_schedule is not None:
            raise TypeError(
                "learning_rate: this optimizer was created with a LearningRateSchedule "
                f"({type(self._learning_rate_schedule).__name__}) as its learning_rate, so its learning "
                f"rate is not settable to a number (got {value!r}); create the optimizer with a float "
                "learning_rate to set it, or assign another LearningRateSchedule"
            )
        self._core.learning_rate = _check_learning_rate(value)

    def _scheduled_learning_rate(self, step: int) -> float:
        """The schedule's value at `step`, checked (a finite float >= 0)."""
        assert self._learning_rate_schedule is not None  # callers check it
        returned: object = self._learning_rate_schedule(step)  # a user schedule may return anything
        try:
            value = float(returned)  # type: ignore[arg-type]  # not a number: the TypeError below reports it
        except (TypeError, ValueError):
            raise TypeError(
                f"learning_rate schedule {type(self._learning_rate_schedule).__name__} must return a "
                f"number, got {returned!r} at step {step}"
            ) from None
        if not (value >= 0.0 and np.isfinite(value)):
            raise ValueError(
                f"learning_rate schedule {type(self._learning_rate_schedule).__name__} returned "
                f"{value!r} at step {step}; expected a finite number >= 0"
            )
        return value

    @property
    def iterations(self) -> int:
        """Number of updates applied so far."""
        return int(self._core.iterations)

    # The interface models/saving.py uses for the optimizer's state.
    @property
    def built(self) -> bool:
        """True once a compiled model has sized the slots for its parameters."""
        return bool(self._core.built)

    def get_state(self) -> dict[str, Any] | None:
        """{"iterations", "slot_names", "num_params"} and the slots (flat float32 arrays, one per
        name, in the model's parameter layout), or None before the optimizer is built."""
        if not self._core.built:
            return None
        names = list(self._core.slot_names)
        return {
            "iterations": int(self._core.iterations),
            "slot_names": names,
            "num_params": int(self._core.num_params),
            "slots": [self._core.get_slot(k) for k in range(len(names))],
        }

    def set_state(
        self, iterations: int, slot_names: Sequence[str], num_params: int, slots: Iterable[ArrayLike]
    ) -> None:
        """Restore what get_state returned; ValueError (nothing changed) when it does not fit."""
        if not self._core.built:
            raise ValueError("the optimizer is not built: compile it with a built model first")
        if list(slot_names) != list(self._core.slot_names):
            raise ValueError(
                f"the state has slots {list(slot_names)} but {type(self).__name__} has {list(self._core.slot_names)}"
            )
        if num_params != int(self._core.num_params):
            raise ValueError(
                f"the state covers {num_params!r} parameters but the model has {int(self._core.num_params)}"
            )
        if isinstance(iterations, bool) or not isinstance(iterations, int) or not 0 <= iterations < 2**62:
            raise ValueError(f"invalid optimizer iterations {iterations!r}: an int in [0, 2**62)")
        for k, values in enumerate(slots):
            self._core.set_slot(k, values)
        self._core.iterations = iterations

    def _prepare_step(self) -> None:
        """Called by the model (and apply()) before every update: with a schedule, sets the C++ learning
        rate to schedule(iterations), the step about to be taken (0 for the first), as Keras does."""
        if self._learning_rate_schedule is not None:
            self._core.learning_rate = self._scheduled_learning_rate(self.iterations)

    def apply(self, grads: Iterable[ArrayLike], trainable_variables: Iterable[FloatArray]) -> None:
        """One update of `trainable_variables` (float32 C-contiguous NumPy arrays, updated in place)
        from `grads`, as Keras' optimizer.apply(grads, trainable_variables)."""
        grads = list(grads)
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"grads and trainable_variables must have the same length, got {len(grads)} and {len(variables)}"
            )
        for i, v in enumerate(variables):
            if (
                not isinstance(v, np.ndarray)
                or v.dtype != np.float32
                or not v.flags.c_contiguous
                or not v.flags.writeable
            ):
                raise TypeError(
                    f"trainable_variables[{i}] must be a writeable float32 C-contiguous NumPy array "
                    f"(updated in place), got {type(v).__name__}"
                    + (f" of dtype {v.dtype}" if isinstance(v, np.ndarray) else "")
                )
        shapes = [v.shape for v in variables]
        flat_grads = []
        for i, (given, shape) in enumerate(zip(grads, shapes)):
            g = np.asarray(given, dtype=np.float32)
            if g.shape != shape:
                raise ValueError(f"grads[{i}]: expected shape {shape} (the variable's), got {g.shape}")
            flat_grads.append(g.reshape(-1))
        if self._variable_shapes is None:
            if self._core.built:
                raise ValueError("this optimizer is already used by a model; create a new one for apply()")
            self._core.build([int(np.prod(s, dtype=np.int64)) for s in shapes])
            self._variable_shapes = shapes
        elif shapes != self._variable_shapes:
            raise ValueError(
                f"apply() was first called with variables of shapes {self._variable_shapes}, now with {shapes}"
            )
        params = np.concatenate([v.reshape(-1) for v in variables]) if variables else np.zeros(0, np.float32)
        flat = np.ascontiguousarray(np.concatenate(flat_grads) if flat_grads else np.zeros(0, np.float32))
        self._prepare_step()
        self._core.apply_flat(params, flat)
        offset = 0
        for v in variables:
            v.reshape(-1)[:] = params[offset : offset + v.size]
            offset += v.size

    def apply_gradients(self, grads_and_vars: Iterable[tuple[ArrayLike, FloatArray]]) -> None:
        """Keras' apply_gradients(zip(grads, variables))."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def explain(self) -> Explanation:
        """The exact update rule the next step will apply, with the current hyper-parameters filled
        in: the variant (convention, momentum, nesterov, centered, amsgrad), gradient clipping and
        weight decay if set, and the learning rate of the next step (said to be scheduled when it
        is). `print(optimizer.explain())` shows the text; notebooks render `.latex`.
        The statements of `.text` are runnable NumPy (see optimizers/explanation.py)."""
        lr = self.learning_rate
        step = self.iterations + 1
        lines = [f"# {self._explain_title()}: update of step t = {step}, for each variable w with gradient g"]
        if self._learning_rate_schedule is not None:
            lines.append(
                f"# learning rate {num(lr)}, scheduled: {type(self._learning_rate_schedule).__name__} at "
                f"iteration {self.iterations}"
            )
        else:
            lines.append(f"# learning rate {num(lr)}")
        symbols = self._explain_symbols()
        for symbol, slot in symbols.items():
            lines.append(f"# {symbol}: the slot {slot!r} (same shape as w, kept across steps)")
        latex = []
        if self._learning_rate_schedule is not None:
            latex.append(
                rf"\text{{{type(self).__name__}, step }} t={step},\ \eta={num(lr)}\ "
                rf"\text{{(scheduled: {type(self._learning_rate_schedule).__name__})}}"
            )
        else:
            latex.append(rf"\text{{{type(self).__name__}, step }} t={step},\ \eta={num(lr)}")
        statements = self._explain_clipping()
        weight_decay = float(self._core.weight_decay)
        if weight_decay > 0.0:
            statements.append(
                (
                    f"w = w - {num(lr)} * {num(weight_decay)} * w",
                    rf"w \leftarrow w - {num(lr)}\cdot {num(weight_decay)}\,w",
                )
            )
        statements += self._explain_rule(lr, step)
        lines += [text for text, _ in statements]
        latex += [tex for _, tex in statements]
        body = " \\\\\n".join(latex)
        return Explanation(
            text="\n".join(lines), latex=f"$$\\begin{{aligned}}\n{body}\n\\end{{aligned}}$$", symbols=symbols
        )

    def _explain_title(self) -> str:
        return type(self).__name__

    def _explain_symbols(self) -> dict[str, str]:
        """Symbol in the explained statements -> slot name."""
        return {}

    def _explain_rule(self, lr: float, step: int) -> list[tuple[str, str]]:
        """The optimizer's own rule as (NumPy statement, LaTeX) pairs, numbers filled in."""
        raise NotImplementedError

    def _explain_clipping(self) -> list[tuple[str, str]]:
        if self.clipnorm:
            c = num(self.clipnorm)
            return [(f"g = g * minimum(1.0, {c} / norm(g))", rf"g \leftarrow g\,\min(1, {c}/\lVert g\rVert)")]
        if self.global_clipnorm:
            c = num(self.global_clipnorm)
            return [
                (
                    f"g = g * minimum(1.0, {c} / global_norm)  # global_norm: of all the gradients together",
                    rf"g \leftarrow g\,\min(1, {c}/\lVert G\rVert)",
                )
            ]
        if self.clipvalue:
            c = num(self.clipvalue)
            return [(f"g = clip(g, -{c}, {c})", rf"g \leftarrow \mathrm{{clip}}(g, -{c}, {c})")]
        return []

    def get_config(self) -> Config:
        return {
            "name": self.name,
            "learning_rate": (
                _schedules.serialize(self._learning_rate_schedule)
                if self._learning_rate_schedule is not None
                else float(self._core.learning_rate)
            ),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }

    @classmethod
    def from_config(
        cls, config: Config, custom_objects: dict[str, type[_schedules.LearningRateSchedule]] | None = None
    ) -> Optimizer:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):  # a serialized LearningRateSchedule
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


def _check_learning_rate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"learning_rate must be a float or a gradstep.optimizers.schedules.LearningRateSchedule, got {value!r}"
        )
    return float(check_float(value, "learning_rate", minimum=0.0))
