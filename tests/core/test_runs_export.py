"""Metrics CSV, run comparison and spec diffs."""

import csv
import io

import pytest

from workbench.runs import RunStore, compare_runs, export_metrics_csv, spec_diff


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


def test_export_csv_parses_back(store, tmp_path):
    a = store.create_run(name="digits, qmtl")  # a comma in the name must survive CSV quoting
    b = store.create_run(name="penguins")
    store.log_metrics(a, [(0, 0, "train", "loss", 1 / 3), (0, 0, "val", "accuracy", 0.5)])
    store.log_metrics(a, [(1, 1, "train", "loss", float("nan"))])
    store.log_metrics(b, [(5, 2, "test", "accuracy", 0.875)])

    path = tmp_path / "out.csv"
    assert export_metrics_csv(store, [a, b], path) == 4
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["run_id", "name", "step", "epoch", "split", "key", "value", "time"]
    assert [(r["run_id"], r["name"], r["step"], r["epoch"], r["split"], r["key"]) for r in rows] == [
        (a, "digits, qmtl", "0", "0", "train", "loss"),
        (a, "digits, qmtl", "0", "0", "val", "accuracy"),
        (a, "digits, qmtl", "1", "1", "train", "loss"),
        (b, "penguins", "5", "2", "test", "accuracy"),
    ]
    assert float(rows[0]["value"]) == 1 / 3  # exact round trip
    assert rows[2]["value"] == ""  # NaN is an empty cell
    stored = store.metrics(a)
    assert [float(r["time"]) for r in rows[:3]] == pytest.approx([m.time for m in stored], abs=1e-5)

    buffer = io.StringIO()
    assert export_metrics_csv(store, [b], buffer) == 1
    assert buffer.getvalue().splitlines()[1].startswith(f"{b},penguins,5,2,test,accuracy,0.875,")


def test_compare_flattens_summaries(store):
    a = store.create_run(
        name="qmtl", params={"engine": "pennylane", "head": {"kind": "linear"}, "lr": 0.01, "model.head": "mlp"}
    )
    b = store.create_run(name="classical", params={"engine": "torch", "lr": 0.1})
    store.set_status(a, "finished")
    store.set_summary(
        a,
        {
            "test": {"digit": {"accuracy": 0.91, "loss": 0.3}, "parity": {"accuracy": 0.7}},
            "converged": True,  # not a figure
            "label": "best",  # not a figure
            "epochs": 12,
        },
    )
    store.set_summary(b, {"test": {"digit": {"accuracy": 0.95}}, "wall_s": 3.5})

    headers, rows = compare_runs(store, [a, b])
    assert headers == [
        "id", "name", "status",
        "engine", "head.kind", "model.head",
        "test.digit.accuracy", "test.digit.loss", "test.parity.accuracy", "epochs", "wall_s",
    ]  # fmt: skip
    assert rows == [
        [a, "qmtl", "finished", "pennylane", "linear", "mlp", 0.91, 0.3, 0.7, 12, None],
        [b, "classical", "created", "torch", None, None, 0.95, None, None, None, 3.5],
    ]
    assert "lr" not in headers


def test_compare_without_summaries(store):
    a = store.create_run(name="bare")
    headers, rows = compare_runs(store, [a])
    assert headers == ["id", "name", "status"]
    assert rows == [[a, "bare", "created"]]


def test_spec_diff(store):
    a = store.create_run(name="a", spec_text="[model]\nqubits = 4\nlayers = 2\n")
    b = store.create_run(name="b", spec_text="[model]\nqubits = 6\nlayers = 2\n")
    c = store.create_run(name="c", spec_text="[model]\nqubits = 4\nlayers = 2\n")
    diff = spec_diff(store, a, b)
    assert diff[0] == f"--- {a}/spec.toml" and diff[1] == f"+++ {b}/spec.toml"
    assert "-qubits = 4" in diff and "+qubits = 6" in diff and " layers = 2" in diff
    assert spec_diff(store, a, c) == []
