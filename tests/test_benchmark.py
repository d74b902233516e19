"""The benchmark module: its NumPy baseline trains the same network as gradstep (same
initialisation given, same batches, same Adam), so the speed comparison compares like with like;
and the command line runs. Nothing here is timed."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.benchmark import __main__ as bench
from gradstep.benchmark.numpy_baseline import NumpyMLP

SIZES = [20, 16, 12, 5]


def _gradstep_copy(baseline, batchnorm):
    layers = [gs.Input((SIZES[0],))]
    for units in SIZES[1:-1]:
        layers.append(gs.layers.Dense(units, activation=None if batchnorm else "relu"))
        if batchnorm:
            layers += [gs.layers.BatchNormalization(), gs.layers.Activation("relu")]
    layers.append(gs.layers.Dense(SIZES[-1]))
    model = gs.Sequential(layers)
    model.compile(optimizer=gs.optimizers.Adam(1e-3), loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    weights = []
    for i in range(len(SIZES) - 1):
        weights += [baseline.params[2 * i], baseline.params[2 * i + 1]]
        if batchnorm and i < len(SIZES) - 2:
            weights += [baseline.gammas[i], baseline.betas[i], *baseline.moving[i]]
    model.set_weights([w.copy() for w in weights])
    return model


@pytest.mark.parametrize("batchnorm", [False, True], ids=["W1-like", "W2-like without dropout"])
def test_numpy_baseline_trains_the_same_network_as_gradstep(batchnorm):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=96)
    baseline = NumpyMLP(SIZES, batchnorm=batchnorm, seed=3)
    model = _gradstep_copy(baseline, batchnorm)
    for start in range(0, 96, 16):  # 6 Adam steps on the same batches, in order
        baseline.train_batch(x[start : start + 16], y[start : start + 16])
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    got = model.get_weights()
    expected = _gradstep_copy(baseline, batchnorm).get_weights()  # the baseline's weights, same order
    assert len(got) == len(expected)
    # With BatchNormalization after a Dense, that Dense's bias has a zero gradient up to
    # rounding (BN subtracts the batch mean), and Adam's m / sqrt(v) turns rounding noise into
    # steps of up to lr: those biases are compared only for staying within 6 steps of lr.
    pre_bn_biases = {1, 7} if batchnorm else set()
    for index, (a, b) in enumerate(zip(got, expected)):
        if index in pre_bn_biases:
            assert np.max(np.abs(a - b)) <= 6 * 2e-3
        else:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6, err_msg=f"weight {index}")
    # and training moved the weights (the comparison is not between two untouched copies)
    initial = _gradstep_copy(NumpyMLP(SIZES, batchnorm=batchnorm, seed=3), batchnorm).get_weights()
    assert not np.allclose(got[0], initial[0])


def test_gemm_workload_reports_both_libraries():
    result = bench._gemm_workload(repeats=1, sizes=(64,))
    (row,) = result["rows"]
    assert row["n"] == 64 and row["gradstep_gflops"] > 0 and row["numpy_gflops"] > 0
    assert row["ratio"] == pytest.approx(row["gradstep_gflops"] / row["numpy_gflops"])


def test_unknown_workload_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--workload", "W9"])
    assert "W9" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["W3", "W5"])
def test_cnn_workloads_build_the_same_network_in_both_libraries(name, monkeypatch):
    from gradstep.benchmark import workloads as W

    model = W.gradstep_cnn(name)
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    # W3: conv 16 (26x26) -> pool (13) -> conv 32 (11) -> pool (5) -> 800 -> 10
    expected_params = {
        "W3": (9 * 16 + 16) + (9 * 16 * 32 + 32) + (800 * 10 + 10),
        "W5": (9 * 32 + 32) + (9 * 32 * 64 + 64) + (1600 * 10 + 10),
    }[name]
    assert model.count_params() == expected_params
    per_row = {
        "W3": 2 * 676 * 9 * 16 * 2 + 2 * 121 * 144 * 32 * 3 + 2 * 800 * 10 * 3,
        "W5": 2 * 676 * 9 * 32 * 2 + 2 * 121 * 288 * 64 * 3 + 2 * 1600 * 10 * 3,
    }[name]
    assert W.cnn_gemm_flops_per_epoch(name, rows=1) == per_row
    monkeypatch.setattr(W, "IMAGE_ROWS", 256)
    result = bench._cnn_workload(name, repeats=1, include_torch=W.torch_available())
    assert result["seconds"]["gradstep"] > 0
    if W.torch_available():
        net, _ = W.torch_cnn(name)
        assert sum(p.numel() for p in net.parameters()) == expected_params
        assert result["ratio_vs_torch"] == pytest.approx(result["seconds"]["gradstep"] / result["seconds"]["torch"])


@pytest.mark.parametrize("name, cell", [("W4", "LSTM"), ("W6", "GRU")])
def test_rnn_workloads_build_the_same_network_in_both_libraries(name, cell, monkeypatch):
    from gradstep.benchmark import workloads as W

    model = W.gradstep_rnn(name)
    assert model.input_shape == (None, 28, 28) and model.output_shape == (None, 10)
    assert type(model.layers[0]).__name__ == cell
    gates = {"LSTM": 4, "GRU": 3}[cell]
    bias = gates * 128 * (2 if cell == "GRU" else 1)
    assert model.count_params() == 28 * gates * 128 + 128 * gates * 128 + bias + 128 * 10 + 10
    # projection 2*28*28*G*128 forward and kernel gradient; the recurrent product of 27 steps
    # forward, state gradient and recurrent-kernel gradient; the Dense layer forward/dW/dx.
    g = gates * 128
    assert W.rnn_gemm_flops_per_epoch(name, rows=1) == 2 * (2 * 28 * 28 * g) + 3 * (2 * 27 * 128 * g) + 3 * 2 * 1280
    monkeypatch.setattr(W, "IMAGE_ROWS", 256)
    result = bench._cnn_workload(name, repeats=1, include_torch=W.torch_available())
    assert result["seconds"]["gradstep"] > 0
    if W.torch_available():
        net, _ = W.torch_rnn(name)
        # PyTorch has two biases per gate where Keras' LSTM has one (GRU: both have two)
        torch_bias = 2 * gates * 128
        assert sum(p.numel() for p in net.parameters()) == model.count_params() - bias + torch_bias
        assert result["ratio_vs_torch"] == pytest.approx(result["seconds"]["gradstep"] / result["seconds"]["torch"])


def test_simple_mnist_convnet_script_trains_the_keras_example(capsys):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "mnist_convnet.py"
    spec = importlib.util.spec_from_file_location("mnist_convnet", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    model = script.keras_example_model()
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dropout",
        "Dense",
    ]
    assert model.count_params() == 34826  # the Keras example's summary
    result = script.main(["--rows", "256", "--epochs", "1"])
    assert result["gradstep"] > 0
    assert "epoch 1: gradstep" in capsys.readouterr().out


def test_version_is_written_once():
    import importlib.metadata

    assert gs.__version__ == importlib.metadata.version("gradstep")
