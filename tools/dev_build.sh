#!/usr/bin/env bash
# Developer build without pip: compile the extension with CMake into build/dev and copy it into
# python/gradstep, so that `PYTHONPATH=python python -m pytest` runs this checkout. Several
# checkouts (git worktrees) can each have their own this way. BUILD_TYPE=RelWithDebInfo for perf.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
  -DPython_EXECUTABLE="$(command -v "$PYTHON")" -Dpybind11_DIR="$("$PYTHON" -m pybind11 --cmakedir)" >/dev/null
cmake --build build/dev
cp build/dev/_core*.so python/gradstep/
echo "built $(ls python/gradstep/_core*.so)"
