"""Weight regularisers (Keras 3 names and formulas)::

    L1(l1=0.01):             penalty = l1 * sum(|w|)
    L2(l2=0.01):             penalty = l2 * sum(w^2)        (Keras: no factor 1/2; PyTorch's
                                                             weight_decay=wd on SGD equals L2(wd / 2))
    L1L2(l1=0.0, l2=0.0):    both

The penalty is added to the reported loss (train and evaluate, as Keras) and its gradient
(l1 * sign(w) + 2 * l2 * w) to the weight's gradient, in C++, before clipping and the update.
"""

from __future__ import annotations

from typing import Union

from numpy.typing import ArrayLike

from ._typing import Config
from ._validation import check_float


class Regularizer:
    l1 = 0.0
    l2 = 0.0

    def __call__(self, weights: ArrayLike) -> float:
        """The penalty for a weight array (NumPy, float64), for inspection and tests."""
        import numpy as np

        w = np.asarray(weights, dtype=np.float64)
        return float(self.l1 * np.abs(w).sum() + self.l2 * np.square(w).sum())

    def get_config(self) -> Config:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: Config) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class L1L2(Regularizer):
    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = check_float(l1, "l1", minimum=0.0)
        self.l2 = check_float(l2, "l2", minimum=0.0)

    def get_config(self) -> Config:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = check_float(l1, "l1", minimum=0.0)

    def get_config(self) -> Config:
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = check_float(l2, "l2", minimum=0.0)

    def get_config(self) -> Config:
        return {"l2": self.l2}


_BY_NAME: dict[str, type[Regularizer]] = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}
_CLASSES: dict[str, type[Regularizer]] = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier: object) -> Regularizer | None:
    """A Regularizer from None, a name ("l1", "l2", "l1_l2"), a serialized dict or an instance."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"regularizer: unknown name {identifier!r}; expected one of l1, l2, l1_l2")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(
        f"regularizer must be None, a name or a gradstep.regularizers.Regularizer, got {type(identifier).__name__}"
    )


def serialize(regularizer: Regularizer | None) -> Config | None:
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config: Config | None) -> Regularizer | None:
    if config is None:
        return None
    return _CLASSES[config["class_name"]].from_config(config["config"])


# What a layer's *_regularizer argument accepts (see get).
RegularizerLike = Union[str, Regularizer, Config, None]
