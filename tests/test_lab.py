"""gradstep.lab: test functions (gradients against central differences), trajectories (against NumPy
loops over each optimizer's formula, tests/reference_optimizers.py), compare() tables and figures."""

import os
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import gradstep as gs
from gradstep.lab import functions as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_optimizers import make_reference

FUNCTIONS = [
    F.Rosenbrock(),
    F.Rosenbrock(a=0.5, b=10.0),
    F.Beale(),
    F.Himmelblau(),
    F.Rastrigin(),
    F.Booth(),
    F.IllConditionedQuadratic(),
    F.IllConditionedQuadratic(condition=100.0, angle=0.7),
    F.Saddle(),
]


def _points(function, count=12):
    rng = np.random.default_rng(7)
    (x0, x1), (y0, y1) = function.window
    points = np.column_stack([rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)])
    return np.vstack([function.start, points])


# ------------------------------------------------------------------------------------------ functions
@pytest.mark.parametrize("function", FUNCTIONS, ids=repr)
def test_gradient_matches_central_differences(function):
    h = 1e-6
    for point in _points(function):
        numeric = np.array(
            [(function(point + h * e) - function(point - h * e)) / (2 * h) for e in np.eye(2)], dtype=np.float64
        )
        analytic = function.gradient(point)
        assert analytic.dtype == np.float64 and analytic.shape == (2,)
        scale = max(1.0, np.abs(analytic).max(), abs(function(point)))
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-7 * scale, err_msg=f"at {point}")


@pytest.mark.parametrize("function", FUNCTIONS, ids=repr)
def test_minima_have_the_minimum_value_and_zero_gradient_and_evaluate_is_vectorised(function):
    for minimum in function.minima:
        assert function(minimum) == pytest.approx(function.min_value, abs=1e-12)
        np.testing.assert_allclose(function.gradient(minimum), 0.0, atol=1e-9)
    xs, ys, zs = function.grid(points=7)
    assert xs.shape == ys.shape == zs.shape == (7, 7)
    expected = [[function([x, y]) for x, y in zip(row_x, row_y)] for row_x, row_y in zip(xs, ys)]
    np.testing.assert_allclose(zs, expected, rtol=1e-12)
    assert isinstance(function(function.start), float)
    (x0, x1), (y0, y1) = function.window
    assert x0 <= function.start[0] <= x1 and y0 <= function.start[1] <= y1


def test_saddle_has_no_minimum_and_the_quadratic_its_condition_number():
    assert F.Saddle().min_value is None and F.Saddle().minima == ()
    quadratic = F.IllConditionedQuadratic(condition=40.0, angle=0.3)
    hessian = np.column_stack(
        [(quadratic.gradient(1e-3 * e) - quadratic.gradient(-1e-3 * e)) / 2e-3 for e in np.eye(2)]
    )
    eig = np.linalg.eigvalsh((hessian + hessian.T) / 2)
    np.testing.assert_allclose(eig, [1.0, 40.0], rtol=1e-6)


def test_function_errors():
    with pytest.raises(ValueError, match="shape"):
        F.Booth()([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="xy"):
        F.Booth().gradient("ab")
    with pytest.raises(ValueError, match="condition"):
        F.IllConditionedQuadratic(condition=0.5)
    with pytest.raises(ValueError, match="unknown name"):
        F.get("banana")
    assert isinstance(F.get("ROSENBROCK"), F.Rosenbrock)


# ------------------------------------------------------------------------------------------ trajectories
CASES = [
    ("SGD", dict(learning_rate=0.02)),
    ("SGD", dict(learning_rate=0.02, momentum=0.9)),
    ("SGD", dict(learning_rate=0.02, momentum=0.9, nesterov=True)),
    ("RMSprop", dict(learning_rate=0.05)),
    ("RMSprop", dict(learning_rate=0.05, rho=0.8, momentum=0.5, centered=True)),
    ("Adam", dict(learning_rate=0.1)),
    ("Adam", dict(learning_rate=0.1, beta_2=0.9, amsgrad=True)),
    ("Adagrad", dict(learning_rate=0.5)),
    ("SGD", dict(learning_rate=0.02, momentum=0.5, clipnorm=3.0)),
]


def _manual_loop(function, reference, start, steps, schedule=None):
    """The NumPy float64 loop: gradient of the function, then the optimizer's formula."""
    point = np.array(start, dtype=np.float64)
    path = [point.copy()]
    for step in range(steps):
        if schedule is not None:
            reference.learning_rate = schedule(step)
        reference.apply([function.gradient(point)], [point])
        path.append(point.copy())
    return np.array(path)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
@pytest.mark.parametrize("function", [F.Booth(), F.IllConditionedQuadratic(condition=10.0, angle=0.4)], ids=repr)
def test_trajectory_equals_a_numpy_loop_over_the_formula(name, kwargs, function):
    steps = 60
    run = gs.lab.trajectory(getattr(gs.optimizers, name)(**kwargs), function, steps=steps)
    expected = _manual_loop(function, make_reference(name, **kwargs), function.start, steps)
    assert run.path.dtype == np.float32 and run.path.shape == (steps + 1, 2)
    assert not run.diverged
    np.testing.assert_allclose(run.path, expected, rtol=2e-5, atol=2e-5 * np.abs(expected).max())
    np.testing.assert_allclose(run.losses, [function(p) for p in run.path], rtol=1e-12)
    assert run.name == getattr(gs.optimizers, name)(**kwargs).name
    assert run.config["learning_rate"] == pytest.approx(kwargs["learning_rate"])


def test_trajectory_on_rosenbrock_follows_adam_formula():
    function = F.Rosenbrock()
    run = gs.lab.trajectory(gs.optimizers.Adam(0.02), function, steps=40)
    expected = _manual_loop(function, make_reference("Adam", learning_rate=0.02), function.start, 40)
    np.testing.assert_allclose(run.path, expected, rtol=1e-4, atol=1e-5)


def test_trajectory_with_a_schedule_uses_its_rate_at_each_step():
    schedule = gs.optimizers.schedules.ExponentialDecay(0.05, decay_steps=5, decay_rate=0.5)
    function = F.Booth()
    run = gs.lab.trajectory(gs.optimizers.SGD(learning_rate=schedule, momentum=0.5), function, steps=30)
    np.testing.assert_allclose(run.learning_rates, [schedule(k) for k in range(30)], rtol=1e-6)
    reference = make_reference("SGD", learning_rate=0.05, momentum=0.5)
    expected = _manual_loop(function, reference, function.start, 30, schedule=schedule)
    np.testing.assert_allclose(run.path, expected, rtol=2e-5, atol=1e-5)
    assert run.config["learning_rate"]["class_name"] == "ExponentialDecay"


def test_trajectory_start_steps_divergence_and_errors():
    run = gs.lab.trajectory("sgd", "booth", start=(2.0, -1.0), steps=0)
    assert run.path.shape == (1, 2) and run.steps == 0 and run.learning_rates.shape == (0,)
    np.testing.assert_array_equal(run.path[0], [2.0, -1.0])
    diverging = gs.lab.trajectory(gs.optimizers.SGD(0.1), F.Rosenbrock(), steps=100)
    assert diverging.diverged and diverging.steps < 100
    assert np.all(np.isfinite(diverging.losses[:-1])) and not np.isfinite(diverging.losses[-1])
    assert diverging.steps_to(1e-3) is None
    used = gs.optimizers.Adam()
    gs.lab.trajectory(used, F.Booth(), steps=2)
    with pytest.raises(ValueError, match="already used"):
        gs.lab.trajectory(used, F.Booth(), steps=2)
    with pytest.raises(ValueError, match="start"):
        gs.lab.trajectory("adam", F.Booth(), start=(1.0, np.inf))
    with pytest.raises(ValueError, match="steps"):
        gs.lab.trajectory("adam", F.Booth(), steps=-1)
    with pytest.raises(TypeError, match="optimizer"):
        gs.lab.trajectory(3, F.Booth())
    with pytest.raises(TypeError, match="callable must return"):
        gs.lab.trajectory(lambda: "adam", F.Booth())


# ------------------------------------------------------------------------------------------ compare
def _function_variants():
    return {
        "GD": lambda: gs.optimizers.SGD(0.05),
        "momentum": lambda: gs.optimizers.SGD(0.05, momentum=0.8),
        "Adam": gs.optimizers.Adam(0.3),
    }


def test_compare_on_a_function_table_is_consistent_with_the_runs():
    function = F.IllConditionedQuadratic(condition=20.0)
    table = gs.lab.compare(_function_variants(), function=function, steps=150, plot=False, tolerance=1e-3)
    assert table.columns == ["variant", "optimizer", "final_loss", "steps_to_tol", "wall_time_s"]
    assert [row["variant"] for row in table.rows] == ["GD", "momentum", "Adam"]
    assert table.figure is None
    for row in table.rows:
        run = table.runs[row["variant"]]
        assert run.path.shape == (151, 2)
        np.testing.assert_array_equal(run.path[0], np.float32(function.start))
        assert row["final_loss"] == run.losses[-1]
        below = np.flatnonzero(run.losses <= 1e-3)
        assert row["steps_to_tol"] == (int(below[0]) if len(below) else None)
        assert row["wall_time_s"] >= 0
    alone = gs.lab.trajectory(gs.optimizers.SGD(0.05, momentum=0.8), function, steps=150)
    np.testing.assert_array_equal(table.runs["momentum"].path, alone.path)
    assert table.rows[0]["optimizer"] == "SGD(lr=0.05)"
    assert table.rows[1]["optimizer"] == "SGD(lr=0.05, momentum=0.8)"
    # the printed table: a title, a header, a rule and one aligned line per variant
    lines = str(table).splitlines()
    assert len(lines) == 3 + len(table.rows)
    assert len({len(line) for line in lines[1:]}) == 1
    assert lines[1].split() == table.columns


def test_compare_default_tolerance_is_the_functions():
    table = gs.lab.compare({"GD": gs.optimizers.SGD(0.1)}, function=F.Saddle(), steps=80, plot=False)
    run = table.runs["GD"]
    assert F.Saddle.tolerance == -1.0
    assert table.rows[0]["steps_to_tol"] == int(np.flatnonzero(run.losses <= -1.0)[0])


def test_compare_on_data_same_seed_same_start_and_consistent_columns():
    (x, y), (x_val, y_val) = gs.datasets.load_digits()
    x, y = x[:300], y[:300]

    def model_fn():
        return gs.Sequential([gs.Input((64,)), gs.layers.Dense(16, activation="relu"), gs.layers.Dense(10, "softmax")])

    table = gs.lab.compare(
        {
            "sgd": lambda: gs.optimizers.SGD(0.1),
            "sgd again": {"optimizer": gs.optimizers.SGD(0.1)},
            "early": {
                "optimizer": gs.optimizers.SGD(0.1),
                "callbacks": lambda: [gs.callbacks.EarlyStopping(monitor="loss", min_delta=10.0, patience=1)],
            },
            "dropout": {
                "optimizer": gs.optimizers.SGD(0.1),
                "batch_size": 16,
                "model_fn": lambda: gs.Sequential(
                    [
                        gs.Input((64,)),
                        gs.layers.Dense(16, "relu"),
                        gs.layers.Dropout(0.3),
                        gs.layers.Dense(10, "softmax"),
                    ]
                ),
            },
        },
        data=(x, y),
        model_fn=model_fn,
        epochs=4,
        validation_data=(x_val, y_val),
        tolerance=1.5,
        plot=False,
    )
    assert table.columns == [
        "variant",
        "optimizer",
        "final_loss",
        "epochs",
        "epochs_to_tol",
        "best_val_accuracy",
        "best_epoch",
        "wall_time_s",
    ]
    rows = {row["variant"]: row for row in table.rows}
    for name, row in rows.items():
        history = table.runs[name].history.history
        assert row["final_loss"] == history["loss"][-1]
        assert row["epochs"] == len(history["loss"])
        assert row["best_val_accuracy"] == max(history["val_accuracy"])
        assert history["val_accuracy"][row["best_epoch"] - 1] == row["best_val_accuracy"]
        below = [k + 1 for k, v in enumerate(history["loss"]) if v <= 1.5]
        assert row["epochs_to_tol"] == (below[0] if below else None)
    # the same seed, data and settings: the same run, bit for bit
    assert table.runs["sgd"].history.history == table.runs["sgd again"].history.history
    np.testing.assert_array_equal(
        table.runs["sgd"].model.get_weights()[0], table.runs["sgd again"].model.get_weights()[0]
    )
    assert rows["early"]["epochs"] == 2  # no epoch after the first improves by min_delta: stop at the second
    assert rows["dropout"]["final_loss"] != rows["sgd"]["final_loss"]


def test_compare_on_data_without_validation_has_no_best_accuracy():
    (x, y), _ = gs.datasets.load_digits()
    table = gs.lab.compare(
        {"adam": "adam"},
        data=(x[:100], y[:100]),
        model_fn=lambda: gs.Sequential([gs.Input((64,)), gs.layers.Dense(10, "softmax")]),
        epochs=2,
        plot=False,
    )
    assert "epochs_to_tol" not in table.columns
    assert table.rows[0]["best_val_accuracy"] is None and table.rows[0]["best_epoch"] is None


@pytest.mark.parametrize("suffix", [".PNG", ".svg"])
def test_compare_save_writes_a_valid_figure(tmp_path, suffix):
    pytest.importorskip("matplotlib")
    path = tmp_path / f"figure{suffix}"
    table = gs.lab.compare(_function_variants(), function="rosenbrock", steps=30, save=path)
    assert table.figure is not None
    data = path.read_bytes()
    if suffix.lower() == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    else:
        assert ET.fromstring(data).tag.endswith("svg")


def test_compare_save_data_figure_as_png(tmp_path):
    pytest.importorskip("matplotlib")
    (x, y), (x_val, y_val) = gs.datasets.load_digits()
    path = tmp_path / "curves.png"
    gs.lab.compare(
        {"sgd": lambda: gs.optimizers.SGD(0.1), "adam": "adam"},
        data=(x[:200], y[:200]),
        model_fn=lambda: gs.Sequential([gs.Input((64,)), gs.layers.Dense(10, "softmax")]),
        validation_data=(x_val, y_val),
        epochs=2,
        save=str(path),
    )
    assert path.read_bytes().startswith(b"\x89PNG")


def test_compare_bad_save_suffix_raises_before_running(tmp_path):
    calls = []

    def make():
        calls.append(1)
        return gs.optimizers.SGD()

    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        gs.lab.compare({"a": make}, function="booth", save=tmp_path / "figure.jpg")
    with pytest.raises(ValueError, match="plot=False"):
        gs.lab.compare({"a": make}, function="booth", plot=False, save=tmp_path / "figure.png")
    assert calls == [] and not list(tmp_path.iterdir())


def test_compare_without_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    with pytest.raises(ImportError, match=r"gradstep\[plot\]"):
        gs.lab.compare({"a": "sgd"}, function="booth", steps=3)
    table = gs.lab.compare({"a": "sgd"}, function="booth", steps=3, plot=False)
    assert len(table) == 1


def test_compare_argument_errors():
    (x, y), _ = gs.datasets.load_digits()
    with pytest.raises(ValueError, match="exactly one"):
        gs.lab.compare({"a": "sgd"}, plot=False)
    with pytest.raises(ValueError, match="exactly one"):
        gs.lab.compare({"a": "sgd"}, function="booth", data=(x, y), plot=False)
    with pytest.raises(ValueError, match="epochs"):
        gs.lab.compare({"a": "sgd"}, function="booth", epochs=3, plot=False)
    with pytest.raises(ValueError, match="seed"):
        gs.lab.compare({"a": "sgd"}, function="booth", seed=1, plot=False)
    with pytest.raises(ValueError, match="steps"):
        gs.lab.compare({"a": "sgd"}, data=(x, y), model_fn=lambda: None, steps=3, plot=False)
    with pytest.raises(ValueError, match="unknown key"):
        gs.lab.compare({"a": {"optimiser": "sgd"}}, data=(x, y), model_fn=lambda: None, plot=False)
    with pytest.raises(ValueError, match="no model"):
        gs.lab.compare({"a": "sgd"}, data=(x, y), plot=False)
    with pytest.raises(TypeError, match="Sequential"):
        gs.lab.compare({"a": "sgd"}, data=(x, y), model_fn=lambda: 3, plot=False)
    with pytest.raises(ValueError, match="at least one"):
        gs.lab.compare({}, function="booth", plot=False)
    with pytest.raises(TypeError, match="dict"):
        gs.lab.compare(["sgd"], function="booth", plot=False)
    with pytest.raises(ValueError, match="tolerance"):
        gs.lab.compare({"a": "sgd"}, function="booth", tolerance=float("nan"), plot=False)
    shared = gs.optimizers.SGD()
    with pytest.raises(ValueError, match="same optimizer object"):
        gs.lab.compare({"a": shared, "b": shared}, function="booth", steps=2, plot=False)
    assert shared.iterations == 0  # refused before running
    with pytest.raises(ValueError, match="same optimizer object"):
        gs.lab.compare({"a": {}, "b": {}}, data=(x, y), model_fn=lambda: None, optimizer=shared, plot=False)
    used = gs.optimizers.SGD()
    gs.lab.trajectory(used, "booth", steps=1)
    with pytest.raises(ValueError, match="already used"):
        gs.lab.compare({"a": used}, function="booth", steps=2, plot=False)


def test_table_add_column_and_pandas():
    table = gs.lab.compare({"GD": "sgd", "Adam": "adam"}, function="booth", steps=5, plot=False)
    table.add_column("note", ["plain", "adaptive"])
    assert table.column("note") == ["plain", "adaptive"] and table.columns[-1] == "note"
    with pytest.raises(ValueError, match="one per row"):
        table.add_column("other", [1])
    pd = pytest.importorskip("pandas")
    frame = table.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == table.columns and len(frame) == 2
