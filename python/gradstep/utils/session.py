"""set_random_seed and clear_session, Keras' names."""

from __future__ import annotations

from .. import _random
from ..layers import layer as _layer_module


def set_random_seed(seed: int) -> None:
    """keras.utils.set_random_seed: the same as gradstep.set_seed (gradstep, Python's random and
    NumPy's global generator)."""
    _random.set_seed(seed)


def clear_session() -> None:
    """keras.backend.clear_session / keras.utils.clear_session: reset the automatic layer and model
    names (the next Dense is "dense" again). Models that exist keep working; gradstep has no
    global graph to free."""
    _layer_module._name_counts.clear()
