"""The step profile (cpp/core/profile.hpp, `python -m gradstep.benchmark --profile`).

The counters are checked against what the model must do: the GEMMs of a Dense stack, their
FLOPs (2 M N K each) and operand bytes, one optimizer update and one train step per batch. The
FLOP and byte counts must not depend on the thread count; with the profile off nothing is counted.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import gradstep as gs
from gradstep import _core
from gradstep.benchmark import __main__ as bench
from gradstep.benchmark import profile as profile_module
from gradstep.benchmark import workloads as W

SIZES = [12, 16, 8, 3]
BATCH, ROWS = 10, 40


@pytest.fixture
def profiling() -> Iterator[None]:
    threads = gs.get_num_threads()
    _core._reset_profile()
    _core._set_profiling(True)
    yield
    _core._set_profiling(False)
    _core._reset_profile()
    gs.set_num_threads(threads)


def _mlp() -> gs.Sequential:
    layers: list[Any] = [gs.Input((SIZES[0],))]
    layers += [gs.layers.Dense(n, activation="relu") for n in SIZES[1:-1]] + [gs.layers.Dense(SIZES[-1])]
    model = gs.Sequential(layers)
    model.compile(optimizer="adam", loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((ROWS, SIZES[0])).astype(np.float32), rng.integers(0, SIZES[-1], ROWS)


def _by_kernel() -> dict[str, dict[str, Any]]:
    return {row["kernel"]: row for row in _core._profile()}


def _expected_gemms() -> tuple[int, float, float]:
    """(calls, FLOPs, operand bytes) of one batch's GEMMs: forward x W, dW = x^T dz, and
    dX = dz W^T for every layer but the first (beta = 0: C written once)."""
    calls, flops, nbytes = 0, 0.0, 0.0
    for i, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        shapes = [(BATCH, fan_out, fan_in), (fan_in, fan_out, BATCH)] + ([(BATCH, fan_in, fan_out)] if i else [])
        for m, n, k in shapes:
            calls += 1
            flops += 2.0 * m * n * k
            nbytes += 4.0 * (m * k + k * n + m * n)
    return calls, flops, nbytes


def test_counters_match_the_gemms_of_a_dense_stack(profiling: None) -> None:
    x, y = _data()
    model = _mlp()
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    rows = _by_kernel()
    batches = ROWS // BATCH
    calls, flops, nbytes = _expected_gemms()
    assert rows["gemm"]["calls"] == calls * batches
    assert rows["gemm"]["flops"] == pytest.approx(flops * batches, rel=1e-12)
    assert rows["gemm"]["bytes"] == pytest.approx(nbytes * batches, rel=1e-12)
    assert rows["optimizer update"]["calls"] == batches
    assert rows["train step (glue)"]["calls"] == batches
    assert rows["loss"]["calls"] == batches
    assert all(row["seconds"] >= 0.0 for row in rows.values())
    assert rows["gemm"]["seconds"] > 0.0
    assert rows["pooling"]["calls"] == 0 and rows["im2col"]["calls"] == 0  # not in this model


def test_nothing_is_counted_while_off_and_reset_zeroes() -> None:
    _core._reset_profile()
    x, y = _data()
    _mlp().fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    assert all(row["calls"] == 0 and row["flops"] == 0 and row["seconds"] == 0 for row in _core._profile())


def _conv_counts(threads: int) -> dict[str, tuple[float, float]]:
    gs.set_num_threads(threads)
    _core._reset_profile()
    model = gs.Sequential(
        [
            gs.Input((10, 10, 2)),
            gs.layers.Conv2D(4, 3, activation="relu"),
            gs.layers.MaxPooling2D(2),
            gs.layers.Flatten(),
            gs.layers.Dense(3),
        ]
    )
    model.compile(optimizer="sgd", loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 10, 10, 2)).astype(np.float32)
    model.fit(x, rng.integers(0, 3, 64), batch_size=32, epochs=1, shuffle=False, verbose=0)
    return {row["kernel"]: (row["flops"], row["bytes"]) for row in _core._profile() if row["flops"] or row["bytes"]}


def test_work_counts_do_not_depend_on_the_thread_count(profiling: None) -> None:
    one, two = _conv_counts(1), _conv_counts(2)
    assert one == two
    assert {"im2col", "pooling", "conv kernel gradient"} <= set(one)


def test_benchmark_profile_prints_a_table_per_workload(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(W, "ROWS", 512)
    monkeypatch.setattr(W, "IMAGE_ROWS", 128)
    monkeypatch.setattr(bench, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(bench, "WARMUP_SECONDS", 0.0)
    monkeypatch.setattr(bench, "_gemm_peak", lambda: {"workload": "gemm_peak", "n": 64, "gflops": 100.0})
    results = bench.main(["--profile", "--workload", "W1,W3", "--no-torch", "--malloc", "untouched"])
    out = capsys.readouterr().out
    assert [r["workload"] for r in results] == ["gemm_peak", "profile-W1", "profile-W3"]
    for r in results[1:]:
        kernels = [row["kernel"] for row in r["rows"]]
        assert "gemm" in kernels and "python + fit loop" in kernels
        assert sum(row["fraction"] for row in r["rows"]) == pytest.approx(1.0, abs=1e-6)
    assert "profile W1:" in out and "% of the GEMM peak 100)" in out and "im2col" in out


def test_benchmark_profile_refuses_the_gemm_workload() -> None:
    with pytest.raises(SystemExit):
        bench.main(["--profile", "--workload", "G", "--no-torch"])


def test_benchmark_profile_repeats_keeps_the_fastest_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """--repeats R with --profile profiles R epochs and reports the fastest one's table (each epoch
    counted on its own, so the table's fractions still add up to that epoch's wall time)."""
    monkeypatch.setattr(W, "ROWS", 512)
    clock = iter([0.0, 5.0, 10.0, 12.0, 20.0, 24.0])  # epochs of 5, 2 and 4 seconds
    runs = []

    def fake_run(model: Any, x: Any, y: Any, batch: int) -> float:
        runs.append(batch)
        return 0.0

    monkeypatch.setattr(W, "run_gradstep", fake_run)
    monkeypatch.setattr(profile_module, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    # Each epoch's counters: the table must be the second (fastest) epoch's.
    counters = iter(
        [[{"kernel": "gemm", "seconds": s, "flops": 1e9, "bytes": 1e6, "calls": 1}] for s in (4.0, 1.5, 3.0)]
    )
    monkeypatch.setattr(_core, "_profile", lambda: next(counters))
    r = profile_module.profile_workload("W1", repeats=3)
    assert len(runs) == 4  # the warm-up and three profiled epochs
    assert r["seconds"] == 2.0
    gemm = next(row for row in r["rows"] if row["kernel"] == "gemm")
    assert gemm["fraction"] == pytest.approx(1.5 / 2.0)
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        profile_module.profile_workload("W1", repeats=0)
