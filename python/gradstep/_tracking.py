"""Glass-box training: the figures `fit(..., track=[...])` records, and their log keys.

Computed in C++ during each train step (cpp/model/tracking.hpp has the exact definitions) and
averaged over the epoch's batches:

- "grad_norm": per trainable weight, the L2 norm of the gradient the optimizer receives (loss
  plus regulariser gradients), before clipping. Key "grad_norm/<layer>/<weight>".
- "update_ratio": per trainable weight, ||w_after - w_before|| / ||w_before|| over a step (all the
  optimizer changed, weight decay included; steps where ||w_before|| = 0 do not count). Key
  "update_ratio/<layer>/<weight>".
- "dead_relu": per ReLU layer (Dense/Conv with activation="relu", Activation("relu")), the
  fraction of its units (channels of the last axis) that output 0 for every sample of the batch.
  Key "dead_relu/<layer>".
- "bn_stats": per BatchNormalization layer, the mean over channels of |batch mean| and of the batch
  standard deviation (biased variance, no epsilon). Keys "bn_stats/<layer>/abs_mean" and
  "bn_stats/<layer>/std".

Frozen weights, and a frozen BatchNormalization (it uses its moving statistics), have no value:
their epoch entry is NaN.

This module imports nothing from gradstep, so callbacks (the progress bar leaves these keys out
of its line) and models can both use it.
"""

from __future__ import annotations

from collections.abc import Sequence

TRACKABLE: tuple[str, ...] = ("grad_norm", "update_ratio", "dead_relu", "bn_stats")


def check_track(track: str | Sequence[str] | None) -> list[str]:
    """The figures named by fit's `track` argument, validated, in TRACKABLE order."""
    if track is None:
        return []
    names = [track] if isinstance(track, str) else track
    if not isinstance(names, (list, tuple)):
        raise TypeError(f"track must be None or a list of figure names {list(TRACKABLE)}, got {type(track).__name__}")
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"track must hold figure names (strings), got {type(name).__name__}")
        if name not in TRACKABLE:
            valid = ", ".join(repr(n) for n in TRACKABLE)
            raise ValueError(f"track: unknown figure {name!r}; valid names are {valid}")
    return [name for name in TRACKABLE if name in names]


def tracked_key(figure: str, layer_name: str, part: str) -> str:
    """The log key of one figure: "<figure>/<layer>" or "<figure>/<layer>/<part>"."""
    return f"{figure}/{layer_name}/{part}" if part else f"{figure}/{layer_name}"


def is_tracked_key(key: str) -> bool:
    """True for a log key recorded by tracking ("grad_norm/dense/kernel", ...)."""
    figure, slash, _ = key.partition("/")
    return bool(slash) and figure in TRACKABLE
