"""Hypothesis over the command line: any argument list is parsed or refused with exit code 2 and one line, and
commands run on hostile values exit 0 or 2 with one stderr line, never a traceback (exit 1 is a bug).

Budgets (see fuzz_settings): 1200 argument lists through the parser, 240 examples running params, export and runs in CI.
"""

import contextlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.fuzz_settings import budget
from workbench.cli import build_parser, main
from workbench.spec import dumps
from workbench.spec.examples import small_synthetic

PARSER = build_parser()
COMMANDS = ["params", "train", "export", "noise", "runs", "hardware", "report", "reproduce", "bench", "backends"]
OPTIONS = ["--seed", "--epochs", "--limit", "--tasks", "--alpha", "--classes", "--inputs", "--format", "--task",
           "--out", "--shots", "--samples", "--json", "--resume", "--memory-limit", "--head", "--engine",
           "--min-qubits", "--timeout", "--lr", "--steps", "--batch", "--wait", "--backends", "--runs-dir", "--help"]
VALUES = st.one_of(
    st.sampled_from(["0", "-1", "1", "2", "1e12", "inf", "nan", "-inf", "99999999999999999999999", "1-100000000000",
                     "1,2,4", "0-3", "8G", "1e999", "x" * 1000, "a\x1b[31m", "\u202e", "", " ", "--", "-",
                     "1" * 5000, "nan,inf,1,2", "1,2,3,4", "qasm3", "pennylane", "qiskit", "digit"]),
    st.text(max_size=20),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
TOKENS = st.one_of(st.sampled_from(COMMANDS + OPTIONS + ["list", "show", "repair", "account", "preflight"]), VALUES)


def _quiet(fn):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result = fn()
        except SystemExit as exc:
            result = exc
    return result, out.getvalue(), err.getvalue()


@budget(1200)
@given(st.sampled_from(COMMANDS), st.lists(TOKENS, max_size=8))
def test_any_argument_list_parses_or_is_refused_in_one_line(command, rest):
    result, out, err = _quiet(lambda: PARSER.parse_args([command, *rest]))
    if isinstance(result, SystemExit):
        assert result.code in (0, 2), result.code
        if result.code == 2:
            assert err.count("\n") == 1 and len(err) < 1500, err[:300]
            assert "\x1b" not in err and "\u202e" not in err


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzzcli") / "s.toml"
    path.write_text(dumps(small_synthetic(samples=120, epochs=1)))
    return str(path)


def _run(argv):
    result, out, err = _quiet(lambda: main(argv))
    code = result.code if isinstance(result, SystemExit) else result
    assert code in (0, 2), (argv, code, err[-500:])
    if code == 2:
        assert err.count("\n") == 1 and "Traceback" not in err, (argv, err[-500:])
    return code


@budget(80)
@given(st.sampled_from(["--tasks", "--alpha", "--classes"]), VALUES)
def test_params_with_hostile_values(spec_path, option, value):
    _run(["params", spec_path, option, value])


@budget(80)
@given(VALUES, st.sampled_from(["qasm3", "pennylane"]))
def test_export_with_hostile_inputs_and_tasks(spec_path, value, fmt):
    _run(["export", spec_path, "--format", fmt, "--inputs", value])
    _run(["export", spec_path, "--format", fmt, "--task", value])


@budget(80)
@given(VALUES, st.sampled_from(["show", "list", "compare", "export"]))
def test_runs_commands_with_hostile_ids(tmp_path_factory, value, sub):
    root = str(tmp_path_factory.getbasetemp() / "fuzz-runs")
    argv = ["runs", "--runs-dir", root, sub] + ([] if sub == "list" else [value]) + \
        (["--limit", value] if sub == "list" else [])
    _run(argv)
