"""Conv1D: y = activation(conv1d(x, kernel) + bias) over (batch, steps, channels).

kernel (kernel_size, in_channels, filters). padding "valid", "same" or "causal" (left padding
by dilation_rate * (kernel_size - 1): output t sees inputs <= t only; van den Oord et al.,
"WaveNet", 2016).
"""

from __future__ import annotations

from .base_conv import BaseConv


class Conv1D(BaseConv):
    r"""1-D convolution over (batch, steps, channels), Keras 3 semantics (a cross-correlation).

    With kernel :math:`K` of shape (kernel_size, in_channels, filters), bias :math:`b`, stride
    :math:`s`, dilation :math:`d`, left padding :math:`p` (0 for "valid") and activation :math:`f`:

    .. math::

        y_{n,t,o} = f\Big(b_o + \sum_{u=0}^{k-1} \sum_{c} x_{n,\, s t + d u - p,\, c}\, K_{u,c,o}\Big)

    (padded positions read 0). "causal" pads :math:`d(k-1)` on the left only, so output
    :math:`t` sees inputs up to :math:`t` (WaveNet).

    References:
        LeCun, Y., Bottou, L., Bengio, Y. & Haffner, P. (1998). Gradient-based learning applied to
        document recognition. Proceedings of the IEEE 86(11).

        Dumoulin, V. & Visin, F. (2016). A guide to convolution arithmetic for deep learning.
        arXiv:1603.07285 (padding, strides, dilation).

        van den Oord, A. et al. (2016). WaveNet: a generative model for raw audio.
        arXiv:1609.03499 (causal padding).
    """

    rank = 1
    paddings = ("valid", "same", "causal")
