"""Embedding (Keras 3): integer indices -> rows of a trainable (input_dim, output_dim) table.

    y[..., :] = embeddings[x[...], :]       backward: a scatter-add of dy into the rows used

Its input is integer token indices: the model then takes x as integers (any integer dtype,
read as int64; they never pass through float32), so Embedding must be the first layer. An index
outside [0, input_dim) raises ValueError naming its position. With mask_zero=True, index 0 is
padding: recurrent layers skip those steps and the loss and metrics ignore them (input_dim must
then count the padding index). embeddings_initializer defaults to "uniform" (RandomUniform
(-0.05, 0.05)), as Keras. Forward and backward in C++ (cpp/layers/embedding.cpp).
"""

from __future__ import annotations

from typing import Any

from .. import _core, initializers, regularizers
from .._typing import Config, FloatArray
from .._validation import check_bool, check_positive_int
from .layer import Layer


class Embedding(Layer):
    r"""Maps integer indices to rows of a trainable table :math:`E` of shape (input_dim, output_dim)
    (Keras 3).

    .. math::

        y_{p,:} = E_{x_p,:}, \qquad
        \frac{\partial L}{\partial E_{i,:}} = \sum_{p:\, x_p = i} \frac{\partial L}{\partial y_{p,:}}

    The model then takes integer input (any integer dtype, read as int64), so Embedding must be the
    first layer; an index outside [0, input_dim) raises ValueError naming its position. With
    `mask_zero=True` index 0 is padding, masked for the layers after it.

    References:
        Bengio, Y., Ducharme, R., Vincent, P. & Jauvin, C. (2003). A neural probabilistic language
        model. JMLR 3.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: initializers.InitializerLike = "uniform",
        embeddings_regularizer: regularizers.RegularizerLike = None,
        embeddings_constraint: object = None,
        mask_zero: bool = False,
        weights: object = None,
        lora_rank: object = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.output_dim = check_positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = check_bool(mask_zero, "mask_zero")
        for value, arg in (
            (embeddings_constraint, "embeddings_constraint"),
            (weights, "weights"),
            (lora_rank, "lora_rank"),
        ):
            if value is not None:
                raise NotImplementedError(f"Embedding: {arg} is not supported")

    def _make_core(self) -> _core.Layer:
        core = _core.Embedding(
            self.input_dim, self.output_dim, self.embeddings_initializer._make_core(), self.mask_zero
        )
        if self.embeddings_regularizer is not None:
            core.set_regularizer("embeddings", self.embeddings_regularizer.l1, self.embeddings_regularizer.l2)
        return core

    def get_config(self) -> Config:
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "mask_zero": self.mask_zero,
            }
        )
        return config

    @property
    def embeddings(self) -> FloatArray:
        return self._weight(0)
