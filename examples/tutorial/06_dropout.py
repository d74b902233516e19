"""Dropout against over-fitting: a wide network, 500 training digits of which 30% carry a random label.
You should see: without dropout the net memorises the wrong labels (training loss near 0), its validation
loss climbs back and its accuracy sinks; with Dropout(0.5) validation loss ends ~40% lower, accuracy ~8 points higher.

Tutorial: Dropout zeroes each activation with probability `rate` during training (survivors scaled
by 1 / (1 - rate), "inverted dropout", as Keras), so the net cannot rely on particular units to
memorise single samples; at inference it does nothing. The random labels (fixed seed) give the net
something to over-fit: on the clean digits the gap is small. Model: 64 -> Dense(256, relu) ->
[Dropout] -> Dense(256, relu) -> [Dropout] -> Dense(10, softmax), Adam(0.001), batch 32, 100 epochs;
validation on the 360 held-out digits (clean labels).

    python examples/tutorial/06_dropout.py [--fast] [--out DIR]
"""

import argparse
import os

import numpy as np

import gradstep as gs

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_SAMPLES = 500
LABEL_NOISE = 0.3


def noisy_digits():
    """The first TRAIN_SAMPLES training digits with LABEL_NOISE of their labels replaced by random ones."""
    (x, y), validation = gs.datasets.load_digits()
    x, y = x[:TRAIN_SAMPLES], y[:TRAIN_SAMPLES].copy()
    rng = np.random.default_rng(0)
    noisy = rng.random(len(y)) < LABEL_NOISE
    y[noisy] = rng.integers(0, 10, int(noisy.sum()))
    return (x, y), validation


def wide_mlp(rate):
    layers = [gs.Input((64,))]
    for _ in range(2):
        layers.append(gs.layers.Dense(256, activation="relu"))
        if rate:
            layers.append(gs.layers.Dropout(rate))
    layers.append(gs.layers.Dense(10, activation="softmax"))
    return gs.Sequential(layers)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few epochs only (for the tests)")
    parser.add_argument("--out", default=os.path.join(HERE, "figures"), help="directory for the figure")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    # These models are tiny: one thread is faster than several (and the results are the same bits).
    gs.set_num_threads(1)

    (x, y), (x_val, y_val) = noisy_digits()
    table = gs.lab.compare(
        {
            "no dropout": {"model_fn": lambda: wide_mlp(0.0)},
            "Dropout(0.5)": {"model_fn": lambda: wide_mlp(0.5)},
        },
        data=(x, y),
        optimizer=lambda: gs.optimizers.Adam(0.001),
        epochs=2 if args.fast else 100,
        validation_data=(x_val, y_val),
        save=os.path.join(args.out, "06_dropout.png"),
    )
    histories = {row["variant"]: table.runs[row["variant"]].history.history for row in table.rows}
    table.add_column("final_val_loss", [h["val_loss"][-1] for h in histories.values()])
    table.add_column("final_val_accuracy", [h["val_accuracy"][-1] for h in histories.values()])
    print(table)
    print(
        "\nfinding: "
        + "; ".join(
            f"{name}: training loss {h['loss'][-1]:.3f}, validation loss min {min(h['val_loss']):.3f} -> final "
            f"{h['val_loss'][-1]:.3f}, final validation accuracy {h['val_accuracy'][-1]:.3f}"
            for name, h in histories.items()
        )
    )
    return table


if __name__ == "__main__":
    main()
