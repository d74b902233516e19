"""L1 vs L2 weight penalties on the bundled digits: what they do to the weights.
You should see: L1 pushes about two thirds of the kernel weights to near zero (|w| < 1e-3), a sparse model;
L2 shrinks the weights (smaller mean |w|) but leaves almost none near zero; accuracy stays within ~1 point.

Tutorial: a penalty on the parameters' size is added to the loss: L1 l1 * sum|w| (gradient l1 * sign(w):
every weight is pulled towards 0 by the same amount, so weights the data do not need end at 0), L2
l2 * sum w^2 (gradient 2 l2 w: pulled in proportion to their size, rarely reaching 0). The same
kernel_regularizer on both Dense layers (biases free). Model: 64 -> Dense(64, relu) -> Dense(10,
softmax), SGD(0.05, momentum 0.9), batch 32, 30 epochs. The loss in the table includes the penalty.
With plain (sub)gradient steps the L1 weights do not land on exactly 0: they jitter around it with
a size set by the learning rate (about 1e-4 here; the histogram in the figure shows them).

    python examples/tutorial/07_l1_vs_l2.py [--fast] [--out DIR]
"""

import argparse
import os

import numpy as np

import gradstep as gs

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL = 1e-3  # "zero": |w| below this


def mlp(regularizer):
    return gs.Sequential(
        [
            gs.Input((64,)),
            gs.layers.Dense(64, activation="relu", kernel_regularizer=regularizer),
            gs.layers.Dense(10, activation="softmax", kernel_regularizer=regularizer),
        ]
    )


def kernels(model):
    """All kernel weights (not biases) of the model, flattened."""
    return np.concatenate([layer.get_weights()[0].ravel() for layer in model.layers])


def add_weight_histogram(figure, weights):
    """A third panel on compare's figure: the distribution of log10 |w| for each variant."""
    grid = figure.add_gridspec(1, 3)
    for index, ax in enumerate(figure.axes):
        ax.set_subplotspec(grid[index])
    figure.set_size_inches(16.8, 4.6)
    figure.subplots_adjust(left=0.05, right=0.99, wspace=0.22)
    ax = figure.add_subplot(grid[2])
    bins = np.linspace(-8, 0.5, 60)
    for index, (name, w) in enumerate(weights.items()):
        ax.hist(np.log10(np.maximum(np.abs(w), 1e-8)), bins=bins, histtype="step", color=f"C{index}", label=name)
    ax.axvline(np.log10(SMALL), color="0.5", linestyle=":")
    ax.set_title("kernel weights: log10 |w| (dotted: the 'zero' threshold)")
    ax.set_xlabel("log10 |w|  (|w| < 1e-8 counted at -8)")
    ax.legend(fontsize=8)


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
        x, y = x[:128], y[:128]
    R = gs.regularizers
    table = gs.lab.compare(
        {
            "no penalty": {"model_fn": lambda: mlp(None)},
            "L1(1e-3)": {"model_fn": lambda: mlp(R.L1(1e-3))},
            "L2(1e-3)": {"model_fn": lambda: mlp(R.L2(1e-3))},
        },
        data=(x, y),
        optimizer=lambda: gs.optimizers.SGD(0.05, momentum=0.9),
        epochs=2 if args.fast else 30,
        validation_data=(x_val, y_val),
    )
    weights = [kernels(table.runs[row["variant"]].model) for row in table.rows]
    add_weight_histogram(table.figure, dict(zip(table.column("variant"), weights)))
    table.figure.savefig(os.path.join(args.out, "07_l1_vs_l2.png"), dpi=90)
    table.add_column("mean_abs_w", [float(np.abs(w).mean()) for w in weights])
    table.add_column(f"share_abs_w_below_{SMALL:g}", [float(np.mean(np.abs(w) < SMALL)) for w in weights])
    print(table)
    print(
        f"\nfinding: share of kernel weights with |w| < {SMALL:g}: "
        + ", ".join(f"{row['variant']} {row[f'share_abs_w_below_{SMALL:g}']:.1%}" for row in table.rows)
        + "; mean |w|: "
        + ", ".join(f"{row['variant']} {row['mean_abs_w']:.3f}" for row in table.rows)
        + "; best validation accuracy: "
        + ", ".join(f"{row['variant']} {row['best_val_accuracy']:.3f}" for row in table.rows)
    )
    return table


if __name__ == "__main__":
    main()
