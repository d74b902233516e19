"""Type aliases shared by the package's annotations (no runtime role)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

# A get_config() / from_config() dictionary: JSON-like values of any kind (Keras' own typing).
Config = dict[str, Any]
FloatArray = NDArray[np.float32]
# The `logs` of a callback hook: metric name -> float value of the epoch or batch (Keras; the
# predict hooks get {"outputs": array}, so the values are typed Any, as Keras types them).
Logs = dict[str, Any]
