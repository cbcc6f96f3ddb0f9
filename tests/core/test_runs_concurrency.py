"""Readers during writes, and a writer killed mid-run: the cases a live GUI and a crashed trainer create."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import workbench
from workbench.runs import RunStore

REPO = Path(workbench.__file__).resolve().parent.parent
BATCH = 5


def _python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args], env=env, text=True, **kwargs
    )


def test_readers_and_writers_in_threads(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(name="live")
    other = store.create_run(name="other")
    batches = 300
    errors: list[BaseException] = []
    seen: list[list[int]] = [[], []]
    done = threading.Event()

    def writer():
        try:
            for b in range(batches):
                store.log_metrics(run_id, [(b, 0, "train", f"m{i}", b + i / 10) for i in range(BATCH)])
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def second_writer():
        # a GUI tagging and annotating while the trainer logs: two writers contend for the lock
        try:
            n = 0
            while not done.is_set():
                store.add_tags(other, f"t{n % 7}")
                store.set_note(run_id, f"note {n}")
                n += 1
        except BaseException as exc:
            errors.append(exc)

    def reader(slot: int):
        try:
            while not done.is_set():
                seen[slot].append(len(store.metrics(run_id)))
                store.list_runs()
                store.get(run_id)
                store.last_metrics(run_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=second_writer)]
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    for counts in seen:
        assert counts, "a reader never got to read"
        assert counts == sorted(counts)  # metrics only grow
        assert all(c % BATCH == 0 for c in counts)  # a batch is seen whole or not at all
    rows = store.metrics(run_id)
    assert len(rows) == batches * BATCH
    assert [r.step for r in rows] == sorted(r.step for r in rows)


READER = """
    import sys, time
    from workbench.runs import RunStore
    store = RunStore(sys.argv[1])
    run_id, stop = sys.argv[2], sys.argv[3]
    import os
    reads, last = 0, 0
    while not os.path.exists(stop):
        n = len(store.metrics(run_id))
        assert n >= last and n % {batch} == 0, (n, last)
        last, reads = n, reads + 1
    print(reads, last, flush=True)
"""


def test_reader_process_while_writer_appends(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(name="live")
    stop = tmp_path / "stop"
    reader = _python(READER.format(batch=BATCH), str(tmp_path), run_id, str(stop), stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
    try:
        for b in range(300):
            store.log_metrics(run_id, [(b, 0, "train", f"m{i}", float(i)) for i in range(BATCH)])
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    reads, _last = map(int, out.split())
    assert reads > 0
    assert len(store.metrics(run_id)) == 300 * BATCH


WRITER = """
    import sys
    from workbench.runs import RunStore
    store = RunStore(sys.argv[1])
    run_id = sys.argv[2]
    store.set_status(run_id, "running")
    b = 0
    while True:
        store.log_metrics(run_id, [(b, 0, "train", "loss", 1.0 / (b + 1))] * {batch})
        print(b + 1, flush=True)  # printed only after the batch has committed
        b += 1
"""


def test_writer_killed_mid_run_leaves_readable_db(tmp_path):
    batch = 200  # large batches make it likely the kill lands inside a transaction
    store = RunStore(tmp_path)
    run_id = store.create_run(name="doomed")
    writer = _python(WRITER.format(batch=batch), str(tmp_path), run_id, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
    committed = 0
    deadline = time.monotonic() + 60
    try:
        while committed < 30 and time.monotonic() < deadline:
            line = writer.stdout.readline()
            assert line, f"writer exited early: {writer.stderr.read()}"
            committed = int(line)
        time.sleep(0.05)  # let it get into its next batches, so the kill lands while it writes
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert committed >= 30

    conn = sqlite3.connect(tmp_path / "runs.sqlite")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()

    reopened = RunStore(tmp_path)
    rows = reopened.metrics(run_id)
    assert len(rows) >= committed * batch  # nothing that was reported committed is lost
    assert len(rows) % batch == 0  # the batch being written at the kill is wholly absent (or whole)
    assert reopened.get(run_id).status == "running"  # the crashed run stays marked as it was left
    reopened.set_status(run_id, "failed", error="killed")  # and the store is writable again
    reopened.log_metrics(run_id, [(0, 0, "train", "loss", 0.0)])
    assert len(reopened.metrics(run_id)) == len(rows) + 1
