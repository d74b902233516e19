"""BatchNormalization (Ioffe & Szegedy, 2015) over the last axis, Keras 3 semantics by default.

Training normalises with the batch mean and BIASED variance (both conventions), then scales by
gamma and shifts by beta; inference uses the moving statistics, updated in training as
    convention="keras" (default, Keras 3):
        moving = moving * momentum + batch_statistic * (1 - momentum)
        moving_variance takes the biased batch variance  sum (x - mean)^2 / n
    convention="torch" (torch.nn.BatchNorm1d/2d):
        moving = moving * (1 - momentum) + batch_statistic * momentum
        moving_variance takes the UNBIASED batch variance  sum (x - mean)^2 / (n - 1)
with n the values per channel in the batch (batch size times positions). So `momentum` means
the weight of the OLD value with "keras" and of the NEW value with "torch" (Keras' 0.99 is
PyTorch's 0.01). When not given, momentum and epsilon follow the convention: momentum 0.99 and
epsilon 1e-3 (keras), momentum 0.1 and epsilon 1e-5 (torch); get_config() records the values
used and the convention, so a saved layer reloads with the same rule.
Weights (get_weights order): gamma (if scale), beta (if center), moving_mean, moving_variance;
the moving statistics are non-trainable. Forward and backward are fused in C++
(cpp/layers/batch_normalization.cpp).
"""

from __future__ import annotations

from typing import Any, Callable, cast

from .. import _core, initializers
from .._typing import Config
from .._validation import check_bool, check_convention, check_float
from .layer import Layer


class BatchNormalization(Layer):
    r"""Batch normalisation over the last (channels) axis, Keras 3 semantics.

    Per channel :math:`c`, over the :math:`R` rows of the batch (all positions of all samples),
    with :math:`\gamma` (scale), :math:`\beta` (center), :math:`\epsilon` (`epsilon`) and the
    momentum :math:`\rho` (`momentum`):

    .. math::

        \text{training:}\quad \mu_c &= \frac{1}{R}\sum_r x_{rc}, \qquad
            \sigma_c^2 = \frac{1}{R}\sum_r (x_{rc} - \mu_c)^2 \quad \text{(biased)} \\
        y &= \gamma\, \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta \\
        \mathrm{moving\_mean} &\leftarrow \rho\, \mathrm{moving\_mean} + (1 - \rho)\, \mu, \qquad
            \mathrm{moving\_variance} \leftarrow \rho\, \mathrm{moving\_variance} + (1 - \rho)\, \sigma^2 \\
        \text{inference:}\quad y &= \gamma\, \frac{x - \mathrm{moving\_mean}}
            {\sqrt{\mathrm{moving\_variance} + \epsilon}} + \beta

    Conventions: `momentum` weights the old moving value (Keras' 0.99 is PyTorch's
    ``momentum=0.01``); the moving variance takes the biased batch variance (PyTorch: unbiased);
    :math:`\epsilon = 10^{-3}` by default (PyTorch :math:`10^{-5}`). A frozen layer
    (`trainable=False`) normalises with its moving statistics, as Keras 3.

    References:
        Ioffe, S. & Szegedy, C. (2015). Batch normalization: accelerating deep network training by
        reducing internal covariate shift. ICML.
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float | None = None,
        epsilon: float | None = None,
        center: bool = True,
        scale: bool = True,
        beta_initializer: initializers.InitializerLike = "zeros",
        gamma_initializer: initializers.InitializerLike = "ones",
        moving_mean_initializer: initializers.InitializerLike = "zeros",
        moving_variance_initializer: initializers.InitializerLike = "ones",
        name: str | None = None,
        convention: str = "keras",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.convention = check_convention(convention)
        if momentum is None:
            momentum = 0.99 if self.convention == "keras" else 0.1
        if epsilon is None:
            epsilon = 1e-3 if self.convention == "keras" else 1e-5
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

    def _make_core(self) -> _core.BatchNormalization:
        return _core.BatchNormalization(
            self.momentum,
            self.epsilon,
            self.center,
            self.scale,
            self.beta_initializer._make_core(),
            self.gamma_initializer._make_core(),
            self.moving_mean_initializer._make_core(),
            self.moving_variance_initializer._make_core(),
            self.convention,
        )

    def _set_statistics_reducer(self, reducer: Callable[[Any], None] | None) -> None:
        """For fit(distributed=True, sync_batchnorm=True): `reducer(values)` sums a float64 array
        over the processes in place (None: this process's batch statistics only)."""
        if self._core_layer is None:
            raise ValueError(f"BatchNormalization {self.name!r} is not built")
        core = cast(_core.BatchNormalization, self._core_layer)  # the layer _make_core made
        core.set_statistics_reducer(reducer)

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
                "convention": self.convention,
            }
        )
        return config
