"""Per-token tagging of variable-length padded sequences: a bidirectional LSTM against a forward one.

    python examples/sequence_tagging.py [--epochs 20] [--seed 0]

Task (generated): a sequence of 6 to 20 tokens drawn uniformly from 1..8, padded with 0 to 20
steps. The tag of each token says whether it equals the sequence's first token and whether it
equals its last token: 0 neither, 1 first, 2 last, 3 both. The last token sits at a different
step in every sequence, so a model reading left to right cannot know it when it tags a token:
tagging needs context from both directions.
Model: Embedding(9, 16, mask_zero=True) -> Bidirectional(LSTM(32, return_sequences=True))
-> Dense(4, softmax) at every step; loss sparse_categorical_crossentropy on labels (N, 20), the
padded steps masked out of the loss and the metric. Same training for a forward-only
LSTM(32, return_sequences=True): 8,000 training sequences, 1,000 test, Adam(5e-3, clipnorm=1.0),
batch 32.
Prints, for both, the test accuracy over the non-padded tokens computed in NumPy from
model.predict, the accuracy gradstep's evaluate reports, the parameter count and training time.
"""

import argparse
import time

import numpy as np

import gradstep as gs

L = gs.layers

VOCABULARY = 8  # tokens 1..8; 0 is padding
MAX_LENGTH = 20
MIN_LENGTH = 6
NUM_TAGS = 4
NUM_TRAIN, NUM_TEST = 8000, 1000


def tagging_data(n, rng):
    """x (n, MAX_LENGTH) int64 token ids, 0-padded at the end; y (n, MAX_LENGTH) tags (0 at padding)."""
    x = np.zeros((n, MAX_LENGTH), dtype=np.int64)
    y = np.zeros((n, MAX_LENGTH), dtype=np.int64)
    for i, length in enumerate(rng.integers(MIN_LENGTH, MAX_LENGTH + 1, n)):
        tokens = rng.integers(1, VOCABULARY + 1, length)
        x[i, :length] = tokens
        y[i, :length] = (tokens == tokens[0]) * 1 + (tokens == tokens[-1]) * 2
    return x, y


def tagger(bidirectional):
    recurrent = L.LSTM(32, return_sequences=True)
    return gs.Sequential(
        [
            gs.Input((MAX_LENGTH,)),
            L.Embedding(VOCABULARY + 1, 16, mask_zero=True),
            L.Bidirectional(recurrent) if bidirectional else recurrent,
            L.Dense(NUM_TAGS, activation="softmax"),
        ]
    )


def token_accuracy(model, x, y):
    """The fraction of non-padded tokens (x != 0) whose most probable tag is the label."""
    predicted = model.predict(x, verbose=0).argmax(axis=-1)
    tokens = x != 0
    return float(np.mean(predicted[tokens] == y[tokens]))


def train(bidirectional, x_train, y_train, x_test, y_test, epochs, seed):
    gs.set_seed(seed)
    model = tagger(bidirectional)
    model.compile(
        optimizer=gs.optimizers.Adam(5e-3, clipnorm=1.0), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    _, reported = model.evaluate(x_test, y_test, verbose=0)
    return {
        "accuracy": token_accuracy(model, x_test, y_test),
        "reported_accuracy": float(reported),
        "params": model.count_params(),
        "seconds": seconds,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    x_train, y_train = tagging_data(NUM_TRAIN, rng)
    x_test, y_test = tagging_data(NUM_TEST, rng)
    test_tokens = x_test != 0
    majority = float(np.mean(y_test[test_tokens] == 0))
    print(
        f"tagging: {NUM_TRAIN} training sequences, {NUM_TEST} test ({int(test_tokens.sum()):,} test tokens), "
        f"lengths {MIN_LENGTH}-{MAX_LENGTH} padded to {MAX_LENGTH}; {args.epochs} epochs, "
        f"{gs.get_num_threads()} thread(s)"
    )
    print(f"always tagging 0 (neither): token accuracy {majority:.4f}")
    results = {"majority": majority}
    for name, bidirectional in (("Bidirectional LSTM", True), ("forward LSTM", False)):
        result = train(bidirectional, x_train, y_train, x_test, y_test, args.epochs, args.seed)
        results[name] = result
        print(
            f"{name}: test token accuracy {result['accuracy']:.4f} (NumPy, non-padded tokens), "
            f"{result['reported_accuracy']:.4f} (evaluate), {result['params']:,} parameters, "
            f"trained in {result['seconds']:.2f} s"
        )
    return results


if __name__ == "__main__":
    main()
