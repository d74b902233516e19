"""SGD, with optional momentum and Nesterov momentum (Sutskever et al. 2013; cpp/optimizers/sgd.hpp).

    momentum = 0:  w = w - learning_rate * g                      (both conventions)
    convention="keras" (default, Keras 3):
        m = momentum * m - learning_rate * g
        w = w + m                                   (nesterov=False)
        w = w + momentum * m - learning_rate * g    (nesterov=True)
    convention="torch" (torch.optim.SGD, dampening 0):
        v = momentum * v + g
        w = w - learning_rate * v                   (nesterov=False)
        w = w - learning_rate * (g + momentum * v)  (nesterov=True)

The two conventions give the same steps for a constant learning rate (m = -learning_rate * v);
with a schedule they differ: Keras' m carries the past rates, PyTorch's v only past gradients.
Weight decay is decoupled in both (w -= lr * weight_decay * w first, Keras 3); torch.optim.SGD's
weight_decay is instead an L2 term added to g.
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_bool, check_convention, check_float
from .explanation import num
from .optimizer import Optimizer
from .schedules import LearningRateSchedule


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional (Nesterov) momentum, Keras 3 form.

    With learning rate :math:`\eta` (`learning_rate`), momentum :math:`\mu` (`momentum`) and the
    gradient :math:`g` (after clipping and decoupled weight decay, see :class:`Optimizer`), the slot
    :math:`m` starting at 0:

    .. math::

        \mu = 0:&\quad w \leftarrow w - \eta\, g \\
        \mu > 0:&\quad m \leftarrow \mu\, m - \eta\, g, \qquad
            w \leftarrow \begin{cases} w + m & \text{nesterov=False} \\
            w + \mu\, m - \eta\, g & \text{nesterov=True} \end{cases}

    Convention: with `convention` = "torch" the rule is PyTorch's, which keeps
    :math:`v \leftarrow \mu v + g` and steps :math:`w \leftarrow w - \eta v` (nesterov:
    :math:`w \leftarrow w - \eta (g + \mu v)`),
    which gives the same steps for a constant learning rate.

    References:
        Robbins, H. & Monro, S. (1951). A stochastic approximation method. Annals of Mathematical
        Statistics 22(3).

        Sutskever, I., Martens, J., Dahl, G. & Hinton, G. (2013). On the importance of initialization
        and momentum in deep learning. ICML.
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str = "SGD",
        convention: str = "keras",
        **kwargs: Any,
    ) -> None:
        self.momentum = check_float(momentum, "momentum", minimum=0.0, maximum=1.0)
        self.nesterov = check_bool(nesterov, "nesterov")
        self.convention = check_convention(convention)
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        return _core.SGD(learning_rate, self.momentum, self.nesterov, self.convention)

    def get_config(self) -> Config:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "convention": self.convention,
        }

    def _explain_title(self) -> str:
        if self.momentum == 0.0:
            return "SGD (plain)"
        kind = "Nesterov momentum" if self.nesterov else "momentum"
        return f"SGD, {kind}, convention {self.convention}"

    def _explain_symbols(self) -> dict[str, str]:
        if self.momentum == 0.0:
            return {}
        return {"m" if self.convention == "keras" else "v": "momentum"}

    def _explain_rule(self, lr: float, step: int) -> list[tuple[str, str]]:
        eta, mu = num(lr), num(self.momentum)
        if self.momentum == 0.0:
            return [(f"w = w - {eta} * g", rf"w \leftarrow w - {eta}\,g")]
        if self.convention == "keras":
            rule = [(f"m = {mu} * m - {eta} * g", rf"m \leftarrow {mu}\,m - {eta}\,g")]
            if self.nesterov:
                return rule + [(f"w = w + {mu} * m - {eta} * g", rf"w \leftarrow w + {mu}\,m - {eta}\,g")]
            return rule + [("w = w + m", r"w \leftarrow w + m")]
        rule = [(f"v = {mu} * v + g", rf"v \leftarrow {mu}\,v + g")]
        if self.nesterov:
            return rule + [(f"w = w - {eta} * (g + {mu} * v)", rf"w \leftarrow w - {eta}\,(g + {mu}\,v)")]
        return rule + [(f"w = w - {eta} * v", rf"w \leftarrow w - {eta}\,v")]
