"""Threads: gradstep's OpenMP seam (cpp/core/parallel.hpp) as a user and threadpoolctl see it.

Bitwise identity across thread counts, fork and the environment variables are tested in
test_robustness.py; the GEMM's team split in test_gemm.py.
"""

import os
import threading

import numpy as np
import pytest

import gradstep as gs
from gradstep import _core

OPENMP = _core._has_openmp()
needs_openmp = pytest.mark.skipif(not OPENMP, reason="serial build (GRADSTEP_OPENMP=OFF)")


@pytest.fixture
def restore_threads():
    before = gs.get_num_threads()
    yield
    gs.set_num_threads(before)


def _threads_used(n=64):
    return len(set(_core._parallel_probe(n)))


def test_parallel_probe_covers_every_item_once_in_contiguous_shares(restore_threads):
    for threads in (1, 2, 3, 4):
        gs.set_num_threads(threads)
        owners = _core._parallel_probe(10)
        assert len(owners) == 10 and min(owners) >= 0
        assert owners == sorted(owners)  # thread t has the t-th contiguous share
        assert len(set(owners)) == (threads if OPENMP else 1)
    assert _core._parallel_probe(0) == []


def test_num_threads_round_trip(restore_threads):
    original = gs.get_num_threads()
    assert isinstance(original, int) and original >= 1
    for n in (1, 2, 3):
        gs.set_num_threads(n)
        assert gs.get_num_threads() == (n if OPENMP else 1)
        assert _threads_used() == (n if OPENMP else 1)


def test_set_num_threads_is_process_wide(restore_threads):
    # OpenMP keeps the count per thread; gradstep's setting reaches threads started before it.
    seen = {}
    ready, go = threading.Event(), threading.Event()

    def worker():
        ready.set()
        go.wait(10)
        seen["count"] = gs.get_num_threads()
        seen["used"] = _threads_used()

    thread = threading.Thread(target=worker)
    thread.start()
    ready.wait(10)
    gs.set_num_threads(3)
    go.set()
    thread.join(30)
    assert seen == {"count": 3, "used": 3} if OPENMP else {"count": 1, "used": 1}


@needs_openmp
def test_threadpoolctl_lists_gradsteps_openmp_runtime(restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    gs.set_num_threads(2)
    _threads_used()  # the runtime is loaded with _core; make sure it has started a team too
    openmp = [info for info in threadpoolctl.threadpool_info() if info["user_api"] == "openmp"]
    assert openmp, threadpoolctl.threadpool_info()
    # One of them is the library gradstep's extension is linked against.
    if not os.path.exists("/proc/self/maps"):
        pytest.skip("needs /proc/self/maps (Linux)")
    with open("/proc/self/maps") as maps:
        mapped = maps.read()
    assert any(info["filepath"] in mapped for info in openmp)


@needs_openmp
def test_threadpool_limits_makes_gradstep_run_on_one_thread(restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    gs.set_num_threads(2)
    gs.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 128)).astype(np.float32)
    y = rng.integers(0, 10, size=512)
    model = gs.Sequential([gs.Input((128,)), gs.layers.Dense(256, activation="relu"), gs.layers.Dense(10)])
    model.compile(optimizer="adam", loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    start = model.get_weights()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=False)
    two_threads = model.get_weights()

    assert _threads_used() == 2
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert gs.get_num_threads() == 1
        assert _threads_used() == 1
        model.set_weights(start)
        model.compile(optimizer="adam", loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=False)
        one_thread = model.get_weights()
    # lifted: back to the count gradstep was given
    assert gs.get_num_threads() == 2
    assert _threads_used() == 2
    for a, b in zip(one_thread, two_threads):
        np.testing.assert_array_equal(a, b)


def test_parallel_region_inside_a_python_thread_pool_is_correct(restore_threads):
    # Several Python threads each running gradstep's parallel regions at once (each gets its own
    # OpenMP team): same results as one at a time.
    gs.set_num_threads(2)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2000, 96)).astype(np.float32)
    gs.set_seed(1)
    model = gs.Sequential([gs.Input((96,)), gs.layers.Dense(512, activation="relu"), gs.layers.Dense(7)])
    expected = model.predict(x, batch_size=500, verbose=0)
    results = [None] * 4

    def run(i):
        results[i] = model.predict(x, batch_size=500, verbose=0)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for got in results:
        np.testing.assert_array_equal(got, expected)
