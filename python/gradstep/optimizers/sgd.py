"""SGD, with optional momentum and Nesterov momentum (Keras 3 rule; see cpp/optimizers/sgd.hpp).

    m = momentum * m - learning_rate * g
    w = w + m                                   (nesterov=False)
    w = w + momentum * m - learning_rate * g    (nesterov=True)
    momentum = 0:  w = w - learning_rate * g

PyTorch writes v = momentum * v + g; w -= lr * v: the same steps for a constant learning rate.
"""

from .. import _core
from .._validation import check_bool, check_float
from .optimizer import Optimizer


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

    Convention: PyTorch keeps :math:`v \leftarrow \mu v + g` and steps :math:`w \leftarrow w - \eta v`,
    which gives the same steps for a constant learning rate.

    References:
        Robbins, H. & Monro, S. (1951). A stochastic approximation method. Annals of Mathematical
        Statistics 22(3).

        Sutskever, I., Martens, J., Dahl, G. & Hinton, G. (2013). On the importance of initialization
        and momentum in deep learning. ICML.
    """

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="SGD",
        **kwargs,
    ):
        self.momentum = check_float(momentum, "momentum", minimum=0.0, maximum=1.0)
        self.nesterov = check_bool(nesterov, "nesterov")
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)

    def _make_core(self, learning_rate):
        return _core.SGD(learning_rate, self.momentum, self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
