"""Every public layer and optimizer class carries its formula and its paper in its docstring.

The docstrings are the API reference (docs/, Sphinx autodoc + napoleon, Google style): each class
of the layer and optimizer registries (what `deserialize` and `compile` accept) must state its
forward formula / update rule in a `.. math::` block and cite a reference with its year, written
so that it renders (raw docstrings, balanced LaTeX, valid reStructuredText after napoleon).
"""

from __future__ import annotations

import inspect
import re

import pytest

import gradstep as gs
from gradstep.layers import _REGISTRY as LAYER_REGISTRY
from gradstep.optimizers import _CLASSES as OPTIMIZER_REGISTRY

CLASSES = sorted(LAYER_REGISTRY.values(), key=lambda c: c.__name__) + sorted(
    OPTIMIZER_REGISTRY.values(), key=lambda c: c.__name__
)

# A reference entry: "Surname, I. ... (YYYY). Title ..." (the year in parentheses after the authors).
REFERENCE = re.compile(r"^[A-Z][\w'. -]*, [A-Z]\.[^()]*\((1[89]|20)\d\d\)\.\s+\S", re.MULTILINE)


def own_docstring(cls: type) -> str:
    doc = vars(cls).get("__doc__")
    assert doc, f"{cls.__name__} has no docstring of its own (an inherited one does not state its formula)"
    return inspect.cleandoc(doc)


def math_blocks(doc: str) -> list[str]:
    """The bodies of the `.. math::` directives: the indented lines after each directive."""
    blocks = []
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)\.\. math::\s*$", line)
        if not match:
            continue
        indent = len(match.group(1))
        body = []
        for following in lines[i + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        blocks.append("\n".join(body).strip())
    return blocks


def inline_math(doc: str) -> list[str]:
    return re.findall(r":math:`([^`]+)`", doc)


def references(doc: str) -> str:
    """The text of the napoleon "References:" section (up to the next unindented line)."""
    match = re.search(r"^References:\n((?:[ \t]+.*\n?|\n)+)", doc, re.MULTILINE)
    return match.group(1) if match else ""


def check_latex(source: str, where: str) -> None:
    depth = 0
    for ch in re.sub(r"\\[{}]", "", source):  # \{ and \} are literal braces
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, f"{where}: unbalanced '}}' in {source!r}"
    assert depth == 0, f"{where}: unbalanced '{{' in {source!r}"
    begins, ends = re.findall(r"\\begin\{(\w+)\}", source), re.findall(r"\\end\{(\w+)\}", source)
    assert sorted(begins) == sorted(ends), f"{where}: \\begin/\\end do not match in {source!r}"
    assert len(re.findall(r"\\left\b", source)) == len(re.findall(r"\\right\b", source)), f"{where}: \\left/\\right"


def test_registries_cover_the_public_classes():
    exported_layers = {
        name
        for name in gs.layers.__all__
        if inspect.isclass(getattr(gs.layers, name)) and issubclass(getattr(gs.layers, name), gs.layers.Layer)
    }
    # Layer is the abstract base; InputLayer only declares the input shape (no computation).
    assert exported_layers - {"Layer", "InputLayer"} == set(LAYER_REGISTRY)
    exported_optimizers = {
        name
        for name in gs.optimizers.__all__
        if inspect.isclass(getattr(gs.optimizers, name))
        and issubclass(getattr(gs.optimizers, name), gs.optimizers.Optimizer)
    }
    assert exported_optimizers - {"Optimizer"} == set(OPTIMIZER_REGISTRY)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_docstring_states_formula_and_reference(cls):
    doc = own_docstring(cls)
    name = cls.__name__
    # A docstring written without the r prefix turns \b, \f, \t, \v, \a of \beta, \frac, \text ...
    # into control characters: the formula would render wrong.
    bad = [hex(ord(ch)) for ch in doc if ord(ch) < 32 and ch != "\n"]
    assert not bad, f"{name}: control characters {bad} in the docstring (write it as r'''...''')"
    summary = doc.splitlines()[0]
    assert len(summary.split()) >= 4, f"{name}: the first line should say what the layer does, got {summary!r}"

    blocks = math_blocks(doc)
    assert blocks, f"{name}: no `.. math::` block with the forward formula / update rule"
    for block in blocks:
        assert block, f"{name}: an empty `.. math::` block"
        assert "=" in block or r"\leftarrow" in block, f"{name}: the math block states no equation: {block!r}"
        check_latex(block, name)
    for source in inline_math(doc):
        check_latex(source, name)

    refs = references(doc)
    assert refs, f"{name}: no 'References:' section"
    assert REFERENCE.search(inspect.cleandoc(refs)), (
        f"{name}: the References section cites no 'Author, I. ... (year). Title' entry:\n{refs}"
    )


# The symbol each hyperparameter of an optimizer's rule has in its formula. A new constructor
# argument must be added here and used in the docstring's math (or the test fails).
OPTIMIZER_SYMBOLS = {
    "learning_rate": r"\eta",
    "momentum": r"\mu",
    "rho": r"\rho",
    "beta_1": r"\beta_1",
    "beta_2": r"\beta_2",
    "epsilon": r"\epsilon",
    "initial_accumulator_value": "a",
    "weight_decay": r"\lambda",
}
OPTIMIZER_FLAGS = ("nesterov", "amsgrad", "centered")  # booleans: the variant they select is stated
COMMON = ("clipnorm", "clipvalue", "global_clipnorm", "name", "kwargs")  # Optimizer's docstring


@pytest.mark.parametrize("cls", sorted(OPTIMIZER_REGISTRY.values(), key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_optimizer_formula_uses_every_hyperparameter(cls):
    doc = own_docstring(cls)
    math = "\n".join(math_blocks(doc) + inline_math(doc))
    for parameter in inspect.signature(cls.__init__).parameters:
        if parameter == "self" or parameter in COMMON:
            continue
        if parameter == "weight_decay" and cls is not gs.optimizers.AdamW:
            continue  # decoupled decay, shared by all: the base class's docstring states it
        if parameter in OPTIMIZER_FLAGS:
            assert parameter in math, f"{cls.__name__}: the formula does not state what {parameter}=True changes"
            continue
        assert parameter in OPTIMIZER_SYMBOLS, f"{cls.__name__}: give {parameter!r} a symbol in OPTIMIZER_SYMBOLS"
        symbol = OPTIMIZER_SYMBOLS[parameter]
        assert re.search(re.escape(symbol) + r"(?![A-Za-z])", math), (
            f"{cls.__name__}: {parameter} ({symbol}) does not appear in the formula"
        )
        assert f"`{parameter}`" in doc or parameter == "learning_rate", (
            f"{cls.__name__}: the docstring does not say which symbol is {parameter}"
        )


def test_base_optimizer_states_clipping_and_weight_decay():
    doc = own_docstring(gs.optimizers.Optimizer)
    math = "\n".join(math_blocks(doc) + inline_math(doc))
    assert r"\lambda" in math and r"\max" in math, "Optimizer: clipping and decoupled weight decay formulas"


@pytest.mark.parametrize("cls", CLASSES + [gs.optimizers.Optimizer], ids=lambda c: c.__name__)
def test_docstring_is_valid_restructuredtext(cls):
    """What autodoc renders: napoleon's conversion parsed by docutils with no warning."""
    napoleon = pytest.importorskip("sphinx.ext.napoleon")
    from docutils import nodes
    from docutils.core import publish_doctree

    text = str(napoleon.GoogleDocstring(own_docstring(cls), napoleon.Config(napoleon_use_rtype=False)))
    text = re.sub(r":(class|func|meth|attr|mod|doc):`", "`", text)  # Sphinx's roles, unknown to docutils
    assert ".. math::" in text and ".. rubric:: References" in text
    tree = publish_doctree(
        text,
        settings_overrides={"report_level": 5, "halt_level": 5, "default_role": "literal", "warning_stream": False},
    )
    problems = [str(m.astext()) for m in tree.findall(nodes.system_message) if m["level"] >= 2]
    assert not problems, f"{cls.__name__}: {problems}"
    assert list(tree.findall(nodes.math_block)), f"{cls.__name__}: no display formula after parsing"
