"""Shipped experiments: listed by ``qmtl examples``, opened by name from any folder by every command."""

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.spec import load
from workbench.spec.examples import EXPERIMENTS, example_names, examples, find_experiment, resolve_experiment


def test_the_examples_ship_inside_the_package():
    import workbench

    assert EXPERIMENTS.is_dir() and EXPERIMENTS.parent == Path(workbench.__file__).parent
    assert {"digits-3task", "penguins", "small-synthetic"} <= set(example_names())
    for e in examples():
        spec = load(e.path)  # every shipped file validates
        assert (e.tasks, e.qubits) == (len(spec.tasks), spec.quantum.qubits) and e.description


def test_qmtl_examples_lists_name_tasks_qubits_and_description(capsys):
    assert main(["examples"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["name", "tasks", "qubits"]
    digits = next(line for line in lines if line.startswith("digits-3task"))
    assert digits.split()[1:3] == ["3", "8"] and "Digits" in digits
    assert main(["examples", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["penguins"]["tasks"] == 3 and rows["small-synthetic"]["qubits"] == 4


def test_a_shipped_name_opens_the_shipped_file_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert resolve_experiment("penguins") == EXPERIMENTS / "penguins.toml"
    assert resolve_experiment("penguins.toml") == EXPERIMENTS / "penguins.toml"
    assert main(["params", "penguins", "--tasks", "1-2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"][1]["T"] == 2
    assert main(["export", "digits-3task", "--format", "qasm3", "--task", "parity"]) == 0
    assert "OPENQASM 3" in capsys.readouterr().out


def test_the_former_in_repo_path_of_a_shipped_experiment_still_opens_it(tmp_path, monkeypatch):
    """``resources/experiments/NAME.toml``, where the experiments lived before they moved into the package, opens
    the shipped one when there is no such file; a file there wins, and other folders do not fall back."""
    monkeypatch.chdir(tmp_path)
    assert resolve_experiment("resources/experiments/digits-3task.toml") == EXPERIMENTS / "digits-3task.toml"
    assert find_experiment("elsewhere/digits-3task.toml") is None
    assert find_experiment("resources/experiments/nosuch.toml") is None
    own = tmp_path / "resources" / "experiments" / "digits-3task.toml"
    own.parent.mkdir(parents=True)
    own.write_text((EXPERIMENTS / "small-synthetic.toml").read_text())
    assert load(resolve_experiment("resources/experiments/digits-3task.toml")).name == "small-synthetic"


def test_an_existing_file_wins_over_a_shipped_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "penguins").write_text((EXPERIMENTS / "small-synthetic.toml").read_text())
    assert find_experiment("penguins") == tmp_path.joinpath("penguins").relative_to(tmp_path)
    assert load(resolve_experiment("penguins")).name == "small-synthetic"


@pytest.mark.parametrize("argv", [["params", "nosuch"], ["train", "nosuch"],
                                  ["export", "nosuch.toml", "--format", "qasm3"], ["noise", "missing.json"]])
def test_an_unknown_name_is_one_line_naming_the_shipped_ones(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and repr(argv[1]) in err
    assert "digits-3task" in err and "penguins" in err and "small-synthetic" in err


def test_train_by_name_from_another_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "small-synthetic", "--epochs", "1", "--runs-dir", str(tmp_path / "runs"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "finished" and set(out["test"]) == {"task_0", "task_1"}


def test_version_names_the_libraries(capsys):
    assert main(["--version"]) == 0  # main returns argparse's exit code instead of raising SystemExit
    out = capsys.readouterr().out
    import torch

    assert f"torch {torch.__version__}" in out
    for name in ("QMTL Workbench 0.1.0", "PennyLane", "Qiskit", "Aer", "Runtime"):
        assert name in out
    assert "not installed" not in out
