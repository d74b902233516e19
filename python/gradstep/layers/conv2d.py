"""Conv2D: y = activation(conv2d(x, kernel) + bias) over (batch, rows, cols, channels).

kernel (kh, kw, in_channels, filters); padding "valid" or "same" (Keras: ceil(size / stride)
outputs, the odd padding pixel at the bottom/right).
"""

from __future__ import annotations

from .base_conv import BaseConv


class Conv2D(BaseConv):
    rank = 2
