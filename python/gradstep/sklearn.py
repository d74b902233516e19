"""scikit-learn estimators around gradstep models: `GradstepClassifier` and `GradstepRegressor`.

    from gradstep.sklearn import GradstepClassifier
    clf = GradstepClassifier(hidden_layer_sizes=(64,), epochs=30, random_state=0)
    clf.fit(X, y).score(X_test, y_test)

They implement fit / predict / predict_proba (classifier) / score / get_params / set_params, work
inside Pipeline and GridSearchCV, and pickle (the fitted model travels as a .gstep file's bytes).

The network comes from `build_fn(n_features, n_outputs, **build_params)`, which returns a
gradstep Sequential, compiled or not (uncompiled models are compiled with `optimizer`,
`learning_rate` and the estimator's loss). The classifier's network must end in a softmax over
`n_outputs` = number of classes (its output is predict_proba); the regressor's in a linear layer
of `n_outputs` = number of targets. Without build_fn, an MLP with ReLU hidden layers of
`hidden_layer_sizes` units is built (as scikit-learn's MLPClassifier / MLPRegressor).

Each fit starts from a fresh network seeded from `random_state` (an int gives the same weights,
shuffles and dropout masks on every fit; None draws a seed from NumPy's global generator).
Inputs are converted to float32, C order. Requires scikit-learn >= 1.6 (`gradstep[sklearn]`).

scikit-learn's `check_estimator` passes except `check_sample_weight_equivalence_on_dense_data`,
waived: mini-batch training on a sample given weight 2 is not the same as training on that
sample twice (the batches differ). Sparse input is refused (TypeError), as by Keras' wrappers.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import layers as _layers
from . import optimizers as _optimizers
from ._random import set_seed as _set_seed
from .callbacks import Callback
from .layers.input_layer import Input, InputLayer
from .layers.layer import Layer

if TYPE_CHECKING:
    from typing_extensions import Self
from .models import Sequential, load_model

__all__ = ["GradstepClassifier", "GradstepRegressor"]


def mlp(
    n_features: int,
    n_outputs: int,
    hidden_layer_sizes: Sequence[int] = (64,),
    output_activation: str | None = "softmax",
) -> Sequential:
    """The default network: Dense ReLU layers of `hidden_layer_sizes` units, then the output layer."""
    stack: list[Layer | InputLayer] = [Input((n_features,))]
    stack += [_layers.Dense(units, activation="relu") for units in hidden_layer_sizes]
    stack.append(_layers.Dense(n_outputs, activation=output_activation))
    return Sequential(stack)


class _GradstepEstimator(BaseEstimator):  # type: ignore[misc]  # scikit-learn ships no types: Any base
    _loss: ClassVar[str | None] = None
    _output_activation: ClassVar[str | None] = None

    def __init__(
        self,
        build_fn: Callable[..., Sequential] | None = None,
        *,
        build_params: dict[str, Any] | None = None,
        hidden_layer_sizes: Sequence[int] = (64,),
        optimizer: str | _optimizers.Optimizer = "adam",
        learning_rate: float = 0.001,
        epochs: int = 50,
        batch_size: int = 32,
        shuffle: bool = True,
        validation_split: float = 0.0,
        callbacks: Sequence[Callback] | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: int | Literal["auto"] = 0,
    ) -> None:
        self.build_fn = build_fn
        self.build_params = build_params
        self.hidden_layer_sizes = hidden_layer_sizes
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.validation_split = validation_split
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    # -- building -------------------------------------------------------------------------------
    def _seed(self) -> int:
        if self.random_state is None:
            return int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002 (follows set_random_seed)
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(0, 2**31 - 1))
        return int(self.random_state)

    def _new_optimizer(self) -> _optimizers.Optimizer:
        if isinstance(self.optimizer, str):
            optimizer_class = type(_optimizers.get(self.optimizer))  # ValueError names the known ones
            return optimizer_class(learning_rate=self.learning_rate)
        if isinstance(self.optimizer, _optimizers.Optimizer):
            return _optimizers.deserialize(_optimizers.serialize(self.optimizer))  # a fresh copy
        raise TypeError(
            f"optimizer must be a name ('adam', 'sgd', ...) or a gradstep optimizer, got "
            f"{type(self.optimizer).__name__}"
        )

    def _build(self, n_features: int, n_outputs: int) -> Sequential:
        if self.build_fn is None:
            model = mlp(n_features, n_outputs, tuple(self.hidden_layer_sizes), self._output_activation)
        else:
            model = self.build_fn(n_features, n_outputs, **dict(self.build_params or {}))
            if not isinstance(model, Sequential):
                raise TypeError(f"build_fn must return a gradstep Sequential, got {type(model).__name__}")
        if not model.compiled:
            model.compile(optimizer=self._new_optimizer(), loss=self._loss)
        return model

    def _fit_model(
        self, X: NDArray[np.float32], targets: NDArray[Any], n_outputs: int, sample_weight: NDArray[np.float32] | None
    ) -> Self:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        _set_seed(self._seed())
        self.model_ = self._build(X.shape[1], n_outputs)
        history = self.model_.fit(
            X,
            targets,
            batch_size=int(min(self.batch_size, len(X))),
            epochs=int(self.epochs),
            verbose=self.verbose,
            shuffle=self.shuffle,
            validation_split=self.validation_split,
            callbacks=list(self.callbacks or []),
            sample_weight=sample_weight,
        )
        self.history_ = dict(history.history)
        self.n_iter_ = int(self.epochs)
        return self

    @staticmethod
    def _sample_weight(sample_weight: ArrayLike | None, n: int) -> NDArray[np.float32] | None:
        if sample_weight is None:
            return None
        weights = np.asarray(sample_weight, dtype=np.float32)
        if weights.shape != (n,):
            raise ValueError(f"sample_weight: expected shape ({n},), got {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("sample_weight: weights must be finite and non-negative")
        if not np.any(weights > 0):
            raise ValueError("sample_weight: all weights are zero, so there is nothing to fit")
        return weights

    def _inputs(self, X: ArrayLike, reset: bool) -> NDArray[np.float32]:
        checked: NDArray[np.float32] = validate_data(
            self, X, reset=reset, dtype=np.float32, order="C", ensure_min_samples=1
        )
        return checked

    def _raw_predict(self, X: ArrayLike) -> NDArray[np.float32]:
        check_is_fitted(self, "model_")
        X = self._inputs(X, reset=False)
        return self.model_.predict(X, verbose=0)

    # -- pickling: the model as the bytes of a .gstep file ----------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__() if hasattr(super(), "__getstate__") else dict(self.__dict__)
        state = dict(state)
        if "model_" in state:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.gstep")
                state["model_"].save(path)
                with open(path, "rb") as file:
                    state["model_"] = file.read()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        if isinstance(state.get("model_"), bytes):
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.gstep")
                with open(path, "wb") as file:
                    file.write(state["model_"])
                state["model_"] = load_model(path)
        if hasattr(super(), "__setstate__"):
            super().__setstate__(state)
        else:
            self.__dict__.update(state)


class GradstepClassifier(ClassifierMixin, _GradstepEstimator):  # type: ignore[misc]  # Any base (no types)
    """A gradstep network as a scikit-learn classifier (see the module docstring). Labels may be
    any values scikit-learn accepts (`classes_` keeps them); the network is trained with sparse
    categorical cross-entropy on their indices and must end in a softmax over the classes."""

    _loss = "sparse_categorical_crossentropy"
    _output_activation = "softmax"

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Self:
        X, y = validate_data(self, X, y, dtype=np.float32, order="C", ensure_min_samples=1)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        weights = self._sample_weight(sample_weight, len(X))
        return self._fit_model(X, encoded.astype(np.int64), len(self.classes_), weights)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Class probabilities (n_samples, n_classes), columns in the order of `classes_`."""
        return self._raw_predict(X).astype(np.float64)

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        probabilities = self.predict_proba(X)
        labels: NDArray[Any] = self.classes_[np.argmax(probabilities, axis=1)]
        return labels


class GradstepRegressor(RegressorMixin, _GradstepEstimator):  # type: ignore[misc]  # Any base (no types)
    """A gradstep network as a scikit-learn regressor (see the module docstring): mean squared
    error, a linear output layer with one unit per target; y of shape (n,) or (n, targets)."""

    _loss = "mean_squared_error"
    _output_activation = None

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Self:
        X, y = validate_data(
            self, X, y, dtype=np.float32, order="C", ensure_min_samples=1, multi_output=True, y_numeric=True
        )
        y = np.asarray(y, dtype=np.float32)
        self._y_ndim = y.ndim
        targets = y.reshape(len(y), -1)
        weights = self._sample_weight(sample_weight, len(X))
        return self._fit_model(X, targets, targets.shape[1], weights)

    def __sklearn_tags__(self) -> Any:  # sklearn.utils.Tags (scikit-learn ships no types)
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one output unit per target
        return tags

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        predictions = self._raw_predict(X).astype(np.float64)
        return predictions.ravel() if self._y_ndim == 1 else predictions
