"""Every script of examples/tutorial/ runs with --fast in a subprocess, prints its table and finding,
and writes its figure. (The full runs' claims are checked by reading their output: see the README.)"""

import glob
import os
import subprocess
import sys

import pytest

import gradstep as gs

pytest.importorskip("matplotlib")

TUTORIAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "tutorial")
SCRIPTS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(TUTORIAL, "[0-9][0-9]_*.py")))


@pytest.fixture(scope="module")
def fast_runs(tmp_path_factory):
    """Start every script at once (they are short and mostly start-up), then collect each one's result."""
    out = tmp_path_factory.mktemp("tutorial_figures")
    env = dict(os.environ)
    # the subprocesses import the same gradstep as this test run
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(gs.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "Agg"
    processes = {
        script: subprocess.Popen(
            [sys.executable, os.path.join(TUTORIAL, script), "--fast", "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for script in SCRIPTS
    }
    results = {}
    for script, process in processes.items():
        stdout, stderr = process.communicate(timeout=300)
        results[script] = (process.returncode, stdout, stderr)
    return out, results


def test_there_is_one_script_per_technique():
    assert len(SCRIPTS) == 9, SCRIPTS
    readme = open(os.path.join(TUTORIAL, "README.md"), encoding="utf-8").read()
    for script in SCRIPTS:
        assert f"({script})" in readme and f"figures/{script[:-3]}.png" in readme, script
        assert os.path.getsize(os.path.join(TUTORIAL, "figures", script[:-3] + ".png")) < 150_000, script
        lines = open(os.path.join(TUTORIAL, script), encoding="utf-8").read().splitlines()
        assert "You should see:" in lines[1], f"{script}: line 2 must say what the reader should see"


@pytest.mark.parametrize("script", SCRIPTS)
def test_tutorial_script_runs_fast_and_writes_its_figure(fast_runs, script):
    out, results = fast_runs
    returncode, stdout, stderr = results[script]
    assert returncode == 0, f"{script} failed:\n{stdout}\n{stderr}"
    assert "variant" in stdout and "finding:" in stdout, stdout
    figure = out / f"{script[:-3]}.png"
    assert figure.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), figure


def _script(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"tutorial_{name[:-3]}", os.path.join(TUTORIAL, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The full runs of the scripts on the lab functions take a second or two: their claims are checked here.
# (The data scripts' full runs take 5-20 s each; their claims were checked from their output, in the README.)
def test_momentum_claim_holds(tmp_path):
    table = _script("02_momentum.py").main(["--out", str(tmp_path)])
    steps = dict(zip(table.column("variant"), table.column("steps_to_tol")))
    assert steps["momentum 0.9, lr 0.01"] < steps["GD, best lr 0.039"] / 1.8, steps
    assert steps["Nesterov 0.9, lr 0.01"] < steps["GD, best lr 0.039"] / 1.8, steps
    assert steps["GD, lr 0.01"] is None, steps


def test_rmsprop_claim_holds(tmp_path):
    table = _script("03_rmsprop.py").main(["--out", str(tmp_path)])
    rows = {row["variant"]: row for row in table.rows}
    assert rows["GD, lr 0.0019"]["steps_to_tol"] is None
    assert rows["RMSprop, lr 0.01"]["steps_to_tol"] < 500 and rows["RMSprop, lr 0.03"]["steps_to_tol"] < 500
    # the constant-rate floor: higher for the larger rate
    assert rows["RMSprop, lr 0.03"]["final_loss"] > 5 * rows["RMSprop, lr 0.01"]["final_loss"]


def test_schedules_claim_holds(tmp_path):
    table = _script("09_learning_rate_schedules.py").main(["--out", str(tmp_path)])
    rows = table.rows
    constant, decaying = rows[0], rows[1:]
    assert constant["steps_to_tol"] is None and constant["final_loss"] > 0.05
    assert all(row["steps_to_tol"] is not None and row["final_loss"] < 1e-4 for row in decaying), rows
    assert min(decaying, key=lambda row: row["steps_to_tol"])["variant"].startswith("step")
    assert min(decaying, key=lambda row: row["final_loss"])["variant"].startswith("cosine")
