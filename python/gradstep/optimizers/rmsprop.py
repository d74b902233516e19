"""RMSprop (Hinton 2012; centered variant: Graves 2013), Keras 3 rule (cpp/optimizers/rmsprop.hpp).

    v = rho * v + (1 - rho) * g^2
    centered: a = rho * a + (1 - rho) * g;  denominator = v - a^2 + epsilon   else  v + epsilon
    increment = learning_rate * g / sqrt(denominator)
    momentum > 0: mom = momentum * mom + increment;  w -= mom     else  w -= increment

Convention: epsilon is inside the square root (Keras); PyTorch uses sqrt(v) + eps. Keras'
default epsilon is 1e-7 (PyTorch 1e-8), and its default learning rate 0.001 (PyTorch 0.01).
"""

from .. import _core
from .._validation import check_bool, check_float
from .optimizer import Optimizer


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

    Convention: :math:`\epsilon` is inside the square root (Keras); PyTorch uses
    :math:`\sqrt{v} + \epsilon`. Defaults: :math:`\epsilon = 10^{-7}` (PyTorch :math:`10^{-8}`),
    learning rate 0.001 (PyTorch 0.01).

    References:
        Hinton, G., Srivastava, N. & Swersky, K. (2012). Neural Networks for Machine Learning,
        lecture 6e (rmsprop). Coursera.

        Graves, A. (2013). Generating sequences with recurrent neural networks. arXiv:1308.0850
        (the centered form).
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="rmsprop",
        **kwargs,
    ):
        self.rho = check_float(rho, "rho", minimum=0.0, maximum=1.0, max_inclusive=False)
        self.momentum = check_float(momentum, "momentum", minimum=0.0, maximum=1.0)
        self.epsilon = check_float(epsilon, "epsilon", minimum=0.0)
        self.centered = check_bool(centered, "centered")
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate):
        return _core.RMSprop(learning_rate, self.rho, self.momentum, self.epsilon, self.centered)

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
