"""Bad inputs raise clear Python exceptions; odd-but-valid inputs are accepted.

The main test is table driven: each case is (id, action, exception type, regex).
The regex is built from look-aheads, so the message must mention every listed
piece (the argument's name, the expected and the given value) in any order.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

gs = pytest.importorskip("gradstep")

Dense = gs.layers.Dense


def all_of(*patterns):
    """A regex that matches when every pattern occurs somewhere in the message."""
    return "(?s)^" + "".join(f"(?=.*(?:{p}))" for p in patterns)


X_NAME = r"\bx\b"
Y_NAME = r"\by\b"
COMPILE = r"compile"


def _model(input_dim=4, units=1, activation=None):
    return gs.Sequential([gs.Input((input_dim,)), Dense(units, activation=activation)])


def _compiled(input_dim=4, units=1, activation=None, loss="mse", metrics=None):
    m = _model(input_dim, units, activation)
    m.compile(optimizer="sgd", loss=loss, metrics=metrics)
    return m


def _sparse_model():
    return _compiled(units=10, activation="softmax", loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def _x(n=10, d=4):
    return np.arange(n * d, dtype=np.float32).reshape(n, d) / max(n * d, 1)


def _y(n=10, k=1):
    return np.ones((n, k), dtype=np.float32)


def _labels(*bad):
    y = np.arange(10, dtype=np.int64) % 10
    y[: len(bad)] = bad
    return y


def _strings(shape):
    return np.full(shape, "a", dtype="<U3")


def _objects(shape):
    out = np.empty(shape, dtype=object)
    out[...] = 1.0
    return out


def _set_weights(weights):
    m = _model(input_dim=3, units=2)
    m.set_weights(weights)


def _compile_then_fit(**compile_kwargs):
    m = _model()
    kwargs = dict(optimizer="sgd", loss="mse")
    kwargs.update(compile_kwargs)
    m.compile(**kwargs)
    m.fit(_x(), _y(), epochs=1, verbose=0)


def _build_and_predict(layer):
    m = gs.Sequential([gs.Input((4,)), layer])
    m.predict(_x(), verbose=0)


def _with_value(array, index, value):
    out = np.array(array, dtype=np.float64)
    out[index] = value
    return out


def _fit_sequential(model):
    model.compile(optimizer="sgd", loss="mse")
    model.fit(_x(), _y(), verbose=0)


def _fit_class_weight(class_weight):
    _compiled(units=3, activation="softmax", loss="sparse_categorical_crossentropy").fit(
        _x(), _labels() % 3, class_weight=class_weight, verbose=0
    )


def _build(input_shape):
    gs.Sequential([Dense(2)]).build(input_shape)


# message pieces for hyper-parameter checks: "<name> must be in [0.0, 1.0), got 1.0"
def _build_rnn(layers, input_shape):
    model = gs.Sequential([gs.Input(input_shape)] + layers)
    model.build()
    return model


def _fit_rnn(x=None, y=None, sample_weight=None):
    """A (5, 3) -> LSTM(return_sequences) -> Dense(3) per-step classifier fitted on 4 samples."""
    model = gs.Sequential([gs.Input((5, 3)), gs.layers.LSTM(4, return_sequences=True), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.zeros((4, 5, 3), np.float32) if x is None else x
    y = np.zeros((4, 5), np.int64) if y is None else y
    model.fit(x, y, sample_weight=sample_weight, verbose=0)


def _int_with_value(index, value):
    out = np.ones((4, 5), np.int64)
    out[index] = value
    return out


def _fit_embedding(x):
    model = gs.Sequential([gs.Input((5,)), gs.layers.Embedding(9, 2), gs.layers.GRU(3), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((len(x), 1), np.float32), verbose=0)


NON_NEGATIVE = r"\[0(\.0)?, ?inf\)|>= ?0"
UNIT_OPEN = r"\[0(\.0)?, ?1(\.0)?\)"


CASES = [
    # ---- x / y sample count mismatch ----------------------------------------------------
    (
        "fit_xy_length_mismatch",
        lambda: _compiled().fit(_x(10), _y(9), verbose=0),
        ValueError,
        all_of(X_NAME, Y_NAME, r"\b10\b", r"\b9\b"),
    ),
    (
        "evaluate_xy_length_mismatch",
        lambda: _compiled().evaluate(_x(10), _y(9)),
        ValueError,
        all_of(X_NAME, Y_NAME, r"\b10\b", r"\b9\b"),
    ),
    (
        "train_on_batch_xy_length_mismatch",
        lambda: _compiled().train_on_batch(_x(10), _y(12)),
        ValueError,
        all_of(X_NAME, Y_NAME, r"\b10\b", r"\b12\b"),
    ),
    (
        "test_on_batch_xy_length_mismatch",
        lambda: _compiled().test_on_batch(_x(7), _y(10)),
        ValueError,
        all_of(X_NAME, Y_NAME, r"\b7\b", r"\b10\b"),
    ),
    (
        "validation_data_length_mismatch",
        lambda: _compiled().fit(_x(), _y(), validation_data=(_x(10), _y(9)), verbose=0),
        ValueError,
        all_of(r"\b10\b", r"\b9\b"),
    ),
    # ---- wrong feature count / rank -------------------------------------------------------
    (
        "predict_wrong_feature_count",
        lambda: _model(4).predict(_x(10, 5), verbose=0),
        ValueError,
        all_of(r"\bx\b|input", r"\b4\b", r"\b5\b"),
    ),
    ("call_wrong_feature_count", lambda: _model(4)(_x(10, 5)), ValueError, all_of(r"\bx\b|input", r"\b4\b", r"\b5\b")),
    (
        "fit_wrong_feature_count",
        lambda: _compiled(4).fit(_x(10, 5), _y(10), verbose=0),
        ValueError,
        all_of(r"\bx\b|input", r"\b4\b", r"\b5\b"),
    ),
    (
        "evaluate_wrong_feature_count",
        lambda: _compiled(4).evaluate(_x(10, 3), _y(10)),
        ValueError,
        all_of(r"\bx\b|input", r"\b4\b", r"\b3\b"),
    ),
    (
        "predict_rank_1",
        lambda: _model(4).predict(np.zeros(10, np.float32), verbose=0),
        ValueError,
        all_of(r"\bx\b|input", r"rank|ndim|dimension|\b[12]-?D\b|shape"),
    ),
    (
        "predict_rank_0",
        lambda: _model(4).predict(np.float32(1.0), verbose=0),
        ValueError,
        all_of(r"\bx\b|input", r"rank|ndim|dimension|\b[02]-?D\b|shape|scalar"),
    ),
    (
        "fit_y_wrong_class_count_cce",
        lambda: _compiled(units=3, activation="softmax", loss="categorical_crossentropy").fit(
            _x(10), _y(10, 5), verbose=0
        ),
        ValueError,
        all_of(r"\by\b|y_true|target", r"\b5\b", r"\b3\b"),
    ),
    # ---- non-numeric dtypes ----------------------------------------------------------------
    (
        "fit_x_strings",
        lambda: _compiled().fit(_strings((10, 4)), _y(10), verbose=0),
        TypeError,
        all_of(X_NAME, r"dtype|<U|str|numeric"),
    ),
    (
        "predict_x_strings",
        lambda: _model().predict(_strings((10, 4)), verbose=0),
        TypeError,
        all_of(X_NAME, r"dtype|<U|str|numeric"),
    ),
    (
        "predict_x_object",
        lambda: _model().predict(_objects((10, 4)), verbose=0),
        TypeError,
        all_of(X_NAME, r"object|dtype|numeric"),
    ),
    (
        "fit_x_object",
        lambda: _compiled().fit(_objects((10, 4)), _y(10), verbose=0),
        TypeError,
        all_of(X_NAME, r"object|dtype|numeric"),
    ),
    (
        "fit_y_strings",
        lambda: _compiled().fit(_x(10), _strings((10, 1)), verbose=0),
        TypeError,
        all_of(Y_NAME, r"dtype|<U|str|numeric"),
    ),
    (
        "fit_y_object",
        lambda: _compiled().fit(_x(10), _objects((10, 1)), verbose=0),
        TypeError,
        all_of(Y_NAME, r"object|dtype|numeric"),
    ),
    # ---- empty inputs ----------------------------------------------------------------------
    ("fit_empty_x", lambda: _compiled().fit(_x(0), _y(0), verbose=0), ValueError, all_of(X_NAME, r"empty|\b0\b")),
    ("evaluate_empty_x", lambda: _compiled().evaluate(_x(0), _y(0)), ValueError, all_of(X_NAME, r"empty|\b0\b")),
    # ---- sparse labels ---------------------------------------------------------------------
    (
        "fit_sparse_label_too_large",
        lambda: _sparse_model().fit(_x(10), _labels(10), verbose=0),
        ValueError,
        all_of(r"\by\b|label", r"\b10\b", r"\b0\b|\b9\b|range|class"),
    ),
    (
        "evaluate_sparse_label_too_large",
        lambda: _sparse_model().evaluate(_x(10), _labels(3, 11)),
        ValueError,
        all_of(r"\by\b|label", r"\b11\b", r"\b0\b|\b9\b|\b10\b|range|class"),
    ),
    (
        "fit_sparse_label_negative",
        lambda: _sparse_model().fit(_x(10), _labels(-1), verbose=0),
        ValueError,
        all_of(r"\by\b|label", r"-1\b"),
    ),
    (
        "train_on_batch_sparse_label_negative",
        lambda: _sparse_model().train_on_batch(_x(10), _labels(0, -3)),
        ValueError,
        all_of(r"\by\b|label", r"-3\b"),
    ),
    (
        "fit_sparse_label_not_integer",
        lambda: _sparse_model().fit(_x(10), _labels(0, 1) + 0.5, verbose=0),
        ValueError,
        all_of(r"\by\b|label", r"integer|int\b|0?\.5\b"),
    ),
    (
        "evaluate_sparse_label_nan",
        lambda: _sparse_model().evaluate(_x(10), np.where(_labels() == 0, np.nan, _labels())),
        ValueError,
        all_of(r"\by\b|label", r"nan|integer|finite"),
    ),
    (
        "evaluate_sparse_label_huge_int64",
        lambda: _sparse_model().evaluate(_x(10), np.full(10, 2**40, np.int64)),
        ValueError,
        all_of(r"\by\b|label", r"1099511627776"),
    ),
    (
        "evaluate_sparse_label_huge_uint64",
        lambda: _sparse_model().evaluate(_x(10), np.full(10, 2**63, np.uint64)),
        ValueError,
        all_of(r"\by\b|label", r"9223372036854775808"),
    ),
    # ---- not compiled ----------------------------------------------------------------------
    ("fit_before_compile", lambda: _model().fit(_x(), _y(), verbose=0), ValueError, COMPILE),
    ("evaluate_before_compile", lambda: _model().evaluate(_x(), _y()), ValueError, COMPILE),
    ("train_on_batch_before_compile", lambda: _model().train_on_batch(_x(), _y()), ValueError, COMPILE),
    ("test_on_batch_before_compile", lambda: _model().test_on_batch(_x(), _y()), ValueError, COMPILE),
    # ---- fit / evaluate / predict arguments ---------------------------------------------------
    (
        "fit_batch_size_zero",
        lambda: _compiled().fit(_x(), _y(), batch_size=0, verbose=0),
        ValueError,
        all_of(r"batch_size", r"\b0\b"),
    ),
    (
        "fit_batch_size_negative",
        lambda: _compiled().fit(_x(), _y(), batch_size=-4, verbose=0),
        ValueError,
        all_of(r"batch_size", r"-4\b"),
    ),
    (
        "evaluate_batch_size_zero",
        lambda: _compiled().evaluate(_x(), _y(), batch_size=0),
        ValueError,
        all_of(r"batch_size", r"\b0\b"),
    ),
    (
        "predict_batch_size_zero",
        lambda: _model().predict(_x(), batch_size=0, verbose=0),
        ValueError,
        all_of(r"batch_size", r"\b0\b"),
    ),
    (
        "fit_epochs_negative",
        lambda: _compiled().fit(_x(), _y(), epochs=-1, verbose=0),
        ValueError,
        all_of(r"epochs", r"-1\b"),
    ),
    (
        "fit_validation_split_one",
        lambda: _compiled().fit(_x(), _y(), validation_split=1.0, verbose=0),
        ValueError,
        all_of(r"validation_split", r"\b1(\.0*)?\b"),
    ),
    (
        "fit_validation_split_negative",
        lambda: _compiled().fit(_x(), _y(), validation_split=-0.1, verbose=0),
        ValueError,
        all_of(r"validation_split", r"-0?\.1\b"),
    ),
    (
        "fit_validation_split_too_large",
        lambda: _compiled().fit(_x(), _y(), validation_split=1.5, verbose=0),
        ValueError,
        all_of(r"validation_split", r"1\.5"),
    ),
    (
        "fit_validation_data_one_element",
        lambda: _compiled().fit(_x(), _y(), validation_data=(_x(),), verbose=0),
        ValueError,
        r"validation_data",
    ),
    (
        "fit_initial_epoch_negative",
        lambda: _compiled().fit(_x(), _y(), epochs=2, initial_epoch=-1, verbose=0),
        ValueError,
        all_of(r"initial_epoch", r"-1\b"),
    ),
    (
        "fit_validation_split_leaves_no_training_data",
        lambda: _compiled().fit(_x(2), _y(2), validation_split=0.9, verbose=0),
        ValueError,
        all_of(r"validation_split", r"0\.9"),
    ),
    (
        "fit_batch_size_float",
        lambda: _compiled().fit(_x(), _y(), batch_size=2.5, verbose=0),
        TypeError,
        all_of(r"batch_size", r"2\.5"),
    ),
    (
        "fit_batch_size_string",
        lambda: _compiled().fit(_x(), _y(), batch_size="4", verbose=0),
        TypeError,
        all_of(r"batch_size", r"'4'|\"4\"|str"),
    ),
    (
        "fit_epochs_float",
        lambda: _compiled().fit(_x(), _y(), epochs=1.5, verbose=0),
        TypeError,
        all_of(r"epochs", r"1\.5"),
    ),
    (
        "predict_x_complex",
        lambda: _model().predict(_x().astype(np.complex64), verbose=0),
        TypeError,
        all_of(X_NAME, r"complex"),
    ),
    (
        "compile_metrics_bare_string",
        lambda: _model().compile(optimizer="sgd", loss="mse", metrics="accuracy"),
        TypeError,
        all_of(r"metrics", r"list"),
    ),
    ("predict_empty_model", lambda: gs.Sequential().predict(_x(), verbose=0), ValueError, r"layer"),
    # ---- (N,) targets against an (N, 1) output: an error, never a silent broadcast -----------
    (
        "fit_y_rank1_against_n_by_1_output",
        lambda: _compiled().fit(_x(10), np.ones(10, np.float32), verbose=0),
        ValueError,
        all_of(Y_NAME, r"\(None, 1\)", r"\(10,\)"),
    ),
    (
        "evaluate_y_rank1_against_n_by_1_output",
        lambda: _compiled().evaluate(_x(10), np.ones(10)),
        ValueError,
        all_of(Y_NAME, r"\(None, 1\)", r"\(10,\)"),
    ),
    (
        "train_on_batch_y_rank1_against_n_by_1_output",
        lambda: _compiled().train_on_batch(_x(10), np.ones(10)),
        ValueError,
        all_of(Y_NAME, r"\(None, 1\)", r"\(10,\)"),
    ),
    (
        "fit_y_rank3_against_n_by_1_output",
        lambda: _compiled().fit(_x(10), np.ones((10, 1, 1)), verbose=0),
        ValueError,
        all_of(Y_NAME, r"\(None, 1\)", r"\(10, 1, 1\)"),
    ),
    (
        "fit_y_rank1_against_cce_output",
        lambda: _compiled(units=3, activation="softmax", loss="categorical_crossentropy").fit(
            _x(10), np.ones(10), verbose=0
        ),
        ValueError,
        all_of(Y_NAME, r"\(None, 3\)", r"\(10,\)", r"sparse_categorical_crossentropy"),
    ),
    # ---- zero features / missing data --------------------------------------------------------
    (
        "fit_zero_features",
        lambda: _compiled().fit(np.zeros((10, 0), np.float32), _y(10), verbose=0),
        ValueError,
        all_of(X_NAME, r"0 features", r"\(10, 0\)"),
    ),
    (
        "predict_zero_features_unbuilt",
        lambda: gs.Sequential([Dense(2)]).predict(np.zeros((10, 0)), verbose=0),
        ValueError,
        all_of(X_NAME, r"0 features", r"\(10, 0\)"),
    ),
    (
        "fit_empty_y",
        lambda: _compiled().fit(_x(10), _y(0), verbose=0),
        ValueError,
        all_of(Y_NAME, r"empty", r"\(0, 1\)"),
    ),
    ("predict_x_none", lambda: _model().predict(None, verbose=0), ValueError, all_of(X_NAME, r"required", r"None")),
    ("fit_y_none", lambda: _compiled().fit(_x(), None, verbose=0), ValueError, all_of(Y_NAME, r"required", r"None")),
    (
        "predict_x_ragged_list",
        lambda: _model().predict([[1, 2, 3, 4], [1, 2]], verbose=0),
        TypeError,
        all_of(X_NAME, r"numbers|convert"),
    ),
    (
        "fit_sparse_labels_strings",
        lambda: _sparse_model().fit(_x(10), np.array(["a"] * 10), verbose=0),
        TypeError,
        all_of(Y_NAME, r"integer", r"<U1"),
    ),
    (
        "fit_sparse_labels_complex",
        lambda: _sparse_model().fit(_x(10), np.zeros(10, np.complex64), verbose=0),
        TypeError,
        all_of(Y_NAME, r"integer", r"complex64"),
    ),
    (
        "fit_sparse_labels_one_hot_shape",
        lambda: _sparse_model().fit(_x(10), np.zeros((10, 10)), verbose=0),
        ValueError,
        all_of(Y_NAME, r"\(None,\)", r"\(10, 10\)"),
    ),
    (
        "fit_sparse_label_inf",
        lambda: _sparse_model().fit(_x(10), np.full(10, np.inf), verbose=0),
        ValueError,
        all_of(Y_NAME, r"integer", r"\binf\b"),
    ),
    # ---- NaN / inf: the message names the first bad row and column ---------------------------
    (
        "fit_x_nan_first_position",
        lambda: _compiled().fit(_with_value(_with_value(_x(), (3, 1), np.nan), (7, 0), np.nan), _y(), verbose=0),
        ValueError,
        all_of(X_NAME, r"\bnan\b", r"row 3\b", r"column 1\b"),
    ),
    (
        "fit_x_inf",
        lambda: _compiled().fit(_with_value(_x(), (0, 2), np.inf), _y(), verbose=0),
        ValueError,
        all_of(X_NAME, r"\binf\b", r"row 0\b", r"column 2\b"),
    ),
    (
        "predict_x_negative_inf",
        lambda: _model().predict(_with_value(_x(), (9, 3), -np.inf), verbose=0),
        ValueError,
        all_of(X_NAME, r"-inf\b", r"row 9\b", r"column 3\b"),
    ),
    (
        "evaluate_x_nan",
        lambda: _compiled().evaluate(_with_value(_x(), (5, 0), np.nan), _y()),
        ValueError,
        all_of(X_NAME, r"\bnan\b", r"row 5\b", r"column 0\b"),
    ),
    (
        "train_on_batch_x_nan",
        lambda: _compiled().train_on_batch(_with_value(_x(), (2, 2), np.nan), _y()),
        ValueError,
        all_of(X_NAME, r"\bnan\b", r"row 2\b", r"column 2\b"),
    ),
    (
        "predict_x_float64_overflows_float32",
        lambda: _model().predict(_with_value(_x(), (4, 1), 1e300), verbose=0),
        ValueError,
        all_of(X_NAME, r"float32", r"1e\+300", r"row 4\b", r"column 1\b"),
    ),
    (
        "fit_y_nan",
        lambda: _compiled().fit(_x(), _with_value(_y(), (6, 0), np.nan), verbose=0),
        ValueError,
        all_of(Y_NAME, r"\bnan\b", r"row 6\b", r"column 0\b"),
    ),
    (
        "evaluate_y_inf",
        lambda: _compiled().evaluate(_x(), _with_value(_y(), (1, 0), np.inf)),
        ValueError,
        all_of(Y_NAME, r"\binf\b", r"row 1\b", r"column 0\b"),
    ),
    (
        "fit_validation_x_nan",
        lambda: _compiled().fit(_x(), _y(), validation_data=(_with_value(_x(), (8, 3), np.nan), _y()), verbose=0),
        ValueError,
        all_of(r"validation_data\[0\]|x_val", r"\bnan\b", r"row 8\b", r"column 3\b"),
    ),
    (
        "fit_sample_weight_nan",
        lambda: _compiled().fit(_x(), _y(), sample_weight=_with_value(np.ones(10), 4, np.nan), verbose=0),
        ValueError,
        all_of(r"sample_weight", r"\bnan\b", r"row 4\b"),
    ),
    (
        "fit_sample_weight_wrong_shape",
        lambda: _compiled().fit(_x(), _y(), sample_weight=np.ones((10, 1)), verbose=0),
        ValueError,
        all_of(r"sample_weight", r"\(10,\)", r"\(10, 1\)"),
    ),
    # ---- class_weight ------------------------------------------------------------------------
    (
        "fit_class_weight_negative_class",
        lambda: _fit_class_weight({-1: 2.0}),
        ValueError,
        all_of(r"class_weight", r">= ?0", r"-1\b"),
    ),
    (
        "fit_class_weight_string_class",
        lambda: _fit_class_weight({"a": 2.0}),
        TypeError,
        all_of(r"class_weight", r"integer", r"'a'"),
    ),
    (
        "fit_class_weight_nan_weight",
        lambda: _fit_class_weight({1: float("nan")}),
        ValueError,
        all_of(r"class_weight\[1\]", NON_NEGATIVE, r"\bnan\b"),
    ),
    (
        "fit_class_weight_negative_weight",
        lambda: _fit_class_weight({1: -2.0}),
        ValueError,
        all_of(r"class_weight\[1\]", NON_NEGATIVE, r"-2(\.0)?\b"),
    ),
    # ---- empty Sequential / unknown input shape ------------------------------------------------
    (
        "fit_empty_sequential",
        lambda: _fit_sequential(gs.Sequential()),
        ValueError,
        all_of(r"no layers", r"add at least one layer"),
    ),
    (
        "fit_input_only_sequential",
        lambda: _fit_sequential(gs.Sequential([gs.Input((4,))])),
        ValueError,
        all_of(r"no layers", r"add at least one layer"),
    ),
    (
        "build_empty_sequential",
        lambda: gs.Sequential().build((None, 4)),
        ValueError,
        all_of(r"no layers", r"add at least one layer"),
    ),
    (
        "build_without_input_shape",
        lambda: gs.Sequential([Dense(2)]).build(),
        ValueError,
        all_of(r"input shape", r"unknown", r"Input\(shape\)|build\(input_shape\)"),
    ),
    (
        "get_weights_input_shape_unknown",
        lambda: gs.Sequential([Dense(2)]).get_weights(),
        ValueError,
        all_of(r"get_weights", r"not built", r"Input\(shape\)"),
    ),
    (
        "output_shape_input_shape_unknown",
        lambda: gs.Sequential([Dense(2)]).output_shape,
        ValueError,
        all_of(r"output_shape", r"not built", r"Input\(shape\)"),
    ),
    (
        "count_params_input_shape_unknown",
        lambda: gs.Sequential([Dense(2)]).count_params(),
        ValueError,
        all_of(r"count_params", r"not built"),
    ),
    (
        "input_shape_property_unknown",
        lambda: gs.Sequential([Dense(2)]).input_shape,
        ValueError,
        all_of(r"input shape", r"unknown"),
    ),
    (
        "build_input_shape_string",
        lambda: _build("abc"),
        TypeError,
        all_of(r"input_shape", r"positive integers", r"'abc'"),
    ),
    ("build_input_shape_int", lambda: _build(4), TypeError, all_of(r"input_shape", r"positive integers", r"got 4\b")),
    (
        "build_input_shape_float_dim",
        lambda: _build((None, 2.5)),
        TypeError,
        all_of(r"input_shape", r"positive integers", r"2\.5"),
    ),
    (
        "build_input_shape_none_feature",
        lambda: _build((None, None)),
        ValueError,
        all_of(r"input_shape", r"batch axis", r"\(None, None\)"),
    ),
    (
        "build_input_shape_zero",
        lambda: _build((None, 0)),
        ValueError,
        all_of(r"input_shape", r"positive integers", r"got 0\b"),
    ),
    ("input_shape_zero", lambda: gs.Input((0,)), ValueError, all_of(r"shape", r"positive integers", r"\(0,\)")),
    ("sequential_add_not_a_layer", lambda: gs.Sequential().add("dense"), TypeError, all_of(r"layer", r"\bstr\b")),
    # ---- optimizer hyper-parameters ------------------------------------------------------------
    (
        "sgd_learning_rate_negative",
        lambda: gs.optimizers.SGD(learning_rate=-0.1),
        ValueError,
        all_of(r"learning_rate", NON_NEGATIVE, r"-0\.1\b"),
    ),
    (
        "adam_learning_rate_negative",
        lambda: gs.optimizers.Adam(learning_rate=-1),
        ValueError,
        all_of(r"learning_rate", NON_NEGATIVE, r"-1(\.0)?\b"),
    ),
    (
        "rmsprop_learning_rate_nan",
        lambda: gs.optimizers.RMSprop(learning_rate=float("nan")),
        ValueError,
        all_of(r"learning_rate", NON_NEGATIVE, r"\bnan\b"),
    ),
    (
        "adagrad_learning_rate_string",
        lambda: gs.optimizers.Adagrad(learning_rate="0.1"),
        TypeError,
        all_of(r"learning_rate", r"float", r"'0\.1'"),
    ),
    (
        "learning_rate_setter_negative",
        lambda: setattr(gs.optimizers.SGD(), "learning_rate", -2.0),
        ValueError,
        all_of(r"learning_rate", NON_NEGATIVE, r"-2(\.0)?\b"),
    ),
    (
        "adam_beta_1_one",
        lambda: gs.optimizers.Adam(beta_1=1.0),
        ValueError,
        all_of(r"beta_1", UNIT_OPEN, r"got 1(\.0)?\b"),
    ),
    (
        "adamw_beta_2_negative",
        lambda: gs.optimizers.AdamW(beta_2=-0.1),
        ValueError,
        all_of(r"beta_2", UNIT_OPEN, r"-0\.1\b"),
    ),
    (
        "adam_beta_1_string",
        lambda: gs.optimizers.Adam(beta_1="0.9"),
        TypeError,
        all_of(r"beta_1", r"number", r"'0\.9'"),
    ),
    (
        "rmsprop_rho_too_large",
        lambda: gs.optimizers.RMSprop(rho=1.5),
        ValueError,
        all_of(r"\brho\b", UNIT_OPEN, r"1\.5"),
    ),
    (
        "sgd_momentum_negative",
        lambda: gs.optimizers.SGD(momentum=-0.5),
        ValueError,
        all_of(r"momentum", r"\[0(\.0)?, ?1(\.0)?\]", r"-0\.5"),
    ),
    (
        "adam_epsilon_negative",
        lambda: gs.optimizers.Adam(epsilon=-1e-7),
        ValueError,
        all_of(r"epsilon", NON_NEGATIVE, r"-1e-07"),
    ),
    (
        "adagrad_initial_accumulator_negative",
        lambda: gs.optimizers.Adagrad(initial_accumulator_value=-1),
        ValueError,
        all_of(r"initial_accumulator_value", NON_NEGATIVE, r"-1(\.0)?\b"),
    ),
    (
        "adamw_weight_decay_negative",
        lambda: gs.optimizers.AdamW(weight_decay=-0.01),
        ValueError,
        all_of(r"weight_decay", NON_NEGATIVE, r"-0\.01\b"),
    ),
    (
        "sgd_clipnorm_negative",
        lambda: gs.optimizers.SGD(clipnorm=-1.0),
        ValueError,
        all_of(r"clipnorm", NON_NEGATIVE, r"-1(\.0)?\b"),
    ),
    (
        "clipnorm_and_clipvalue",
        lambda: gs.optimizers.SGD(clipnorm=1.0, clipvalue=0.5),
        ValueError,
        all_of(r"only one of", r"clipnorm, clipvalue$"),
    ),
    (
        "clipnorm_and_global_clipnorm",
        lambda: gs.optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0),
        ValueError,
        all_of(r"only one of", r"got clipnorm, global_clipnorm"),
    ),
    (
        "clipvalue_and_global_clipnorm",
        lambda: gs.optimizers.RMSprop(clipvalue=1.0, global_clipnorm=1.0),
        ValueError,
        all_of(r"only one of", r"got clipvalue, global_clipnorm"),
    ),
    (
        "all_three_clip_options",
        lambda: gs.optimizers.Adagrad(clipnorm=1.0, clipvalue=1.0, global_clipnorm=1.0),
        ValueError,
        all_of(r"only one of", r"got clipnorm, clipvalue, global_clipnorm"),
    ),
    ("optimizer_unknown_keyword", lambda: gs.optimizers.SGD(lr=0.1), TypeError, all_of(r"SGD", r"\blr\b")),
    # ---- layer / loss hyper-parameters ----------------------------------------------------------
    ("dropout_rate_one", lambda: gs.layers.Dropout(1.0), ValueError, all_of(r"\brate\b", UNIT_OPEN, r"got 1(\.0)?\b")),
    ("dropout_rate_negative", lambda: gs.layers.Dropout(-0.1), ValueError, all_of(r"\brate\b", UNIT_OPEN, r"-0\.1\b")),
    (
        "dropout_rate_nan",
        lambda: gs.layers.Dropout(float("nan")),
        ValueError,
        all_of(r"\brate\b", UNIT_OPEN, r"\bnan\b"),
    ),
    ("dropout_rate_string", lambda: gs.layers.Dropout("0.5"), TypeError, all_of(r"\brate\b", r"number", r"'0\.5'")),
    (
        "dropout_seed_negative",
        lambda: gs.layers.Dropout(0.5, seed=-1),
        ValueError,
        all_of(r"\bseed\b", r">= ?0", r"-1\b"),
    ),
    ("dense_units_none", lambda: Dense(None), TypeError, all_of(r"units", r"positive integer", r"None")),
    (
        "dense_activation_int",
        lambda: Dense(2, activation=3),
        TypeError,
        all_of(r"activation", r"string|None", r"\bint\b"),
    ),
    (
        "batchnorm_momentum_too_large",
        lambda: gs.layers.BatchNormalization(momentum=1.5),
        ValueError,
        all_of(r"momentum", r"\[0(\.0)?, ?1(\.0)?\]", r"1\.5"),
    ),
    (
        "batchnorm_epsilon_zero",
        lambda: gs.layers.BatchNormalization(epsilon=0.0),
        ValueError,
        all_of(r"epsilon", r"\(0(\.0)?, ?inf\)", r"got 0(\.0)?\b"),
    ),
    (
        "huber_delta_negative",
        lambda: gs.losses.Huber(delta=-1.0),
        ValueError,
        all_of(r"delta", r"\(0(\.0)?, ?inf\)", r"-1(\.0)?\b"),
    ),
    (
        "l2_regularizer_negative",
        lambda: gs.regularizers.L2(-0.5),
        ValueError,
        all_of(r"\bl2\b", NON_NEGATIVE, r"-0\.5"),
    ),
    (
        "unknown_initializer",
        lambda: Dense(3, kernel_initializer="glorot_foo"),
        ValueError,
        all_of(r"initializer", r"glorot_foo", r"glorot_uniform"),
    ),
    (
        "fit_steps_per_epoch_zero",
        lambda: _compiled().fit(_x(), _y(), steps_per_epoch=0, verbose=0),
        ValueError,
        all_of(r"steps_per_epoch", r"positive", r"\b0\b"),
    ),
    (
        "fit_validation_freq_zero",
        lambda: _compiled().fit(_x(), _y(), validation_freq=0, verbose=0),
        ValueError,
        all_of(r"validation_freq", r"positive", r"\b0\b"),
    ),
    (
        "fit_verbose_invalid",
        lambda: _compiled().fit(_x(), _y(), verbose=5),
        ValueError,
        all_of(r"verbose", r"0, 1, 2", r"\b5\b"),
    ),
    (
        "compile_loss_int",
        lambda: _model().compile(optimizer="sgd", loss=3),
        TypeError,
        all_of(r"loss", r"name|Loss", r"\bint\b"),
    ),
    (
        "compile_optimizer_int",
        lambda: _model().compile(optimizer=3, loss="mse"),
        TypeError,
        all_of(r"optimizer", r"name|Optimizer", r"\bint\b"),
    ),
    ("compile_loss_missing", lambda: _model().compile(optimizer="sgd"), ValueError, all_of(r"loss", r"required")),
    # ---- unknown identifiers: the message lists the valid options -------------------------------
    (
        "unknown_activation_dense",
        lambda: _build_and_predict(Dense(3, activation="relux")),
        ValueError,
        all_of(r"relux", r"\brelu\b", r"\bsigmoid\b", r"\bsoftmax\b"),
    ),
    (
        "unknown_activation_layer",
        lambda: _build_and_predict(gs.layers.Activation("foo")),
        ValueError,
        all_of(r"\bfoo\b", r"\brelu\b", r"\btanh\b"),
    ),
    (
        "unknown_loss",
        lambda: _compile_then_fit(loss="msee"),
        ValueError,
        all_of(r"msee", r"\bmse\b|mean_squared_error", r"binary_crossentropy"),
    ),
    (
        "unknown_loss_get",
        lambda: gs.losses.get("msee"),
        ValueError,
        all_of(r"msee", r"\bmse\b|mean_squared_error", r"binary_crossentropy"),
    ),
    (
        "unknown_optimizer",
        lambda: _compile_then_fit(optimizer="adamm"),
        ValueError,
        all_of(r"adamm", r"\bsgd\b", r"\brmsprop\b"),
    ),
    (
        "unknown_optimizer_get",
        lambda: gs.optimizers.get("adamm"),
        ValueError,
        all_of(r"adamm", r"\bsgd\b", r"\brmsprop\b"),
    ),
    ("unknown_metric", lambda: _compile_then_fit(metrics=["acc_foo"]), ValueError, all_of(r"acc_foo", r"\baccuracy\b")),
    # ---- layer arguments ---------------------------------------------------------------------
    ("dense_units_zero", lambda: Dense(0), ValueError, all_of(r"units", r"\b0\b")),
    ("dense_units_negative", lambda: Dense(-3), ValueError, all_of(r"units", r"-3\b")),
    ("dense_units_float", lambda: Dense(2.5), TypeError, all_of(r"units", r"2\.5")),
    ("set_num_threads_zero", lambda: gs.set_num_threads(0), ValueError, r"\b0\b"),
    ("set_seed_negative", lambda: gs.set_seed(-1), ValueError, all_of(r"seed", r"-1\b")),
    # ---- set_weights ---------------------------------------------------------------------------
    (
        "set_weights_too_few",
        lambda: _set_weights([np.zeros((3, 2), np.float32)]),
        ValueError,
        all_of(r"weight", r"\b2\b", r"\b1\b"),
    ),
    (
        "set_weights_too_many",
        lambda: _set_weights([np.zeros((3, 2), np.float32), np.zeros(2, np.float32), np.zeros(2, np.float32)]),
        ValueError,
        all_of(r"weight", r"\b2\b", r"\b3\b"),
    ),
    (
        "set_weights_strings",
        lambda: _set_weights([np.full((3, 2), "a"), np.zeros(2, np.float32)]),
        TypeError,
        all_of(r"weight", r"dtype|<U|str|numeric"),
    ),
    (
        "set_weights_kernel_transposed",
        lambda: _set_weights([np.zeros((2, 3), np.float32), np.zeros(2, np.float32)]),
        ValueError,
        all_of(r"\(3, ?2\)|\[3, ?2\]", r"\(2, ?3\)|\[2, ?3\]"),
    ),
    # ---- recurrent layers, Embedding, masks, per-timestep targets -------------------------------
    (
        "lstm_flat_input",
        lambda: _build_rnn([gs.layers.LSTM(3, name="rnn_a")], (6,)),
        ValueError,
        all_of(r"rnn_a", r"LSTM", r"timesteps, features", r"\(6,?\)"),
    ),
    (
        "lstm_x_wrong_steps",
        lambda: _fit_rnn(x=np.zeros((4, 7, 3), np.float32)),
        ValueError,
        all_of(X_NAME, r"\(None, 5, 3\)", r"\(4, 7, 3\)"),
    ),
    (
        "lstm_sparse_labels_per_sample_for_sequence_output",
        lambda: _fit_rnn(y=np.zeros(4, np.int64)),
        ValueError,
        all_of(Y_NAME, r"\(None, 5\)", r"\(4,\)"),
    ),
    (
        "lstm_sparse_label_out_of_range",
        lambda: _fit_rnn(y=np.full((4, 5), 3)),
        ValueError,
        all_of(Y_NAME, r"\b3\b", r"\[0, 2\]"),
    ),
    (
        "lstm_sample_weight_wrong_steps",
        lambda: _fit_rnn(sample_weight=np.ones((4, 6))),
        ValueError,
        all_of(r"sample_weight", r"\(4, 5\)", r"\(4, 6\)"),
    ),
    (
        "lstm_recurrent_kernel_wrong_shape",
        lambda: _build_rnn([gs.layers.LSTM(3)], (5, 3)).set_weights(
            [np.zeros((3, 12)), np.zeros((12, 3)), np.zeros(12)]
        ),
        ValueError,
        all_of(r"recurrent_kernel", r"\(3, 12\)", r"\(12, 3\)"),
    ),
    (
        "lstm_activation_unsupported",
        lambda: gs.layers.LSTM(3, activation="softmax"),
        ValueError,
        all_of(r"activation", r"softmax", r"tanh"),
    ),
    ("gru_reset_after_false", lambda: gs.layers.GRU(3, reset_after=False), NotImplementedError, r"reset_after"),
    (
        "rnn_recurrent_dropout_one",
        lambda: gs.layers.SimpleRNN(3, recurrent_dropout=1.0),
        ValueError,
        all_of(r"recurrent_dropout", r"\b1(\.0)?\b"),
    ),
    (
        "bidirectional_of_dense",
        lambda: gs.layers.Bidirectional(Dense(3)),
        TypeError,
        all_of(r"Bidirectional", r"Dense"),
    ),
    (
        "embedding_float_x",
        lambda: _fit_embedding(x=np.zeros((4, 5), np.float32)),
        TypeError,
        all_of(X_NAME, r"Embedding", r"integer", r"float32"),
    ),
    (
        "embedding_index_too_large",
        lambda: _fit_embedding(x=_int_with_value((2, 3), 9)),
        ValueError,
        all_of(X_NAME, r"\b9\b", r"\(2, 3\)", r"input_dim=9"),
    ),
    (
        "embedding_index_negative",
        lambda: _fit_embedding(x=_int_with_value((0, 1), -2)),
        ValueError,
        all_of(X_NAME, r"-2\b", r"\(0, 1\)"),
    ),
    (
        "embedding_not_first",
        lambda: _build_rnn([Dense(2), gs.layers.Embedding(9, 2)], (5,)),
        ValueError,
        all_of(r"Embedding", r"first layer"),
    ),
    (
        "mask_into_conv1d",
        lambda: _build_rnn([gs.layers.Masking(), gs.layers.Conv1D(2, 2, name="conv_m")], (5, 3)),
        ValueError,
        all_of(r"conv_m", r"Conv1D", r"mask"),
    ),
    (
        "set_weights_bias_wrong",
        lambda: _set_weights([np.zeros((3, 2), np.float32), np.zeros(3, np.float32)]),
        ValueError,
        all_of(r"\(2,?\)|\[2\]", r"\(3,?\)|\[3\]"),
    ),
]


@pytest.mark.parametrize("action,exc_type,pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises(action, exc_type, pattern):
    with pytest.raises(exc_type, match=pattern) as info:
        action()
    # the right family: a ValueError must not also be a TypeError and vice versa
    # (subclasses such as a NotCompiledError(ValueError, RuntimeError) are fine)
    other = TypeError if exc_type is ValueError else ValueError
    assert not isinstance(info.value, other), repr(info.value)


def test_case_ids_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


def _run_all_cases():
    """Run every case, swallowing Python exceptions; used by the crash test below."""
    for _id, action, _exc, _pattern in CASES:
        try:
            action()
        except Exception:
            pass


def test_no_case_crashes_the_interpreter():
    """A fatal error (abort, segfault) in the C++ core would kill pytest itself; run the
    whole table in a child interpreter and check that it exits normally."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {here!r})
        import test_errors
        test_errors._run_all_cases()
        test_errors._run_all_cases()
        print("ALL-CASES-DONE")
    """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ALL-CASES-DONE" in proc.stdout


def test_model_usable_after_errors():
    gs.set_seed(0)
    m = _compiled()
    for bad in (
        lambda: m.fit(_x(10), _y(9), verbose=0),
        lambda: m.fit(_x(10, 5), _y(10), verbose=0),
        lambda: m.fit(_x(), _y(), batch_size=0, verbose=0),
        lambda: m.predict(_strings((10, 4)), verbose=0),
    ):
        with pytest.raises((ValueError, TypeError)):
            bad()
    history = m.fit(_x(), _y(), batch_size=5, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert m.optimizer.iterations == 4
    assert m.predict(_x(), verbose=0).shape == (10, 1)


# --------------------------------------------------------------------------------------------
# Inputs that must be accepted
# --------------------------------------------------------------------------------------------


def _trained_model():
    gs.set_seed(0)
    m = gs.Sequential([gs.Input((4,)), Dense(8, activation="tanh"), Dense(3)])
    return m


def test_predict_before_compile_works():
    m = _trained_model()
    p = m.predict(_x(), verbose=0)
    assert p.shape == (10, 3) and p.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int64, np.int32, np.uint8, np.int8, np.bool_])
def test_other_numeric_dtypes_match_float32(dtype):
    m = _trained_model()
    rng = np.random.default_rng(0)
    if dtype == np.bool_:
        x = rng.integers(0, 2, size=(12, 4)).astype(np.bool_)
    elif np.issubdtype(dtype, np.integer):
        x = rng.integers(0, 100, size=(12, 4)).astype(dtype)
    else:
        x = (rng.integers(-64, 64, size=(12, 4)) / 8.0).astype(dtype)  # exact in float16/32
    ref = m.predict(x.astype(np.float32), verbose=0)
    got = m.predict(x, verbose=0)
    assert got.dtype == np.float32
    assert np.array_equal(got, ref)
    assert np.array_equal(m(x), m(x.astype(np.float32)))


def _layouts():
    rng = np.random.default_rng(1)
    big = rng.standard_normal((30, 9)).astype(np.float32)
    return {
        "fortran": np.asfortranarray(big[:, :4]),
        "row_stride": big[::3, :4],
        "col_slice": big[:, 2:6],
        "col_stride": big[:, ::2][:, :4],
        "reversed": big[::-1, 5:9],
        "transposed": np.ascontiguousarray(big[:, :4].T).T,
        "float64_fortran": np.asfortranarray(big[:, 1:5].astype(np.float64)),
    }


@pytest.mark.parametrize("layout", sorted(_layouts()))
def test_non_contiguous_x_same_as_contiguous(layout):
    x = _layouts()[layout]
    xc = np.ascontiguousarray(x, dtype=np.float32)
    x_before = x.copy()
    m = _trained_model()
    assert np.array_equal(m.predict(x, verbose=0), m.predict(xc, verbose=0))
    assert np.array_equal(m(x), m(xc))
    assert np.array_equal(x, x_before)  # input not modified


@pytest.mark.parametrize("layout", ["fortran", "row_stride", "reversed"])
def test_non_contiguous_fit_same_as_contiguous(layout):
    x = _layouts()[layout]
    n = x.shape[0]
    y = np.asfortranarray(np.arange(n * 3, dtype=np.float32).reshape(n, 3) / (3 * n))
    results = []
    for xx, yy in ((x, y), (np.ascontiguousarray(x), np.ascontiguousarray(y))):
        m = _trained_model()
        m.compile(optimizer="adam", loss="mse")
        h = m.fit(xx, yy, batch_size=4, epochs=2, shuffle=True, verbose=0)
        results.append((m.get_weights(), h.history["loss"], m.evaluate(xx, yy, verbose=0)))
    (w1, h1, e1), (w2, h2, e2) = results
    for a, b in zip(w1, w2):
        assert np.array_equal(a, b)
    assert h1 == h2 and e1 == e2


def test_float64_fit_same_as_float32():
    rng = np.random.default_rng(4)
    x = rng.integers(-64, 64, size=(20, 4)) / 8.0
    y = rng.integers(-8, 8, size=(20, 3)) / 4.0
    results = []
    for xx, yy in ((x, y), (x.astype(np.float32), y.astype(np.float32))):
        m = _trained_model()
        m.compile(optimizer="sgd", loss="mse")
        m.fit(xx, yy, batch_size=5, epochs=2, verbose=0)
        results.append(m.get_weights())
    for a, b in zip(*results):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_, np.float64])
def test_integer_bool_fit_evaluate_same_as_float32(dtype):
    rng = np.random.default_rng(6)
    x = rng.integers(0, 2 if dtype == np.bool_ else 5, size=(20, 4)).astype(dtype)
    y = rng.integers(0, 2, size=(20, 3)).astype(dtype)
    results = []
    for xx, yy in ((x, y), (x.astype(np.float32), y.astype(np.float32))):
        m = _trained_model()
        m.compile(optimizer="adam", loss="mse")
        h = m.fit(xx, yy, batch_size=6, epochs=2, verbose=0)
        results.append(
            (
                m.get_weights(),
                h.history["loss"],
                m.evaluate(xx, yy, verbose=0),
                m.predict(xx, verbose=0),
                m.train_on_batch(xx, yy),
            )
        )
    (w1, h1, e1, p1, t1), (w2, h2, e2, p2, t2) = results
    for a, b in zip(w1, w2):
        assert np.array_equal(a, b)
    assert h1 == h2 and e1 == e2 and t1 == t2
    assert np.array_equal(p1, p2)


def test_no_overflow_warning_for_float64_overflow():
    import warnings

    m = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="float32"):
            m.predict(np.full((3, 4), 1e300), verbose=0)


def test_read_only_inputs_accepted():
    x = _x(10)
    y = np.ones((10, 3), np.float32)
    x.setflags(write=False)
    y.setflags(write=False)
    m = _trained_model()
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, y, batch_size=5, epochs=1, verbose=0)
    m.evaluate(x, y)
    assert m.predict(x, verbose=0).shape == (10, 3)
    m.train_on_batch(x, y)


@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8, np.int16])
def test_sparse_label_dtypes_match_int64(label_dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((30, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=30)
    results = []
    for yy in (y.astype(np.int64), y.astype(label_dtype)):
        m = _trained_model()
        m.compile(optimizer="sgd", loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        h = m.fit(x, yy, batch_size=10, epochs=2, verbose=0)
        results.append((m.get_weights(), h.history))
    (w1, h1), (w2, h2) = results
    for a, b in zip(w1, w2):
        assert np.array_equal(a, b)
    assert h1 == h2


def test_sparse_labels_column_vector_accepted():
    # Keras accepts sparse labels of shape (N,) and (N, 1)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((30, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=30).astype(np.int64)
    m = _trained_model()
    m.compile(optimizer="sgd", loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    a = m.evaluate(x, y, verbose=0)
    b = m.evaluate(x, y.reshape(-1, 1), verbose=0)
    assert a == pytest.approx(b, rel=1e-6)


def test_float_integral_sparse_labels_match_int_labels():
    # Keras accepts float class ids such as 2.0 for sparse categorical losses
    rng = np.random.default_rng(5)
    x = rng.standard_normal((30, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=30)
    m = _trained_model()
    m.compile(optimizer="sgd", loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    a = m.evaluate(x, y.astype(np.int64), verbose=0)
    b = m.evaluate(x, y.astype(np.float32), verbose=0)
    assert a == b


def test_numpy_integer_arguments_accepted():
    m = _compiled()
    h = m.fit(_x(), _y(), batch_size=np.int64(4), epochs=np.int32(2), verbose=0)
    assert len(h.history["loss"]) == 2
    assert m.optimizer.iterations == 6
    assert m.predict(_x(), batch_size=np.int64(3), verbose=0).shape == (10, 1)


def test_bool_targets_for_binary_crossentropy():
    x = _x(10)
    y = (np.arange(10) % 2 == 0).reshape(-1, 1)
    m = _compiled(activation="sigmoid", loss="binary_crossentropy", metrics=["accuracy"])
    assert m.evaluate(x, y, verbose=0) == m.evaluate(x, y.astype(np.float32), verbose=0)
