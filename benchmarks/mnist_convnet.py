"""Keras' "Simple MNIST convnet", written as in the Keras example, on synthetic MNIST-shaped data.

    python benchmarks/mnist_convnet.py [--rows 10000] [--epochs 3] [--threads N]

The model of https://keras.io/examples/vision/mnist_convnet/ (Conv2D 32 and 64 with ReLU, 2x2
max pooling, Flatten, Dropout(0.5), Dense(10, softmax); categorical cross-entropy on one-hot
labels, Adam, batch 128) trained with gradstep's Keras-like API on uniform random 28x28x1 images
(no download), and the same network in PyTorch (NCHW, the same thread count) when it is
installed. The two libraries alternate epochs; the script prints each epoch's time and the
median ratio gradstep / PyTorch. `python -m gradstep.benchmark --workload W5` runs the same
architecture with sparse labels inside the package's benchmark.
"""

import argparse
import statistics
import time

import numpy as np

import gradstep as gs
from gradstep.benchmark import workloads

BATCH = 128


def keras_example_model():
    layers = gs.layers
    model = gs.Sequential(
        [
            gs.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def torch_epoch(net, optimizer, x, labels):
    import torch

    net.train()
    loss_fn = torch.nn.CrossEntropyLoss()
    for start in range(0, len(x), BATCH):
        optimizer.zero_grad()
        loss = loss_fn(net(x[start : start + BATCH]), labels[start : start + BATCH])
        loss.backward()
        optimizer.step()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        gs.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.random((args.rows, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, args.rows)
    y = gs.utils.to_categorical(labels, 10)

    model = keras_example_model()
    try:
        import torch

        torch.set_num_threads(gs.get_num_threads())
        net, optimizer = workloads.torch_cnn("W5")
        x_torch = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        labels_torch = torch.from_numpy(labels)
    except ImportError:
        net = None
    print(
        f"Simple MNIST convnet: {args.rows} rows, batch {BATCH}, {gs.get_num_threads()} thread(s), "
        f"isa {gs._core._active_isa()}; PyTorch {'absent' if net is None else torch.__version__}"
    )
    times = {"gradstep": [], "torch": []}
    for epoch in range(args.epochs):
        start = time.perf_counter()
        history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        times["gradstep"].append(time.perf_counter() - start)
        line = f"epoch {epoch + 1}: gradstep {times['gradstep'][-1]:.3f} s (loss {history.history['loss'][-1]:.4f})"
        if net is not None:
            start = time.perf_counter()
            torch_epoch(net, optimizer, x_torch, labels_torch)
            times["torch"].append(time.perf_counter() - start)
            line += f", torch {times['torch'][-1]:.3f} s"
        print(line)
    result = {"gradstep": statistics.median(times["gradstep"])}
    if net is not None:
        result["torch"] = statistics.median(times["torch"])
        result["ratio"] = result["gradstep"] / result["torch"]
        print(
            f"median: gradstep {result['gradstep']:.3f} s, torch {result['torch']:.3f} s, "
            f"gradstep/torch {result['ratio']:.2f}x"
        )
    return result


if __name__ == "__main__":
    main()
