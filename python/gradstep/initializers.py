"""Weight initialisers (Keras 3 names, defaults and formulas).

Variance-scaling initialisers draw from a distribution whose variance is scale / fan, with fan
= fan_in, fan_out or their mean; for a kernel of shape (..., fan_in, fan_out) the leading axes
multiply both (receptive field). Truncated normals are cut at two standard deviations and
rescaled by 0.8796 so that the variance is still scale / fan (as Keras).
Values come from the counter-based RNG: keyed by the model seed, layer and weight index, or by
`seed` when given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, SupportsIndex, Union

from . import _core
from ._typing import Config, FloatArray
from ._validation import check_float

_NAMED = (
    "zeros",
    "ones",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "random_uniform",
    "random_normal",
    "truncated_normal",
    "orthogonal",
)


class Initializer:
    """Base class: subclasses define `_core_args()`; `get_config()` returns the constructor kwargs."""

    def get_config(self) -> Config:
        return {}

    @classmethod
    def from_config(cls, config: Config) -> Initializer:
        return cls(**config)

    def _core_args(self) -> dict[str, Any]:
        """The keyword arguments of _core.Initializer (every subclass defines it)."""
        raise NotImplementedError

    def _make_core(self) -> _core.Initializer:
        return _core.Initializer(**self._core_args())

    def __call__(self, shape: Sequence[SupportsIndex], key: int = 0) -> FloatArray:
        """Draw a NumPy array of `shape` (key: RNG key used when the initialiser has no seed)."""
        return self._make_core().sample(list(shape), key)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    def _core_args(self) -> dict[str, Any]:
        return {"kind": "zeros"}


class Ones(Initializer):
    def _core_args(self) -> dict[str, Any]:
        return {"kind": "ones"}


class Constant(Initializer):
    def __init__(self, value: float = 0.0) -> None:
        self.value = check_float(value, "value")

    def get_config(self) -> Config:
        return {"value": self.value}

    def _core_args(self) -> dict[str, Any]:
        return {"kind": "constant", "value": self.value}


class RandomUniform(Initializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        self.minval = check_float(minval, "minval")
        self.maxval = check_float(maxval, "maxval")
        if self.maxval < self.minval:
            raise ValueError(f"maxval must be >= minval, got minval={minval}, maxval={maxval}")
        self.seed = seed

    def get_config(self) -> Config:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}

    def _core_args(self) -> dict[str, Any]:
        return {"kind": "random_uniform", "minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    _kind = "random_normal"

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean = check_float(mean, "mean")
        self.stddev = check_float(stddev, "stddev", minimum=0.0)
        self.seed = seed

    def get_config(self) -> Config:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}

    def _core_args(self) -> dict[str, Any]:
        return {"kind": self._kind, "mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    _kind = "truncated_normal"


class VarianceScaling(Initializer):
    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ) -> None:
        self.scale = check_float(scale, "scale", minimum=0.0, min_inclusive=False)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                f"distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', got {distribution!r}"
            )
        self.mode = mode
        self.distribution = distribution
        self.seed = seed

    def get_config(self) -> Config:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}

    def _core_args(self) -> dict[str, Any]:
        return {
            "kind": "variance_scaling",
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


class Orthogonal(Initializer):
    """Keras' Orthogonal(gain=1.0): the kernel seen as a (prod(shape[:-1]), shape[-1]) matrix with
    orthonormal rows or columns (QR of a standard-normal matrix, signs fixed), times `gain`.
    Saxe et al. 2014. The default recurrent_initializer of the recurrent layers."""

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain = check_float(gain, "gain")
        self.seed = seed

    def get_config(self) -> Config:
        return {"gain": self.gain, "seed": self.seed}

    def _core_args(self) -> dict[str, Any]:
        return {"kind": "orthogonal", "scale": self.gain, "seed": self.seed}


def _variance_scaling_preset(class_name: str, scale: float, mode: str, distribution: str) -> type[VarianceScaling]:
    def __init__(self: VarianceScaling, seed: int | None = None) -> None:
        VarianceScaling.__init__(self, scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self: VarianceScaling) -> Config:
        return {"seed": self.seed}

    return type(
        class_name,
        (VarianceScaling,),
        {
            "__init__": __init__,
            "get_config": get_config,
            "__doc__": f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r}).",
        },
    )


GlorotUniform = _variance_scaling_preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance_scaling_preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _variance_scaling_preset("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _variance_scaling_preset("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _variance_scaling_preset("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _variance_scaling_preset("LecunNormal", 1.0, "fan_in", "truncated_normal")

_BY_NAME: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_uniform": RandomUniform,
    "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
}
# Keras' short aliases ("uniform" is Embedding's default initializer).
_ALIASES: dict[str, type[Initializer]] = {"uniform": RandomUniform, "normal": RandomNormal, "zero": Zeros, "one": Ones}
_CLASS_NAMES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier: object) -> Initializer:
    """An Initializer from a name ("glorot_uniform"), a class name ("GlorotUniform"), a serialized
    dict ({"class_name", "config"}) or an instance."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _ALIASES.get(identifier) or _CLASS_NAMES.get(identifier)
        if cls is not None:
            return cls()
        raise ValueError(f"initializer: unknown name {identifier!r}; expected one of {', '.join(_BY_NAME)}")
    raise TypeError(f"initializer must be a name or an Initializer, got {type(identifier).__name__}")


def serialize(initializer: Initializer) -> Config:
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config: object) -> Initializer:
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or config.get("class_name") not in _CLASS_NAMES:
        raise ValueError(
            f"initializer config must be {{'class_name': one of {', '.join(_CLASS_NAMES)}, "
            f"'config': {{...}}}}, got {config!r}"
        )
    return _CLASS_NAMES[config["class_name"]].from_config(config.get("config", {}))


# What a layer's *_initializer argument accepts (see get).
InitializerLike = Union[str, Initializer, Config]
