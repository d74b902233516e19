"""Gradient descent: batch vs mini-batch vs stochastic, on the bundled 8x8 digits (same model, seed, epochs).
You should see: after the same 20 epochs, the smaller the batch the lower the training loss (more updates
per epoch); full-batch GD is far behind even at a 10x larger rate, and batch size 1 costs the most time per epoch.

Tutorial rule: theta <- theta - eta * dJ/dtheta, where J is the loss over the whole training set
(batch GD: one update per epoch), over a mini-batch (here 32 samples: 45 updates per epoch) or over
one sample (stochastic: 1437 updates per epoch). Model: 64 -> Dense(32, relu) -> Dense(10, softmax),
cross-entropy, gradstep.optimizers.SGD; validation on the 360 held-out digits.

    python examples/tutorial/01_gradient_descent.py [--fast] [--out DIR]
"""

import argparse
import os

import gradstep as gs

HERE = os.path.dirname(os.path.abspath(__file__))


def model_fn():
    return gs.Sequential(
        [gs.Input((64,)), gs.layers.Dense(32, activation="relu"), gs.layers.Dense(10, activation="softmax")]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few samples and epochs only (for the tests)")
    parser.add_argument("--out", default=os.path.join(HERE, "figures"), help="directory for the figure")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    # These models are tiny: one thread is faster than several (and the results are the same bits).
    gs.set_num_threads(1)

    (x, y), (x_val, y_val) = gs.datasets.load_digits()
    if args.fast:
        x, y = x[:64], y[:64]
    SGD = gs.optimizers.SGD
    table = gs.lab.compare(
        {
            f"batch ({len(x)}), lr 0.1": {"optimizer": SGD(0.1), "batch_size": len(x)},
            f"batch ({len(x)}), lr 1.0": {"optimizer": SGD(1.0), "batch_size": len(x)},
            "mini-batch (32), lr 0.1": {"optimizer": SGD(0.1), "batch_size": 32},
            "stochastic (1), lr 0.1": {"optimizer": SGD(0.1), "batch_size": 1},
        },
        data=(x, y),
        model_fn=model_fn,
        epochs=2 if args.fast else 20,
        validation_data=(x_val, y_val),
        save=os.path.join(args.out, "01_gradient_descent.png"),
    )
    print(table)
    rows = table.rows
    print(
        "\nfinding: final training loss "
        + ", ".join(f"{row['variant']} {row['final_loss']:.3f}" for row in rows)
        + "; seconds per epoch "
        + ", ".join(f"{row['variant']} {row['wall_time_s'] / row['epochs']:.3f}" for row in rows)
    )
    return table


if __name__ == "__main__":
    main()
