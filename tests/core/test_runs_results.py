"""The results view's core on the real SQLite store: the metrics table, labels, rename, the trash with a fixed
clock, the Pareto front and seed groups, and their ``qmtl runs`` commands."""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import Clock
from workbench.cli import main
from workbench.runs import RunStore, RunStoreError
from workbench.runs.lock import RunLock
from workbench.runs.metrics_table import filter_rows, metrics_table, sort_rows
from workbench.runs.naming import rename, run_label
from workbench.runs.repair import repair
from workbench.runs.schema import DDL
from workbench.runs.spec_facts import SpecFacts
from workbench.runs.tradeoff import front_of, pareto_front, tradeoff_points
from workbench.runs.trash import move_to_trash, purge_expired, restore, trashed_runs
from workbench.testing import make_fake_run


@pytest.fixture
def clock():
    return Clock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def store(tmp_path, clock):
    s = RunStore(tmp_path / "runs", clock=clock)
    s.ids = {}
    for seed in (1, 2, 3):
        s.ids[f"q{seed}"] = make_fake_run(s, "digits [qmtl]", seed=seed, epochs=2, offset=0.01 * seed)
    s.ids["hps"] = make_fake_run(s, "digits [hps]", seed=1, epochs=2, head="hps", offset=-0.1, tags=["paper"])
    s.ids["stopped"] = make_fake_run(s, "stopped", seed=4, epochs=2, status="cancelled")
    summary = s.get(s.ids["hps"]).summary
    summary["head_params"] = 180
    summary["noise"] = {"ideal": {"task_0": {"accuracy": 0.7, "shots_accuracy": 0.6},
                                  "task_1": {"accuracy": 0.8, "shots_accuracy": 0.7}}}
    s.set_summary(s.ids["hps"], summary)
    return s


def cli(capsys, store, *argv):
    code = main(["runs", "--runs-dir", str(store.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- the metrics table --------------------------------------------------------------------------------------


def test_table_rows_are_the_stored_figures(store):
    table = metrics_table(store)
    rows = {r["id"]: r for r in table.rows}
    assert set(rows) == set(store.ids.values())
    hps = rows[store.ids["hps"]]
    info = store.get(store.ids["hps"])
    assert hps["mean_accuracy"] == info.summary["mean_test_accuracy"]
    assert hps["test.task_1.macro_f1"] == info.summary["test"]["task_1"]["macro_f1"]
    assert hps["head_params"] == 180 and hps["wall_time_s"] == 3.2
    assert hps["noise.ideal.accuracy"] == pytest.approx(0.75)
    assert hps["noise.ideal.shots_accuracy"] == pytest.approx(0.65)
    assert hps["qubits"] is None and hps["depth"] is None  # a classical head runs no circuit
    q = rows[store.ids["q1"]]
    assert q["qubits"] == 4 and q["depth"] > 0 and q["two_qubit"] > 0
    assert rows[store.ids["stopped"]]["mean_accuracy"] is None
    keys = [c.key for c in table.columns]
    assert keys.index("mean_accuracy") < keys.index("head_params") < keys.index("test.task_0.accuracy")
    assert keys.index("test.task_0.accuracy") < keys.index("test.task_0.macro_f1") < keys.index("test.task_0.loss")
    assert table.column("task_0 accuracy").key == "test.task_0.accuracy"
    assert table.column("task_1.loss").key == "test.task_1.loss"


def test_circuit_figures_follow_the_head(store):
    from workbench.circuits.program import build_program
    from workbench.circuits.resources import program_resources
    from workbench.spec import loads

    rid = store.ids["q1"]
    text, fmt = store.spec(rid)
    res = program_resources(build_program(loads(text, fmt), loads(text, fmt).backbone.width))
    row = next(r for r in metrics_table(store).rows if r["id"] == rid)
    assert (row["depth"], row["two_qubit"]) == (res.max_depth, res.total_two_qubit)


def test_sort_puts_missing_values_last_both_ways(store):
    table = metrics_table(store)
    for desc in (False, True):
        rows = sort_rows(table.rows, "mean_accuracy", desc)
        values = [r["mean_accuracy"] for r in rows]
        assert values[-1] is None
        assert values[:-1] == sorted(values[:-1], reverse=desc)


def test_filter_terms(store):
    table = metrics_table(store)
    ids = lambda expr: {r["id"] for r in filter_rows(table, expr)}  # noqa: E731
    assert ids("head=hps") == {store.ids["hps"]}
    assert ids("tag=paper") == {store.ids["hps"]}
    assert ids("head=qmtl mean_accuracy>0.815") == {store.ids["q2"], store.ids["q3"]}
    assert ids("stopped") == {store.ids["stopped"]}
    assert ids("status!=finished") == {store.ids["stopped"]}
    with pytest.raises(RunStoreError, match="column 'nope'"):
        filter_rows(table, "nope>1")


# -- labels and renaming -------------------------------------------------------------------------------------


def test_label_and_rename(store, capsys):
    rid = store.ids["q2"]
    assert run_label(store.get(rid)) == "digits · qmtl · seed 2"
    rename(store, rid, "  wide encoder ")
    assert run_label(store.get(rid)) == "wide encoder · qmtl · seed 2"
    assert json.loads((store.run_dir(rid) / "run.json").read_text())["name"] == "wide encoder"
    for bad in ("", "   ", "a\x1bb", "x" * 201):
        with pytest.raises(RunStoreError, match="^name: "):
            rename(store, rid, bad)
    code, out, _ = cli(capsys, store, "list")
    assert "wide encoder" in out


# -- the trash ----------------------------------------------------------------------------------------------


def test_delete_hides_restore_brings_back(store, clock):
    rid = store.ids["q1"]
    move_to_trash(store, rid)
    assert rid not in {i.id for i in store.list_runs()}
    assert [t.info.id for t in trashed_runs(store)] == [rid]
    assert trashed_runs(store)[0].deleted == clock.now
    assert rid not in {r["id"] for r in metrics_table(store).rows}
    with pytest.raises(RunStoreError, match="already in the trash"):
        move_to_trash(store, rid)
    restore(store, rid)
    assert rid in {i.id for i in store.list_runs()} and trashed_runs(store) == []
    with pytest.raises(RunStoreError, match="not in the trash"):
        restore(store, rid)


def test_a_run_being_trained_cannot_be_deleted(store):
    rid = store.ids["stopped"]
    with RunLock(store.run_dir(rid), rid, "trained"), pytest.raises(RunStoreError, match="being trained"):
        move_to_trash(store, rid)
    assert rid in {i.id for i in store.list_runs()}


def test_purge_after_thirty_days_on_open_and_on_request(store, clock, tmp_path):
    old, recent = store.ids["q1"], store.ids["q2"]
    move_to_trash(store, old)
    clock.now += timedelta(days=20)
    move_to_trash(store, recent)
    clock.now += timedelta(days=10, seconds=1)  # old: 30 days and a second; recent: 10 days
    assert purge_expired(store) == [old]
    assert not store.run_dir(old).exists() and store.run_dir(recent).exists()
    with pytest.raises(RunStoreError):
        store.get(old)
    clock.now += timedelta(days=21)
    reopened = RunStore(store.root, clock=clock)  # opening the store empties what expired
    assert trashed_runs(reopened) == [] and not store.run_dir(recent).exists()


def test_trash_survives_a_rebuilt_index(store, clock):
    rid = store.ids["q3"]
    move_to_trash(store, rid)
    (store.root / "runs.sqlite").unlink()
    for extra in ("runs.sqlite-wal", "runs.sqlite-shm"):
        (store.root / extra).unlink(missing_ok=True)
    repair(store.root)
    assert [t.info.id for t in trashed_runs(RunStore(store.root, clock=clock))] == [rid]


def test_a_version_1_store_is_migrated(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    conn = sqlite3.connect(root / "runs.sqlite", isolation_level=None)
    conn.executescript(DDL + "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO runs (id, name, kind, status, created, updated) VALUES "
                 "('20250101-0000-abcdef', 'old run', 'train', 'finished', '2025-01-01', '2025-01-01')")
    conn.close()
    (root / "20250101-0000-abcdef").mkdir()
    (root / "20250101-0000-abcdef" / "spec.toml").write_text("")
    store = RunStore(root)
    assert [i.name for i in store.list_runs()] == ["old run"]
    move_to_trash(store, "20250101-0000-abcdef")
    assert store.list_runs() == []
    version = sqlite3.connect(root / "runs.sqlite").execute("PRAGMA user_version").fetchone()[0]
    assert version == 2


# -- the trade-off ------------------------------------------------------------------------------------------


def test_pareto_front_small_cases():
    assert pareto_front([]) == []
    pts = [(10, 0.5), (20, 0.7), (15, 0.4), (30, 0.7), (5, 0.5), (40, 0.9)]
    assert pareto_front(pts) == [4, 1, 5]  # (5,.5) beats (10,.5); (30,.7) ties (20,.7) with more params
    assert pareto_front([(1, 0.5), (1, 0.5)]) == [0]


def test_pareto_front_matches_the_definition():
    rng = random.Random(3)
    for _ in range(200):
        pts = [(rng.randint(1, 8), rng.choice([0.1, 0.2, 0.3, 0.4])) for _ in range(rng.randint(1, 9))]
        front = set(pareto_front(pts))
        for i, (p, a) in enumerate(pts):
            dominated = any(q <= p and b >= a and (q, b) != (p, a) for q, b in pts)
            duplicate_of_earlier = any(pts[j] == pts[i] for j in range(i))
            assert (i in front) == (not dominated and not duplicate_of_earlier), (pts, i)
        assert all(pts[i][0] < pts[j][0] for i, j in itertools.pairwise(pareto_front(pts)))


def test_seeds_become_one_point_with_mean_and_std(store):
    facts = SpecFacts()
    infos = store.list_runs()
    groups = {i.id: facts(store, i).group for i in infos}
    points = tradeoff_points(metrics_table(store, infos, facts), groups)
    assert len(points) == 2  # three qmtl seeds, one hps run; the stopped run has no accuracy
    q = next(p for p in points if p.head == "qmtl")
    accs = [store.get(store.ids[f"q{s}"]).summary["mean_test_accuracy"] for s in (1, 2, 3)]
    mean = sum(accs) / 3
    assert q.seeds == 3 and q.accuracy == pytest.approx(mean)
    assert q.std == pytest.approx((sum((a - mean) ** 2 for a in accs) / 2) ** 0.5)
    assert q.label == "digits · qmtl · 3 seeds"
    assert [p.head for p in front_of(points)] == ["qmtl"]  # fewer params and more accurate than the hps run


# -- the commands -------------------------------------------------------------------------------------------


def test_table_command_sorts_filters_and_exports(store, capsys):
    code, out, _ = cli(capsys, store, "table", "--sort", "mean_accuracy", "--desc", "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["id"] == store.ids["q3"] and rows[-1]["id"] == store.ids["stopped"]
    code, out, _ = cli(capsys, store, "table", "--filter", "head=hps", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == [store.ids["hps"]] and rows[0]["tags"] == "paper"
    code, out, _ = cli(capsys, store, "table", "--tag", "paper")
    assert code == 0 and "digits · hps · seed 1" in out and "1 runs" in out
    code, _, err = cli(capsys, store, "table", "--sort", "nope")
    assert code == 2 and err.count("\n") == 1 and "--sort: column 'nope'" in err


def test_rename_delete_restore_commands(store, capsys):
    rid = store.ids["q1"]
    code, out, _ = cli(capsys, store, "rename", rid[:-1], "best", "one")
    assert code == 0 and "best one · qmtl · seed 1" in out
    code, out, _ = cli(capsys, store, "list")
    assert "best one" in out
    code, out, _ = cli(capsys, store, "delete", rid)
    assert code == 0 and "moved to the trash" in out
    assert rid not in cli(capsys, store, "list")[1]
    code, out, _ = cli(capsys, store, "trash", "--json")
    assert [t["id"] for t in json.loads(out)["trash"]] == [rid]
    code, out, _ = cli(capsys, store, "restore", rid)
    assert code == 0 and rid in cli(capsys, store, "list")[1]
    for argv in (("rename", "nosuch", "x"), ("rename", rid, " "), ("delete", "nosuch"), ("restore", rid)):
        code, out, err = cli(capsys, store, *argv)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, argv


def test_trash_command_lists_and_purges_on_the_real_clock(store, clock, capsys):
    clock.now = datetime.now(UTC) - timedelta(days=31)
    move_to_trash(store, store.ids["q1"])
    clock.now = datetime.now(UTC) - timedelta(days=29)
    move_to_trash(store, store.ids["q2"])
    code, out, _ = cli(capsys, store, "trash", "--purge")
    assert code == 0 and store.ids["q2"] in out and store.ids["q1"] not in out
    assert not store.run_dir(store.ids["q1"]).exists() and store.run_dir(store.ids["q2"]).exists()
    restore(store, store.ids["q2"])
    code, out, _ = cli(capsys, store, "trash")
    assert "the trash is empty" in out
