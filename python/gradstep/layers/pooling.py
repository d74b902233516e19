"""MaxPooling1D/2D and AveragePooling1D/2D (Keras 3 names; see base_pooling.py)."""

from __future__ import annotations

from .base_pooling import BasePooling


class MaxPooling1D(BasePooling):
    """Max over windows of (batch, steps, channels); the gradient goes to the first maximum."""

    rank, mode = 1, "max"


class MaxPooling2D(BasePooling):
    """Max over windows of (batch, rows, cols, channels); the gradient goes to the first maximum."""

    rank, mode = 2, "max"


class AveragePooling1D(BasePooling):
    """Mean over windows of (batch, steps, channels)."""

    rank, mode = 1, "average"


class AveragePooling2D(BasePooling):
    """Mean over windows of (batch, rows, cols, channels)."""

    rank, mode = 2, "average"
