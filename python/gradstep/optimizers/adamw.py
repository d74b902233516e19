"""AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019).

Adam (see adam.py) with weight decay applied to the weights, not the gradient:
    w = w - learning_rate * weight_decay * w      (before the Adam step, every variable)
Keras 3 default weight_decay = 0.004 (PyTorch: 0.01). `convention` is Adam's (epsilon placement);
torch.optim.AdamW decays the same way first (w *= 1 - lr * weight_decay).
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._validation import check_float
from .adam import Adam
from .schedules import LearningRateSchedule


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay, Keras 3 rule.

    Every step first decays the weights with :math:`\lambda` (`weight_decay`, Keras' default 0.004;
    PyTorch's 0.01) and then takes the :class:`Adam` step, with learning rate :math:`\eta`,
    :math:`\beta_1` (`beta_1`), :math:`\beta_2` (`beta_2`), :math:`\epsilon` (`epsilon`) and
    :math:`t` = iterations + 1:

    .. math::

        w &\leftarrow w - \eta\, \lambda\, w \\
        m &\leftarrow m + (1 - \beta_1)(g - m), \qquad v \leftarrow v + (1 - \beta_2)(g^2 - v) \\
        w &\leftarrow w - \eta\, \frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}}\,
            \frac{m}{\sqrt{v} + \epsilon}

    (:math:`\text{amsgrad=True}: \hat v \leftarrow \max(\hat v, v)` replaces :math:`v`, as in :class:`Adam`).
    The decay is applied to the weights, scaled by the learning rate, and never added to the
    gradient (as Keras 3 and PyTorch's AdamW). `convention` selects Adam's epsilon placement
    (see :class:`Adam`; "torch" is PyTorch's).

    References:
        Loshchilov, I. & Hutter, F. (2019). Decoupled weight decay regularization. ICLR.

        Kingma, D. P. & Ba, J. (2015). Adam: A method for stochastic optimization. ICLR.
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        weight_decay: float | None = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str = "adamw",
        convention: str = "keras",
        **kwargs: Any,
    ) -> None:
        if weight_decay is None:
            raise ValueError(
                "weight_decay must be a float >= 0 for AdamW (decoupled decay is what makes it AdamW), got None"
            )
        weight_decay = check_float(weight_decay, "weight_decay", minimum=0.0)
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            convention=convention,
            **kwargs,
        )

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        assert self.weight_decay is not None  # checked in __init__, before the base class calls this
        return _core.AdamW(
            learning_rate, self.weight_decay, self.beta_1, self.beta_2, self.epsilon, self.amsgrad, self.convention
        )
