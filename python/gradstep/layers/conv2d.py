"""Conv2D: y = activation(conv2d(x, kernel) + bias) over (batch, rows, cols, channels).

kernel (kh, kw, in_channels, filters); padding "valid" or "same" (Keras: ceil(size / stride)
outputs, the odd padding pixel at the bottom/right).
"""

from __future__ import annotations

from .base_conv import BaseConv


class Conv2D(BaseConv):
    r"""2-D convolution over (batch, rows, cols, channels), Keras 3 semantics (a cross-correlation).

    With kernel :math:`K` of shape (kh, kw, in_channels, filters), bias :math:`b`, strides
    :math:`(s_h, s_w)`, dilation :math:`(d_h, d_w)`, top/left padding :math:`(p_h, p_w)` (0 for
    "valid") and activation :math:`f`:

    .. math::

        y_{n,i,j,o} = f\Big(b_o + \sum_{u,v,c}
            x_{n,\, s_h i + d_h u - p_h,\, s_w j + d_w v - p_w,\, c}\, K_{u,v,c,o}\Big)

    (padded pixels read 0). "same" gives :math:`\lceil \text{size} / s \rceil` outputs per axis, the
    odd padding pixel at the bottom/right, as Keras. Computed as im2col + GEMM.

    References:
        LeCun, Y., Bottou, L., Bengio, Y. & Haffner, P. (1998). Gradient-based learning applied to
        document recognition. Proceedings of the IEEE 86(11).

        Dumoulin, V. & Visin, F. (2016). A guide to convolution arithmetic for deep learning.
        arXiv:1603.07285 (padding, strides, dilation).

        Chellapilla, K., Puri, S. & Simard, P. (2006). High performance convolutional neural
        networks for document processing. IWFHR (im2col).
    """

    rank = 2
