"""Sphinx configuration: the user guide (Markdown, MyST) and the API reference (autodoc +
napoleon from the docstrings). Build: `bash tools/build_docs.sh` (warnings are errors)."""

from __future__ import annotations

import contextlib
import io
import os

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx

try:
    import gradstep
except ImportError as error:  # autodoc needs the compiled extension: an installed gradstep
    raise ImportError(
        "building the docs imports gradstep: install it (pip install .) or put a built checkout's "
        "python/ directory on PYTHONPATH"
    ) from error

project = "gradstep"
author = "gradstep developers"
copyright = "gradstep developers"
release = version = gradstep.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

# The docstrings write code names between single backticks (as Markdown does): show them as code.
default_role = "literal"

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_typehints = "signature"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "alabaster"  # ships with Sphinx: the site builds and reads offline (MathJax aside)
html_theme_options = {"description": "CPU neural networks, Keras API", "fixed_sidebar": True}
html_static_path: list[str] = []


class CommandHelp(Directive):
    """``.. command-help:: gradstep.benchmark``: the ``--help`` text of a ``python -m`` module,
    taken from its argparse parser at build time, so the page cannot drift from the code."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        import importlib

        module = importlib.import_module(self.arguments[0] + ".__main__")
        out = io.StringIO()
        os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal's width
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            module.main(["--help"])
        return [nodes.literal_block(out.getvalue(), out.getvalue())]


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_directive("command-help", CommandHelp)
    return {"parallel_read_safe": True}
