"""The run store under damage and crashes, with real SQLite files and real processes.

Damaged databases are one line that names the file and ``qmtl runs repair``; repair keeps a copy and rebuilds
the index from the run folders; a lost (missing or zero-length) database is rebuilt, not emptied; a run is
trained by one process at a time; a kill -9 anywhere, then a resume, leaves no duplicated rows.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

import workbench
from workbench.cli import main
from workbench.runs import RunStore
from workbench.spec.examples import small_synthetic_text

REPO = Path(workbench.__file__).resolve().parent.parent


def _python(code: str, *args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def _cli(capsys, *argv):
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def populated(tmp_path):
    root = tmp_path / "runs"
    store = RunStore(root)
    ids = []
    for i in range(3):
        rid = store.create_run(name=f"run {i}", params={"head": "qmtl", "epochs": 2}, tags=["keep"],
                               spec_text="name = 'x'\n")
        store.log_metrics(rid, [(1, 1, "train", "loss", 0.5 + i)])
        ids.append(rid)
    store.set_summary(ids[0], {"mean_test_accuracy": 0.75})
    return root, ids


def _damage(db: Path, kind: str) -> None:
    good = db.read_bytes()
    for side in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        side.unlink(missing_ok=True)
    if kind == "truncated":
        db.write_bytes(good[:5000])
    elif kind == "junk-header":
        db.write_bytes(b"SQLite format 3\x00" + b"junk" * 30 + good[136:])
    elif kind == "random-bytes":
        db.write_bytes(os.urandom(len(good)))
    elif kind == "directory":
        db.unlink()
        db.mkdir()
    elif kind == "zero-length":
        db.write_bytes(b"")


@pytest.mark.parametrize("kind", ["truncated", "junk-header", "random-bytes", "directory"])
def test_damaged_database_is_one_line_then_repaired(populated, capsys, kind):
    root, ids = populated
    db = root / "runs.sqlite"
    _damage(db, kind)
    for argv in (["runs", "--runs-dir", str(root), "list"], ["runs", "--runs-dir", str(root), "show", ids[0]],
                 ["export", ids[0], "--format", "qasm3", "--runs-dir", str(root)]):
        code, out, err = _cli(capsys, *argv)
        assert code == 2, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert str(db) in err and "qmtl runs repair" in err
    if kind == "directory":
        code, _, err = _cli(capsys, "runs", "--runs-dir", str(root), "repair")
        assert code == 2 and "is a folder" in err
        db.rmdir()
    else:
        code, out, err = _cli(capsys, "runs", "--runs-dir", str(root), "repair", "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["integrity"] != "ok" and Path(report["backup"]).exists()
    code, out, _ = _cli(capsys, "runs", "--runs-dir", str(root), "list", "--json")
    runs = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and set(runs) == set(ids)
    assert runs[ids[0]]["params"] == {"epochs": 2, "head": "qmtl"} and runs[ids[0]]["tags"] == ["keep"]


@pytest.mark.parametrize("kind", ["zero-length", "missing"])
def test_lost_database_is_rebuilt_from_the_folders_not_emptied(populated, capsys, kind):
    root, ids = populated
    db = root / "runs.sqlite"
    if kind == "missing":
        for p in root.glob("runs.sqlite*"):
            p.unlink()
    else:
        _damage(db, kind)
    code, out, err = _cli(capsys, "runs", "--runs-dir", str(root), "list", "--json")
    assert code == 0, err
    assert {r["id"] for r in json.loads(out)} == set(ids)
    assert RunStore(root).get(ids[0]).summary == {"mean_test_accuracy": 0.75}
    if kind == "zero-length":
        assert list(root.glob("runs.sqlite.damaged-*")), "the empty file is kept for inspection"


def test_repair_salvages_rows_of_a_readable_old_file(populated, capsys):
    root, ids = populated
    RunStore(root).set_note(ids[0], "only the database knows this note")
    db = root / "runs.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    # damage only the last page (an index): the tables still read, the integrity check fails
    data = bytearray(db.read_bytes())
    page = 4096
    data[-page:] = os.urandom(page)
    db.write_bytes(bytes(data))
    code, out, err = _cli(capsys, "runs", "--runs-dir", str(root), "repair", "--json")
    report = json.loads(out)
    assert code == 0 and report["integrity"] != "ok", err
    assert report["salvaged"]["runs"] == 3 and report["salvaged"]["metrics"] == 3
    store = RunStore(root)
    assert {r.id for r in store.list_runs()} == set(ids)
    assert [len(store.metrics(i)) for i in ids] == [1, 1, 1]
    assert store.get(ids[0]).note == "only the database knows this note"


def test_repair_of_a_sound_file_restores_runs_only_folders_remember(populated, capsys):
    root, ids = populated
    conn = sqlite3.connect(root / "runs.sqlite")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM runs WHERE id = ?", (ids[1],))
    conn.commit()
    conn.close()
    code, out, _ = _cli(capsys, "runs", "--runs-dir", str(root), "repair", "--json")
    report = json.loads(out)
    assert code == 0 and report["integrity"] == "ok" and report["from_folders"] == [ids[1]]
    assert RunStore(root).get(ids[1]).params == {"epochs": 2, "head": "qmtl"}


# ------------------------------------------------------------------------------------------ processes
@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "small.toml"
    path.write_text(small_synthetic_text(samples=120, epochs=3, batch=32))
    return path


def _no_duplicates(store: RunStore, run_id: str) -> Counter:
    rows = Counter((m.split, m.epoch, m.step, m.key) for m in store.metrics(run_id))
    dupes = {k: n for k, n in rows.items() if n > 1}
    assert not dupes, dupes
    return rows


def test_a_second_resume_is_refused_while_the_first_holds_the_run(tmp_path, spec_file):
    root = tmp_path / "runs"
    from workbench.spec import load
    from workbench.training import Trainer

    result = Trainer(load(spec_file), RunStore(root), epochs=1).run()
    run_id = result.run_id
    RunStore(root).set_status(run_id, "cancelled")
    holder = _python("""
        import sys, time
        from pathlib import Path
        from workbench.runs.lock import RunLock
        lock = RunLock(Path(sys.argv[1]), sys.argv[2], "resumed").acquire()
        print("locked", flush=True)
        time.sleep(600)
    """, str(root / run_id), run_id)
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = subprocess.run([sys.executable, "-m", "workbench.cli", "train", "--resume", run_id, "--runs-dir",
                                 str(root), "--epochs", "2"], env=dict(os.environ, PYTHONPATH=str(REPO)),
                                capture_output=True, text=True, timeout=300)
        assert second.returncode == 2, second.stderr
        assert second.stderr.strip() == (f"qmtl train: error: run {run_id} is being resumed by process "
                                         f"{holder.pid}; wait for it to end (or stop it) and try again")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # kill -9 drops the lock with the process: the run resumes at once
    assert RunStore(root).metrics(run_id)
    code = main(["train", "--resume", run_id, "--runs-dir", str(root), "--epochs", "2"])
    assert code == 0
    _no_duplicates(RunStore(root), run_id)


KILL_AFTER_TEST_ROWS = """
    import os, signal, sys
    from workbench.runs import RunStore
    import workbench.runs.store as store_module

    def crash(self, run_id, rows, summary, split="test"):
        # the old, non-atomic order: test rows committed, then the process dies before the summary
        self.log_metrics(run_id, list(rows))
        os.kill(os.getpid(), signal.SIGKILL)

    store_module.RunStore.finish_run = crash
    from workbench.cli import main
    sys.exit(main(["train", sys.argv[1], "--runs-dir", sys.argv[2]]))
"""

KILL_BEFORE_CHECKPOINT = """
    import os, signal, sys
    import workbench.training.trainer as trainer
    real = trainer._save_atomic
    calls = {"n": 0}

    def crash(obj, path):
        # epoch 2's metrics are committed; die before its checkpoint is written
        if path.name == "last.pt" and obj["epoch"] == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        real(obj, path)

    trainer._save_atomic = crash
    from workbench.cli import main
    sys.exit(main(["train", sys.argv[1], "--runs-dir", sys.argv[2]]))
"""


@pytest.mark.parametrize("script", [KILL_AFTER_TEST_ROWS, KILL_BEFORE_CHECKPOINT],
                         ids=["after-test-rows", "before-checkpoint"])
def test_kill_9_then_resume_logs_every_row_once(tmp_path, spec_file, script):
    root = tmp_path / "runs"
    proc = _python(script, str(spec_file), str(root))
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, err
    store = RunStore(root)
    (run,) = store.list_runs()
    assert run.status == "running"  # what a killed trainer leaves
    t0 = time.time()
    assert main(["train", "--resume", run.id, "--runs-dir", str(root)]) == 0
    assert time.time() - t0 < 300
    run = store.get(run.id)
    assert run.status == "finished" and run.summary["epochs_run"] == 3
    rows = _no_duplicates(store, run.id)
    assert {e for (split, e, _, _) in rows if split == "val"} == {1, 2, 3}
    assert sum(1 for (split, _, _, key) in rows if split == "test" and key == "loss") == 1
