"""MaxPooling1D/2D and AveragePooling1D/2D (Keras 3 names; see base_pooling.py)."""

from __future__ import annotations

from .base_pooling import BasePooling


class MaxPooling1D(BasePooling):
    r"""Max over windows of (batch, steps, channels); the gradient goes to the first maximum.

    For output position :math:`i` with window :math:`\mathcal{W}(i)` (`pool_size`, `strides`
    default to `pool_size`, padding "valid" or "same"), per channel :math:`c`:

    .. math::

        y_{i,c} = \max_{p \in \mathcal{W}(i)} x_{p,c}

    References:
        Ranzato, M., Huang, F.-J., Boureau, Y.-L. & LeCun, Y. (2007). Unsupervised learning of
        invariant feature hierarchies with applications to object recognition. CVPR (max pooling).

        Boureau, Y.-L., Ponce, J. & LeCun, Y. (2010). A theoretical analysis of feature pooling in
        visual recognition. ICML.
    """

    rank, mode = 1, "max"


class MaxPooling2D(BasePooling):
    r"""Max over windows of (batch, rows, cols, channels); the gradient goes to the first maximum.

    For output position :math:`i` with window :math:`\mathcal{W}(i)` (`pool_size`, `strides`
    default to `pool_size`, padding "valid" or "same"), per channel :math:`c`:

    .. math::

        y_{i,c} = \max_{p \in \mathcal{W}(i)} x_{p,c}

    References:
        Ranzato, M., Huang, F.-J., Boureau, Y.-L. & LeCun, Y. (2007). Unsupervised learning of
        invariant feature hierarchies with applications to object recognition. CVPR (max pooling).

        Boureau, Y.-L., Ponce, J. & LeCun, Y. (2010). A theoretical analysis of feature pooling in
        visual recognition. ICML.
    """

    rank, mode = 2, "max"


class AveragePooling1D(BasePooling):
    r"""Mean over windows of (batch, steps, channels); padding is not counted.

    For output position :math:`i`, per channel :math:`c`, over the input positions
    :math:`\mathcal{W}(i)` of its window (`pool_size`, `strides` default to `pool_size`,
    padding "valid" or "same"; padded positions are left out of the count, as Keras):

    .. math::

        y_{i,c} = \frac{1}{|\mathcal{W}(i)|} \sum_{p \in \mathcal{W}(i)} x_{p,c}

    References:
        Ranzato, M., Huang, F.-J., Boureau, Y.-L. & LeCun, Y. (2007). Unsupervised learning of
        invariant feature hierarchies with applications to object recognition. CVPR (max pooling).

        Boureau, Y.-L., Ponce, J. & LeCun, Y. (2010). A theoretical analysis of feature pooling in
        visual recognition. ICML.
    """

    rank, mode = 1, "average"


class AveragePooling2D(BasePooling):
    r"""Mean over windows of (batch, rows, cols, channels); padding is not counted.

    For output position :math:`i`, per channel :math:`c`, over the input positions
    :math:`\mathcal{W}(i)` of its window (`pool_size`, `strides` default to `pool_size`,
    padding "valid" or "same"; padded positions are left out of the count, as Keras):

    .. math::

        y_{i,c} = \frac{1}{|\mathcal{W}(i)|} \sum_{p \in \mathcal{W}(i)} x_{p,c}

    References:
        Ranzato, M., Huang, F.-J., Boureau, Y.-L. & LeCun, Y. (2007). Unsupervised learning of
        invariant feature hierarchies with applications to object recognition. CVPR (max pooling).

        Boureau, Y.-L., Ponce, J. & LeCun, Y. (2010). A theoretical analysis of feature pooling in
        visual recognition. ICML.
    """

    rank, mode = 2, "average"
