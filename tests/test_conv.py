"""Convolutional layers: forward against float64 direct loops (tests/reference_conv.py), every
gradient (input, kernel, bias) against central differences of that reference, shape checks at
build time, and the layers inside real models (save/load, threads, summary).
"""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref
import reference_conv as rc

import gradstep as gs

L = gs.layers
GRAD_TOL = 1e-3


def _single_layer(input_shape, layer, weights=None, seed=0):
    gs.set_seed(seed)
    model = gs.Sequential([gs.Input(input_shape), layer])
    if weights is not None:
        model.set_weights(weights)
    return model


def _check(model, x, reference, weights):
    """y, dx and every weight gradient of `model` against `reference(x, *weights)` (float64)."""
    x = np.asarray(x, np.float32)
    expected = reference(x, *weights)
    rng = np.random.default_rng(99)
    dy = rng.standard_normal(expected.shape).astype(np.float32)
    y, dx, grads = model.forward_backward(x, dy)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=2e-5)

    def loss_of(position):
        def f(value):
            args = [x] + list(weights)
            args[position] = value
            return float(np.sum(reference(*args) * dy))

        return f

    numeric_dx = ref.numeric_grad(loss_of(0), x)
    assert dx.shape == x.shape
    assert ref.rel_err(dx, numeric_dx) < GRAD_TOL, ref.rel_err(dx, numeric_dx)
    assert len(grads) == len(weights)
    for i, (grad, weight) in enumerate(zip(grads, weights)):
        numeric = ref.numeric_grad(loss_of(i + 1), weight)
        assert grad.shape == weight.shape
        assert ref.rel_err(grad, numeric) < GRAD_TOL, (i, ref.rel_err(grad, numeric))


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


CONV2D_CASES = [
    # (input (H, W, C), filters, kernel, strides, padding, dilation)
    ((6, 6, 1), 2, (3, 3), (1, 1), "valid", (1, 1)),  # a single channel
    ((5, 5, 3), 4, (2, 2), (1, 1), "same", (1, 1)),  # "same" with an even kernel
    ((7, 6, 2), 3, (3, 3), (2, 2), "valid", (1, 1)),  # stride 2, odd sizes
    ((6, 7, 2), 3, (3, 2), (2, 2), "same", (1, 1)),  # stride 2 "same", rectangular kernel
    ((7, 7, 2), 2, (3, 3), (1, 1), "valid", (2, 2)),  # dilation 2
    ((6, 5, 2), 2, (3, 3), (1, 1), "same", (2, 2)),  # dilation 2 "same"
    ((4, 5, 5), 3, (1, 1), (1, 1), "valid", (1, 1)),  # pointwise: no im2col
    ((4, 4, 16), 8, (3, 3), (1, 1), "same", (1, 1)),  # many channels
    ((5, 5, 2), 3, (5, 5), (1, 1), "valid", (1, 1)),  # kernel as large as the input
]


@pytest.mark.parametrize("case", CONV2D_CASES, ids=[str(c) for c in CONV2D_CASES])
@pytest.mark.parametrize("batch", [1, 2])
def test_conv2d_forward_and_gradients(case, batch):
    shape, filters, kernel, strides, padding, dilation = case
    layer = L.Conv2D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation)
    weights = [_random(kernel + (shape[-1], filters), 1), _random((filters,), 2)]
    model = _single_layer(shape, layer, weights)
    _check(model, _random((batch,) + shape, 3), lambda x, k, b: rc.conv2d(x, k, b, strides, padding, dilation), weights)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "gelu"])
def test_conv2d_with_activation(activation):
    use_bias = activation in ("relu", "gelu")
    layer = L.Conv2D(3, 3, padding="same", activation=activation, use_bias=use_bias)
    weights = [_random((3, 3, 2, 3), 4)] + ([_random((3,), 5)] if use_bias else [])
    model = _single_layer((5, 4, 2), layer, weights)
    x = _random((2, 5, 4, 2), 6)
    act = ref.activation(activation)

    def reference(x, kernel, bias=None):
        return act(rc.conv2d(x, kernel, bias, padding="same"))

    if activation == "relu":  # central differences must not straddle the kink
        assert np.min(np.abs(rc.conv2d(x, *weights, padding="same"))) > 1e-3
    _check(model, x, reference, weights)


CONV1D_CASES = [
    # (input (T, C), filters, kernel, stride, padding, dilation)
    ((9, 2), 3, 3, 1, "valid", 1),
    ((8, 3), 2, 4, 1, "same", 1),
    ((9, 2), 2, 3, 2, "same", 1),
    ((7, 2), 3, 3, 1, "causal", 1),
    ((9, 1), 2, 2, 1, "causal", 3),
    ((10, 2), 2, 3, 1, "valid", 2),
]


@pytest.mark.parametrize("case", CONV1D_CASES, ids=[str(c) for c in CONV1D_CASES])
def test_conv1d_forward_and_gradients(case):
    shape, filters, kernel, stride, padding, dilation = case
    layer = L.Conv1D(filters, kernel, strides=stride, padding=padding, dilation_rate=dilation)
    weights = [_random((kernel, shape[-1], filters), 1), _random((filters,), 2)]
    model = _single_layer(shape, layer, weights)
    _check(model, _random((2,) + shape, 3), lambda x, k, b: rc.conv1d(x, k, b, stride, padding, dilation), weights)


def test_conv1d_causal_output_does_not_see_the_future():
    model = _single_layer((8, 1), L.Conv1D(1, 3, padding="causal", dilation_rate=2, use_bias=False))
    x = _random((1, 8, 1), 4)
    y = model.predict(x, verbose=0)
    x2 = x.copy()
    x2[0, 5:] += 10.0
    y2 = model.predict(x2, verbose=0)
    np.testing.assert_array_equal(y[0, :5], y2[0, :5])
    assert not np.array_equal(y[0, 5:], y2[0, 5:])


TRANSPOSE_CASES = [
    # (input (H, W, C), filters, kernel, strides, padding)
    ((3, 3, 2), 2, (3, 3), (2, 2), "valid"),
    ((3, 4, 2), 3, (3, 3), (2, 2), "same"),
    ((3, 3, 1), 2, (2, 2), (2, 2), "valid"),
    ((3, 2, 2), 2, (4, 4), (2, 2), "same"),
    ((4, 4, 3), 2, (3, 3), (1, 1), "same"),
    ((2, 3, 2), 2, (1, 1), (3, 3), "valid"),  # kernel smaller than the stride
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=[str(c) for c in TRANSPOSE_CASES])
def test_conv2d_transpose_forward_and_gradients(case):
    shape, filters, kernel, strides, padding = case
    layer = L.Conv2DTranspose(filters, kernel, strides=strides, padding=padding)
    weights = [_random(kernel + (filters, shape[-1]), 1), _random((filters,), 2)]
    model = _single_layer(shape, layer, weights)
    _check(model, _random((2,) + shape, 3), lambda x, k, b: rc.conv2d_transpose(x, k, b, strides, padding), weights)


POOL_CASES = [
    # (layer class, input (H, W, C), pool, strides, padding)
    (L.MaxPooling2D, (6, 6, 2), (2, 2), None, "valid"),
    (L.MaxPooling2D, (7, 5, 3), (3, 3), (2, 2), "same"),
    (L.MaxPooling2D, (5, 7, 1), (2, 3), (1, 2), "valid"),
    (L.AveragePooling2D, (6, 6, 2), (2, 2), None, "valid"),
    (L.AveragePooling2D, (7, 5, 3), (3, 3), (2, 2), "same"),
    (L.AveragePooling2D, (5, 5, 2), (2, 2), (1, 1), "same"),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=[f"{c[0].__name__}-{c[1:]}" for c in POOL_CASES])
def test_pooling2d_forward_and_gradients(case):
    cls, shape, pool, strides, padding = case
    model = _single_layer(shape, cls(pool, strides=strides, padding=padding))
    mode = "max" if "Max" in cls.__name__ else "average"
    _check(model, _random((2,) + shape, 7), lambda x: rc.pool2d(x, pool, strides or pool, padding, mode), [])


@pytest.mark.parametrize("cls,mode", [(L.MaxPooling1D, "max"), (L.AveragePooling1D, "average")])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling1d_forward_and_gradients(cls, mode, padding):
    model = _single_layer((9, 3), cls(3, strides=2, padding=padding))
    reference = lambda x: rc.pool2d(x[:, None], (1, 3), (1, 2), padding, mode)[:, 0]
    _check(model, _random((2, 9, 3), 8), reference, [])


@pytest.mark.parametrize(
    "cls,axes,reduce",
    [
        (L.GlobalMaxPooling2D, (1, 2), np.max),
        (L.GlobalAveragePooling2D, (1, 2), np.mean),
        (L.GlobalMaxPooling1D, (1,), np.max),
        (L.GlobalAveragePooling1D, (1,), np.mean),
    ],
)
def test_global_pooling(cls, axes, reduce):
    shape = (4, 5, 3) if len(axes) == 2 else (6, 3)
    model = _single_layer(shape, cls())
    assert model.output_shape == (None, 3)
    _check(model, _random((2,) + shape, 9), lambda x: reduce(np.asarray(x, np.float64), axis=axes), [])


def test_reshaping_layers():
    x = _random((2, 3, 4, 2), 10)
    _check(_single_layer((3, 4, 2), L.Flatten()), x, lambda x: np.asarray(x, np.float64).reshape(2, -1), [])
    _check(_single_layer((3, 4, 2), L.Reshape((4, -1))), x, lambda x: np.asarray(x, np.float64).reshape(2, 4, 6), [])
    _check(_single_layer((3, 4, 2), L.UpSampling2D((2, 3))), x, lambda x: rc.upsample2d(x, (2, 3)), [])
    _check(
        _single_layer((3, 4, 2), L.ZeroPadding2D(((1, 0), (2, 1)))), x, lambda x: rc.zero_pad2d(x, ((1, 0), (2, 1))), []
    )
    assert _single_layer((3, 4, 2), L.ZeroPadding2D(1)).output_shape == (None, 5, 6, 2)


def test_keras_weight_shapes_and_output_shapes():
    cases = [
        (L.Conv2D(8, 3), (28, 28, 1), (None, 26, 26, 8), [(3, 3, 1, 8), (8,)]),
        (L.Conv2D(8, 3, strides=2, padding="same"), (28, 27, 3), (None, 14, 14, 8), [(3, 3, 3, 8), (8,)]),
        (L.Conv1D(4, 5, padding="causal"), (10, 2), (None, 10, 4), [(5, 2, 4), (4,)]),
        (L.Conv2DTranspose(6, 3, strides=2), (7, 7, 4), (None, 15, 15, 6), [(3, 3, 6, 4), (6,)]),
        (
            L.Conv2DTranspose(6, 3, strides=2, padding="same", use_bias=False),
            (7, 7, 4),
            (None, 14, 14, 6),
            [(3, 3, 6, 4)],
        ),
        (L.MaxPooling2D(), (7, 7, 3), (None, 3, 3, 3), []),
        (L.MaxPooling2D(padding="same"), (7, 7, 3), (None, 4, 4, 3), []),
        (L.AveragePooling1D(2), (7, 3), (None, 3, 3), []),
    ]
    for layer, shape, output, weights in cases:
        model = _single_layer(shape, layer)
        assert model.output_shape == output, (layer, model.output_shape)
        assert [w.shape for w in model.get_weights()] == weights
        assert layer.count_params() == sum(int(np.prod(w)) for w in weights)


@pytest.mark.parametrize(
    "layer,shape,pattern",
    [
        (lambda: L.Conv2D(4, 5, name="big"), (4, 4, 1), r"'big' \(Conv2D\).*kernel_size \(5, 5\).*\(None, 4, 4, 1\)"),
        (
            lambda: L.Conv2D(4, 3, dilation_rate=3, name="dilated"),
            (6, 6, 1),
            r"'dilated'.*kernel_size.*dilation_rate \(3, 3\)",
        ),
        (lambda: L.Conv1D(4, 9, name="c1"), (8, 2), r"'c1' \(Conv1D\).*kernel_size \(9,\).*\(None, 8, 2\)"),
        (lambda: L.MaxPooling2D(3, name="pool"), (2, 5, 1), r"'pool'.*pool_size \(3, 3\).*\(None, 2, 5, 1\)"),
        (lambda: L.Conv2D(4, 3, name="flat"), (16,), r"'flat'.*rank 4.*\(None, 16\)"),
        (lambda: L.Reshape((5, -1), name="r"), (4, 3), r"'r' \(Reshape\).*cannot reshape"),
    ],
)
def test_bad_shapes_raise_at_build_naming_the_layer(layer, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        gs.Sequential([gs.Input(shape), layer()]).build()


@pytest.mark.parametrize(
    "make,error",
    [
        (lambda: L.Conv2D(0, 3), ValueError),
        (lambda: L.Conv2D(4, (3, 3, 3)), TypeError),
        (lambda: L.Conv2D(4, 3, padding="causal"), ValueError),
        (lambda: L.Conv2D(4, 3, strides=2, dilation_rate=2), ValueError),
        (lambda: L.Conv2D(4, 3, data_format="channels_first"), ValueError),
        (lambda: L.Conv2D(4, 3, groups=2), NotImplementedError),
        (lambda: L.Conv2DTranspose(4, 3, output_padding=1), NotImplementedError),
        (lambda: L.MaxPooling2D(0), ValueError),
        (lambda: L.MaxPooling2D(2, padding="full"), ValueError),
        (lambda: L.UpSampling2D(interpolation="bilinear"), NotImplementedError),
        (lambda: L.Reshape((2, -1, -1)), ValueError),
        (lambda: L.ZeroPadding2D(-1), ValueError),
    ],
)
def test_bad_arguments_raise(make, error):
    with pytest.raises(error):
        make()


# ---------------------------------------------------------------------------------------------
# In models
# ---------------------------------------------------------------------------------------------
def _cnn(seed=0):
    gs.set_seed(seed)
    model = gs.Sequential(
        [
            gs.Input((12, 12, 2)),
            L.Conv2D(6, 3, padding="same", activation="relu", kernel_regularizer=gs.regularizers.L2(1e-3)),
            L.BatchNormalization(),
            L.MaxPooling2D(),
            L.Conv2D(8, 3, activation="relu"),
            L.Dropout(0.3),
            L.AveragePooling2D(padding="same"),
            L.Flatten(),
            L.Dense(5),
        ]
    )
    model.compile(
        optimizer="adam", loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    return model


def _cnn_data(n=96):
    rng = np.random.default_rng(11)
    return rng.standard_normal((n, 12, 12, 2)).astype(np.float32), rng.integers(0, 5, n)


@pytest.fixture
def restore_threads():
    before = gs.get_num_threads()
    yield
    gs.set_num_threads(before)


def test_cnn_with_batchnorm_and_dropout_is_bitwise_identical_for_1_2_and_3_threads(restore_threads):
    x, y = _cnn_data()
    results = {}
    for threads in (1, 2, 3):
        gs.set_num_threads(threads)
        model = _cnn()
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        results[threads] = (model.get_weights(), history.history)
    for threads in (2, 3):
        assert results[threads][1] == results[1][1]
        for a, b in zip(results[threads][0], results[1][0]):
            np.testing.assert_array_equal(a, b)


def test_cnn_learns_and_saves_and_resumes_exactly(tmp_path):
    x, y = _cnn_data()
    model = _cnn()
    first = model.fit(x, y, batch_size=16, epochs=8, verbose=0).history["loss"]
    assert first[-1] < first[0] * 0.85  # random labels: it memorises
    model.save(tmp_path / "cnn.gstep")
    loaded = gs.models.load_model(tmp_path / "cnn.gstep")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    a = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    b = loaded.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    assert a == b
    for u, v in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_every_conv_layer_survives_save_and_load(tmp_path):
    gs.set_seed(2)
    model = gs.Sequential(
        [
            gs.Input((8, 8, 3)),
            L.ZeroPadding2D(((1, 0), (0, 1))),
            L.Conv2D(4, (2, 3), strides=(1, 2), padding="same", dilation_rate=1, activation="tanh"),
            L.Conv2DTranspose(3, 3, strides=2, padding="same", use_bias=False),
            L.UpSampling2D((1, 2)),
            L.MaxPooling2D((2, 2), strides=(2, 1), padding="same"),
            L.Reshape((-1, 3)),
            L.Conv1D(4, 3, padding="causal", dilation_rate=2),
            L.MaxPooling1D(2),
            L.AveragePooling1D(2, padding="same"),
            L.GlobalAveragePooling1D(),
            L.Dense(2),
        ]
    )
    path = tmp_path / "all.gstep"
    model.save(path)
    loaded = gs.models.load_model(path)
    for original, copy in zip(model.layers, loaded.layers):
        assert type(copy) is type(original)
        assert copy.get_config() == original.get_config()
    x = _random((3, 8, 8, 3), 12)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for cls in (L.GlobalMaxPooling2D, L.GlobalAveragePooling2D, L.GlobalMaxPooling1D, L.Flatten):
        layer = cls()
        assert type(L.deserialize(L.serialize(layer))) is cls


def test_cnn_train_step_allocates_nothing_in_steady_state():
    from gradstep import _core

    x, y = _cnn_data()
    model = _cnn()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    before = _core.allocation_count()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    model.predict(x, batch_size=16, verbose=0)
    assert _core.allocation_count() == before


def test_summary_lists_conv_layers_with_keras_names():
    model = _cnn()
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        model.summary()
    text = out.getvalue()
    for expected in (
        "(Conv2D)",
        "(None, 12, 12, 6)",
        "(MaxPooling2D)",
        "(None, 6, 6, 6)",
        "(Flatten)",
        "(None, 32)",
        "Trainable params: 731",
    ):
        assert expected in text, text
    names = [layer.name for layer in model.layers]
    assert names[0].startswith("conv2d") and names[2].startswith("max_pooling2d"), names


def test_against_torch_conv_layers():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x = _random((2, 9, 8, 3), 13)
    xt = torch.tensor(x.transpose(0, 3, 1, 2), dtype=torch.float64, requires_grad=True)
    kernel = _random((3, 3, 3, 4), 14)
    bias = _random((4,), 15)
    model = _single_layer((9, 8, 3), L.Conv2D(4, 3, strides=2, padding="valid"), [kernel, bias])
    dy = _random((2, 4, 3, 4), 16)
    y, dx, (dk, db) = model.forward_backward(x, dy)
    kt = torch.tensor(kernel.transpose(3, 2, 0, 1), dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(bias, dtype=torch.float64, requires_grad=True)
    yt = functional.conv2d(xt, kt, bt, stride=2)
    (yt * torch.tensor(dy.transpose(0, 3, 1, 2), dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy().transpose(0, 2, 3, 1), atol=1e-4)
    np.testing.assert_allclose(dx, xt.grad.numpy().transpose(0, 2, 3, 1), atol=1e-4)
    np.testing.assert_allclose(dk, kt.grad.numpy().transpose(2, 3, 1, 0), atol=1e-4)
    np.testing.assert_allclose(db, bt.grad.numpy(), atol=1e-4)

    # Conv2DTranspose (stride 2, valid) against conv_transpose2d; Keras kernel (kh, kw, F, C)
    # is torch's (C, F, kh, kw).
    kernel = _random((3, 3, 2, 3), 17)
    model = _single_layer((9, 8, 3), L.Conv2DTranspose(2, 3, strides=2, use_bias=False), [kernel])
    y = model.predict(x, verbose=0)
    yt = functional.conv_transpose2d(
        torch.tensor(x.transpose(0, 3, 1, 2), dtype=torch.float64),
        torch.tensor(kernel.transpose(3, 2, 0, 1), dtype=torch.float64),
        stride=2,
    )
    np.testing.assert_allclose(y, yt.numpy().transpose(0, 2, 3, 1), atol=1e-4)

    # pooling
    y = _single_layer((9, 8, 3), L.MaxPooling2D(3, strides=2)).predict(x, verbose=0)
    yt = functional.max_pool2d(torch.tensor(x.transpose(0, 3, 1, 2)), 3, stride=2)
    np.testing.assert_allclose(y, yt.numpy().transpose(0, 2, 3, 1), atol=1e-6)

    # Conv1D causal = left-padded conv1d
    x1 = _random((2, 10, 3), 18)
    kernel1 = _random((3, 3, 2), 19)
    y = _single_layer((10, 3), L.Conv1D(2, 3, padding="causal", dilation_rate=2, use_bias=False), [kernel1]).predict(
        x1, verbose=0
    )
    padded = functional.pad(torch.tensor(x1.transpose(0, 2, 1), dtype=torch.float64), (4, 0))
    yt = functional.conv1d(padded, torch.tensor(kernel1.transpose(2, 1, 0), dtype=torch.float64), dilation=2)
    np.testing.assert_allclose(y, yt.numpy().transpose(0, 2, 1), atol=1e-4)


# ---------------------------------------------------------------------------------------------
# Examples (each prints its figures; here their claims are checked)
# ---------------------------------------------------------------------------------------------
def _example(name):
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cnn_digits_example_reaches_097():
    results = _example("cnn_digits").main([])
    assert results["CNN"] >= 0.97, results


def test_autoencoders_example_meets_its_thresholds(tmp_path):
    example = _example("autoencoders")
    results = example.main(["--png", str(tmp_path / "ae.png")])
    for name, threshold in example.THRESHOLDS.items():
        assert results[name]["mse"] < threshold, results
    assert results["conv"]["mse"] < results["dense"]["mse"]
    assert 0.8 < results["conv"]["params"] / results["dense"]["params"] < 1.25  # a similar size


def test_blocked_kernel_gradient_is_exact_and_thread_independent(restore_threads):
    # 4 x 38 x 38 = 5,776 output pixels and a 9 x 4 kernel: the kernel gradient is summed in fixed
    # row blocks (cpp/layers/convolution.hpp, kernel_gradient) instead of one GEMM.
    x = _random((4, 40, 40, 1), 20)
    kernel = _random((3, 3, 1, 4), 21)
    dy = _random((4, 38, 38, 4), 22)
    patches = np.stack([x[:, i : i + 38, j : j + 38, 0] for i in range(3) for j in range(3)], axis=-1)
    expected = np.einsum("nhwp,nhwf->pf", patches.astype(np.float64), dy.astype(np.float64)).reshape(3, 3, 1, 4)
    results = []
    for threads in (1, 2, 3):
        gs.set_num_threads(threads)
        model = _single_layer((40, 40, 1), L.Conv2D(4, 3, use_bias=False), [kernel])
        _, _, (dk,) = model.forward_backward(x, dy)
        np.testing.assert_allclose(dk, expected, rtol=1e-4, atol=1e-3)
        results.append(dk)
    for dk in results[1:]:
        np.testing.assert_array_equal(dk, results[0])


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_transpose_with_dilation_is_the_adjoint_of_the_dilated_conv2d(padding):
    # <convT(x), u> == <x, conv2d(u)> with the same kernel read as (kh, kw, filters -> channels).
    kernel = _random((3, 2, 4, 3), 40)
    model = _single_layer(
        (5, 6, 3), L.Conv2DTranspose(4, (3, 2), dilation_rate=2, padding=padding, use_bias=False), [kernel]
    )
    x = _random((2, 5, 6, 3), 41)
    y = model.predict(x, verbose=0).astype(np.float64)
    u = np.random.default_rng(42).standard_normal(y.shape)
    conv_u = rc.conv2d(u, kernel, padding=padding, dilation=(2, 2))
    assert conv_u.shape == x.shape
    assert np.sum(y * u) == pytest.approx(np.sum(x.astype(np.float64) * conv_u), rel=1e-5)


# ---------------------------------------------------------------------------------------------
# Convolution + max pooling fused (a batch of many samples runs in chunks, and each chunk's
# convolution output is pooled while in cache): the bits of the two layers run one by one.
# ---------------------------------------------------------------------------------------------
def _conv_pool_models(rank):
    """The same network twice: A lets each convolution fuse the max pooling after it; B puts an
    identity Activation layer in between, so nothing fuses."""
    if rank == 2:
        shape, conv, pool = (31, 31, 3), L.Conv2D, L.MaxPooling2D  # odd: a strip no window covers
        pools = [dict(), dict(pool_size=2, strides=1), dict(pool_size=3, strides=2, padding="same")]
    else:
        shape, conv, pool = (301, 3), L.Conv1D, L.MaxPooling1D
        pools = [dict(), dict(pool_size=2, strides=1), dict(pool_size=3, strides=2, padding="same")]
    models = []
    for separate in (False, True):
        gs.set_seed(3)
        layers = [gs.Input(shape)]
        for filters, activation, pool_args in ((8, "relu", pools[0]), (6, None, pools[1]), (5, "relu", pools[2])):
            layers.append(conv(filters, 3, activation=activation))
            if separate:
                layers.append(L.Activation("linear"))
            layers.append(pool(**pool_args))
        layers += [L.Flatten(), L.Dense(4)]
        model = gs.Sequential(layers)
        model.compile(optimizer="adam", loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    return models


@pytest.mark.parametrize("rank", [1, 2])
def test_convolution_fused_with_max_pooling_gives_the_bits_of_separate_layers(rank, restore_threads):
    fused, separate = _conv_pool_models(rank)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40,) + fused.input_shape[1:]).astype(np.float32)
    x[:, ::3] = -np.abs(x[:, ::3])  # ties and all-negative windows after ReLU
    y = rng.integers(0, 4, 40)
    for model in (fused, separate):
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)  # batches of 16, 16 and 8
    for a, b in zip(fused.get_weights(), separate.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        fused.predict(x, batch_size=40, verbose=0), separate.predict(x, batch_size=40, verbose=0)
    )
    # The input gradient too (forward_backward goes through the same passes).
    dy = rng.standard_normal((40, 4)).astype(np.float32)
    out_f, dx_f, _ = fused.forward_backward(x, dy)
    out_s, dx_s, _ = separate.forward_backward(x, dy)
    np.testing.assert_array_equal(out_f, out_s)
    np.testing.assert_array_equal(dx_f, dx_s)
    # And the fused path is bitwise the same on 1 and 2 threads.
    results = []
    for threads in (1, 2):
        gs.set_num_threads(threads)
        model, _ = _conv_pool_models(rank)
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("filters", [8, 24, 48])  # scalar channels; a vector + 8 scalars; three vectors
@pytest.mark.parametrize("activation", ["relu", None])
@pytest.mark.parametrize("threads", [1, 2])
def test_fused_pooling_sums_the_bias_gradient_in_the_order_of_column_sums(
    filters, activation, threads, restore_threads, restore_isa
):
    """Convolution + MaxPooling(2): the bias gradient is summed while the pooling backward writes
    dz (kernels/window_impl.hpp), not by a second pass; it must keep the bits of that pass's
    row-order sums. Gradients spanning eight orders of magnitude make any other order round
    differently."""
    gs.set_num_threads(threads)
    rng = np.random.default_rng(21)
    x = rng.standard_normal((24, 15, 15, 3)).astype(np.float32)  # 13 x 13 conv output: a strip no window covers
    scale = np.exp(rng.uniform(-9, 9, (24, 6, 6, filters)))
    dy = (rng.standard_normal((24, 6, 6, filters)) * scale).astype(np.float32)
    for isa in _available_isas():  # the tiled backward has a build per instruction set
        assert gs._core._set_isa(isa) == isa
        grads = []
        for separate in (False, True):
            gs.set_seed(4)
            layers = [gs.Input((15, 15, 3)), L.Conv2D(filters, 3, activation=activation)]
            if separate:
                layers.append(L.Activation("linear"))
            layers.append(L.MaxPooling2D(2))
            model = gs.Sequential(layers)
            _, _, layer_grads = model.forward_backward(x, dy)
            grads.append([np.asarray(g) for g in layer_grads])
        bias_fused, bias_separate = grads[0][1], grads[1][1]
        assert bias_fused.shape == (filters,)
        np.testing.assert_array_equal(bias_fused.view(np.uint32), bias_separate.view(np.uint32))
        for a, b in zip(*grads):
            np.testing.assert_array_equal(a, b)


ISA_ORDER = ["generic", "avx2", "avx512"]


def _available_isas():
    detected = gs._core._detected_isa()
    return ISA_ORDER[: ISA_ORDER.index(detected) + 1]


@pytest.fixture
def restore_isa():
    before = gs._core._active_isa()
    yield
    gs._core._set_isa(before)


def _max_pool_reference(x, dy, pool):
    """y and dx of max pooling (pool x pool windows, stride pool) with gradstep's rules: a larger
    value wins and so does a NaN (a later NaN replaces an earlier one); ties keep the first."""
    n, h, w, c = x.shape
    oh, ow = h // pool, w // pool
    y = np.zeros((n, oh, ow, c), np.float32)
    dx = np.zeros_like(x)
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * pool : (i + 1) * pool, j * pool : (j + 1) * pool, :].reshape(n, pool * pool, c)
            best = np.zeros((n, c), np.int64)
            for k in range(1, pool * pool):
                v, b = window[:, k, :], np.take_along_axis(window, best[:, None, :], 1)[:, 0, :]
                best = np.where((v > b) | np.isnan(v), k, best)
            y[:, i, j, :] = np.take_along_axis(window, best[:, None, :], 1)[:, 0, :]
            for k in range(pool * pool):
                hit = best == k
                dx[:, i * pool + k // pool, j * pool + k % pool, :] += np.where(hit, dy[:, i, j, :], 0.0)
    return y, dx


@pytest.mark.parametrize("channels", [16, 24, 48])  # one vector; a vector and 8 scalars; three vectors
def test_max_pooling_channel_vectors_on_every_isa(channels, restore_isa):
    """max_pool_row_inside takes 16 channels at a time as vector types where C allows: values,
    ties and the argmax (through the gradient) against the reference, on every ISA. (NaN cannot
    be given to forward_backward; the NaN rule is the scalar loop's, by the same expression.)"""
    rng = np.random.default_rng(channels)
    x = rng.integers(-3, 4, (5, 9, 8, channels)).astype(np.float32)  # many ties; 9 rows: one uncovered
    dy = rng.standard_normal((5, 4, 4, channels)).astype(np.float32)
    expected_y, expected_dx = _max_pool_reference(x, dy, 2)
    for isa in _available_isas():
        assert gs._core._set_isa(isa) == isa
        model = _single_layer((9, 8, channels), L.MaxPooling2D(2))
        y, dx, _ = model.forward_backward(x, dy)
        np.testing.assert_array_equal(y, expected_y)
        np.testing.assert_array_equal(dx, expected_dx)


def test_window_kernels_give_the_same_bits_on_every_isa(restore_isa, restore_threads):
    """im2col, col2im and max pooling have per-ISA builds for windows inside the input; pooling
    and a chunked Conv + MaxPooling (whose GEMM may round differently per ISA) are checked: the
    pooling bit for bit, the convolution against the float64 reference."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((48, 11, 13, 16)).astype(np.float32)  # 48 x 60 output pixels: 4 chunks
    x[:, ::2, ::2, :3] = 0.0  # ties
    dy_pool = rng.standard_normal((48, 5, 6, 16)).astype(np.float32)
    kernel = (rng.standard_normal((3, 2, 16, 5)) * 0.3).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    pooled = {}
    for isa in _available_isas():
        assert gs._core._set_isa(isa) == isa
        pool = _single_layer((11, 13, 16), L.MaxPooling2D(2))
        pooled[isa] = pool.forward_backward(x, dy_pool)[:2]
        for threads in (1, 2):
            gs.set_num_threads(threads)
            conv = _single_layer((11, 13, 16), L.Conv2D(5, (3, 2), strides=(2, 1)), weights=[kernel, bias])
            expected = rc.conv2d(
                x.astype(np.float64), kernel.astype(np.float64), bias.astype(np.float64), strides=(2, 1)
            )
            dy = rng.standard_normal(expected.shape).astype(np.float32)
            y, dx, grads = conv.forward_backward(x, dy)
            np.testing.assert_allclose(y, expected, rtol=1e-5, atol=2e-5)
            # The adjoint by hand: each output pixel's dy, through the kernel, onto its window.
            expected_dx = np.zeros(x.shape)
            expected_dk = np.zeros(kernel.shape)
            for i in range(3):
                for j in range(2):
                    rows = slice(i, i + 2 * expected.shape[1] - 1, 2)
                    cols = slice(j, j + expected.shape[2])
                    expected_dx[:, rows, cols, :] += np.einsum("nhwf,cf->nhwc", dy, kernel[i, j])
                    expected_dk[i, j] = np.einsum("nhwc,nhwf->cf", x[:, rows, cols, :], dy)
            np.testing.assert_allclose(dx, expected_dx, rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(grads[0], expected_dk, rtol=1e-4, atol=1e-3)
            np.testing.assert_allclose(grads[1], dy.sum(axis=(0, 1, 2)), rtol=1e-4, atol=1e-4)
    for isa in pooled:
        np.testing.assert_array_equal(pooled[isa][0], pooled["generic"][0])
        np.testing.assert_array_equal(pooled[isa][1], pooled["generic"][1])


def _kernel_gradient_and_its_flops(model, x, dy):
    """The kernel gradient of a one-convolution model, and the FLOPs per profiled kernel during
    that pass (counted on every thread; the chunked pass counts its kernel gradient as "conv
    kernel gradient", the whole-batch one as "gemm")."""
    gs._core._reset_profile()
    gs._core._set_profiling(True)
    try:
        _, _, (dk,) = model.forward_backward(x, dy)
    finally:
        gs._core._set_profiling(False)
    return dk, {row["kernel"]: row["flops"] for row in gs._core._profile()}


@pytest.mark.parametrize("filters", [16, 24, 48])  # two vectors, one vector + a tail, three vectors
def test_kernel_gradient_on_every_isa_with_signed_zeros(filters, restore_threads, restore_isa):
    """The kernel gradient's register blocks (window_impl.hpp) on every instruction set: close to a
    float64 reference, the same for 1 and 2 threads, and +0 where every patch value is -0 (the
    broadcast of a -0 factor must not leave a -0 sum)."""
    # 64 x 100 output pixels: enough for the chunked pass (checked below through the profile).
    x = _random((64, 12, 12, 3), 60)
    x[:, :, :, 1] = -0.0  # channel 1: every patch column that reads it sums -0 products
    dy = _random((64, 10, 10, filters), 61)
    patches = np.stack([x[:, i : i + 10, j : j + 10, :] for i in range(3) for j in range(3)], axis=3)
    expected = np.einsum("nhwkc,nhwf->kcf", patches.astype(np.float64), dy.astype(np.float64))
    expected = expected.reshape(3, 3, 3, filters)
    kernel = _random((3, 3, 3, filters), 62)
    for isa in _available_isas():
        assert gs._core._set_isa(isa) == isa
        results = []
        for threads in (1, 2):
            gs.set_num_threads(threads)
            model = _single_layer((12, 12, 3), L.Conv2D(filters, 3, use_bias=False), [kernel])
            dk, flops = _kernel_gradient_and_its_flops(model, x, dy)
            # The chunked pass computed all of it.
            assert flops["conv kernel gradient"] == 2 * 64 * 100 * 27 * filters, flops
            np.testing.assert_allclose(dk, expected, rtol=1e-4, atol=1e-4, err_msg=isa)
            assert np.all(dk[:, :, 1, :] == 0.0) and not np.signbit(dk[:, :, 1, :]).any(), isa
            results.append(dk)
        np.testing.assert_array_equal(results[1].view(np.uint32), results[0].view(np.uint32), err_msg=isa)


@pytest.mark.parametrize(
    "channels,filters,strides,dilation",
    [
        (16, 32, 1, 1),
        (4, 24, 1, 1),
        (5, 16, 2, 1),
        (8, 8, 1, 2),  # dilation along W: the im2col copy
        (16, 40, (2, 1), 1),
        (16, 40, 1, (2, 1)),
        (1, 16, 1, 1),  # 3 x 3 x 1: one block of 9 columns
        (1, 40, 2, (1, 1)),
        (1, 32, 1, (2, 1)),
    ],
)
def test_kernel_gradient_read_from_the_image_on_every_isa(
    channels, filters, strides, dilation, restore_threads, restore_isa
):
    """Kernel rows of kw*C >= 12 floats, or 3 x 3 x 1: the chunked backward reads the patches from
    the input in place (kernel_gradient_image) instead of an im2col copy. Against a float64
    reference on every instruction set, with strides and a dilation along H, and the same bits for
    1 and 2 threads."""
    rng = np.random.default_rng(channels * filters)
    x = rng.standard_normal((64, 21, 19, channels)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, channels, filters)).astype(np.float32)
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    oh, ow = (21 - 2 * dh - 1) // sh + 1, (19 - 2 * dw - 1) // sw + 1
    dy = rng.standard_normal((64, oh, ow, filters)).astype(np.float32)
    expected = np.zeros((3, 3, channels, filters))
    for i in range(3):
        for j in range(3):
            window = x[:, i * dh : i * dh + (oh - 1) * sh + 1 : sh, j * dw : j * dw + (ow - 1) * sw + 1 : sw, :]
            expected[i, j] = np.einsum("nhwc,nhwf->cf", window.astype(np.float64), dy.astype(np.float64))
    layer_args = dict(strides=strides, dilation_rate=dilation, use_bias=False)
    for isa in _available_isas():
        assert gs._core._set_isa(isa) == isa
        results = []
        for threads in (1, 2):
            gs.set_num_threads(threads)
            model = _single_layer((21, 19, channels), L.Conv2D(filters, 3, **layer_args), [kernel])
            dk, flops = _kernel_gradient_and_its_flops(model, x, dy)
            assert flops["conv kernel gradient"] == 2 * 64 * oh * ow * 9 * channels * filters, flops  # chunked
            np.testing.assert_allclose(dk, expected, rtol=1e-4, atol=2e-3, err_msg=isa)
            results.append(dk)
        np.testing.assert_array_equal(results[1].view(np.uint32), results[0].view(np.uint32), err_msg=isa)
