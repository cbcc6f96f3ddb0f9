"""User strings reach generated code and file names only escaped: hostile experiment and task names in every
export format produce scripts that run nothing else, comments that stay comments and plain file names."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import workbench
from workbench.circuits.export_pennylane import to_pennylane_source
from workbench.circuits.export_qasm import to_qasm3
from workbench.circuits.export_qiskit import to_qiskit
from workbench.circuits.program import build_program
from workbench.cli import main
from workbench.errors import SpecError
from workbench.spec import dumps, loads
from workbench.spec.examples import small_synthetic
from workbench.textsafe import safe_filename, shown

REPO = Path(workbench.__file__).resolve().parent.parent
TITLE = 'x"""\nimport os; os.system("touch {marker}")\n"""\'\'\'\r\x1b[31m\u202e'
HOSTILE_TASKS = ["../../x/y", 'a"""\nimport os', "a-b", "a_b", "training", "class", "t\x00\u202e", "é" * 70]


def _program(marker):
    """A program whose task names were never validated (the exporters must not rely on validation)."""
    spec = small_synthetic()
    spec.name = TITLE.format(marker=marker)
    for t, name in zip(spec.tasks, HOSTILE_TASKS[:2]):
        t.name = name
    return build_program(spec), spec


def _program_with(names):
    spec = small_synthetic()
    spec.tasks = [type(spec.tasks[0])(name, 2) for name in names]
    return build_program(spec)


def test_pennylane_script_holds_user_strings_only_as_literals(tmp_path):
    marker = tmp_path / "marker"
    program, spec = _program(marker)
    text = to_pennylane_source(program, title=spec.name)
    tree = ast.parse(text)
    imports = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    assert imports == {"numpy", "pennylane"}
    assert not any(isinstance(n, ast.Name) and n.id == "os" for n in ast.walk(tree))
    # running the script creates nothing
    script = tmp_path / "script.py"
    script.write_text(text)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert not marker.exists()


def test_pennylane_identifiers_are_distinct_and_valid():
    names = HOSTILE_TASKS[2:6]
    text = to_pennylane_source(_program_with(names))
    tree = ast.parse(text)
    fns = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name != "encoder"
           and n.name != "readouts"]
    assert len(fns) == len(set(fns)) == len(names)
    assert all(f.isidentifier() and f.isascii() for f in fns)
    qnodes = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "QNODES")
    assert [k.value for k in qnodes.value.keys] == names


def test_qasm_header_lines_stay_comments(tmp_path):
    marker = tmp_path / "marker"
    program, spec = _program(marker)
    for task in HOSTILE_TASKS[:2]:
        text = to_qasm3(program, task, header=spec.name)
        for line in text.splitlines():
            if "import" in line or "touch" in line or "x/y" in line:
                assert line.startswith("//"), line
        assert "\x1b" not in text and "\u202e" not in text and "\r" not in text


def test_qiskit_circuit_keeps_the_task_name_as_data():
    program = _program_with(["a-b", "a_b"])
    qc = to_qiskit(program, "a-b").circuit
    assert qc.metadata["task"] == "a-b"


def test_safe_filename():
    for name in HOSTILE_TASKS + ["", ".", "..", "a/b\\c", "x" * 500, "con\n.qasm"]:
        f = safe_filename(name)
        assert f and "/" not in f and "\\" not in f and not f.startswith(".") and len(f) <= 80
        assert all(c.isascii() and (c.isalnum() or c in "-_.") for c in f)
    assert safe_filename("a-b") != safe_filename("a_b")
    assert safe_filename("task_0") == "task_0"


def test_cli_export_files_get_safe_names(tmp_path, monkeypatch):
    # names a spec may hold; the file names derived from them are plain
    spec = small_synthetic()
    spec.tasks[0].name, spec.tasks[1].name = "Task-A", "b_2"
    path = tmp_path / "spec.toml"
    path.write_text(dumps(spec))
    out = tmp_path / "out" / "c.qasm"
    out.parent.mkdir()
    assert main(["export", str(path), "--format", "qasm3", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["c-Task-A.qasm", "c-b_2.qasm"]


@pytest.mark.parametrize("name", ["../../x/y", "a.b", "training", "encoder", "a\nb", "a\x1b[31m", "a\u202eb",
                                  "a\x00", "x" * 65, "1abc", "has space"])
def test_spec_refuses_task_names_that_cannot_be_names(name):
    spec = small_synthetic()
    spec.tasks[0].name = name
    text = dumps(spec, "json")
    with pytest.raises(SpecError) as exc:
        loads(text, "json")
    assert exc.value.path == "tasks[0].name"
    message = str(exc.value)
    assert "\n" not in message and "\x1b" not in message and "\u202e" not in message and "\x00" not in message
    assert len(message) < 400


def test_shown_escapes_and_cuts():
    assert shown("a\x1b[31m\u202e\x00") == "'a\\x1b[31m\\u202e\\x00'"
    assert len(shown("x" * 10**6)) < 120


def test_experiment_name_with_control_characters_is_refused(tmp_path, capsys):
    spec = small_synthetic()
    text = dumps(spec, "json").replace('"small-synthetic"', '"x\\"\\"\\"\\nimport os"')
    path = tmp_path / "s.json"
    path.write_text(text)
    code = main(["export", str(path), "--format", "pennylane"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "name" in err
    assert os.linesep not in err.strip()
