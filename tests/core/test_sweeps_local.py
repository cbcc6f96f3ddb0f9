"""The local executor: worker processes train, the driver alone writes the store; failures, kills, resume."""

import os
import signal

import pytest

from tests.support.sweep_data import synthetic_csv_spec
from workbench.runs import RunStore
from workbench.runs.sweeps import SweepRecords
from workbench.spec.examples import small_synthetic
from workbench.sweeps import LocalExecutor, SweepControl, define_trials, open_sweep, run_sweep, trial_rows


@pytest.fixture(scope="module")
def executor():
    ex = LocalExecutor(2)  # shared by the tests: worker start-up (imports) is the slow part
    yield ex
    ex.close()


def _sweep(store, spec, grid):
    points, tasks, axes = define_trials(spec, grid=grid)
    return open_sweep(store, spec, points, tasks, axes=axes)[0]


def test_a_raising_trial_and_a_killed_worker(tmp_path, executor):
    """Trial 0's worker is killed (-9) as soon as it has the trial: marked failed with the reason, retried.
    Trial 1 raises inside the worker (its data file is not there): failed, retried once, failed for good."""
    store = RunStore(tmp_path / "store")
    spec, axis = synthetic_csv_spec(tmp_path, samples=300, epochs=2)
    sid = _sweep(store, spec, [axis])
    events, killed = [], []

    def on_event(ev):
        events.append(ev)
        if ev.kind == "started" and ev.idx == 0 and not killed:
            killed.append(ev.pid)
            os.kill(ev.pid, signal.SIGKILL)

    out = run_sweep(store, sid, executor, on_event=on_event)
    t0, t1 = out.trials
    assert killed and t0.status == "finished" and t0.attempts == 2
    assert t0.errors == [f"worker process {killed[0]} died (killed by SIGKILL)"]
    assert t1.status == "failed" and t1.attempts == 2 and t1.run_id is None
    missing = str(tmp_path / "missing.csv")
    assert t1.errors == [f"DataError: csv: file not found: {missing}"] * 2
    assert [e.kind for e in events if e.idx == 1 and e.kind in ("retrying", "failed")] == ["retrying", "failed"]
    assert not out.complete and not out.stopped

    runs = store.list_runs(tag=sid)
    assert [r.id for r in runs] == [t0.run_id] and runs[0].status == "finished"
    assert runs[0].params["sweep_point"] == {"dataset.path": str(tmp_path / "data.csv")}
    assert (store.run_dir(t0.run_id) / "checkpoints" / "best.pt").stat().st_size > 1000
    assert store.metrics(t0.run_id, split="test")
    row = trial_rows(store, sid)[1]
    assert row["status"] == "failed" and "missing.csv" in row["error"]


def test_a_stopped_sweep_resumes_with_only_what_is_missing(tmp_path, executor):
    store = RunStore(tmp_path)
    spec = small_synthetic(samples=120, epochs=1)
    grid = ["head=qmtl,hps", "seed=0..1"]
    sid = _sweep(store, spec, grid)
    control = SweepControl()
    first = []

    def stop_after_first(ev):
        if ev.kind == "finished":
            first.append(ev.idx)
            control.stop()  # what a first Ctrl-C does

    out = run_sweep(store, sid, executor, on_event=stop_after_first, control=control)
    assert out.stopped and not out.complete
    done = {t.idx for t in out.trials if t.status == "finished"}
    assert set(first) == done and 1 <= len(done) <= 2  # those running when the stop came finish
    assert all(t.status == "pending" for t in out.trials if t.idx not in done)

    # the same sweep again (as re-running the command finds it): only the missing trials start
    again = _sweep(store, spec, grid)
    assert again == sid
    started = []
    out2 = run_sweep(store, sid, executor, on_event=lambda ev: ev.kind == "started" and started.append(ev.idx))
    assert out2.complete and sorted(started) == sorted({0, 1, 2, 3} - done)
    assert len(store.list_runs(tag=sid)) == 4
    assert all(t.attempts == 1 for t in SweepRecords(store).trials(sid))


def test_a_session_runs_the_sweep_in_the_background_for_a_polling_front_end(tmp_path, executor):
    from workbench.sweeps import SweepSession

    store = RunStore(tmp_path)
    sid = _sweep(store, small_synthetic(samples=120, epochs=1), ["head=qmtl,hps"])
    session = SweepSession(store, sid, executor)  # closes the executor when done: the next test starts anew
    session.start()
    session.join(180)
    assert not session.running and session.error is None and session.outcome.complete
    kinds = [ev.kind for ev in session.drain()]
    assert kinds.count("started") == 2 and kinds.count("finished") == 2 and kinds[-1] == "done"
    assert session.drain() == []


def test_cancel_kills_the_running_trials_and_loses_nothing_finished(tmp_path, executor):
    store = RunStore(tmp_path)
    sid = _sweep(store, small_synthetic(samples=300, epochs=200), ["seed=0..2"])
    control = SweepControl()

    def cancel_when_running(ev):
        if ev.kind == "started" and ev.counts["running"] == 2:
            control.cancel()  # what a second Ctrl-C does

    out = run_sweep(store, sid, executor, on_event=cancel_when_running, control=control)
    assert out.cancelled and not out.complete
    statuses = sorted(t.status for t in out.trials)
    assert statuses == ["cancelled", "cancelled", "pending"]
    assert store.list_runs(tag=sid) == []  # nothing half-written
