"""GlobalMaxPooling1D/2D and GlobalAveragePooling1D/2D: one value per channel (Keras 3 names)."""

from __future__ import annotations

from .base_pooling import BaseGlobalPooling


class GlobalMaxPooling1D(BaseGlobalPooling):
    rank, mode = 1, "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    rank, mode = 2, "max"


class GlobalAveragePooling1D(BaseGlobalPooling):
    rank, mode = 1, "average"


class GlobalAveragePooling2D(BaseGlobalPooling):
    rank, mode = 2, "average"
