"""The documentation builds from the docstrings with no Sphinx warning (what tools/build_docs.sh
checks in CI), when Sphinx and MyST-Parser (the `docs` extra) are installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import gradstep as gs

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_docs_build_without_warnings(tmp_path):
    warnings = tmp_path / "warnings.txt"
    # The gradstep this test imported is the one autodoc documents.
    package_parent = str(Path(gs.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_parent, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-w", str(warnings), "-b", "html"]
        + [str(DOCS), str(tmp_path / "html")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert warnings.read_text() == ""
    html = tmp_path / "html"
    for page in ("index", "getting_started", "conventions", "threads", "saving", "benchmark", "api/layers"):
        assert (html / f"{page}.html").is_file(), page
    # The formulas reach the reference: every registered layer's and optimizer's class is there
    # with a display formula.
    layers_page = (html / "api" / "layers.html").read_text()
    optimizers_page = (html / "api" / "optimizers.html").read_text()
    for name in gs.layers._REGISTRY:
        assert f'id="gradstep.layers.{name}"' in layers_page, name
    for name in gs.optimizers._CLASSES:
        assert f'id="gradstep.optimizers.{name}"' in optimizers_page, name
    assert layers_page.count('class="math notranslate nohighlight"') >= len(gs.layers._REGISTRY)
    # The CLI's options come from its argparse parser at build time.
    assert "--workload" in (html / "api" / "benchmark.html").read_text()
