"""Denoising autoencoders on the bundled 8x8 digits: a Dense one and a convolutional one.

    python examples/autoencoders.py [--epochs 60] [--noise 0.3] [--seed 0] [--png out.png]

Both learn to map a noisy image (Gaussian noise of standard deviation --noise, clipped to [0, 1])
to the clean one, with a sigmoid output and binary cross-entropy, Adam(2e-3), batch 32.
Dense:  64 -> Dense(32, relu) -> Dense(16, relu) -> Dense(32, relu) -> Dense(64, sigmoid)
Conv:   (8, 8, 1) -> Conv2D(16, 3, same, relu) -> MaxPooling2D(2) -> Conv2D(16, 3, same, relu)
        -> Conv2DTranspose(16, 3, strides 2, same, relu) -> Conv2D(1, 3, same, sigmoid)
(as the Keras convolutional denoising autoencoder example, scaled to 8x8 images). Prints the
reconstruction MSE on the clean test images from their noisy versions, next to the MSE of the
noisy inputs themselves, and saves originals / noisy inputs / both reconstructions as a PNG
when matplotlib is installed.
"""

import argparse
import time

import numpy as np

import gradstep as gs

L = gs.layers

# What each model must reach with the defaults (test MSE, clean targets from noisy inputs); the
# noisy inputs themselves are at ~0.051.
THRESHOLDS = {"dense": 0.030, "conv": 0.025}


def dense_autoencoder():
    return gs.Sequential(
        [
            gs.Input((8, 8, 1)),
            L.Flatten(),
            L.Dense(32, activation="relu"),
            L.Dense(16, activation="relu"),
            L.Dense(32, activation="relu"),
            L.Dense(64, activation="sigmoid"),
            L.Reshape((8, 8, 1)),
        ]
    )


def conv_autoencoder():
    return gs.Sequential(
        [
            gs.Input((8, 8, 1)),
            L.Conv2D(16, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(16, 3, padding="same", activation="relu"),
            L.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
            L.Conv2D(1, 3, padding="same", activation="sigmoid"),
        ]
    )


def noisy(x, noise, seed):
    return np.clip(x + noise * np.random.default_rng(seed).standard_normal(x.shape), 0.0, 1.0).astype(np.float32)


def train(build, x_noisy, x_clean, epochs, seed):
    gs.set_seed(seed)
    model = build()
    model.compile(optimizer=gs.optimizers.Adam(2e-3), loss="binary_crossentropy")
    start = time.perf_counter()
    model.fit(x_noisy, x_clean, batch_size=32, epochs=epochs, verbose=0)
    return model, time.perf_counter() - start


def save_png(path, rows, titles):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no PNG written")
        return
    fig, axes = plt.subplots(len(rows), rows[0].shape[0], figsize=(rows[0].shape[0] * 0.8, len(rows) * 0.9))
    for r, (images, title) in enumerate(zip(rows, titles)):
        for c in range(images.shape[0]):
            axes[r, c].imshow(images[c, :, :, 0], cmap="gray", vmin=0, vmax=1)
            axes[r, c].axis("off")
        axes[r, 0].set_title(title, fontsize=7, loc="left")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"saved {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--png", default="autoencoders.png")
    args = parser.parse_args(argv)
    (x_train, _), (x_test, _) = gs.datasets.load_digits()
    x_train, x_test = x_train.reshape(-1, 8, 8, 1), x_test.reshape(-1, 8, 8, 1)
    noisy_train, noisy_test = noisy(x_train, args.noise, args.seed), noisy(x_test, args.noise, args.seed + 1)
    print(f"digits: {len(x_train)} training / {len(x_test)} test images, noise {args.noise}, {args.epochs} epochs")
    print(f"noisy test inputs: MSE {np.mean((noisy_test - x_test) ** 2):.4f} against the clean images")
    results, reconstructions = {}, []
    for name, build in (("dense", dense_autoencoder), ("conv", conv_autoencoder)):
        model, seconds = train(build, noisy_train, x_train, args.epochs, args.seed)
        reconstruction = model.predict(noisy_test, verbose=0)
        mse = float(np.mean((reconstruction - x_test) ** 2))
        results[name] = {"mse": mse, "params": model.count_params()}
        reconstructions.append(reconstruction[:10])
        verdict = "below" if mse < THRESHOLDS[name] else "NOT below"
        print(
            f"{name:5s} autoencoder: test MSE {mse:.4f} ({verdict} the threshold {THRESHOLDS[name]}), "
            f"{model.count_params():,} parameters, trained in {seconds:.1f} s"
        )
    if args.png:
        save_png(
            args.png,
            [x_test[:10], noisy_test[:10]] + reconstructions,
            ["original", "noisy input", "dense autoencoder", "conv autoencoder"],
        )
    return results


if __name__ == "__main__":
    main()
