"""The typed public API (issue 13): python/gradstep/_core.pyi against the extension, and mypy.

mypy.stubtest cannot see the parameters of pybind11 functions (they have no __text_signature__),
so the first tests compare the stub with the signature line pybind11 writes at the top of every
docstring: the same functions, classes and methods, with the same parameter names, order and
defaults. They are fast and always run.

`mypy --strict` over the package and stubtest take 20-70 s from a cold cache (most of it reading
NumPy's stubs), too slow for the default suite: they run in tools/typecheck.sh (called by .ci/run)
and here only with GRADSTEP_TYPECHECK=1.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import gradstep
from gradstep import _core

PACKAGE = Path(gradstep.__file__).parent
ROOT = Path(__file__).resolve().parent.parent
STUB = PACKAGE / "_core.pyi"


def _stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def _split_top_level(text: str) -> list[str]:
    """`text` split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:])
    return [p.strip() for p in parts]


def _runtime_parameters(obj: object) -> list[tuple[str, str | None]]:
    """[(name, default or None)] from the signature line pybind11 puts first in the docstring."""
    first = (obj.__doc__ or "").splitlines()[0]
    match = re.match(r"^\w+\((.*)\) -> .*$", first)
    assert match, f"no pybind11 signature line in the docstring of {obj!r}: {first!r}"
    params = []
    for part in _split_top_level(match.group(1)):
        name, _, rest = part.partition(":")
        default = rest.split(" = ", 1)[1].strip() if " = " in rest else None
        if name.strip() != "self":
            params.append((name.strip(), default))
    return params


def _stub_parameters(function: ast.FunctionDef) -> list[tuple[str, str | None]]:
    args = function.args.posonlyargs + function.args.args
    defaults = [None] * (len(args) - len(function.args.defaults)) + list(function.args.defaults)
    return [
        (arg.arg, None if default is None else ast.unparse(default))
        for arg, default in zip(args, defaults)
        if arg.arg != "self"
    ]


def _same_default(stub: str | None, runtime: str | None) -> bool:
    if stub is None or runtime is None:
        return stub == runtime
    if stub == runtime:
        return True
    try:  # float32 defaults print as 0.05000000074505806 at run time
        return abs(float(ast.literal_eval(stub)) - float(runtime)) < 1e-6
    except (ValueError, SyntaxError):
        return stub.strip("'\"") == runtime.strip("'\"")


def _check_function(stub: ast.FunctionDef, runtime: object, where: str) -> None:
    expected, given = _runtime_parameters(runtime), _stub_parameters(stub)
    assert [n for n, _ in given] == [n for n, _ in expected], f"{where}: parameters {given} in the stub, {expected}"
    for (name, stub_default), (_, runtime_default) in zip(given, expected):
        assert _same_default(stub_default, runtime_default), (
            f"{where}({name}=...): default {stub_default} in the stub, {runtime_default} in the extension"
        )


def _public_names(namespace: object) -> set[str]:
    return {n for n in dir(namespace) if not n.startswith("__")}


def test_py_typed_marker_and_stub_ship_in_the_package() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert STUB.is_file()


def test_stub_has_every_function_and_class_of_the_extension() -> None:
    stubbed = {node.name for node in _stub_tree().body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    runtime = {n for n in _public_names(_core) if callable(getattr(_core, n))}
    assert stubbed == runtime, f"only in the stub: {stubbed - runtime}; only in the extension: {runtime - stubbed}"


def test_stub_functions_match_the_bound_signatures() -> None:
    for node in _stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            _check_function(node, getattr(_core, node.name), f"_core.{node.name}")


def test_stub_classes_match_the_bound_methods_and_properties() -> None:
    for node in _stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(_core, node.name)
        methods = {
            item.name: item
            for item in node.body
            if isinstance(item, ast.FunctionDef)
            and not any(isinstance(d, ast.Attribute) and d.attr == "setter" for d in item.decorator_list)
        }
        for name, item in methods.items():
            is_property = any(isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list)
            attribute = cls.__dict__.get(name)
            assert attribute is not None, f"_core.{node.name}.{name} is in the stub but not bound on the class"
            if is_property:
                assert isinstance(attribute, property), f"_core.{node.name}.{name} is not a property at run time"
            else:
                _check_function(item, attribute, f"_core.{node.name}.{name}")
        bound = {n for n, v in vars(cls).items() if not n.startswith("_") and (callable(v) or isinstance(v, property))}
        assert bound <= set(methods), f"_core.{node.name}: not in the stub: {bound - set(methods)}"


def _run(command: list[str]) -> None:
    env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent))
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"


slow_typecheck = pytest.mark.skipif(
    os.environ.get("GRADSTEP_TYPECHECK") != "1",
    reason="mypy takes 20-70 s from a cold cache; tools/typecheck.sh runs it in CI (set GRADSTEP_TYPECHECK=1 here)",
)


@slow_typecheck
def test_mypy_strict_reports_no_error() -> None:
    pytest.importorskip("mypy")
    _run([sys.executable, "-m", "mypy"])  # configuration: [tool.mypy] in pyproject.toml (strict)


@slow_typecheck
def test_stubtest_finds_the_stub_consistent_with_the_extension() -> None:
    pytest.importorskip("mypy")
    _run([sys.executable, "-m", "mypy.stubtest", "gradstep._core", "--allowlist", "tools/stubtest_allowlist.txt"])
