"""Hypothesis over the spec API: any document, any text and any angle expression either gives a valid spec (or
value) or one ``SpecError``/``ExpressionError`` whose message is one short printable line; nothing else escapes.

Budgets (see fuzz_settings): 1000 mutated documents, 400 JSON/TOML texts, 600 expressions in CI.
"""

import copy
import math

from hypothesis import given
from hypothesis import strategies as st

from tests.core.fuzz_settings import budget
from workbench.errors import SpecError
from workbench.spec import loads
from workbench.spec.examples import small_synthetic
from workbench.spec.expressions import ExpressionError, evaluate
from workbench.spec.io import spec_from_dict, spec_to_dict

BASE = spec_to_dict(small_synthetic(samples=120, epochs=1))

hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "a.b", "training", "encoder", "../x", "a\x00", "a\x1b[31m", "\u202e", "x" * 300,
                     "nan", "inf", "1e309", "-1", "pi", "w", "x0", "x99999", "(-1)**0.5", "9**9**9"]),
)
hostile_number = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2**31, 2**63, 2**64, 10**9, 10**300]),
    st.floats(allow_nan=True, allow_infinity=True),
)
leaf = st.one_of(hostile_number, hostile_text, st.booleans(), st.none())
value = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=8)


def paths(doc, prefix=()):
    """Every (path) to a leaf or a container of the base document."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, prefix + (i,))
    return out


PATHS = paths(BASE) + [("quantum", "default_block", "gates"), ("tasks", 0, "block"), ("tasks", 0, "readout"),
                       ("dataset", "options", "samples"), ("dataset", "pca"), ("dataset", "max_samples")]


def put(doc, path, new):
    cur = doc
    for k in path[:-1]:
        if isinstance(cur, list):
            if not isinstance(k, int) or k >= len(cur):
                return doc
            cur = cur[k]
        else:
            if not isinstance(cur, dict):
                return doc
            cur = cur.setdefault(k, {})
            if not isinstance(cur, (dict, list)):
                return doc
    last = path[-1]
    if isinstance(cur, list) and isinstance(last, int) and last < len(cur):
        cur[last] = new
    elif isinstance(cur, dict):
        cur[last] = new
    return doc


def check_message(exc: Exception) -> None:
    text = str(exc)
    assert len(text) < 2000, text[:200]


@budget(1000)
@given(st.lists(st.tuples(st.sampled_from(PATHS), value), min_size=1, max_size=4))
def test_mutated_documents_give_a_spec_or_one_spec_error(mutations):
    doc = copy.deepcopy(BASE)
    for path, new in mutations:
        doc = put(doc, path, new)
    try:
        spec = spec_from_dict(doc)
    except SpecError as exc:
        check_message(exc)
        return
    # what validates is sane: bounded sizes, finite numbers, names that are names
    assert 1 <= spec.quantum.qubits <= 26 and math.isfinite(spec.training.lr)
    assert all(t.name.isascii() and "." not in t.name for t in spec.tasks)


@budget(400)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400).map(lambda b: b.decode("latin-1"))),
       st.sampled_from(["json", "toml"]))
def test_any_text_parses_or_is_one_spec_error(text, fmt):
    try:
        loads(text, fmt, "fuzz")
    except SpecError as exc:
        check_message(exc)


expr_atoms = st.sampled_from(["pi", "e", "tau", "1", "0", "2", "0.5", "1e308", "9", "-1", "sqrt(2)", "x", "w",
                              "(", ")", "**", "*", "/", "+", "-", "sqrt(", "__import__", "1j", "lambda", ","])


@budget(600)
@given(st.one_of(st.lists(expr_atoms, max_size=30).map("".join), st.text(max_size=60)))
def test_any_angle_expression_is_a_finite_float_or_one_error(text):
    try:
        v = evaluate(text)
    except ExpressionError as exc:
        check_message(exc)
        return
    assert isinstance(v, float) and math.isfinite(v)
