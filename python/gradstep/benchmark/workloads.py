"""Benchmark workloads (same definitions everywhere; see DEVELOPERS.md):

W1: MLP 784-256-128-10, ReLU, sparse CE from logits, Adam(1e-3), batch 128, 60,000 standard-normal
    rows, one epoch.
W2: W1 with BatchNormalization + Dropout(0.2) after each hidden Dense.
G:  square float32 GEMM, n = 256..2048, against numpy's @.

Each runner builds its model outside the timed region and returns seconds for one epoch.
"""
import time

import numpy as np

ROWS = 60_000
FEATURES = 784
CLASSES = 10
BATCH = 128
SIZES = [FEATURES, 256, 128, CLASSES]


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((ROWS, FEATURES), dtype=np.float32)
    y = rng.integers(0, CLASSES, ROWS).astype(np.int64)
    return x, y


def gemm_flops_per_epoch(sizes=SIZES, rows=ROWS):
    """Forward, weight-gradient and input-gradient GEMM flops of one epoch (no input gradient for
    the first layer)."""
    total = 0
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        per_row = 2 * fan_in * fan_out
        total += per_row * (2 if i == 0 else 3)
    return total * rows


# ---------------------------------------------------------------------------------------- gradstep
def gradstep_mlp(batchnorm, dropout):
    import gradstep as gs
    layers = [gs.Input((FEATURES,))]
    for units in SIZES[1:-1]:
        layers.append(gs.layers.Dense(units, activation=None if batchnorm else "relu"))
        if batchnorm:
            layers.append(gs.layers.BatchNormalization())
            layers.append(gs.layers.Activation("relu"))
        if dropout:
            layers.append(gs.layers.Dropout(dropout))
    layers.append(gs.layers.Dense(CLASSES))
    model = gs.Sequential(layers)
    model.compile(optimizer=gs.optimizers.Adam(1e-3),
                  loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def run_gradstep(model, x, y):
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------- numpy
def numpy_mlp(batchnorm, dropout):
    from .numpy_baseline import NumpyMLP
    return NumpyMLP(SIZES, batchnorm=batchnorm, dropout=dropout)


def run_numpy(model, x, y):
    start = time.perf_counter()
    model.fit_epoch(x, y, BATCH)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------- torch
def torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def torch_mlp(batchnorm, dropout):
    import torch
    layers = []
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


def run_torch(model, x, y):
    import torch
    net, optimizer = model
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    net.train()
    start = time.perf_counter()
    order = torch.randperm(len(xt))
    for begin in range(0, len(xt), BATCH):
        idx = order[begin:begin + BATCH]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(net(xt[idx]), yt[idx])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start
