"""Early stopping: stop when the validation loss stops improving, and keep the best weights.
You should see: EarlyStopping ends training long before the 150 epochs, and its kept model has a lower
validation loss and a higher validation accuracy than the model trained to the end, which over-fits.

Tutorial: training longer keeps lowering the training loss, but past some epoch the model learns the
training set's noise and the validation loss rises. EarlyStopping(monitor="val_loss", patience=10,
restore_best_weights=True) stops after 10 epochs without improvement and restores the best epoch's
weights. Same setting as 06_dropout.py: a wide net (two Dense(256, relu)), 500 training digits with
30% random labels, Adam(0.001), batch 32; validation on the 360 held-out digits.

    python examples/tutorial/08_early_stopping.py [--fast] [--out DIR]
"""

import argparse
import importlib.util
import os

import gradstep as gs

HERE = os.path.dirname(os.path.abspath(__file__))


def _dropout_example():
    """06_dropout.py (its data and model), loaded from its path (a file name starting with a digit)."""
    spec = importlib.util.spec_from_file_location("tutorial_dropout", os.path.join(HERE, "06_dropout.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few epochs only (for the tests)")
    parser.add_argument("--out", default=os.path.join(HERE, "figures"), help="directory for the figure")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    # These models are tiny: one thread is faster than several (and the results are the same bits).
    gs.set_num_threads(1)

    dropout = _dropout_example()
    (x, y), (x_val, y_val) = dropout.noisy_digits()
    patience = 1 if args.fast else 10
    table = gs.lab.compare(
        {
            "train to the end": {},
            f"EarlyStopping(patience={patience})": {
                "callbacks": lambda: [
                    gs.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
                ]
            },
        },
        data=(x, y),
        model_fn=lambda: dropout.wide_mlp(0.0),
        optimizer=lambda: gs.optimizers.Adam(0.001),
        epochs=3 if args.fast else 150,
        validation_data=(x_val, y_val),
        save=os.path.join(args.out, "08_early_stopping.png"),
    )
    # the model each run ends with (EarlyStopping has put its best epoch's weights back)
    kept = [table.runs[row["variant"]].model.evaluate(x_val, y_val, verbose=0) for row in table.rows]
    table.add_column("kept_model_val_loss", [float(loss) for loss, _ in kept])
    table.add_column("kept_model_val_accuracy", [float(accuracy) for _, accuracy in kept])
    print(table)
    print(
        "\nfinding: "
        + "; ".join(
            f"{row['variant']}: {row['epochs']} epochs in {row['wall_time_s']:.1f} s, kept model validation loss "
            f"{row['kept_model_val_loss']:.3f}, accuracy {row['kept_model_val_accuracy']:.3f}"
            for row in table.rows
        )
    )
    return table


if __name__ == "__main__":
    main()
