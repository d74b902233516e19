"""Conv1D: y = activation(conv1d(x, kernel) + bias) over (batch, steps, channels).

kernel (kernel_size, in_channels, filters). padding "valid", "same" or "causal" (left padding
by dilation_rate * (kernel_size - 1): output t sees inputs <= t only; van den Oord et al.,
"WaveNet", 2016).
"""

from __future__ import annotations

from .base_conv import BaseConv


class Conv1D(BaseConv):
    rank = 1
    paddings = ("valid", "same", "causal")
