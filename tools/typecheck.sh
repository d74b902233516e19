#!/usr/bin/env bash
# Type checks (issue 13): python/gradstep under `mypy --strict` (configuration: [tool.mypy] in
# pyproject.toml), and the stub python/gradstep/_core.pyi against the built extension with
# mypy.stubtest. Needs gradstep installed (stubtest imports gradstep._core) and the `lint` extra
# (mypy, types-tqdm) plus numpy. .ci/run runs it after the test suite; locally:
#   pip install ".[lint]" && bash tools/typecheck.sh
# (or, with the extension built in place: PYTHONPATH=$PWD/python bash tools/typecheck.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m mypy
python -m mypy.stubtest gradstep._core --allowlist tools/stubtest_allowlist.txt
echo "typecheck: clean"
