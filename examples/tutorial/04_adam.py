"""Adam vs GD, momentum and RMSprop on the Beale function, each at its best learning rate from a grid.
You should see: Adam reaches loss 1e-4 in the fewest steps, and at every rate from 0.01 to 0.3, where
GD and momentum diverge above 0.03 and 0.01 and plain RMSprop gets there at one rate only.

Tutorial rule (Adam): m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; m_hat = m / (1 - b1^t),
v_hat = v / (1 - b2^t); theta <- theta - eta m_hat / (sqrt(v_hat) + eps): momentum (m) plus
RMSprop's per-coordinate scaling (v), bias-corrected for the zero start. Beale's gradient varies by
orders of magnitude between its flat middle and its steep corners, which is what the scaling is for.
The first table is the learning-rate grid (steps to reach the tolerance per optimizer and rate),
the second compares each optimizer at the grid's best rate for it.

    python examples/tutorial/04_adam.py [--fast] [--out DIR]
"""

import argparse
import os

import gradstep as gs
from gradstep.lab import functions

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-4
RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
OPTIMIZERS = {
    "GD": lambda lr: gs.optimizers.SGD(lr),
    "momentum 0.9": lambda lr: gs.optimizers.SGD(lr, momentum=0.9),
    "RMSprop": lambda lr: gs.optimizers.RMSprop(lr),
    "Adam": lambda lr: gs.optimizers.Adam(lr),
}


def outcome(run):
    """What the grid shows for one run, and a sort key (fewest steps, then lowest final loss)."""
    reached = run.steps_to(TOLERANCE)
    if run.diverged:
        return "diverged", (2, 0.0)
    if reached is None:
        return f"({run.final_loss:.0e})", (1, run.final_loss)
    return str(reached), (0, reached)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few steps only (for the tests)")
    parser.add_argument("--out", default=os.path.join(HERE, "figures"), help="directory for the figure")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    steps = 20 if args.fast else 2000
    beale = functions.Beale()
    beale.window = ((0.0, 4.0), (-1.5, 1.5))  # zoom on the paths

    grid_rows, best_rate = [], {}
    for name, make in OPTIMIZERS.items():
        results = {lr: outcome(gs.lab.trajectory(make(lr), beale, steps=steps)) for lr in RATES}
        best_rate[name] = min(RATES, key=lambda lr: results[lr][1])
        grid_rows.append({"optimizer": name, **{f"lr {lr:g}": results[lr][0] for lr in RATES}})
    grid = gs.lab.ComparisonTable(
        grid_rows, title=f"steps to loss {TOLERANCE:g} on Beale (in parentheses: final loss if never; {steps} steps)"
    )
    print(grid, end="\n\n")

    table = gs.lab.compare(
        {
            f"{name}, lr {best_rate[name]:g}": (lambda m=make, lr=best_rate[name]: m(lr))
            for name, make in OPTIMIZERS.items()
        },
        function=beale,
        steps=steps,
        tolerance=TOLERANCE,
        save=os.path.join(args.out, "04_adam.png"),
    )
    print(table)
    reaching = {row["optimizer"]: [f"{lr:g}" for lr in RATES if row[f"lr {lr:g}"].isdigit()] for row in grid_rows}
    print(
        "\nfinding: rates that reach the tolerance: "
        + "; ".join(f"{k} {', '.join(v) or 'none'}" for k, v in reaching.items())
    )
    return table


if __name__ == "__main__":
    main()
