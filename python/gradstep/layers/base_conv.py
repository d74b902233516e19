"""BaseConv: what Conv1D, Conv2D and Conv2DTranspose share (arguments, checks, config).

Keras 3 arguments and defaults, channels_last only. The kernel is (kernel_size..., in_channels,
filters) for Conv1D/Conv2D and (kh, kw, filters, in_channels) for Conv2DTranspose, as in Keras, so
weights move between the two libraries unchanged. The passes run in C++ (cpp/layers/convolution.cpp:
im2col + the project's GEMM, bias and activation fused into one pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _core, activations, initializers, regularizers
from .._typing import Config, FloatArray
from .._validation import check_bool, check_choice, check_int_tuple, check_positive_int
from .layer import Layer, apply_weight_regularizers


class BaseConv(Layer):
    rank = 2
    paddings: tuple[str, ...] = ("valid", "same")

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        groups: int = 1,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer: initializers.InitializerLike = "glorot_uniform",
        bias_initializer: initializers.InitializerLike = "zeros",
        kernel_regularizer: regularizers.RegularizerLike = None,
        bias_regularizer: regularizers.RegularizerLike = None,
        activity_regularizer: object = None,
        kernel_constraint: object = None,
        bias_constraint: object = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        cls = type(self).__name__
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = check_int_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = check_int_tuple(strides, self.rank, "strides")
        self.padding = check_choice(padding.lower() if isinstance(padding, str) else padding, "padding", self.paddings)
        self.dilation_rate = check_int_tuple(dilation_rate, self.rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 together with dilation_rate > 1 is not supported (as in Keras), got "
                f"strides={self.strides}, dilation_rate={self.dilation_rate}"
            )
        if data_format not in (None, "channels_last"):
            raise ValueError(
                f"{cls}: data_format must be 'channels_last' (gradstep is channels_last only), got {data_format!r}"
            )
        for argument, value, default in (
            ("groups", groups, 1),
            ("activity_regularizer", activity_regularizer, None),
            ("kernel_constraint", kernel_constraint, None),
            ("bias_constraint", bias_constraint, None),
        ):
            if value != default:
                raise NotImplementedError(
                    f"{cls}: {argument}={value!r} is not supported yet (only the default {default!r})"
                )
        self.data_format = "channels_last"
        self.activation = activations.get(activation)
        self.use_bias = check_bool(use_bias, "use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _core_args(
        self,
    ) -> tuple[int, list[int], list[int], list[int], str, str, bool, _core.Initializer, _core.Initializer]:
        """The arguments of _core.ConvTranspose, and of _core.Convolution after its `rank`."""
        return (
            self.filters,
            list(self.kernel_size),
            list(self.strides),
            list(self.dilation_rate),
            self.padding,
            self.activation,
            self.use_bias,
            self.kernel_initializer._make_core(),
            self.bias_initializer._make_core(),
        )

    def _with_regularizers(self, core: _core.Layer) -> _core.Layer:
        return apply_weight_regularizers(core, self.kernel_regularizer, self.bias_regularizer)

    def _make_core(self) -> _core.Layer:
        return self._with_regularizers(_core.Convolution(self.rank, *self._core_args()))

    def get_config(self) -> Config:
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": self.activation,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            }
        )
        return config

    @classmethod
    def from_config(cls, config: Config) -> Layer:
        config = dict(config)
        for key in ("kernel_size", "strides", "dilation_rate"):  # JSON gives lists
            if isinstance(config.get(key), list):
                config[key] = tuple(config[key])
        return cls(**config)

    @property
    def kernel(self) -> FloatArray:
        return self._weight(0)

    @property
    def bias(self) -> FloatArray | None:
        return self._weight(1) if self.use_bias else None
