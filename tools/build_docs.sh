#!/usr/bin/env bash
# Build the documentation (docs/ -> build/docs, or the directory given as $1) as HTML, with every
# warning an error. Needs the pinned `docs` extra (pip install ".[docs]"; Sphinx 9 needs Python
# >= 3.11) and an importable gradstep (installed, or PYTHONPATH=$PWD/python with the extension
# built there): autodoc imports it to read the docstrings.
# -E rereads every page, so an incremental build cannot hide the warnings of unchanged pages.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/docs}"
python -m sphinx -W --keep-going -E -b html docs "$out"
echo "docs: built into $out"
