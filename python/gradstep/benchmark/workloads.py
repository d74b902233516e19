"""Benchmark workloads (same definitions everywhere; see DEVELOPERS.md):

W1: MLP 784-256-128-10, ReLU, sparse CE from logits, Adam(1e-3), batch 128, 60,000 standard-normal
    rows, one epoch.
W2: W1 with BatchNormalization + Dropout(0.2) after each hidden Dense.
W3: 28x28x1 input, Conv2D(16, 3) ReLU, MaxPooling2D(2), Conv2D(32, 3) ReLU, MaxPooling2D(2), Flatten,
    Dense(10); batch 64, 10,000 uniform [0, 1) images, one epoch.
W5: Keras' "Simple MNIST convnet": Conv2D(32, 3) ReLU, MaxPooling2D(2), Conv2D(64, 3) ReLU,
    MaxPooling2D(2), Flatten, Dropout(0.5), Dense(10, softmax); batch 128, 10,000 images.
W4: LSTM(128) over 28 steps x 28 features, its last state -> Dense(10); batch 64, 10,000 rows
    (the W3 images read row by row), one epoch.
W6: W4 with GRU(128) (Keras' reset_after=True, PyTorch's nn.GRU).
G:  square float32 GEMM, n = 256..2048, against numpy's @.

The CNNs and RNNs train with Adam(1e-3) and sparse categorical cross-entropy (from logits; W5's softmax is
fused with the loss), as W1. PyTorch runs the same networks in its default NCHW layout.

Each runner builds its model outside the timed region and returns seconds for one epoch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ..layers import InputLayer, Layer
    from ..models import Sequential
    from .numpy_baseline import NumpyMLP

# (network, optimizer) of the PyTorch comparison runs: torch is optional and not type-checked here.
TorchModel = tuple[Any, Any]

ROWS = 60_000
FEATURES = 784
CLASSES = 10
BATCH = 128
SIZES = [FEATURES, 256, 128, CLASSES]


def make_data(seed: int = 0) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((ROWS, FEATURES), dtype=np.float32)
    y = rng.integers(0, CLASSES, ROWS).astype(np.int64)
    return x, y


def gemm_flops_per_epoch(sizes: Sequence[int] = SIZES, rows: int = ROWS) -> int:
    """Forward, weight-gradient and input-gradient GEMM flops of one epoch (no input gradient for
    the first layer)."""
    total = 0
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        per_row = 2 * fan_in * fan_out
        total += per_row * (2 if i == 0 else 3)
    return total * rows


# ---------------------------------------------------------------------------------------- gradstep
def gradstep_mlp(batchnorm: bool, dropout: float) -> Sequential:
    import gradstep as gs

    layers: list[Layer | InputLayer] = [gs.Input((FEATURES,))]
    for units in SIZES[1:-1]:
        layers.append(gs.layers.Dense(units, activation=None if batchnorm else "relu"))
        if batchnorm:
            layers.append(gs.layers.BatchNormalization())
            layers.append(gs.layers.Activation("relu"))
        if dropout:
            layers.append(gs.layers.Dropout(dropout))
    layers.append(gs.layers.Dense(CLASSES))
    model = gs.Sequential(layers)
    model.compile(optimizer=gs.optimizers.Adam(1e-3), loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def run_gradstep(model: Sequential, x: NDArray[np.float32], y: NDArray[np.int64], batch: int = BATCH) -> float:
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------- CNNs
IMAGE_ROWS = 10_000
IMAGE_SHAPE = (28, 28, 1)
# name: (batch, [(filters, kernel) per conv block], dropout before the Dense, softmax output)
CNNS = {"W3": (64, [(16, 3), (32, 3)], 0.0, False), "W5": (128, [(32, 3), (64, 3)], 0.5, True)}


def make_image_data(seed: int = 0) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    x = rng.random((IMAGE_ROWS,) + IMAGE_SHAPE, dtype=np.float32)
    y = rng.integers(0, CLASSES, IMAGE_ROWS).astype(np.int64)
    return x, y


def cnn_gemm_flops_per_epoch(name: str, rows: int = IMAGE_ROWS) -> int:
    """The convolutions' and the Dense layer's GEMM flops for one epoch: forward, kernel gradient
    and input gradient (none for the first layer), as in gemm_flops_per_epoch."""
    _, blocks, _, _ = CNNS[name]
    size, channels, total = IMAGE_SHAPE[0], IMAGE_SHAPE[2], 0
    for i, (filters, kernel) in enumerate(blocks):
        size -= kernel - 1
        per_row = 2 * size * size * kernel * kernel * channels * filters
        total += per_row * (2 if i == 0 else 3)
        size //= 2
        channels = filters
    total += 2 * size * size * channels * CLASSES * 3
    return total * rows


def gradstep_cnn(name: str) -> Sequential:
    import gradstep as gs

    _, blocks, dropout, softmax = CNNS[name]
    layers: list[Layer | InputLayer] = [gs.Input(IMAGE_SHAPE)]
    for filters, kernel in blocks:
        layers += [gs.layers.Conv2D(filters, kernel, activation="relu"), gs.layers.MaxPooling2D(2)]
    layers.append(gs.layers.Flatten())
    if dropout:
        layers.append(gs.layers.Dropout(dropout))
    layers.append(gs.layers.Dense(CLASSES, activation="softmax" if softmax else None))
    model = gs.Sequential(layers)
    model.compile(
        optimizer=gs.optimizers.Adam(1e-3), loss=gs.losses.SparseCategoricalCrossentropy(from_logits=not softmax)
    )
    return model


def torch_cnn(name: str) -> TorchModel:
    import torch

    _, blocks, dropout, _ = CNNS[name]
    layers, channels, size = [], IMAGE_SHAPE[2], IMAGE_SHAPE[0]
    for filters, kernel in blocks:
        layers += [torch.nn.Conv2d(channels, filters, kernel), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        channels, size = filters, (size - kernel + 1) // 2
    layers.append(torch.nn.Flatten())
    if dropout:
        layers.append(torch.nn.Dropout(dropout))
    layers.append(torch.nn.Linear(channels * size * size, CLASSES))  # softmax: inside CrossEntropyLoss
    net = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    return net, optimizer


# ---------------------------------------------------------------------------------------- numpy
# ---------------------------------------------------------------------------------------- RNNs
RNN_STEPS, RNN_FEATURES, RNN_UNITS, RNN_BATCH = 28, 28, 128, 64
RNNS = {"W4": "LSTM", "W6": "GRU"}
RNN_GATES = {"LSTM": 4, "GRU": 3}


def make_sequence_data(seed: int = 0) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    x, y = make_image_data(seed)
    return np.ascontiguousarray(x.reshape(IMAGE_ROWS, RNN_STEPS, RNN_FEATURES)), y


def rnn_gemm_flops_per_epoch(name: str, rows: int = IMAGE_ROWS) -> int:
    """The GEMM flops of one epoch: the input projection of every step, the recurrent product of
    every step but the first (its state is zero), their backward (state gradient, recurrent and
    input kernel gradients; no input gradient for the first layer) and the Dense layer."""
    gates = RNN_GATES[RNNS[name]] * RNN_UNITS
    T, F, U = RNN_STEPS, RNN_FEATURES, RNN_UNITS
    projection = 2 * T * F * gates
    recurrent = 2 * (T - 1) * U * gates
    per_row = 2 * projection + 3 * recurrent + 3 * 2 * U * CLASSES
    return per_row * rows


def gradstep_rnn(name: str) -> Sequential:
    import gradstep as gs

    model = gs.Sequential(
        [gs.Input((RNN_STEPS, RNN_FEATURES)), getattr(gs.layers, RNNS[name])(RNN_UNITS), gs.layers.Dense(CLASSES)]
    )
    model.compile(optimizer=gs.optimizers.Adam(1e-3), loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def torch_rnn(name: str) -> TorchModel:
    import torch

    class LastState(torch.nn.Module):  # type: ignore[misc]  # torch is not followed (optional): Any base
        def __init__(self) -> None:
            super().__init__()
            self.rnn = getattr(torch.nn, RNNS[name])(RNN_FEATURES, RNN_UNITS, batch_first=True)
            self.dense = torch.nn.Linear(RNN_UNITS, CLASSES)

        def forward(self, x: Any) -> Any:  # torch tensors
            out, _ = self.rnn(x)
            return self.dense(out[:, -1])

    net = LastState()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    return net, optimizer


def numpy_mlp(batchnorm: bool, dropout: float) -> NumpyMLP:
    from .numpy_baseline import NumpyMLP

    return NumpyMLP(SIZES, batchnorm=batchnorm, dropout=dropout)


def run_numpy(model: NumpyMLP, x: NDArray[np.float32], y: NDArray[np.int64]) -> float:
    start = time.perf_counter()
    model.fit_epoch(x, y, BATCH)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------- torch
def torch_available() -> bool:
    try:
        import torch  # noqa: F401

        return True
    except ImportError:
        return False


def torch_mlp(batchnorm: bool, dropout: float) -> TorchModel:
    import torch

    layers: list[Any] = []  # torch modules
    for fan_in, fan_out in zip(SIZES[:-2], SIZES[1:-1]):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if batchnorm:
            # Keras momentum 0.99 / epsilon 1e-3 expressed in PyTorch's convention.
            layers.append(torch.nn.BatchNorm1d(fan_out, momentum=0.01, eps=1e-3))
        layers.append(torch.nn.ReLU())
        if dropout:
            layers.append(torch.nn.Dropout(dropout))
    layers.append(torch.nn.Linear(SIZES[-2], CLASSES))
    net = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    return net, optimizer


def run_torch(model: TorchModel, x: NDArray[np.float32], y: NDArray[np.int64], batch: int = BATCH) -> float:
    import torch

    net, optimizer = model
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    net.train()
    start = time.perf_counter()
    order = torch.randperm(len(xt))
    for begin in range(0, len(xt), batch):
        idx = order[begin : begin + batch]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(net(xt[idx]), yt[idx])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start
