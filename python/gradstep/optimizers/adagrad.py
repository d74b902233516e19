"""Adagrad (Duchi, Hazan & Singer, JMLR 2011), Keras 3 rule (cpp/optimizers/adagrad.hpp).

    accumulator starts at initial_accumulator_value
    accumulator = accumulator + g^2
    w = w - learning_rate * g / sqrt(accumulator + epsilon)

Convention: epsilon inside the root (Keras); PyTorch uses sqrt(acc) + eps and starts at 0.
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_float
from .explanation import num
from .optimizer import Optimizer
from .schedules import LearningRateSchedule


class Adagrad(Optimizer):
    r"""Adagrad, Keras 3 rule.

    With learning rate :math:`\eta`, :math:`\epsilon` (`epsilon`) and gradient :math:`g`; the
    accumulator :math:`a` starts at :math:`a_0` (`initial_accumulator_value`, default 0.1):

    .. math::

        a &\leftarrow a + g^2 \\
        w &\leftarrow w - \eta\, \frac{g}{\sqrt{a + \epsilon}}

    Convention: :math:`\epsilon` is inside the square root and the accumulator starts at 0.1
    (Keras); PyTorch uses :math:`\sqrt{a} + \epsilon` and starts at 0.

    References:
        Duchi, J., Hazan, E. & Singer, Y. (2011). Adaptive subgradient methods for online learning
        and stochastic optimization. JMLR 12.
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str = "adagrad",
        **kwargs: Any,
    ) -> None:
        self.initial_accumulator_value = check_float(
            initial_accumulator_value, "initial_accumulator_value", minimum=0.0
        )
        self.epsilon = check_float(epsilon, "epsilon", minimum=0.0)
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        return _core.Adagrad(learning_rate, self.initial_accumulator_value, self.epsilon)

    def _explain_symbols(self) -> dict[str, str]:
        return {"acc": "accumulator"}

    def _explain_rule(self, lr: float, step: int) -> list[tuple[str, str]]:
        eta, eps = num(lr), num(self.epsilon)
        return [
            ("acc = acc + g * g", r"\mathit{acc} \leftarrow \mathit{acc} + g^2"),
            (f"w = w - {eta} * g / sqrt(acc + {eps})", rf"w \leftarrow w - {eta}\,g / \sqrt{{\mathit{{acc}} + {eps}}}"),
        ]

    def get_config(self) -> Config:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
