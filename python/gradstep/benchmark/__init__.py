"""Benchmarks: `python -m gradstep.benchmark --help`."""

from __future__ import annotations
