"""The sweep driver: hands trials to an executor, writes what comes back into the run store, resumes.

Only this process writes the store. A finished trial is stored as an ordinary run (tagged with the sweep id)
the moment its result arrives, so an interrupted sweep loses at most the trials that were still running.
Each invocation retries a failed trial once (a worker that died counts as a failure, with its reason);
re-running the sweep skips finished trials and tries the rest again.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from workbench.runs import RunStore
from workbench.runs.recording import persist
from workbench.runs.sweeps import SweepRecords, TrialRow

POLL_S = 0.2
TICK_S = 1.0  # a "tick" event at least this often, so a progress display keeps its clock running


class SweepControl:
    """Stop launching (first Ctrl-C, or a Stop button), then cancel the running trials (second Ctrl-C)."""

    def __init__(self):
        self._stop = threading.Event()
        self._cancel = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def cancel(self) -> None:
        self._stop.set()
        self._cancel.set()

    def interrupt(self) -> str:
        """One call per Ctrl-C: 'stop' the first time, 'cancel' after."""
        if self._stop.is_set():
            self.cancel()
            return "cancel"
        self.stop()
        return "stop"

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


@dataclass
class Counts:
    total: int = 0
    done: int = 0  # finished, this run or before
    running: int = 0
    failed: int = 0  # failed for good in this invocation
    pending: int = 0

    def as_dict(self) -> dict:
        return {"total": self.total, "done": self.done, "running": self.running, "failed": self.failed,
                "pending": self.pending}


@dataclass(frozen=True)
class SweepEvent:
    kind: str  # started, finished, failed, retrying, cancelled, stopping, tick, done
    sweep_id: str
    counts: dict
    idx: int | None = None
    point: dict = field(default_factory=dict)
    run_id: str | None = None
    message: str = ""
    pid: int | None = None
    result: dict = field(default_factory=dict)  # a finished trial's summary (TrainResult.as_dict)
    elapsed_s: float = 0.0
    eta_s: float | None = None


@dataclass
class SweepOutcome:
    sweep_id: str
    trials: list[TrialRow]
    stopped: bool  # Ctrl-C / stop before every trial ran
    cancelled: bool
    wall_time_s: float

    @property
    def complete(self) -> bool:
        return all(t.status == "finished" for t in self.trials)


def _recover(records: SweepRecords, store: RunStore, sweep_id: str) -> None:
    """Tidy up after a driver that died: running trials become pending again; a run that was stored whole
    but never linked to its trial is adopted, a half-stored one is marked failed."""
    records.recover(sweep_id)
    trials = {t.idx: t for t in records.trials(sweep_id)}
    linked = {t.run_id for t in trials.values() if t.run_id}
    for info in store.list_runs(tag=sweep_id):
        if info.id in linked:
            continue
        idx = info.params.get("sweep_trial")
        trial = trials.get(idx) if isinstance(idx, int) else None
        if info.status == "finished" and trial is not None and trial.status != "finished":
            records.update_trial(sweep_id, idx, status="finished", run_id=info.id,
                                 wall_time_s=info.summary.get("wall_time_s"))
        elif info.status not in ("finished", "failed"):
            store.set_status(info.id, "failed", error="the sweep driver stopped before this run was stored whole")


def run_sweep(store: RunStore, sweep_id: str, executor, *, on_event: Callable[[SweepEvent], None] | None = None,
              control: SweepControl | None = None, retries: int = 1) -> SweepOutcome:
    """Run every trial of the sweep that has not finished; returns when all are done, or on stop/cancel."""
    records = SweepRecords(store)
    control = control or SweepControl()
    _recover(records, store, sweep_id)
    trials = {t.idx: t for t in records.trials(sweep_id)}
    todo = deque(t.idx for t in trials.values() if t.status != "finished")
    tries = dict.fromkeys(todo, 0)
    counts = Counts(total=len(trials), done=len(trials) - len(todo), pending=len(todo))
    t0 = time.time()
    finished_now = 0
    announced_stop = False
    last_emit = [t0]

    def emit(kind: str, idx: int | None = None, **kw) -> None:
        if on_event is None:
            return
        last_emit[0] = time.time()
        elapsed = time.time() - t0
        rate = finished_now / elapsed if finished_now and elapsed > 0 else 0.0
        left = counts.pending + counts.running
        eta = left / rate if rate else None
        on_event(SweepEvent(kind, sweep_id, counts.as_dict(), idx, trials[idx].point if idx is not None else {},
                            elapsed_s=elapsed, eta_s=eta, **kw))

    try:
        while todo or executor.running:
            while todo and not control.stopping and len(executor.running) < executor.capacity:
                idx = todo.popleft()
                tries[idx] += 1
                records.update_trial(sweep_id, idx, status="running", add_attempt=True)
                pid = executor.submit(idx, trials[idx].task)
                counts.pending -= 1
                counts.running += 1
                emit("started", idx, pid=pid if isinstance(pid, int) else None)
            if control.cancelled:
                for idx in executor.cancel_all():
                    records.update_trial(sweep_id, idx, status="cancelled", error="cancelled by the user")
                    counts.running -= 1
                    counts.pending += 1
                    emit("cancelled", idx)
                break
            if control.stopping and not announced_stop:
                announced_stop = True
                emit("stopping", message=f"{counts.running} running trial(s) will finish; interrupt again to "
                                         f"cancel them")
            if control.stopping and not executor.running:
                break
            if time.time() - last_emit[0] >= TICK_S:
                emit("tick")
            for idx, out in executor.wait(POLL_S):
                counts.running -= 1
                if out.get("ok"):
                    run_id = persist(store, out["record"], tags=[sweep_id],
                                     params={"sweep": sweep_id, "sweep_trial": idx,
                                             "sweep_point": trials[idx].point})
                    wall = float(out.get("result", {}).get("wall_time_s") or out.get("wall_time_s") or 0.0)
                    records.update_trial(sweep_id, idx, status="finished", run_id=run_id, wall_time_s=wall)
                    counts.done += 1
                    finished_now += 1
                    emit("finished", idx, run_id=run_id, result=out.get("result", {}), pid=out.get("pid"))
                    continue
                error = str(out.get("error") or "unknown failure")
                status = "cancelled" if out.get("cancelled") else "failed"
                records.update_trial(sweep_id, idx, status=status, error=error)
                if status == "failed" and tries[idx] <= retries and not control.stopping:
                    todo.append(idx)
                    counts.pending += 1
                    emit("retrying", idx, message=error)
                elif status == "failed":
                    counts.failed += 1
                    emit("failed", idx, message=error)
                else:
                    counts.pending += 1
                    emit("cancelled", idx, message=error)
    finally:
        if executor.running:  # an exception in the driver: don't leave orphaned trials computing
            for idx in executor.cancel_all():
                records.update_trial(sweep_id, idx, status="cancelled", error="the sweep driver stopped")
    final = records.trials(sweep_id)
    emit("done")
    left = any(t.status != "finished" for t in final)
    return SweepOutcome(sweep_id, final, stopped=control.stopping and left, cancelled=control.cancelled,
                        wall_time_s=time.time() - t0)
