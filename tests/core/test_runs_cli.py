"""``qmtl runs`` through the real CLI entry point."""

import csv
import io
import json

import pytest

from workbench.cli import main
from workbench.runs import RunStore


@pytest.fixture
def runs(tmp_path):
    store = RunStore(tmp_path / "runs")
    a = store.create_run(
        name="digits qmtl",
        params={"engine": "pennylane", "head": "linear", "lr": 0.01},
        tags=["paper"],
        spec_text="[model]\nqubits = 4\n",
        provenance={"git": "abc123"},
    )
    store.set_status(a, "finished")
    store.log_metrics(a, [(0, 0, "train", "loss", 0.9), (1, 0, "train", "loss", 0.4), (1, 0, "val", "accuracy", 0.8)])
    store.set_summary(a, {"test": {"digit": {"accuracy": 0.91, "loss": 0.3}}, "epochs": 2})
    store.add_job(a, "job-77", "ibm_brisbane", "DONE", {"shots": 1024})
    store.add_artifact(a, "model", "checkpoint", "model.pt")
    b = store.create_run(name="digits classical", params={"engine": "torch", "head": "mlp"},
                         spec_text="[model]\nqubits = 6\n")
    store.set_summary(b, {"test": {"digit": {"accuracy": 0.95}}})
    return store, a, b


def run_cli(capsys, store, *argv):
    code = main(["runs", "--runs-dir", str(store.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_table(capsys, runs):
    store, a, b = runs
    code, out, err = run_cli(capsys, store, "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["id", "name", "kind", "status", "tags", "created", "summary"]
    assert lines[2].startswith(b) and lines[3].startswith(a)  # newest first
    assert "finished" in lines[3] and "test.digit.accuracy=0.91" in lines[3]
    assert lines[3].index("paper") == lines[0].index("tags")  # a sweep's runs show its id here
    # aligned: every column starts at the same offset on every row
    assert lines[2].index("digits") == lines[3].index("digits") == lines[0].index("name")
    assert lines[2].index("train") == lines[3].index("train") == lines[0].index("kind")


def test_list_json_and_filters(capsys, runs):
    store, a, b = runs
    code, out, _ = run_cli(capsys, store, "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert [r["id"] for r in data] == [b, a]
    assert data[1]["params"] == {"engine": "pennylane", "head": "linear", "lr": 0.01}
    assert data[1]["summary"]["test"]["digit"]["accuracy"] == 0.91
    code, out, _ = run_cli(capsys, store, "list", "--tag", "paper", "--json")
    assert [r["id"] for r in json.loads(out)] == [a]
    code, out, _ = run_cli(capsys, store, "list", "--status", "finished", "--json")
    assert [r["id"] for r in json.loads(out)] == [a]


def test_runs_dir_after_subcommand_and_from_env(capsys, runs, monkeypatch):
    store, a, b = runs
    assert main(["runs", "list", "--json", "--runs-dir", str(store.root)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    monkeypatch.setenv("QMTL_RUNS_DIR", str(store.root))
    assert main(["runs", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_list_without_store_creates_nothing(capsys, tmp_path):
    missing = tmp_path / "nothing-here"
    assert main(["runs", "--runs-dir", str(missing), "list"]) == 0
    assert "no runs" in capsys.readouterr().out
    assert main(["runs", "--runs-dir", str(missing), "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not missing.exists()
    assert main(["runs", "--runs-dir", str(missing), "show", "abc"]) == 2
    assert "no runs recorded" in capsys.readouterr().err


def test_show_text(capsys, runs):
    store, a, b = runs
    unique = next(i for i in range(1, len(a) + 1) if a[:i] != b[:i])
    code, out, _ = run_cli(capsys, store, "show", a[:unique])  # a unique prefix is enough
    assert code == 0
    assert out.splitlines()[0].split() == ["id", a]
    for section in ("params", "summary", "provenance", "jobs", "artifacts", "metrics"):
        assert f"\n{section}\n" in out
    assert "test.digit.accuracy" in out and "0.91" in out
    assert "job-77" in out and "ibm_brisbane" in out and "model.pt" in out
    assert "abc123" in out and "paper" in out
    loss_line = next(line for line in out.splitlines() if " loss " in line)
    assert loss_line.split() == ["train", "loss", "1", "0", "0.4"]  # the last value, not the first


def test_show_json(capsys, runs):
    store, a, _ = runs
    code, out, _ = run_cli(capsys, store, "show", a, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == a and data["status"] == "finished" and data["tags"] == ["paper"]
    assert data["jobs"][0]["job_id"] == "job-77" and data["jobs"][0]["meta"] == {"shots": 1024}
    assert data["artifacts"][0]["relpath"] == "model.pt"
    last = {(m["split"], m["key"]): m["value"] for m in data["metrics"]}
    assert last == {("train", "loss"): 0.4, ("val", "accuracy"): 0.8}


def test_show_json_with_nan_is_strict_json(capsys, runs):
    store, a, _ = runs
    store.log_metrics(a, [(2, 1, "train", "loss", float("nan"))])
    code, out, _ = run_cli(capsys, store, "show", a, "--json")
    assert code == 0
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert {(m["split"], m["key"]): m["value"] for m in data["metrics"]}[("train", "loss")] is None


def test_compare(capsys, runs):
    store, a, b = runs
    code, out, _ = run_cli(capsys, store, "compare", a, b, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["columns"] == ["id", "name", "status", "engine", "head", "test.digit.accuracy",
                               "test.digit.loss", "epochs"]
    assert data["runs"][0]["test.digit.accuracy"] == 0.91 and data["runs"][1]["test.digit.accuracy"] == 0.95
    assert data["runs"][1]["epochs"] is None

    code, out, _ = run_cli(capsys, store, "compare", a, b, "--diff")
    assert code == 0
    assert "digits qmtl" in out and "pennylane" in out and "0.95" in out
    assert "-qubits = 4" in out and "+qubits = 6" in out

    code, _, err = run_cli(capsys, store, "compare", a, "--diff")
    assert code == 2 and "exactly two runs" in err


def test_export_csv(capsys, runs, tmp_path):
    store, a, b = runs
    code, out, _ = run_cli(capsys, store, "export", a, b, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["run_id"], r["key"], float(r["value"])) for r in rows] == [
        (a, "loss", 0.9), (a, "loss", 0.4), (a, "accuracy", 0.8),
    ]
    target = tmp_path / "metrics.csv"
    code, out, _ = run_cli(capsys, store, "export", a, "--out", str(target))
    assert code == 0 and "3 metric rows" in out
    assert target.read_text().splitlines()[0] == "run_id,name,step,epoch,split,key,value,time"


def test_tag_and_note(capsys, runs):
    store, a, _ = runs
    assert run_cli(capsys, store, "tag", a, "best", "v2")[0] == 0
    assert store.get(a).tags == ["best", "paper", "v2"]
    assert run_cli(capsys, store, "tag", a, "paper", "--remove")[0] == 0
    assert store.get(a).tags == ["best", "v2"]
    assert run_cli(capsys, store, "note", a, "lr", "too", "high")[0] == 0
    assert store.get(a).note == "lr too high"


@pytest.mark.parametrize(
    "argv",
    [["show", "zzz"], ["show", "zzz", "--json"], ["compare", "zzz"], ["export", "zzz"], ["tag", "zzz", "x"],
     ["note", "zzz", "x"]],
)
def test_unknown_run_exits_2(capsys, runs, argv):
    store, _, _ = runs
    code, out, err = run_cli(capsys, store, *argv)
    assert code == 2
    assert err.strip() == "qmtl runs: error: no run matches 'zzz'"
    assert out == ""


def test_ambiguous_prefix_exits_2(capsys, runs):
    store, a, b = runs
    code, _, err = run_cli(capsys, store, "show", a[:9])
    assert code == 2 and "is ambiguous" in err and a in err and b in err
