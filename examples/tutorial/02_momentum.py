"""Momentum vs plain gradient descent on a narrow valley (a quadratic of condition number 50).
You should see: momentum 0.9 reaches loss 1e-6 in about half the steps GD needs even at GD's best
learning rate; GD zig-zags across the valley, momentum swings along it (overshooting, then settling).

Tutorial rule (momentum): v <- gamma * v + eta * g; theta <- theta - v. gradstep's SGD(momentum=gamma)
runs the Keras form m <- gamma * m - eta * g; theta <- theta + m: the same steps.
GD is stable only for learning_rate < 2 / 50; its best rate is 2 / (1 + 50) = 0.039.

    python examples/tutorial/02_momentum.py [--fast] [--out DIR]
"""

import argparse
import os

import gradstep as gs
from gradstep.lab import functions

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few steps only (for the tests)")
    parser.add_argument("--out", default=os.path.join(HERE, "figures"), help="directory for the figure")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    SGD = gs.optimizers.SGD
    table = gs.lab.compare(
        {
            "GD, lr 0.01": lambda: SGD(0.01),
            "GD, best lr 0.039": lambda: SGD(0.039),
            "momentum 0.9, lr 0.01": lambda: SGD(0.01, momentum=0.9),
            "Nesterov 0.9, lr 0.01": lambda: SGD(0.01, momentum=0.9, nesterov=True),
        },
        function=functions.IllConditionedQuadratic(condition=50.0),
        steps=10 if args.fast else 300,
        tolerance=TOLERANCE,
        save=os.path.join(args.out, "02_momentum.png"),
    )
    print(table)
    steps = {
        name: "never" if s is None else s for name, s in zip(table.column("variant"), table.column("steps_to_tol"))
    }
    print(
        f"\nfinding: steps to reach loss {TOLERANCE:g}: GD at its best rate {steps['GD, best lr 0.039']}, "
        f"momentum {steps['momentum 0.9, lr 0.01']}, Nesterov {steps['Nesterov 0.9, lr 0.01']}, "
        f"GD at the momentum runs' rate {steps['GD, lr 0.01']} (within {table.runs['GD, lr 0.01'].steps} steps)"
    )
    return table


if __name__ == "__main__":
    main()
