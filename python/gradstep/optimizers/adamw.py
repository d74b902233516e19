"""AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019).

Adam (see adam.py) with weight decay applied to the weights, not the gradient:
    w = w - learning_rate * weight_decay * w      (before the Adam step, every variable)
Keras 3 default weight_decay = 0.004 (PyTorch: 0.01).
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._validation import check_float
from .adam import Adam
from .schedules import LearningRateSchedule


class AdamW(Adam):
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
            **kwargs,
        )

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        assert self.weight_decay is not None  # checked in __init__, before the base class calls this
        return _core.AdamW(learning_rate, self.weight_decay, self.beta_1, self.beta_2, self.epsilon, self.amsgrad)
