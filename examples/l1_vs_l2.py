"""L1 vs L2 vs no weight regularisation on the UCI digits: accuracy and sparsity of the kernels.

    python examples/l1_vs_l2.py [--epochs 30] [--seeds 3] [--threshold 1e-3]

Model: 64 -> Dense(64, relu) -> Dense(10, softmax), the same kernel_regularizer on both Dense
layers (biases unregularised); SGD(0.05, momentum 0.9), batch 32, same seeds for every variant.
L1 (penalty l1*sum|w|, gradient l1*sign(w)) pushes every weight towards zero by the same amount and
drives unhelpful weights to (about) zero; L2 (l2*sum w^2, gradient 2*l2*w) shrinks weights in
proportion to their size and rarely makes them vanish. Reported (means over seeds): test accuracy,
test cross-entropy WITHOUT the penalty (model.evaluate's loss includes it, as in Keras), the mean
|w| of the kernels and the fraction of kernel weights with |w| < threshold.
"""

import argparse
import time

import numpy as np

import gradstep as gs

R = gs.regularizers
VARIANTS = {
    "none": None,
    "L1(1e-3)": R.L1(1e-3),
    "L2(1e-3)": R.L2(1e-3),
    "L2(1e-2)": R.L2(1e-2),
}


def run(regularizer, seed, data, epochs, threshold):
    (x_train, y_train), (x_test, y_test) = data
    gs.set_seed(seed)
    model = gs.Sequential(
        [
            gs.Input((64,)),
            gs.layers.Dense(64, activation="relu", kernel_regularizer=regularizer),
            gs.layers.Dense(10, activation="softmax", kernel_regularizer=regularizer),
        ]
    )
    model.compile(
        optimizer=gs.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    probs = model.predict(x_test, verbose=0).astype(np.float64)
    data_loss = -np.mean(np.log(np.clip(probs[np.arange(len(y_test)), y_test], 1e-7, 1.0)))
    accuracy = np.mean(probs.argmax(axis=1) == y_test)
    kernels = np.concatenate([w.ravel() for w in model.get_weights()[0::2]])  # kernel, bias, kernel, bias
    return accuracy, data_loss, np.abs(kernels).mean(), np.mean(np.abs(kernels) < threshold)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=1e-3)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    data = gs.datasets.load_digits()
    print(
        f"digits: {len(data[0][0])} train / {len(data[1][0])} test; {args.epochs} epochs; "
        f"mean over {args.seeds} seed(s)"
    )
    small = f"|w|<{args.threshold:g}"
    print(f"{'regularizer':12s} {'test acc':>9s} {'test CE':>8s} {'mean |w|':>9s} {small:>9s}")
    res = {}
    for name, reg in VARIANTS.items():
        res[name] = np.mean([run(reg, seed, data, args.epochs, args.threshold) for seed in range(args.seeds)], axis=0)
        acc, ce, mean_abs, sparse = res[name]
        print(f"{name:12s} {acc:9.4f} {ce:8.4f} {mean_abs:9.4f} {sparse:9.1%}")
    n, l1, l2, l2s = (res[k] for k in VARIANTS)
    print(
        f"\nfinding: L1(1e-3) leaves {l1[3]:.1%} of the kernel weights below {args.threshold:g} vs {l2[3]:.1%} "
        f"for L2(1e-3), {l2s[3]:.1%} for L2(1e-2) (mean |w| {l2s[2]:.3f}) and {n[3]:.1%} without a regulariser;\n"
        f"         test accuracy: none {n[0]:.4f}, L1 {l1[0]:.4f}, L2(1e-3) {l2[0]:.4f}, L2(1e-2) {l2s[0]:.4f}."
    )
    print(f"(total time {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
