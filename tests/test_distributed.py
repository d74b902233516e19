"""Data-parallel fit over MPI (gradstep.distributed).

The single-process default runs everywhere. The multi-process tests run scenarios of
tests/distributed_worker.py under `mpiexec -n 2` on this machine (loopback) and are skipped when
mpi4py or mpiexec is missing (`pip install 'gradstep[mpi]'` provides both).
"""

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from gradstep import distributed

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import distributed_worker as worker  # noqa: E402


def _mpiexec():
    if pytest.importorskip("mpi4py") is None:
        return None
    found = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if found is None:
        pytest.skip("mpiexec not found (pip install 'gradstep[mpi]')")
    return found


def _run(scenario, out, timeout=240):
    """Run a scenario on 2 ranks; returns (exit code, combined output, seconds)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    start = time.monotonic()
    proc = subprocess.run(
        [_mpiexec(), "-n", "2", sys.executable, os.path.join(HERE, "distributed_worker.py"), scenario, str(out)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


def test_single_process_default():
    assert not distributed.launched_by_mpi() or distributed.size() >= 1
    if distributed.launched_by_mpi():
        pytest.skip("the suite itself runs under an MPI launcher")
    assert distributed.init() == (0, 1)
    assert distributed.rank() == 0 and distributed.size() == 1 and distributed.is_root()
    values = np.arange(4, dtype=np.float32)
    distributed.allreduce_sum(values)  # one process: the sum is the array itself
    np.testing.assert_array_equal(values, np.arange(4, dtype=np.float32))


def test_single_process_distributed_fit_is_an_ordinary_fit():
    x, y = worker.data(300)
    plain, parallel = worker.mlp(seed=4), worker.mlp(seed=4)
    h1 = plain.fit(x, y, batch_size=32, epochs=2, verbose=0)
    h2 = parallel.fit(x, y, batch_size=32, epochs=2, verbose=0, distributed=True)
    assert h1.history == h2.history
    for a, b in zip(plain.get_weights(), parallel.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_argument_errors():
    model = worker.mlp(seed=1)
    x, y = worker.data(100)
    with pytest.raises(ValueError, match="sync_batchnorm=True needs distributed=True"):
        model.fit(x, y, verbose=0, sync_batchnorm=True)
    with pytest.raises(TypeError, match="distributed"):
        model.fit(x, y, verbose=0, distributed="yes")


def test_gradient_averager_weights_each_process_by_its_positions():
    # One process: the average of one is the gradient itself; the buffer carries the weight.
    averager = distributed.GradientAverager(3)
    gradients = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    averager(gradients, 4.0)
    np.testing.assert_allclose(gradients, [1.0, -2.0, 0.5])
    assert averager.buffer[3] == 4.0 and not averager.stop_everywhere
    averager.stop_requested = True
    averager(gradients, 4.0)
    assert averager.stop_everywhere


def test_two_ranks_equal_one_process_with_the_global_batch(tmp_path):
    code, output, _ = _run("equivalence", tmp_path)
    assert code == 0, output
    with np.load(tmp_path / "weights.npz") as f:
        two_ranks = [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    one = worker.mlp(seed=7)
    x, y = worker.data()
    history = one.fit(x, y, batch_size=50, epochs=2, verbose=0)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(one.get_weights(), two_ranks))
    assert diff < 1e-5, diff
    reduced = json.loads((tmp_path / "history.json").read_text())
    np.testing.assert_allclose(reduced["loss"], history.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(reduced["accuracy"], history.history["accuracy"], rtol=1e-6)


def test_digits_with_batchnorm_and_dropout_on_two_ranks(tmp_path):
    code, output, _ = _run("digits", tmp_path)
    assert code == 0, output
    results = [json.loads((tmp_path / f"digits_{r}.json").read_text()) for r in (0, 1)]
    assert results[0]["accuracy"] >= 0.95, results
    assert results[0] == results[1]  # evaluate reduces: both ranks report the same figures
    assert all(r["same_weights"] for r in results)


def test_a_failing_rank_ends_the_job_with_its_error(tmp_path):
    code, output, seconds = _run("failure", tmp_path, timeout=60)
    assert code != 0
    assert "deliberate failure on rank 1 at batch 3" in output
    assert "rank 1 of 2 failed" in output
    assert "UNREACHABLE" not in output
    assert seconds < 30, seconds


def test_stopping_is_agreed_and_only_rank_zero_writes(tmp_path):
    code, output, _ = _run("stopping", tmp_path)
    assert code == 0, output
    results = [json.loads((tmp_path / f"stopping_{r}.json").read_text()) for r in (0, 1)]
    assert results[0] == results[1], results
    assert results[0]["epochs_run"] < 20  # EarlyStopping (min_delta=10) stopped on reduced logs
    # A mid-epoch stop on rank 1 at batch 2 ends the epoch everywhere one step later: 4 steps.
    assert results[0]["epochs_after_stop"] == 1 and results[0]["iterations_after_stop"] == 4
    assert (tmp_path / "log_0.csv").exists() and not (tmp_path / "log_1.csv").exists()


def _weights(path):
    with np.load(path) as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


def test_sync_batchnorm_equals_one_process_with_the_global_batch(tmp_path):
    code, output, _ = _run("sync_batchnorm", tmp_path)
    assert code == 0, output
    one = worker.bn_model()
    x, y = worker.data(400)
    one.fit(x, y, batch_size=40, epochs=2, verbose=0, shuffle=True)
    sync = _weights(tmp_path / "sync.npz")
    local = _weights(tmp_path / "local.npz")
    sync_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(one.get_weights(), sync))
    local_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(one.get_weights(), local))
    assert sync_diff < 1e-5, sync_diff
    # Per-process statistics (the default) are a different computation: the check has teeth.
    assert local_diff > 1e-3, local_diff
