"""Learning-rate schedules (step, exponential, cosine) vs a constant rate, for RMSprop on 03's narrow valley.
You should see: at the constant rate RMSprop hovers at loss ~0.1 and never reaches 1e-4; every decaying
schedule lets it settle orders of magnitude lower (step decay is the fastest to 1e-4, cosine ends lowest).

Tutorial: lr(t) = lr0 * drop^floor(t / step_size) (step decay: StepDecay), lr0 * rate^(t / T)
(exponential: ExponentialDecay), lr0 * (1 + cos(pi * t / T)) / 2 (cosine annealing: CosineDecay),
t the optimizer step, T = 1000 steps. A schedule is part of the optimizer (RMSprop(learning_rate=
schedule)), evaluated before every update, in fit as here. Why decay: RMSprop's steps are about lr in
size whatever the gradient, so a constant rate can only bounce around the minimum; on data the same
happens with mini-batch noise. (On the bundled digits a small net can fit the training set exactly,
there is no noise floor to remove, and a constant rate ends with the lowest training loss: so this
lesson is shown on a function.)

    python examples/tutorial/09_learning_rate_schedules.py [--fast] [--out DIR]
"""

import argparse
import os

import gradstep as gs
from gradstep.lab import functions

HERE = os.path.dirname(os.path.abspath(__file__))
LR0 = 0.03
TOLERANCE = 1e-4


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few steps only (for the tests)")
    parser.add_argument("--out", default=os.path.join(HERE, "figures"), help="directory for the figure")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    steps = 20 if args.fast else 1000
    S = gs.optimizers.schedules
    schedules = {
        f"constant {LR0:g}": LR0,
        f"step: x0.5 every {steps // 10} steps": S.StepDecay(LR0, drop_rate=0.5, step_size=steps // 10),
        "exponential: x0.01 overall": S.ExponentialDecay(LR0, decay_steps=steps, decay_rate=0.01),
        "cosine to 0": S.CosineDecay(LR0, decay_steps=steps),
    }
    valley = functions.IllConditionedQuadratic(condition=1000.0)
    valley.window = ((-0.6, 0.2), (-0.1, 0.1))  # zoom on the minimum, where the runs differ
    table = gs.lab.compare(
        {name: (lambda lr=lr: gs.optimizers.RMSprop(learning_rate=lr)) for name, lr in schedules.items()},
        function=valley,
        steps=steps,
        tolerance=TOLERANCE,
        save=os.path.join(args.out, "09_learning_rate_schedules.png"),
    )
    table.add_column("last_step_lr", [float(table.runs[name].learning_rates[-1]) for name in table.column("variant")])
    print(table)
    print(
        "\nfinding: final loss "
        + ", ".join(f"{row['variant']} {row['final_loss']:.3g}" for row in table.rows)
        + f"; steps to loss {TOLERANCE:g}: "
        + ", ".join(f"{row['variant']} {row['steps_to_tol'] or 'never'}" for row in table.rows)
    )
    return table


if __name__ == "__main__":
    main()
