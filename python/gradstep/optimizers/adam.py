"""Adam (Kingma & Ba 2015; amsgrad: Reddi et al. 2018), Keras 3 rule (cpp/optimizers/adam.hpp).

    t = iterations + 1
    alpha = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)
    m = m + (g - m) * (1 - beta_1)
    v = v + (g^2 - v) * (1 - beta_2)
    amsgrad: v_hat = max(v_hat, v), used in place of v
    w = w - alpha * m / (sqrt(v) + epsilon)

Convention: epsilon is added to sqrt(v) before bias correction (the paper's "epsilon hat", as
Keras/TensorFlow); PyTorch adds it after, to sqrt(v / (1 - beta_2^t)). Keras' default epsilon is
1e-7 (PyTorch 1e-8).
"""

from __future__ import annotations

from typing import Any

from .. import _core
from .._typing import Config
from .._validation import check_bool, check_float
from .optimizer import Optimizer
from .schedules import LearningRateSchedule


class Adam(Optimizer):
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
        **kwargs: Any,
    ) -> None:
        self.beta_1 = check_float(beta_1, "beta_1", minimum=0.0, maximum=1.0, max_inclusive=False)
        self.beta_2 = check_float(beta_2, "beta_2", minimum=0.0, maximum=1.0, max_inclusive=False)
        self.epsilon = check_float(epsilon, "epsilon", minimum=0.0)
        self.amsgrad = check_bool(amsgrad, "amsgrad")
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate: float) -> _core.Optimizer:
        return _core.Adam(learning_rate, self.beta_1, self.beta_2, self.epsilon, self.amsgrad)

    def get_config(self) -> Config:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }
