"""Adam (Kingma & Ba 2015; amsgrad: Reddi et al. 2018; cpp/optimizers/adam.hpp).

    t = iterations + 1
    m = m + (g - m) * (1 - beta_1)
    v = beta_2 * v + (1 - beta_2) * g^2
    amsgrad: v_max = max(v_max, v), used in place of v below
    convention="keras" (default, Keras 3/TensorFlow): epsilon is the paper's "epsilon hat", added
    to sqrt(v) before bias correction
        alpha = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w = w - alpha * m / (sqrt(v) + epsilon)
    convention="torch" (torch.optim.Adam): epsilon added after bias correction
        m_hat = m / (1 - beta_1^t),  v_hat = v / (1 - beta_2^t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
        (computed as torch does: step_size = lr / (1 - beta_1^t),
         w -= step_size * m / (sqrt(v) / sqrt(1 - beta_2^t) + epsilon))

The two agree up to a rescaling of epsilon by sqrt(1 - beta_2^t). Defaults are Keras' in both
conventions: epsilon 1e-7 (PyTorch 1e-8).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _core
from .._typing import Config
from .._validation import check_bool, check_convention, check_float
from .explanation import num
from .optimizer import Optimizer
from .schedules import LearningRateSchedule


class Adam(Optimizer):
    r"""Adam (and AMSGrad with `amsgrad=True`), Keras 3 rule.

    With learning rate :math:`\eta`, :math:`\beta_1` (`beta_1`), :math:`\beta_2` (`beta_2`),
    :math:`\epsilon` (`epsilon`), gradient :math:`g` and :math:`t` = iterations + 1; the slots
    :math:`m`, :math:`v`, :math:`\hat v` start at 0:

    .. math::

        \alpha_t &= \eta\, \frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}} \\
        m &\leftarrow m + (1 - \beta_1)(g - m) \\
        v &\leftarrow v + (1 - \beta_2)(g^2 - v) \\
        \hat v &\leftarrow \max(\hat v, v) \qquad \text{(amsgrad=True; } \hat v \text{ replaces } v
            \text{ below)} \\
        w &\leftarrow w - \alpha_t\, \frac{m}{\sqrt{v} + \epsilon}

    Convention: :math:`\epsilon` is added to the uncorrected :math:`\sqrt{v}` (the paper's
    ":math:`\hat\epsilon`", as Keras and TensorFlow); with `convention` = "torch" the rule is
    PyTorch's, which adds it to
    :math:`\sqrt{v / (1 - \beta_2^{\,t})}`. Default :math:`\epsilon = 10^{-7}` (PyTorch
    :math:`10^{-8}`). `weight_decay` is decoupled (:class:`Optimizer`), unlike PyTorch's
    `Adam(weight_decay=)`, which adds :math:`\lambda w` to the gradient.

    References:
        Kingma, D. P. & Ba, J. (2015). Adam: A method for stochastic optimization. ICLR.

        Reddi, S. J., Kale, S. & Kumar, S. (2018). On the convergence of Adam and beyond. ICLR
        (AMSGrad).
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str = "adam",
        convention: str = "keras",
        **kwargs: Any,
    ) -> None:
        self.beta_1 = check_float(beta_1, "beta_1", minimum=0.0, maximum=1.0, max_inclusive=False)
        self.beta_2 = check_float(beta_2, "beta_2", minimum=0.0, maximum=1.0, max_inclusive=False)
        self.epsilon = check_float(epsilon, "epsilon", minimum=0.0)
        self.amsgrad = check_bool(amsgrad, "amsgrad")
        self.convention = check_convention(convention)
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        return _core.Adam(learning_rate, self.beta_1, self.beta_2, self.epsilon, self.amsgrad, self.convention)

    def get_config(self) -> Config:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
            "convention": self.convention,
        }

    def _explain_title(self) -> str:
        return f"{type(self).__name__}{', amsgrad' if self.amsgrad else ''}, convention {self.convention}"

    def _explain_symbols(self) -> dict[str, str]:
        symbols = {"m": "momentum", "v": "velocity"}
        if self.amsgrad:
            symbols["v_max"] = "velocity_hat"
        return symbols

    def _explain_rule(self, lr: float, step: int) -> list[tuple[str, str]]:
        b1, b2, eps = num(self.beta_1), num(self.beta_2), num(self.epsilon)
        rule = [
            (f"m = m + (g - m) * (1 - {b1})", rf"m \leftarrow m + (g - m)(1 - {b1})"),
            (f"v = {b2} * v + (1 - {b2}) * g * g", rf"v \leftarrow {b2}\,v + (1 - {b2})\,g^2"),
        ]
        second = "v"
        if self.amsgrad:
            rule.append(("v_max = maximum(v_max, v)", r"v_{\max} \leftarrow \max(v_{\max}, v)"))
            second = "v_max"
        second_tex = r"v_{\max}" if self.amsgrad else "v"
        # The step constants as the C++ computes them: in double from the float32 hyper-parameters.
        beta_1, beta_2 = float(np.float32(self.beta_1)), float(np.float32(self.beta_2))
        bias_1, bias_2_sqrt = 1.0 - beta_1**step, math.sqrt(1.0 - beta_2**step)
        if self.convention == "keras":
            alpha = num(lr * bias_2_sqrt / bias_1)
            return rule + [
                (
                    f"w = w - {alpha} * m / (sqrt({second}) + {eps})"
                    f"  # {alpha} = lr * sqrt(1 - {b2}^{step}) / (1 - {b1}^{step})",
                    rf"w \leftarrow w - \underbrace{{{alpha}}}"
                    rf"_{{\eta\sqrt{{1-\beta_2^{{{step}}}}}/(1-\beta_1^{{{step}}})}}"
                    rf"\,\frac{{m}}{{\sqrt{{{second_tex}}} + {eps}}}",
                )
            ]
        step_size, root = num(lr / bias_1), num(bias_2_sqrt)
        return rule + [
            (
                f"w = w - {step_size} * (m / (sqrt({second}) / {root} + {eps}))"
                f"  # {step_size} = lr / (1 - {b1}^{step}), {root} = sqrt(1 - {b2}^{step})",
                rf"w \leftarrow w - {step_size}\,\frac{{m}}{{\sqrt{{{second_tex}}}/{root} + {eps}}}"
                rf"\quad(= \eta\,\hat m/(\sqrt{{\hat v}}+\epsilon))",
            )
        ]
