"""Data sets: the 8x8 digits bundled with gradstep (no network access needed), and MNIST and
Fashion-MNIST read from their standard IDX files (downloaded on first use when a network is
available)."""

from __future__ import annotations

from .digits import load_digits
from .mnist import data_root, load_fashion_mnist, load_mnist, read_idx

__all__ = ["data_root", "load_digits", "load_fashion_mnist", "load_mnist", "read_idx"]
