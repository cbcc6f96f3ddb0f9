"""RunStore against a real SQLite file: records go in and come back out unchanged."""

import json
import math
import re
import sqlite3

import pytest

from workbench.errors import UserError
from workbench.runs import MetricRow, RunInfo, RunStore, RunStoreError, default_runs_dir


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


def test_store_creates_root_and_wal_database(tmp_path):
    root = tmp_path / "a" / "b"
    store = RunStore(root)
    assert store.root == root
    assert (root / "runs.sqlite").is_file()
    conn = sqlite3.connect(root / "runs.sqlite")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    RunStore(root)  # opening an existing store again is fine


def test_create_get_round_trip(store):
    run_id = store.create_run(
        name="digits",
        kind="bench",
        spec_text="[model]\nqubits = 4\n",
        params={"engine": "pennylane", "lr": 0.01, "head": {"kind": "linear", "width": 8}},
        tags=["baseline", "cpu", "baseline"],
        provenance={"git": "abc123", "python": "3.11"},
    )
    assert re.fullmatch(r"\d{8}-\d{4}-[0-9a-f]{6}", run_id)
    info = store.get(run_id)
    assert isinstance(info, RunInfo)
    assert (info.id, info.name, info.kind, info.status) == (run_id, "digits", "bench", "created")
    assert info.params == {"engine": "pennylane", "lr": 0.01, "head": {"kind": "linear", "width": 8}}
    assert info.tags == ["baseline", "cpu"]
    assert info.provenance == {"git": "abc123", "python": "3.11"}
    assert info.note == "" and info.summary == {} and info.parent is None and info.error is None
    assert info.created <= info.updated

    run_dir = store.run_dir(run_id)
    assert run_dir == store.root / run_id and run_dir.is_dir()
    assert (run_dir / "spec.toml").read_text() == "[model]\nqubits = 4\n"
    assert json.loads((run_dir / "provenance.json").read_text()) == {"git": "abc123", "python": "3.11"}
    assert store.spec(run_id) == ("[model]\nqubits = 4\n", "toml")


def test_ids_are_unique_and_list_is_newest_first(store):
    ids = [store.create_run(name=f"run {i}") for i in range(5)]
    assert len(set(ids)) == 5
    assert [info.id for info in store.list_runs()] == ids[::-1]
    assert [info.id for info in store.list_runs(limit=2)] == ids[:-3:-1]


def test_list_filters(store):
    a = store.create_run(name="digits qmtl", kind="train", tags=["paper"])
    b = store.create_run(name="penguins", kind="bench")
    c = store.create_run(name="Digits big", kind="train")
    store.set_status(c, "failed", error="out of memory")
    store.set_note(b, "uses 100% of the shots")
    assert {i.id for i in store.list_runs(kind="train")} == {a, c}
    assert [i.id for i in store.list_runs(tag="paper")] == [a]
    assert [i.id for i in store.list_runs(status="failed")] == [c]
    assert {i.id for i in store.list_runs(search="digits")} == {a, c}  # case-insensitive
    assert [i.id for i in store.list_runs(search="pape")] == [a]  # matches a tag
    assert [i.id for i in store.list_runs(search="100%")] == [b]  # % is literal, not a wildcard
    assert store.list_runs(search="1_0") == []
    assert [i.id for i in store.list_runs(kind="train", status="created")] == [a]


def test_status_and_error(store):
    run_id = store.create_run(name="r")
    store.set_status(run_id, "failed", error="boom")
    assert (store.get(run_id).status, store.get(run_id).error) == ("failed", "boom")
    store.set_status(run_id, "running")
    assert (store.get(run_id).status, store.get(run_id).error) == ("running", None)
    with pytest.raises(RunStoreError, match="'done' is not one of"):
        store.set_status(run_id, "done")


def test_params_are_immutable(store):
    run_id = store.create_run(name="r", params={"lr": 0.01, "head": {"kind": "linear"}})
    store.add_params(run_id, {"epochs": 10})
    store.add_params(run_id, {"lr": 0.01, "head": {"kind": "linear"}})  # same values: accepted, no change
    with pytest.raises(RunStoreError, match="'lr'") as excinfo:
        store.add_params(run_id, {"batch": 32, "lr": 0.02})
    assert isinstance(excinfo.value, UserError)
    # the refused call wrote nothing, not even its new key
    assert store.get(run_id).params == {"lr": 0.01, "head": {"kind": "linear"}, "epochs": 10}


def test_params_must_be_json(store):
    with pytest.raises(RunStoreError, match="not JSON-serialisable"):
        store.create_run(name="r", params={"fn": object()})
    assert store.list_runs() == []
    assert [p for p in store.root.iterdir() if p.is_dir()] == []  # the half-made run folder is gone


def test_metrics_append_only_and_ordered(store):
    run_id = store.create_run(name="r")
    store.log_metrics(run_id, [(0, 0, "train", "loss", 1.0), (0, 0, "val", "loss", 1.5)])
    store.log_metrics(run_id, [(1, 0, "train", "loss", 0.5), (1, 0, "train", "accuracy", 0.6)])
    store.log_metrics(run_id, [(1, 0, "train", "loss", 0.4)])  # same step again: kept, not overwritten
    store.log_metrics(run_id, [])

    rows = store.metrics(run_id)
    assert all(isinstance(r, MetricRow) for r in rows)
    assert [(r.step, r.split, r.key, r.value) for r in rows] == [
        (0, "train", "loss", 1.0),
        (0, "val", "loss", 1.5),
        (1, "train", "loss", 0.5),
        (1, "train", "accuracy", 0.6),
        (1, "train", "loss", 0.4),
    ]
    assert [r.value for r in store.metrics(run_id, key="loss", split="train")] == [1.0, 0.5, 0.4]
    assert [r.value for r in store.metrics(run_id, split="val")] == [1.5]
    assert all(r.time > 1e9 for r in rows)
    assert rows[0].time <= rows[-1].time
    last = {(m.split, m.key): m.value for m in store.last_metrics(run_id)}
    assert last == {("train", "loss"): 0.4, ("train", "accuracy"): 0.6, ("val", "loss"): 1.5}


def test_metric_batch_is_all_or_nothing(store):
    run_id = store.create_run(name="r")
    with pytest.raises(RunStoreError, match="bad metric row"):
        store.log_metrics(run_id, [(0, 0, "train", "loss", 1.0), (1, 0, "train", "loss", "high")])
    assert store.metrics(run_id) == []
    with pytest.raises(RunStoreError, match="no run"):
        store.log_metrics("nope", [(0, 0, "train", "loss", 1.0)])


def test_nan_and_inf_metrics_survive(store):
    run_id = store.create_run(name="r")
    store.log_metrics(run_id, [(0, 0, "train", "loss", float("nan")), (1, 0, "train", "loss", float("inf"))])
    values = [r.value for r in store.metrics(run_id)]
    assert math.isnan(values[0]) and values[1] == math.inf


def test_summary_keeps_order_and_may_change(store):
    run_id = store.create_run(name="r")
    store.set_summary(run_id, {"test": {"digit": {"accuracy": 0.9}}, "epochs": 3})
    store.set_summary(run_id, {"test": {"digit": {"accuracy": 0.95}}, "epochs": 4, "best_epoch": 2})
    summary = store.get(run_id).summary
    assert summary == {"test": {"digit": {"accuracy": 0.95}}, "epochs": 4, "best_epoch": 2}
    assert list(summary) == ["test", "epochs", "best_epoch"]


def test_tags_and_note(store):
    run_id = store.create_run(name="r", tags=["a"])
    store.add_tags(run_id, "b", "c", "a")
    assert store.get(run_id).tags == ["a", "b", "c"]
    store.remove_tag(run_id, "b")
    store.remove_tag(run_id, "not-there")
    assert store.get(run_id).tags == ["a", "c"]
    with pytest.raises(RunStoreError, match="empty"):
        store.add_tags(run_id, " ")
    store.set_note(run_id, "learning rate too high\nretry with 0.005")
    assert store.get(run_id).note == "learning rate too high\nretry with 0.005"
    store.set_note(run_id, "")
    assert store.get(run_id).note == ""


def test_resolve_by_prefix(store):
    a = store.create_run(name="a")
    b = store.create_run(name="b")
    assert store.resolve(a) == a
    common = a[:9]  # the date part, shared by both
    with pytest.raises(RunStoreError) as excinfo:
        store.resolve(common)
    message = str(excinfo.value)
    assert message.startswith(f"{common!r} is ambiguous:") and a in message and b in message
    with pytest.raises(RunStoreError, match="no run matches 'zzz'"):
        store.resolve("zzz")
    with pytest.raises(RunStoreError, match="no run matches '2026%'"):
        store.resolve("2026%")


def test_resolve_unique_prefix(tmp_path):
    # ids differ only in their random tails, so pick the shortest prefix that tells them apart
    store = RunStore(tmp_path)
    a, b = store.create_run(name="a"), store.create_run(name="b")
    n = next(i for i in range(1, len(a) + 1) if a[:i] != b[:i])
    assert store.resolve(a[:n]) == a
    assert store.resolve(b[:n]) == b


def test_jobs_recorded_and_updated(store):
    a = store.create_run(name="a")
    b = store.create_run(name="b")
    store.add_job(a, "job-1", "ibm_brisbane", "QUEUED", {"shots": 1024})
    store.add_job(a, "job-2", "ibm_brisbane", "QUEUED")
    store.add_job(b, "job-3", "aer", "RUNNING")
    with pytest.raises(RunStoreError, match="already recorded"):
        store.add_job(b, "job-1", "aer", "QUEUED")
    with pytest.raises(RunStoreError, match="no run"):
        store.add_job("missing", "job-9", "aer", "QUEUED")

    store.update_job("job-1", "DONE", {"result": "ok"})
    store.update_job("job-3", "ERROR")
    with pytest.raises(RunStoreError, match="no job 'job-x'"):
        store.update_job("job-x", "DONE")

    jobs = {j.job_id: j for j in store.jobs()}
    assert set(jobs) == {"job-1", "job-2", "job-3"}
    assert jobs["job-1"].status == "DONE" and jobs["job-1"].meta == {"shots": 1024, "result": "ok"}
    assert jobs["job-1"].run_id == a and jobs["job-1"].backend == "ibm_brisbane"
    assert [j.job_id for j in store.jobs(a)] == ["job-1", "job-2"]
    assert [j.job_id for j in store.jobs(pending_only=True)] == ["job-2"]
    assert [j.job_id for j in store.jobs(b, pending_only=True)] == []


def test_artifacts(store):
    run_id = store.create_run(name="r")
    store.add_artifact(run_id, "model", "checkpoint", "ckpt/model.pt")
    store.add_artifact(run_id, "curves", "plot", "curves.png")
    store.add_artifact(run_id, "model", "checkpoint", "ckpt/model-best.pt")  # same name replaces
    assert {(a.name, a.kind, a.relpath) for a in store.artifacts(run_id)} == {
        ("model", "checkpoint", "ckpt/model-best.pt"),
        ("curves", "plot", "curves.png"),
    }
    with pytest.raises(RunStoreError, match="inside the run folder"):
        store.add_artifact(run_id, "x", "file", "../elsewhere.txt")


def test_parent_must_exist(store):
    parent = store.create_run(name="sweep")
    child = store.create_run(name="trial", parent=parent)
    assert store.get(child).parent == parent
    with pytest.raises(RunStoreError, match="no run 'nope'"):
        store.create_run(name="orphan", parent="nope")
    assert len(store.list_runs()) == 2


def test_delete_removes_everything(store):
    keep = store.create_run(name="keep")
    run_id = store.create_run(name="gone", params={"lr": 1}, tags=["x"])
    store.log_metrics(run_id, [(0, 0, "train", "loss", 1.0)])
    store.add_job(run_id, "job-1", "aer", "QUEUED")
    store.add_artifact(run_id, "m", "checkpoint", "m.pt")
    store.delete(run_id)
    assert not store.run_dir(run_id).exists()
    assert [i.id for i in store.list_runs()] == [keep]
    assert store.jobs() == []
    with pytest.raises(RunStoreError):
        store.get(run_id)
    conn = sqlite3.connect(store.root / "runs.sqlite")
    try:
        for table in ("params", "tags", "metrics", "artifacts"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id = ?", (run_id,)).fetchone() == (0,)
    finally:
        conn.close()


def test_unknown_run_errors(store):
    for call in (
        lambda: store.get("nope"),
        lambda: store.metrics("nope"),
        lambda: store.set_summary("nope", {}),
        lambda: store.add_tags("nope", "x"),
        lambda: store.set_note("nope", "x"),
        lambda: store.delete("nope"),
    ):
        with pytest.raises(RunStoreError, match="no run 'nope'"):
            call()
    with pytest.raises(RunStoreError, match="not a run id"):
        store.run_dir("../etc")


def test_newer_schema_is_refused(tmp_path):
    RunStore(tmp_path)
    conn = sqlite3.connect(tmp_path / "runs.sqlite")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(RunStoreError, match="newer workbench"):
        RunStore(tmp_path)


def test_default_runs_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("QMTL_RUNS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_runs_dir() == tmp_path / "runs"
    monkeypatch.setenv("QMTL_RUNS_DIR", str(tmp_path / "elsewhere"))
    assert default_runs_dir() == tmp_path / "elsewhere"
