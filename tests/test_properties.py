"""Property tests (Hypothesis): random layer stacks, shapes, dtypes, memory orders, optimizers,
losses and (sometimes invalid) hyper-parameters and data go through build / fit / predict /
evaluate / save / load.

Properties:
- nothing crashes the interpreter, and every failure is a Python exception of an allowed type
  (ValueError / TypeError / IndexError);
- a configuration we made invalid on purpose fails with such an exception, a valid one never fails;
- valid configurations give correctly shaped float32 outputs, finite before training;
- any memory layout of x gives bitwise the same predictions as np.ascontiguousarray(x);
- a save / load round trip gives bitwise-identical weights and predictions.

The number of examples comes from the Hypothesis profile (tests/conftest.py): a small one in the
normal suite, >= 2,000 with HYPOTHESIS_PROFILE=thorough.
"""

import os
import tempfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, note  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

gs = pytest.importorskip("gradstep")

ALLOWED = (ValueError, TypeError, IndexError)
ACTIVATIONS = [None, "linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax", "softplus", "gelu", "swish"]
DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"]
LAYOUTS = ["C", "F", "strided", "reversed", "col_slice"]
LOSSES = [
    "mse",
    "mae",
    "huber",
    "binary_crossentropy",
    "bce_logits",
    "categorical_crossentropy",
    "cce_logits",
    "sparse_categorical_crossentropy",
    "scce_logits",
    "hinge",
]


# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------
@st.composite
def hidden_layers(draw):
    kind = draw(st.sampled_from(["dense", "dense", "batchnorm", "dropout", "activation"]))
    if kind == "dense":
        return (
            "dense",
            {
                "units": draw(st.integers(1, 8)),
                "activation": draw(st.sampled_from(ACTIVATIONS)),
                "use_bias": draw(st.booleans()),
            },
        )
    if kind == "batchnorm":
        return (
            "batchnorm",
            {
                "momentum": draw(st.sampled_from([0.0, 0.5, 0.9, 0.99])),
                "epsilon": draw(st.sampled_from([1e-5, 1e-3, 0.1])),
                "center": draw(st.booleans()),
                "scale": draw(st.booleans()),
            },
        )
    if kind == "dropout":
        return ("dropout", {"rate": draw(st.sampled_from([0.0, 0.1, 0.5, 0.9]))})
    return ("activation", {"activation": draw(st.sampled_from(ACTIVATIONS))})


# invalid hyper-parameters: (optimizer names it applies to, keyword arguments)
BAD_OPTIMIZER_ARGS = [
    (None, {"learning_rate": -0.01}),
    (None, {"learning_rate": float("nan")}),
    (None, {"learning_rate": "0.1"}),
    (None, {"clipnorm": 1.0, "clipvalue": 1.0}),
    (None, {"clipnorm": 1.0, "global_clipnorm": 1.0}),
    (None, {"clipvalue": 0.5, "global_clipnorm": 2.0}),
    (None, {"clipnorm": -1.0}),
    (None, {"weight_decay": -0.1}),
    ("adam", {"beta_1": 1.0}),
    ("adam", {"beta_2": -0.1}),
    ("adamw", {"beta_1": 1.5}),
    ("adam", {"epsilon": -1.0}),
    ("rmsprop", {"rho": 1.0}),
    ("rmsprop", {"momentum": -0.5}),
    ("sgd", {"momentum": 1.5}),
    ("adagrad", {"initial_accumulator_value": -1.0}),
]
OPTIMIZER_CLASSES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


@st.composite
def optimizers(draw):
    name = draw(st.sampled_from(sorted(OPTIMIZER_CLASSES)))
    kwargs = {"learning_rate": draw(st.sampled_from([0.0, 1e-3, 0.01, 0.1]))}
    if name == "sgd":
        kwargs.update(momentum=draw(st.sampled_from([0.0, 0.5, 0.9])), nesterov=draw(st.booleans()))
    elif name in ("adam", "adamw"):
        kwargs.update(
            beta_1=draw(st.sampled_from([0.0, 0.5, 0.9])),
            beta_2=draw(st.sampled_from([0.0, 0.9, 0.999])),
            epsilon=draw(st.sampled_from([1e-7, 1e-3])),
            amsgrad=draw(st.booleans()),
        )
    elif name == "rmsprop":
        kwargs.update(
            rho=draw(st.sampled_from([0.0, 0.9])),
            momentum=draw(st.sampled_from([0.0, 0.9])),
            centered=draw(st.booleans()),
        )
    else:
        kwargs.update(initial_accumulator_value=draw(st.sampled_from([0.0, 0.1, 1.0])))
    clip = draw(st.sampled_from([None, "clipnorm", "clipvalue", "global_clipnorm"]))
    if clip is not None:
        kwargs[clip] = draw(st.sampled_from([0.1, 1.0, 10.0]))
    if name != "adamw" and draw(st.booleans()):
        kwargs["weight_decay"] = draw(st.sampled_from([None, 0.0, 1e-3]))
    valid = True
    if draw(st.integers(0, 9)) == 0:  # ~10 %: an invalid hyper-parameter
        choices = [
            args
            for owner, args in BAD_OPTIMIZER_ARGS
            if owner is None or owner == name or (owner == "adam" and name == "adamw")
        ]
        bad = draw(st.sampled_from(choices))
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if any(k in bad for k in ("clipnorm", "clipvalue", "global_clipnorm")):
                kwargs.pop(key, None)
        kwargs.update(bad)
        valid = False
    return name, kwargs, valid


@st.composite
def configs(draw):
    return {
        "seed": draw(st.integers(0, 2**31 - 1)),
        "n": draw(st.integers(1, 20)),
        "features": draw(st.integers(1, 10)),
        "outputs": draw(st.integers(1, 5)),
        "hidden": draw(st.lists(hidden_layers(), max_size=4)),
        "last_activation": draw(st.sampled_from(["auto", "auto", "auto"] + ACTIVATIONS)),
        "use_input": draw(st.booleans()),
        "loss": draw(st.sampled_from(LOSSES)),
        "metrics": draw(st.lists(st.sampled_from(["mse", "mae", "accuracy"]), max_size=2, unique=True)),
        "optimizer": draw(optimizers()),
        "dtype": draw(st.sampled_from(DTYPES)),
        "layout": draw(st.sampled_from(LAYOUTS)),
        "batch_size": draw(st.sampled_from([None, 1, 2, 3, 7, 32])),
        "epochs": draw(st.integers(1, 2)),
        "shuffle": draw(st.booleans()),
        "validation_split": draw(st.sampled_from([0.0, 0.0, 0.0, 0.25, 0.5])),
        "bad_data": draw(
            st.sampled_from(
                [None] * 30 + ["nan_x", "inf_y", "wrong_width", "y_length", "label_range", "strings_x", "y_rank1"]
            )
        ),
        "bad_layer": draw(st.sampled_from([None] * 40 + ["dropout_rate", "dense_units", "activation_name"])),
    }


# ---------------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------------
def make_layer(kind, args):
    if kind == "dense":
        return gs.layers.Dense(**args)
    if kind == "batchnorm":
        return gs.layers.BatchNormalization(**args)
    if kind == "dropout":
        return gs.layers.Dropout(**args)
    return gs.layers.Activation(args["activation"])


def make_loss(name):
    if name == "bce_logits":
        return gs.losses.BinaryCrossentropy(from_logits=True), "binary", None
    if name == "cce_logits":
        return gs.losses.CategoricalCrossentropy(from_logits=True), "onehot", None
    if name == "scce_logits":
        return gs.losses.SparseCategoricalCrossentropy(from_logits=True), "sparse", None
    kind = {
        "binary_crossentropy": "binary",
        "hinge": "binary",
        "categorical_crossentropy": "onehot",
        "sparse_categorical_crossentropy": "sparse",
    }.get(name, "regression")
    natural = {
        "binary_crossentropy": "sigmoid",
        "categorical_crossentropy": "softmax",
        "sparse_categorical_crossentropy": "softmax",
    }.get(name)
    return name, kind, natural


def in_dtype(values, dtype):
    """`values` (float64 in [-3, 3]) as an array of `dtype`."""
    if dtype == "bool":
        return values > 0
    if dtype in ("int64", "int32"):
        return np.round(values * 2).astype(dtype)
    if dtype == "uint8":
        return np.round(np.abs(values) * 2).astype(dtype)
    return values.astype(dtype)


def in_layout(array, layout):
    """The same values as `array`, in another memory layout."""
    if layout == "F":
        return np.asfortranarray(array)
    if layout == "strided":
        big = np.zeros((array.shape[0] * 2, array.shape[1] * 3), dtype=array.dtype)
        big[::2, ::3] = array
        return big[::2, ::3]
    if layout == "reversed":
        return np.ascontiguousarray(array[::-1])[::-1]
    if layout == "col_slice":
        big = np.zeros((array.shape[0], array.shape[1] + 2), dtype=array.dtype)
        big[:, 1:-1] = array
        return big[:, 1:-1]
    return np.ascontiguousarray(array)


def make_data(cfg, target_kind, rng):
    n, d, k = cfg["n"], cfg["features"], cfg["outputs"]
    x = in_layout(in_dtype(rng.uniform(-3, 3, size=(n, d)), cfg["dtype"]), cfg["layout"])
    if target_kind == "regression":
        y = rng.standard_normal((n, k)).astype(np.float32)
    elif target_kind == "binary":
        y = rng.integers(0, 2, size=(n, k)).astype(np.float32)
    elif target_kind == "onehot":
        y = np.eye(k, dtype=np.float32)[rng.integers(0, k, size=n)]
    else:
        y = rng.integers(0, k, size=n).astype(np.int64)
    return x, y


def corrupt(cfg, x, y, target_kind):
    """Apply cfg["bad_data"]; returns (x, y, expect_error)."""
    bad = cfg["bad_data"]
    if bad is None:
        return x, y, False
    if bad == "nan_x":
        x = np.array(x, dtype=np.float64)
        x[-1, -1] = np.nan
        return x, y, True
    if bad == "inf_y" and target_kind != "sparse":
        y = np.array(y, dtype=np.float64)
        y[0, 0] = np.inf
        return x, y, True
    if bad == "wrong_width" and cfg["use_input"]:
        return np.zeros((len(x), cfg["features"] + 1), np.float32), y, True
    if bad == "y_length":
        return x, np.concatenate([y, y[:1]]), True
    if bad == "label_range" and target_kind == "sparse":
        y = y.copy()
        y[0] = cfg["outputs"] + 3
        return x, y, True
    if bad == "strings_x":
        return np.full(x.shape, "a"), y, True
    if bad == "y_rank1" and target_kind != "sparse":
        if y.shape[1] == 1:
            return x, y[:, 0], True  # (N,) against an (N, 1) output: an error, no broadcast
    return x, y, False


def build_model(cfg, loss_natural):
    layers = [make_layer(kind, args) for kind, args in cfg["hidden"]]
    if cfg["bad_layer"] == "dropout_rate":
        layers.append(gs.layers.Dropout(1.0))
    elif cfg["bad_layer"] == "dense_units":
        layers.append(gs.layers.Dense(0))
    elif cfg["bad_layer"] == "activation_name":
        layers.append(gs.layers.Dense(2, activation="rellu"))
    last = cfg["last_activation"]
    if last == "auto":
        last = loss_natural
    layers.append(gs.layers.Dense(cfg["outputs"], activation=last))
    if cfg["use_input"]:
        layers.insert(0, gs.Input((cfg["features"],)))
    return gs.Sequential(layers)


def check_prediction(p, n, k):
    assert isinstance(p, np.ndarray)
    assert p.dtype == np.float32
    assert p.shape == (n, k)


def run_config(cfg, directory):
    """Everything a user might do with this configuration. Returns normally or raises the
    Python exception the library raised."""
    gs.set_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    loss, target_kind, natural = make_loss(cfg["loss"])
    metrics = [m for m in cfg["metrics"] if not (target_kind == "sparse" and m in ("mse", "mae"))]
    opt_name, opt_kwargs, _ = cfg["optimizer"]
    optimizer = getattr(gs.optimizers, OPTIMIZER_CLASSES[opt_name])(**opt_kwargs)
    model = build_model(cfg, natural)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    x, y = make_data(cfg, target_kind, rng)
    x_bad, y_bad, _ = corrupt(cfg, x, y, target_kind)
    n, k = cfg["n"], cfg["outputs"]

    # fresh model: finite outputs, and any layout == the contiguous array, bitwise
    p0 = model.predict(x_bad, verbose=0)
    check_prediction(p0, n, k)
    assert np.isfinite(p0).all()
    assert np.array_equal(p0, model.predict(np.ascontiguousarray(x), verbose=0))

    history = model.fit(
        x_bad,
        y_bad,
        batch_size=cfg["batch_size"],
        epochs=cfg["epochs"],
        verbose=0,
        shuffle=cfg["shuffle"],
        validation_split=cfg["validation_split"],
    )
    assert len(history.history["loss"]) == cfg["epochs"]
    for name in metrics:
        assert len(history.history[name]) == cfg["epochs"]

    p1 = model.predict(x, verbose=0)
    check_prediction(p1, n, k)
    assert np.array_equal(p1, model(x), equal_nan=True) or not np.isfinite(p1).all()
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, float) if not metrics else len(result) == 1 + len(metrics)

    path = os.path.join(directory, "model.gstep")
    model.save(path)
    loaded = gs.models.load_model(path)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert np.array_equal(a, b, equal_nan=True)
    assert np.array_equal(loaded.predict(x, verbose=0), p1, equal_nan=True)
    assert loaded.optimizer.iterations == model.optimizer.iterations

    # the loaded model keeps training
    loaded.fit(x, y, batch_size=cfg["batch_size"], epochs=1, verbose=0)
    check_prediction(loaded.predict(x, verbose=0), n, k)


def expected_to_fail(cfg):
    """True when the configuration contains something invalid on purpose."""
    if not cfg["optimizer"][2] or cfg["bad_layer"] is not None:
        return True
    n = cfg["n"]
    split = cfg["validation_split"]
    if split > 0:
        split_at = int(n * (1.0 - split))
        if split_at == 0 or split_at == n:
            return True
    if any(kind == "batchnorm" for kind, _ in cfg["hidden"]):
        # BatchNormalization refuses to train on a batch of one sample (no variance to estimate), as
        # PyTorch does; fit on the training part (with validation_split) and on all n samples
        batch_size = cfg["batch_size"] or 32
        n_train = int(n * (1.0 - split)) if split > 0 else n
        for rows in (n_train, n):
            if min(batch_size, rows) == 1 or rows % batch_size == 1:
                return True
    _, target_kind, _ = make_loss(cfg["loss"])
    rng = np.random.default_rng(0)
    x, y = make_data(dict(cfg, n=2, layout="C"), target_kind, rng)
    return corrupt(dict(cfg, n=2), x, y, target_kind)[2]


@given(cfg=configs())
def test_random_configurations_never_crash(cfg):
    note(repr(cfg))
    invalid = expected_to_fail(cfg)
    with tempfile.TemporaryDirectory() as directory:
        try:
            run_config(cfg, directory)
        except ALLOWED as error:
            if not invalid:
                raise AssertionError(f"a valid configuration failed: {error!r}") from error
            assert str(error), "errors must carry a message"
            event(f"invalid configuration: {type(error).__name__}")
            return
    assert not invalid, "an invalid configuration was accepted"
    event("valid configuration: trained, saved and reloaded")


# ---------------------------------------------------------------------------------------------
# targeted properties
# ---------------------------------------------------------------------------------------------
@given(
    n=st.integers(1, 20),
    d=st.integers(1, 10),
    k=st.integers(1, 5),
    dtype=st.sampled_from(DTYPES),
    layout=st.sampled_from(LAYOUTS),
    seed=st.integers(0, 2**16),
)
def test_dtype_and_layout_equal_float32_contiguous(n, d, k, dtype, layout, seed):
    gs.set_seed(seed)
    model = gs.Sequential(
        [gs.Input((d,)), gs.layers.Dense(6, activation="tanh"), gs.layers.BatchNormalization(), gs.layers.Dense(k)]
    )
    values = in_dtype(np.random.default_rng(seed).uniform(-3, 3, size=(n, d)), dtype)
    x = in_layout(values, layout)
    reference = model.predict(np.ascontiguousarray(values, dtype=np.float32), verbose=0)
    assert np.array_equal(model.predict(x, verbose=0), reference)
    assert np.array_equal(model(x), model(np.ascontiguousarray(values, dtype=np.float32)))


@given(data=st.data())
def test_arbitrary_arrays_never_crash_predict(data):
    """Arbitrary shapes, dtypes and values (NaN, inf, huge, empty) into predict: a result or a
    Python exception, never a crash."""
    model = gs.Sequential([gs.Input((3,)), gs.layers.Dense(2)])
    ndim = data.draw(st.integers(0, 3))
    shape = tuple(data.draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    dtype = data.draw(st.sampled_from(["float32", "float64", "int8", "uint64", "bool", "complex64", "<U2", "O"]))
    size = int(np.prod(shape)) if shape else 1
    if dtype in ("float32", "float64"):
        values = data.draw(
            st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=size, max_size=size)
        )
    else:
        values = data.draw(st.lists(st.integers(0, 100), min_size=size, max_size=size))
    with np.errstate(all="ignore"):
        x = np.array(values).astype(dtype).reshape(shape)
    try:
        p = model.predict(x, verbose=0)
    except ALLOWED:
        return
    assert x.ndim == 2 and x.shape[1] == 3 and x.shape[0] >= 1
    check_prediction(p, x.shape[0], 2)
