#!/usr/bin/env bash
# Lint: the tree must be clean under the pinned formatters and checkers (pyproject.toml's `lint`
# extra). .ci/run runs this; locally: pip install ".[lint]" && bash tools/lint.sh
# To fix instead of check: ruff format . && ruff check --fix . && clang-format -i $(git ls-files 'cpp/*')
set -euo pipefail
cd "$(dirname "$0")/.."
ruff format --check .
ruff check .
# shellcheck disable=SC2046
clang-format --dry-run -Werror $(git ls-files 'cpp/*.cpp' 'cpp/*.hpp')
# mypy --strict and stubtest run in tools/typecheck.sh instead: they need numpy and the built
# extension, which .ci/run installs only after this script.
echo "lint: clean"
