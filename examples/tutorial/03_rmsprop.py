"""RMSprop vs plain gradient descent where curvatures differ 1000-fold (an axis-aligned quadratic).
You should see: GD, its rate capped by the steep direction, crawls along the flat one and never gets
loss below 0.05 here; RMSprop moves both coordinates at the same pace and gets there in a few hundred steps.

Tutorial rule (RMSProp): E[g^2] <- rho * E[g^2] + (1 - rho) * g^2; theta <- theta - eta / sqrt(E[g^2] + eps) * g.
Each coordinate's step is divided by its own root-mean-square gradient, so its size is about eta
whatever the curvature. The flip side, also visible: with a constant rate RMSprop does not settle,
it keeps stepping about eta and hovers at a loss set by the rate (larger rate: sooner, higher floor).

    python examples/tutorial/03_rmsprop.py [--fast] [--out DIR]
"""

import argparse
import os

import gradstep as gs
from gradstep.lab import functions

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 0.05


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few steps only (for the tests)")
    parser.add_argument("--out", default=os.path.join(HERE, "figures"), help="directory for the figure")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    O = gs.optimizers
    table = gs.lab.compare(
        {
            # 0.0019: just below GD's stability limit 2 / 1000
            "GD, lr 0.0019": lambda: O.SGD(0.0019),
            "RMSprop, lr 0.01": lambda: O.RMSprop(0.01),
            "RMSprop, lr 0.03": lambda: O.RMSprop(0.03),
        },
        function=functions.IllConditionedQuadratic(condition=1000.0),
        steps=10 if args.fast else 1000,
        tolerance=TOLERANCE,
        save=os.path.join(args.out, "03_rmsprop.png"),
    )
    print(table)
    rows = {row["variant"]: row for row in table.rows}
    steps = {name: "never" if row["steps_to_tol"] is None else row["steps_to_tol"] for name, row in rows.items()}
    print(
        f"\nfinding: steps to loss {TOLERANCE:g}: GD {steps['GD, lr 0.0019']}, RMSprop(0.01) "
        f"{steps['RMSprop, lr 0.01']}, RMSprop(0.03) {steps['RMSprop, lr 0.03']}; final loss: GD "
        f"{rows['GD, lr 0.0019']['final_loss']:.3g}, RMSprop(0.01) {rows['RMSprop, lr 0.01']['final_loss']:.3g}, "
        f"RMSprop(0.03) {rows['RMSprop, lr 0.03']['final_loss']:.3g} (the constant-rate floor)"
    )
    return table


if __name__ == "__main__":
    main()
