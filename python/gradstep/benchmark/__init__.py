"""Benchmarks: `python -m gradstep.benchmark --help`."""
