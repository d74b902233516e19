"""RMSprop (Hinton 2012; centered variant: Graves 2013; cpp/optimizers/rmsprop.hpp).

    v = rho * v + (1 - rho) * g^2
    centered: a = rho * a + (1 - rho) * g
    convention="keras" (default, Keras 3): epsilon INSIDE the root, learning rate inside the momentum
        denominator = sqrt(v - a^2 + epsilon)  (centered)   or   sqrt(v + epsilon)
        increment = learning_rate * g / denominator
        momentum > 0: mom = momentum * mom + increment;  w -= mom     else  w -= increment
    convention="torch" (torch.optim.RMSprop; its rho is called alpha): epsilon OUTSIDE the root,
    learning rate outside the momentum
        denominator = sqrt(v - a^2) + epsilon  (centered)   or   sqrt(v) + epsilon
        momentum > 0: buf = momentum * buf + g / denominator;  w -= learning_rate * buf
        else:         w -= learning_rate * g / denominator

Defaults are Keras' in both conventions (set them for PyTorch's): epsilon 1e-7 (PyTorch 1e-8),
learning rate 0.001 (PyTorch 0.01), rho 0.9 (PyTorch alpha 0.99).
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_bool, check_convention, check_float
from .explanation import num
from .optimizer import Optimizer
from .schedules import LearningRateSchedule


class RMSprop(Optimizer):
    r"""RMSprop (centered variant optional), Keras 3 rule.

    With learning rate :math:`\eta`, decay :math:`\rho` (`rho`), momentum :math:`\mu` (`momentum`),
    :math:`\epsilon` (`epsilon`) and gradient :math:`g`; the slots :math:`v`, :math:`a`, :math:`m`
    start at 0:

    .. math::

        v &\leftarrow \rho\, v + (1 - \rho)\, g^2 \\
        a &\leftarrow \rho\, a + (1 - \rho)\, g, \quad
            d = v - a^2 + \epsilon \qquad \text{(centered=True)} \\
        d &= v + \epsilon \qquad \text{(centered=False)} \\
        \Delta &= \eta\, g / \sqrt{d} \\
        w &\leftarrow w - \Delta \quad (\mu = 0), \qquad
            m \leftarrow \mu\, m + \Delta,\; w \leftarrow w - m \quad (\mu > 0)

    Convention: :math:`\epsilon` is inside the square root (Keras); with `convention` = "torch"
    the rule is PyTorch's, :math:`\sqrt{v} + \epsilon` (with momentum,
    :math:`m \leftarrow \mu m + g / (\sqrt{v} + \epsilon),\; w \leftarrow w - \eta m`).
    Defaults: :math:`\epsilon = 10^{-7}` (PyTorch :math:`10^{-8}`),
    learning rate 0.001 (PyTorch 0.01).

    References:
        Hinton, G., Srivastava, N. & Swersky, K. (2012). Neural Networks for Machine Learning,
        lecture 6e (rmsprop). Coursera.

        Graves, A. (2013). Generating sequences with recurrent neural networks. arXiv:1308.0850
        (the centered form).
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str = "rmsprop",
        convention: str = "keras",
        **kwargs: Any,
    ) -> None:
        self.rho = check_float(rho, "rho", minimum=0.0, maximum=1.0, max_inclusive=False)
        self.momentum = check_float(momentum, "momentum", minimum=0.0, maximum=1.0)
        self.epsilon = check_float(epsilon, "epsilon", minimum=0.0)
        self.centered = check_bool(centered, "centered")
        self.convention = check_convention(convention)
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        return _core.RMSprop(learning_rate, self.rho, self.momentum, self.epsilon, self.centered, self.convention)

    def get_config(self) -> Config:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
            "convention": self.convention,
        }

    def _explain_title(self) -> str:
        variant = ", centered" if self.centered else ""
        variant += ", momentum" if self.momentum > 0.0 else ""
        return f"RMSprop{variant}, convention {self.convention}"

    def _explain_symbols(self) -> dict[str, str]:
        symbols = {"v": "velocity"}
        if self.momentum > 0.0:
            symbols["mom" if self.convention == "keras" else "buf"] = "momentum"
        if self.centered:
            symbols["a"] = "average_gradient"
        return symbols

    def _explain_rule(self, lr: float, step: int) -> list[tuple[str, str]]:
        eta, rho, mu, eps = num(lr), num(self.rho), num(self.momentum), num(self.epsilon)
        rule = [(f"v = {rho} * v + (1 - {rho}) * g * g", rf"v \leftarrow {rho}\,v + (1 - {rho})\,g^2")]
        if self.centered and self.convention == "keras":
            rule.append((f"a = {rho} * a + (1 - {rho}) * g", rf"a \leftarrow {rho}\,a + (1 - {rho})\,g"))
        elif self.centered:  # torch's lerp form
            rule.append((f"a = a + (g - a) * (1 - {rho})", rf"a \leftarrow a + (g - a)(1 - {rho})"))
        var, var_tex = ("v - a * a", "v - a^2") if self.centered else ("v", "v")
        if self.convention == "keras":
            rule.append(
                (f"inc = {eta} * g / sqrt({var} + {eps})", rf"\Delta \leftarrow {eta}\,g / \sqrt{{{var_tex} + {eps}}}")
            )
            if self.momentum > 0.0:
                rule.append((f"mom = {mu} * mom + inc", rf"\mathit{{mom}} \leftarrow {mu}\,\mathit{{mom}} + \Delta"))
                return rule + [("w = w - mom", r"w \leftarrow w - \mathit{mom}")]
            return rule + [("w = w - inc", r"w \leftarrow w - \Delta")]
        rule.append((f"denom = sqrt({var}) + {eps}", rf"d \leftarrow \sqrt{{{var_tex}}} + {eps}"))
        if self.momentum > 0.0:
            rule.append((f"buf = {mu} * buf + g / denom", rf"b \leftarrow {mu}\,b + g / d"))
            return rule + [(f"w = w - {eta} * buf", rf"w \leftarrow w - {eta}\,b")]
        return rule + [(f"w = w - {eta} * (g / denom)", rf"w \leftarrow w - {eta}\,g / d")]
