"""GlobalMaxPooling1D/2D and GlobalAveragePooling1D/2D: one value per channel (Keras 3 names)."""

from __future__ import annotations

from .base_pooling import BaseGlobalPooling


class GlobalMaxPooling1D(BaseGlobalPooling):
    r"""Maximum over all positions of (batch, steps, channels): one value per channel.

    Output (batch, channels); the gradient goes to the first maximum.

    Over the :math:`P` positions :math:`p` of each sample :math:`n`:

    .. math::

        y_{n,c} = \max_{p}\, x_{n,p,c}

    `keepdims=True` is not supported (it raises).

    References:
        Oquab, M., Bottou, L., Laptev, I. & Sivic, J. (2015). Is object localization for free?
        Weakly-supervised learning with convolutional neural networks. CVPR (global max pooling).
    """

    rank, mode = 1, "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    r"""Maximum over all positions of (batch, rows, cols, channels): one value per channel.

    Output (batch, channels); the gradient goes to the first maximum.

    Over the :math:`P` positions :math:`p` of each sample :math:`n`:

    .. math::

        y_{n,c} = \max_{p}\, x_{n,p,c}

    `keepdims=True` is not supported (it raises).

    References:
        Oquab, M., Bottou, L., Laptev, I. & Sivic, J. (2015). Is object localization for free?
        Weakly-supervised learning with convolutional neural networks. CVPR (global max pooling).
    """

    rank, mode = 2, "max"


class GlobalAveragePooling1D(BaseGlobalPooling):
    r"""Mean over all positions of (batch, steps, channels): one value per channel.

    Output (batch, channels).

    Over the :math:`P` positions :math:`p` of each sample :math:`n`:

    .. math::

        y_{n,c} = \frac{1}{P} \sum_{p} x_{n,p,c}

    `keepdims=True` is not supported (it raises).

    References:
        Lin, M., Chen, Q. & Yan, S. (2014). Network in network. ICLR (global average pooling).
    """

    rank, mode = 1, "average"


class GlobalAveragePooling2D(BaseGlobalPooling):
    r"""Mean over all positions of (batch, rows, cols, channels): one value per channel.

    Output (batch, channels).

    Over the :math:`P` positions :math:`p` of each sample :math:`n`:

    .. math::

        y_{n,c} = \frac{1}{P} \sum_{p} x_{n,p,c}

    `keepdims=True` is not supported (it raises).

    References:
        Lin, M., Chen, Q. & Yan, S. (2014). Network in network. ICLR (global average pooling).
    """

    rank, mode = 2, "average"
