#!/usr/bin/env bash
# Build gradstep with AddressSanitizer + UndefinedBehaviorSanitizer (CMake option
# GRADSTEP_SANITIZE) into its own venv and build directory, then run the FULL test suite under
# the sanitizers. Fails on any sanitizer report: every report aborts the process that hits it
# (halt_on_error / -fno-sanitize-recover), and the output and report files are searched as well.
#
#   bash .ci/sanitize.sh            # build + test (called by .ci/run)
#   bash .ci/sanitize.sh --no-build # reuse .ci/venv-asan, only run the tests
#   bash .ci/sanitize.sh -- -k gemm # extra arguments after -- go to pytest
#
# Tests that cannot work under ASan (RSS measurements, wall-clock limits) check
# GRADSTEP_SANITIZED=1, which this script sets, and skip themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
pytest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --) shift; pytest_args=("$@"); break ;;
    *) echo "usage: $0 [--no-build] [-- pytest args]" >&2; exit 2 ;;
  esac
  shift
done

venv=.ci/venv-asan
reports=.ci/sanitizer-reports
t0=$(date +%s)

if [ "$build" = 1 ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  # Debug build type: pybind11 neither strips nor adds LTO, scikit-build-core does not strip on
  # install (install.strip=false says so explicitly), no NDEBUG. CMake adds -O1 -g on top.
  # build-dir keeps the objects apart from the normal build's build/{wheel_tag}.
  "$venv/bin/python" -m pip install ".[test]" \
    --config-settings=cmake.define.GRADSTEP_SANITIZE=ON \
    --config-settings=cmake.build-type=Debug \
    --config-settings=install.strip=false \
    --config-settings="build-dir=build/asan-{wheel_tag}"
fi
t1=$(date +%s)

platlib=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['platlib'])")
so=$(ls "$platlib"/gradstep/_core*.so)
# The extension must really be instrumented, else this stage would pass without checking a thing.
symbols=$(nm -D "$so")  # (not piped into grep -q: pipefail would fail on nm's SIGPIPE)
if ! grep -q "__asan_report" <<<"$symbols"; then
  echo "sanitize.sh: $so is not built with AddressSanitizer" >&2
  exit 1
fi
if ! grep -q "__ubsan_handle" <<<"$symbols"; then
  echo "sanitize.sh: $so is not built with UndefinedBehaviorSanitizer" >&2
  exit 1
fi

# The interpreter is not instrumented, so the ASan runtime must be loaded first (LD_PRELOAD).
# libstdc++ is preloaded too: otherwise ASan's __cxa_throw interceptor finds no real __cxa_throw
# (libstdc++ arrives later with the extension) and the first C++ exception dies in
# "CHECK failed: asan_interceptors.cpp ... real___cxa_throw". Both are the libraries the
# extension itself links (ldd), so the runtime matches the compiler that built it.
asan_rt=$(ldd "$so" | awk '/libasan\.so/ {print $3; exit}')
stdcxx=$(ldd "$so" | awk '/libstdc\+\+\.so/ {print $3; exit}')
if [ -z "$asan_rt" ] || [ -z "$stdcxx" ]; then
  echo "sanitize.sh: cannot find libasan / libstdc++ of $so:" >&2
  ldd "$so" >&2
  exit 1
fi

rm -rf "$reports"
mkdir -p "$reports"
reports_abs=$(cd "$reports" && pwd)

# The variables reach every child (the tests' subprocess and fork children run under ASan too).
# detect_leaks=0: CPython keeps its objects until exit by design. allocator_may_return_null=1: a
# too-large allocation throws std::bad_alloc as in the normal build instead of being a report.
# abort_on_error=1: SIGABRT, so faulthandler prints the Python stack after the report.
# ASan writes its reports to $reports/asan.<pid> (children whose stderr a test captures included);
# this GCC's UBSan ignores log_path, its reports go to stderr (pytest --capture=sys leaves fd 2
# alone, so they reach this log even when they abort pytest itself).
export LD_PRELOAD="$asan_rt $stdcxx${LD_PRELOAD:+ $LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:log_path=$reports_abs/asan"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:report_error_type=1"
export GRADSTEP_SANITIZED=1
export PYTHONFAULTHANDLER=1

log="$reports/pytest.log"
set +e
"$venv/bin/python" -m pytest -q --capture=sys -p no:cacheprovider --durations=10 \
  ${pytest_args[@]+"${pytest_args[@]}"} 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
unset LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
t2=$(date +%s)

failed=0
if [ "$status" -ne 0 ]; then
  echo "sanitize.sh: pytest under ASan/UBSan exited with $status" >&2
  failed=1
fi
if grep -Eq "runtime error: |ERROR: AddressSanitizer|Sanitizer: CHECK failed|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$log"; then
  echo "sanitize.sh: sanitizer report(s) in the test output (see above)" >&2
  failed=1
fi
for f in "$reports"/asan.*; do
  [ -e "$f" ] || continue
  echo "===== ASan report $f =====" >&2
  cat "$f" >&2
  failed=1
done

echo "sanitize.sh: build $((t1 - t0)) s, tests $((t2 - t1)) s under ASan+UBSan"
if [ "$failed" -ne 0 ]; then
  echo "sanitize.sh: FAILED" >&2
  exit 1
fi
echo "sanitize.sh: no sanitizer reports"
