"""BatchNormalization (Ioffe & Szegedy, 2015) over the last axis, Keras 3 semantics.

Training normalises with the batch mean and biased variance, then scales by gamma and shifts by
beta; inference uses the moving statistics, updated in training as
    moving = moving * momentum + batch_statistic * (1 - momentum).
Conventions: Keras' momentum=0.99 is PyTorch's momentum=0.01 (PyTorch weights the NEW value);
the moving variance takes the biased batch variance (PyTorch: unbiased); epsilon 1e-3 (PyTorch 1e-5).
Weights (get_weights order): gamma (if scale), beta (if center), moving_mean, moving_variance;
the moving statistics are non-trainable. Forward and backward are fused in C++
(cpp/layers/batch_normalization.cpp).
"""

from __future__ import annotations

from typing import Any

from .. import _core, initializers
from .._typing import Config
from .._validation import check_bool, check_float
from .layer import Layer


class BatchNormalization(Layer):
    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: initializers.InitializerLike = "zeros",
        gamma_initializer: initializers.InitializerLike = "ones",
        moving_mean_initializer: initializers.InitializerLike = "zeros",
        moving_variance_initializer: initializers.InitializerLike = "ones",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"BatchNormalization: axis must be an int, got {axis!r}")
        self.axis = axis
        self.momentum = check_float(momentum, "momentum", minimum=0.0, maximum=1.0)
        self.epsilon = check_float(epsilon, "epsilon", minimum=0.0, min_inclusive=False)
        self.center = check_bool(center, "center")
        self.scale = check_bool(scale, "scale")
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def _check_axis(self, input_rank: int) -> None:
        """Only the channels-last axis is supported (axis=-1 or its positive index)."""
        if self.axis not in (-1, input_rank):
            raise ValueError(
                f"BatchNormalization: only the last axis (axis=-1) is supported, got axis={self.axis} "
                f"for inputs of rank {input_rank + 1} (with the batch axis)"
            )

    def _make_core(self) -> _core.Layer:
        return _core.BatchNormalization(
            self.momentum,
            self.epsilon,
            self.center,
            self.scale,
            self.beta_initializer._make_core(),
            self.gamma_initializer._make_core(),
            self.moving_mean_initializer._make_core(),
            self.moving_variance_initializer._make_core(),
        )

    def get_config(self) -> Config:
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            }
        )
        return config
