"""`python -m gradstep.benchmark --plot/--json/--replot`: the figure is written as a real PNG or SVG
from the results structure the benchmark builds, bad paths fail before anything runs, and a saved
run redraws and reprints the same. Nothing here is timed."""

from __future__ import annotations

import contextlib
import functools
import json
import struct
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from gradstep.benchmark import __main__ as bench
from gradstep.benchmark import plot
from gradstep.benchmark import workloads as W

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _report(torch: bool = True, numpy_seconds: float = 1.14) -> dict[str, Any]:
    """A results structure in the documented format, every workload and G."""
    machine = {"cpu": "Test CPU @ 1 GHz", "isa": "avx2", "threads": 2, "date": "2026-12-03 09:00 UTC", "cores": 2}
    results: list[dict[str, Any]] = [{"workload": "gemm_peak", "n": 1024, "threads": 2, "gflops": 150.0}]
    for index, name in enumerate(plot.WORKLOADS):
        seconds = {"gradstep": 0.5 + 0.1 * index}
        if name in ("W1", "W2"):
            seconds["numpy"] = numpy_seconds
        if torch:
            seconds["torch"] = 2.0 * seconds["gradstep"]
        results.append({"workload": name, "seconds": seconds})
    rows = [{"n": n, "gradstep_gflops": 100.0 + n / 20, "numpy_gflops": 90.0 + n / 20} for n in (256, 512)]
    results.append({"workload": "G", "rows": rows})
    return {"machine": machine, "results": results}


def _check_image(path: Path, fmt: str) -> None:
    data = path.read_bytes()
    assert len(data) > 10_000, f"{path} is only {len(data)} bytes"
    if fmt == "png":
        assert data[:8] == PNG_SIGNATURE
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert width > 500 and height > 300
        assert data[-8:-4] == b"IEND"
    else:
        text = data.decode("utf-8")
        assert text.startswith("<?xml") and "<svg" in text and text.rstrip().endswith("</svg>")


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_writes_a_valid_image(tmp_path, suffix):
    path = tmp_path / f"bench{suffix}"
    assert plot.plot_results(_report(), path) == str(path)
    _check_image(path, suffix[1:])


def test_the_suffix_chooses_the_format():
    assert [plot.plot_format(name) for name in ("a.png", "b.PNG", "dir.svg/c.svg", "d.Svg")] == ["png"] * 2 + [
        "svg"
    ] * 2


def test_figure_shows_every_workload_the_ratios_and_the_machine():
    report = _report()
    figure = plot.results_figure(report)
    epochs, gemm = figure.axes[:2]
    labels = [tick.get_text() for tick in epochs.get_xticklabels()]
    assert [label.split("\n")[0] for label in labels] == list(plot.WORKLOADS)
    seconds = {entry["workload"]: entry["seconds"] for entry in report["results"] if "seconds" in entry}
    for label in labels:
        name = label.split("\n")[0]
        assert label.endswith(f"{seconds[name]['gradstep'] / seconds[name]['torch']:.2f}x")
    # one bar per library and workload: 6 gradstep, 2 NumPy (W1, W2 only), 6 PyTorch
    assert len(epochs.patches) == 6 + 2 + 6
    heights = sorted(bar.get_height() for bar in epochs.patches)
    expected = sorted(v for s in seconds.values() for v in s.values())
    assert heights == pytest.approx(expected)
    assert epochs.get_yscale() == "linear"
    assert [tick.get_text().split("\n")[0] for tick in gemm.get_xticklabels()] == ["n=256", "n=512"]
    assert len(gemm.patches) == 4
    title = figure.get_suptitle()
    for part in ("Test CPU @ 1 GHz", "avx2", "2 thread(s)", "2026-12-03 09:00 UTC"):
        assert part in title


def test_wide_ranges_use_a_log_axis_and_missing_torch_draws_no_ratio():
    figure = plot.results_figure(_report(torch=False, numpy_seconds=100.0))
    epochs = figure.axes[0]
    assert epochs.get_yscale() == "log"
    assert all(len(tick.get_text().split("\n")) == 2 for tick in epochs.get_xticklabels())  # name, what it trains
    assert {text.get_text() for text in epochs.get_legend().get_texts()} == {"gradstep", "NumPy baseline"}


def test_a_run_without_g_or_without_workloads_draws_one_panel():
    report = _report()
    only_g = {"machine": report["machine"], "results": [r for r in report["results"] if r["workload"] == "G"]}
    no_g = {"machine": report["machine"], "results": [r for r in report["results"] if r["workload"] != "G"]}
    assert len(plot.results_figure(only_g).axes) == 1
    assert len(plot.results_figure(no_g).axes) == 1
    with pytest.raises(ValueError, match="nothing to draw"):
        plot.results_figure({"machine": {}, "results": report["results"][:1]})  # the GEMM peak alone


@pytest.mark.parametrize("name", ["bench.jpg", "bench", "bench.png.txt", "bench.pdf"])
def test_other_suffixes_raise(tmp_path, name):
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        plot.plot_results(_report(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "report, message",
    [
        ([], "'machine' dict"),
        ({"machine": {}, "results": {}}, "'results' must be a list"),
        ({"machine": {}, "results": [{"seconds": {}}]}, r"results\[0\]"),
        ({"machine": {}, "results": [{"workload": "W1", "seconds": {"numpy": 1.0}}]}, "'gradstep'"),
        ({"machine": {}, "results": [{"workload": "W1", "seconds": {"gradstep": "fast"}}]}, "positive number"),
        ({"machine": {}, "results": [{"workload": "W3", "seconds": {"gradstep": -1.0}}]}, "positive number"),
        ({"machine": {}, "results": [{"workload": "G", "rows": []}]}, "non-empty 'rows'"),
        ({"machine": {}, "results": [{"workload": "G", "rows": [{"n": 64, "gradstep_gflops": 1.0}]}]}, "numpy_gflops"),
    ],
)
def test_malformed_results_raise_naming_the_entry(tmp_path, report, message):
    with pytest.raises(ValueError, match=message):
        plot.plot_results(report, tmp_path / "bench.png")


def _fail_if_run(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the benchmark ran although its arguments were bad")


@pytest.fixture
def nothing_may_run(monkeypatch):
    for name in ("_set_malloc", "_machine", "_gemm_peak", "_gemm_workload", "_mlp_workload", "_cnn_workload"):
        monkeypatch.setattr(bench, name, _fail_if_run)


def test_bad_plot_suffix_fails_before_the_benchmark_runs(tmp_path, capsys, nothing_may_run):
    with pytest.raises(SystemExit):
        bench.main(["--workload", "G", "--plot", str(tmp_path / "bench.jpeg")])
    assert "--plot" in capsys.readouterr().err


def test_plot_into_a_missing_folder_fails_before_the_benchmark_runs(tmp_path, capsys, nothing_may_run):
    with pytest.raises(SystemExit):
        bench.main(["--workload", "G", "--plot", str(tmp_path / "missing" / "bench.png")])
    assert "does not exist" in capsys.readouterr().err


def test_without_matplotlib_plot_names_the_extra_before_the_benchmark_runs(
    tmp_path, capsys, monkeypatch, nothing_may_run
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    with pytest.raises(ImportError, match=r"pip install gradstep\[plot\]"):
        plot.plot_format("bench.png")
    with pytest.raises(SystemExit):
        bench.main(["--workload", "G", "--plot", str(tmp_path / "bench.png")])
    assert "pip install gradstep[plot]" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message", [(["--repeats", "0"], "--repeats"), (["--workload", ","], "names no workload")]
)
def test_bad_run_options_fail_before_the_benchmark_runs(capsys, nothing_may_run, args, message):
    with pytest.raises(SystemExit):
        bench.main(args)
    assert message in capsys.readouterr().err


def test_replot_refuses_run_options_and_bad_files(tmp_path, capsys):
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(_report()))
    with pytest.raises(SystemExit):
        bench.main(["--replot", str(saved), "--workload", "W1", "--plot", str(tmp_path / "a.png")])
    assert "--workload" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SystemExit):
        bench.main(["--replot", str(broken)])
    assert "not a JSON results file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--replot", str(tmp_path / "absent.json")])
    assert "absent.json" in capsys.readouterr().err
    assert not (tmp_path / "a.png").exists()


def _result_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("W", "G"))]


def _one_thread() -> contextlib.AbstractContextManager[Any]:
    """gradstep's OpenMP and NumPy's BLAS on one thread, when threadpoolctl is there: on a busy
    host the spinning thread teams of two libraries make even these tiny timed loops take minutes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)


def test_tiny_real_run_saves_json_and_plot_and_replot_redraws_it(tmp_path, capsys, monkeypatch):
    # The real code path at a tiny size: few rows, small GEMMs, no pauses between timed blocks.
    monkeypatch.setattr(W, "ROWS", 256)
    monkeypatch.setattr(W, "IMAGE_ROWS", 128)
    monkeypatch.setattr(bench, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(bench, "WARMUP_SECONDS", 0.0)
    monkeypatch.setattr(bench, "_gemm_peak", functools.partial(bench._gemm_peak, n=256, blocks=1))
    monkeypatch.setattr(bench, "_gemm_workload", functools.partial(bench._gemm_workload, sizes=(256, 384)))
    small_shapes = bench.w1_gemm_shapes(batch=64, sizes=[128, 128, 128])  # forward, dW and dX GEMMs, smaller
    monkeypatch.setattr(
        bench, "_gemm_shapes_workload", functools.partial(bench._gemm_shapes_workload, shapes=small_shapes)
    )
    saved, png = tmp_path / "results.json", tmp_path / "bench.png"
    args = ["--workload", "W1,G", "--repeats", "1", "--no-torch", "--malloc", "untouched", "--json", str(saved)]
    with _one_thread():
        results = bench.main(args + ["--plot", str(png)])
    run_output = capsys.readouterr().out
    _check_image(png, "png")
    report = json.loads(saved.read_text())
    assert report["results"] == json.loads(json.dumps(results))
    assert [r["workload"] for r in results] == ["gemm_peak", "W1", "G", "G-W1"]
    assert set(results[1]["seconds"]) == {"gradstep", "numpy"}
    assert [row["n"] for row in results[2]["rows"]] == [256, 384]
    assert "date" in report["machine"] and "isa" in report["machine"]

    svg = tmp_path / "again.svg"
    assert bench.main(["--replot", str(saved), "--plot", str(svg)]) == report["results"]
    replot_output = capsys.readouterr().out
    _check_image(svg, "svg")
    # the text output is read from the same structure: the replot prints what the run printed
    assert _result_lines(replot_output) == _result_lines(run_output)
    assert len(_result_lines(run_output)) == 1 + 1 + 2 + 5 + 1  # peak, W1, 2 G sizes, 5 G-W1 shapes, one step
