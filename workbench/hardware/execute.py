"""Submitting task PUBs with EstimatorV2/SamplerV2, recording job ids at once, waiting, results, cancel, reattach.

- Modes: ``job`` (the backend as ``mode``), ``batch`` (``Batch``) and ``session`` (``Session``); one job per
  primitive per call, with every task's inputs in that task's one PUB.
- Each job id goes to the run store (``RunStore.add_job``) the moment ``run()`` returns, before any waiting,
  with a meta record (primitive, tasks, shots, bindings, mode, settings, local/pid) that never holds the token.
- ``wait`` polls with a deadline; a job still pending at the deadline keeps its row (and id) with a note,
  and the caller gets a ``HardwareError('timeout')``. Failed and cancelled jobs get their row updated to
  ERROR/CANCELLED with the reason, then a ``HardwareError('failed' | 'cancelled')``.
- Results are decoded per task and written to ``<run dir>/hardware/<job id>.npz`` (an artifact of the run), so
  a finished job's result is re-read from there after a restart.
- Reattach: jobs of this process are found in an in-process job cache; IBM jobs through ``service.job(id)``.
  Local testing mode has no job service: its jobs are threads of the process that submitted them, so after a
  restart a pending local job cannot come back (it is marked ERROR with that reason once its process is gone)
  and a finished one is read from its stored result.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from workbench.hardware.circuits import IsaTask, creg_name, decode
from workbench.hardware.errors import HardwareError, describe, one_line
from workbench.hardware.mitigation import Mitigation, capture_warnings, ignored_in_local_mode
from workbench.hardware.service import service_error

MODES = ("job", "batch", "session")
FINAL = ("DONE", "ERROR", "CANCELLED")
RESULT_DIR = "hardware"

_lock = threading.Lock()
_JOBS: dict[str, Any] = {}  # job id -> job object, for reattach/cancel within this process
_CANCEL_REQUESTS: set[str] = set()

PrimitiveFactory = Callable[[str, Any, dict], Any]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_primitive_factory(primitive: str, mode, options: dict):
    from qiskit_ibm_runtime import EstimatorV2, SamplerV2

    cls = EstimatorV2 if primitive == "estimator" else SamplerV2
    return cls(mode=mode, options=options)


def remember_job(job_id: str, job) -> None:
    with _lock:
        _JOBS[job_id] = job


def cached_job(job_id: str):
    with _lock:
        return _JOBS.get(job_id)


def forget_jobs() -> None:
    """Drop the in-process job cache (what a restart does; tests use it to act out one)."""
    with _lock:
        _JOBS.clear()
        _CANCEL_REQUESTS.clear()


def job_status(job) -> str:
    """IBM's status strings for any job: runtime jobs give them; local jobs (qiskit ``PrimitiveJob``) are read
    from their future, because ``PrimitiveJob.status()`` reports a not-yet-started future as ERROR and caches it."""
    fut = getattr(job, "_future", None)
    if fut is not None and hasattr(fut, "done"):
        if fut.cancelled():
            return "CANCELLED"
        if not fut.done():
            return "RUNNING" if fut.running() else "QUEUED"
        return "ERROR" if fut.exception() is not None else "DONE"
    st = job.status()
    name = getattr(st, "name", None) or str(st)
    return name.upper().split(".")[-1]


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@dataclass
class Submitted:
    job_id: str
    job: Any
    primitive: str
    tasks: list[IsaTask]
    warnings: list[str] = field(default_factory=list)


@dataclass
class JobOutcome:
    job_id: str
    status: str
    raw: dict[str, np.ndarray] = field(default_factory=dict)  # task -> raw readout values
    stds: dict[str, np.ndarray] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------------- results
def result_path(store, run_id: str, job_id: str) -> Path:
    from workbench.textsafe import safe_filename

    return store.run_dir(run_id) / RESULT_DIR / f"{safe_filename(job_id)}.npz"


def save_result(store, run_id: str, job_id: str, raw: dict, stds: dict) -> str:
    path = result_path(store, run_id, job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"raw__{k}": v for k, v in raw.items()}
    arrays.update({f"std__{k}": v for k, v in stds.items() if v is not None})
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    rel = path.relative_to(store.run_dir(run_id)).as_posix()
    store.add_artifact(run_id, f"hardware-{job_id}", "hardware-result", rel)
    return rel


def load_result(store, run_id: str, rel: str) -> tuple[dict, dict]:
    # allow_pickle=False: a result file is arrays of numbers; an object array (a pickle) is refused, not run
    try:
        with np.load(store.run_dir(run_id) / rel, allow_pickle=False) as z:
            raw = {k[5:]: z[k] for k in z.files if k.startswith("raw__")}
            stds = {k[5:]: z[k] for k in z.files if k.startswith("std__")}
    except Exception as exc:  # ValueError (pickle refused), BadZipFile, zlib.error, OSError, EOFError
        from workbench.errors import UserError
        from workbench.textsafe import first_line

        raise UserError(f"run {run_id}: {rel} is not a readable result file ({first_line(exc)})") from None
    return raw, stds


# ------------------------------------------------------------------------------------------ executor
class Executor:
    """Runs task PUBs on one backend and keeps the run store in step. Use as a context manager: batch and
    session modes open their ``Batch``/``Session`` on enter and close it on exit."""

    def __init__(self, store, run_id: str, backend, *, mode: str = "job", shots: int = 1024,
                 mitigation: Mitigation | None = None, local: bool = True, deadline_s: float | None = None,
                 poll_s: float | None = None, seed: int | None = None,
                 primitive_factory: PrimitiveFactory | None = None, on_event: Callable[[str], None] | None = None):
        if mode not in MODES:
            raise HardwareError("input", f"--mode: unknown mode {mode!r} (valid: {', '.join(MODES)})")
        if not isinstance(shots, int | np.integer) or not 1 <= shots <= 1_000_000:
            raise HardwareError("input", f"--shots: must be 1..1000000, got {shots}")
        if deadline_s is not None and not deadline_s > 0:
            raise HardwareError("input", f"--timeout: must be > 0 seconds, got {deadline_s}")
        self.store, self.run_id, self.backend = store, run_id, backend
        self.mode, self.shots, self.local = mode, int(shots), local
        self.mitigation = (mitigation or Mitigation()).check()
        self.deadline_s = deadline_s
        self.poll_s = poll_s if poll_s is not None else (0.05 if local else 5.0)
        self.seed = seed
        self.factory = primitive_factory or default_primitive_factory
        self.on_event = on_event or (lambda _msg: None)
        self.session = None
        self.session_id: str | None = None
        self.warnings: list[str] = []

    # -- modes
    def __enter__(self) -> Executor:
        if self.mode != "job":
            from qiskit_ibm_runtime import Batch, Session

            cls = Batch if self.mode == "batch" else Session
            try:
                with capture_warnings(self.warnings):
                    self.session = cls(backend=self.backend)
            except Exception as exc:
                raise service_error(exc, f"opening a {self.mode} on {self.backend.name}") from None
            self.session_id = getattr(self.session, "session_id", None)
        return self

    def __exit__(self, *exc) -> None:
        if self.session is not None:
            try:
                self.session.close()  # accept no new jobs; submitted ones still finish
            except Exception as err:  # closing is best effort: the jobs and their ids are already recorded
                self.warnings.append(f"closing the {self.mode}: {describe(err)}")
            self.session = None

    @property
    def target(self):
        return self.session if self.session is not None else self.backend

    # -- submit
    def submit(self, tasks: list[IsaTask], values: dict[str, np.ndarray] | None = None, *,
               purpose: str = "evaluate", meta: dict | None = None) -> list[Submitted]:
        """One job per primitive with one PUB per task; each job id is in the store before this returns."""
        values = values or {}
        out: list[Submitted] = []
        for primitive in ("estimator", "sampler"):
            group = [t for t in tasks if t.primitive == primitive]
            if not group:
                continue
            if primitive == "estimator":
                options = self.mitigation.estimator_options(self.shots, self.seed)
            else:
                options = self.mitigation.sampler_options(self.shots, self.seed)
            pubs = [t.pub(values.get(t.name), self.shots if primitive == "sampler" else None) for t in group]
            caught: list[str] = []
            try:
                with capture_warnings(caught):
                    prim = self.factory(primitive, self.target, options)
                    job = prim.run(pubs)
                    job_id = str(job.job_id())
            except HardwareError:
                raise
            except Exception as exc:
                raise service_error(exc, f"submitting the {primitive} job to {self.backend.name}") from None
            remember_job(job_id, job)
            status = job_status(job)
            bindings = {t.name: int(np.prod(np.shape(values.get(t.name, t.task.values))[:-1])) for t in group}
            record = {
                "purpose": purpose, "primitive": primitive, "mode": self.mode, "session_id": self.session_id,
                "shots": self.shots, "local": self.local, "pid": os.getpid() if self.local else None,
                "submitted": _now(), "bindings": bindings,
                "tasks": [{"name": t.name, "creg": creg_name(t.task), "parameters": t.isa.num_parameters,
                           "observables": len(t.observables or [])} for t in group],
                "options": _public_options(options), "warnings": caught,
                "ignored_in_local_mode": ignored_in_local_mode(caught), **(meta or {}),
            }
            self.store.add_job(self.run_id, job_id, self.backend.name, status, record)
            self.warnings.extend(w for w in caught if w not in self.warnings)
            self.on_event(f"submitted {primitive} job {job_id} ({sum(bindings.values())} bindings, {purpose})")
            out.append(Submitted(job_id, job, primitive, group, caught))
        return out

    # -- wait and collect
    def wait(self, job_id: str, job, deadline_s: float | None = None) -> str:
        deadline_s = self.deadline_s if deadline_s is None else deadline_s
        t0 = time.monotonic()
        while True:
            try:
                status = job_status(job)
            except Exception as exc:
                raise service_error(exc, f"polling job {job_id}") from None
            with _lock:
                cancel = job_id in _CANCEL_REQUESTS
            if status in FINAL:
                return status
            if cancel:
                return "CANCELLED"
            elapsed = time.monotonic() - t0
            if deadline_s is not None and elapsed >= deadline_s:
                self.store.update_job(job_id, status, {"wait_timed_out": _now(), "waited_s": round(elapsed, 2)})
                raise HardwareError("timeout", f"job {job_id}: still {status} after waiting {elapsed:.1f} s; its "
                                               f"id is saved with run {self.run_id}: collect it later with `qmtl "
                                               f"hardware jobs {self.run_id} --reattach`", job_id=job_id)
            time.sleep(self.poll_s)

    def collect(self, submitted: list[Submitted]) -> list[JobOutcome]:
        """Wait for every job, store its outcome; raise the first failure once all are settled."""
        outcomes, first_error = [], None
        for s in submitted:
            try:
                outcomes.append(settle(self.store, self.run_id, s.job_id, s.job,
                                       [(t.name, t.primitive, creg_name(t.task)) for t in s.tasks],
                                       wait=lambda jid, job: self.wait(jid, job)))
            except HardwareError as exc:
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
        return outcomes

    def run(self, tasks: list[IsaTask], values: dict[str, np.ndarray] | None = None, *,
            purpose: str = "evaluate", meta: dict | None = None) -> dict[str, tuple[np.ndarray, Any]]:
        subs = self.submit(tasks, values, purpose=purpose, meta=meta)
        outcomes = self.collect(subs)
        merged = {}
        for o in outcomes:
            for name, raw in o.raw.items():
                merged[name] = (raw, o.stds.get(name))
        return merged


def _public_options(options: dict) -> dict:
    """Options as recorded: the simulator's noise model (an object) is replaced by its name."""
    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v if isinstance(v, str | int | float | bool | type(None)) else type(v).__name__
    return clean(options)


def settle(store, run_id: str, job_id: str, job, tasks: list[tuple[str, str, str | None]],
           wait: Callable[[str, Any], str]) -> JobOutcome:
    """Wait for one job, then record DONE (+ stored result), ERROR or CANCELLED in the store."""
    t0 = time.monotonic()
    status = wait(job_id, job)
    with _lock:
        requested = job_id in _CANCEL_REQUESTS
    if status == "DONE" and requested:
        status = "CANCELLED"  # a local job whose thread could not be stopped: its result is discarded
    err = None
    if status == "DONE":
        try:
            result = job.result()
            raw, stds = {}, {}
            for (name, primitive, creg), pub in zip(tasks, result):
                raw[name], stds[name] = decode(pub, primitive, creg)
        except Exception as exc:
            status, err = "ERROR", f"result unreadable: {describe(exc)}"
        else:
            rel = save_result(store, run_id, job_id, raw, stds)
            extra = {"finished": _now(), "result_file": rel}
            usage = _usage(job)
            if usage is not None:
                extra["quantum_seconds"] = usage
            store.update_job(job_id, "DONE", extra)
            return JobOutcome(job_id, "DONE", raw, stds, seconds=time.monotonic() - t0, meta=extra)
    if status == "CANCELLED":
        note = "cancelled"
        if requested and getattr(job, "_future", None) is not None:
            note = ("cancelled; local testing mode cannot stop a simulation thread that already started, so "
                    "its result is discarded")
        store.update_job(job_id, "CANCELLED", {"finished": _now(), "note": note})
        raise HardwareError("cancelled", f"job {job_id}: {note}", job_id=job_id)
    err = err or _job_error(job)
    store.update_job(job_id, "ERROR", {"finished": _now(), "error": err})
    raise HardwareError("failed", f"job {job_id} failed: {err}", job_id=job_id)


def _usage(job) -> float | None:
    try:
        u = job.usage()
        return float(u) if u is not None else None
    except Exception:  # usage is informational; older or local jobs may not report it
        return None


def _job_error(job) -> str:
    msg = ""
    try:
        msg = job.error_message() or ""
    except Exception:  # not every job type has it; the result's exception says more anyway
        msg = ""
    if not msg:
        try:
            job.result()
        except Exception as exc:
            msg = describe(exc)
    return one_line(msg or "the service reported ERROR without a message")


# ------------------------------------------------------------------------------------------- cancel
def cancel_job(store, job_id: str, provider=None) -> str:
    """Cancel a recorded job: through its job object when this process has it, else through IBM's service.
    Returns the one-line outcome; the job row is updated."""
    rows = [j for j in store.jobs() if j.job_id == job_id]
    if not rows:
        raise HardwareError("input", f"JOB: no job {job_id!r} in the run store")
    row = rows[0]
    if not row.pending:
        return f"job {job_id} is already {row.status}; nothing to cancel"
    job = cached_job(job_id)
    if job is None and not row.meta.get("local") and provider is not None and not provider.local:
        job = provider.job(job_id)
    if job is None:
        if row.meta.get("local"):
            pid = row.meta.get("pid")
            if _pid_alive(pid) and pid != os.getpid():
                raise HardwareError("input", f"job {job_id} is a local testing mode job running inside process "
                                             f"{pid}; stop it there (Ctrl-C)", job_id=job_id)
            store.update_job(job_id, "ERROR", {"error": _LOST, "finished": _now()})
            return f"job {job_id}: {_LOST}"
        raise HardwareError("account", f"job {job_id}: an IBM job needs the account to be cancelled "
                                       "(qmtl hardware account set)", job_id=job_id)
    with _lock:
        _CANCEL_REQUESTS.add(job_id)
    try:
        stopped = job.cancel()
    except Exception as exc:
        with _lock:
            _CANCEL_REQUESTS.discard(job_id)
        raise service_error(exc, f"cancelling job {job_id}") from None
    if getattr(job, "_future", None) is not None and stopped is False:
        note = "cancel requested; local testing mode cannot stop a simulation that already started: its result " \
               "will be discarded"
    else:
        note = "cancel requested"
    store.update_job(job_id, "CANCELLED", {"note": note, "cancelled": _now()})
    return f"job {job_id}: {note}"


_LOST = ("local testing mode job lost: it ran as a thread of a process that has ended, and local mode has no "
         "job service to reattach to; run it again")


# ------------------------------------------------------------------------------------------ reattach
@dataclass
class Reattached:
    job_id: str
    run_id: str
    status: str
    raw: dict = field(default_factory=dict)
    stds: dict = field(default_factory=dict)
    source: str = ""  # "stored result" | "job cache" | "service" | ""
    message: str = ""
    meta: dict = field(default_factory=dict)


def reattach(store, run_id: str | None = None, *, provider=None, deadline_s: float | None = 0.0,
             poll_s: float = 0.05) -> list[Reattached]:
    """Every job of a run (or of all runs) brought up to date: stored results re-read, pending jobs looked up
    (job cache, then IBM's service) and, within ``deadline_s``, collected."""
    out = []
    for row in store.jobs(run_id):
        tasks = [(t["name"], row.meta.get("primitive", "estimator"), t.get("creg")) for t in row.meta.get("tasks", [])]
        rel = row.meta.get("result_file")
        if row.status == "DONE" and rel and (store.run_dir(row.run_id) / rel).exists():
            raw, stds = load_result(store, row.run_id, rel)
            out.append(Reattached(row.job_id, row.run_id, "DONE", raw, stds, "stored result", meta=row.meta))
            continue
        if not row.pending:
            out.append(Reattached(row.job_id, row.run_id, row.status, source="", meta=row.meta,
                                  message=row.meta.get("error") or row.meta.get("note") or ""))
            continue
        job, source = cached_job(row.job_id), "job cache"
        if job is None and not row.meta.get("local"):
            if provider is None or provider.local:
                out.append(Reattached(row.job_id, row.run_id, row.status, meta=row.meta,
                                      message="an IBM job: set the account to reattach (qmtl hardware account set)"))
                continue
            try:
                job, source = provider.job(row.job_id), "service"
            except HardwareError as exc:
                out.append(Reattached(row.job_id, row.run_id, row.status, meta=row.meta, message=str(exc)))
                continue
        if job is None:
            pid = row.meta.get("pid")
            if _pid_alive(pid) and pid != os.getpid():
                out.append(Reattached(row.job_id, row.run_id, row.status, meta=row.meta,
                                      message=f"local job still running in process {pid}; reattach there"))
                continue
            store.update_job(row.job_id, "ERROR", {"error": _LOST, "finished": _now()})
            out.append(Reattached(row.job_id, row.run_id, "ERROR", meta=row.meta, message=_LOST))
            continue

        def waiter(jid, j, _deadline=deadline_s):
            t0 = time.monotonic()
            while True:
                st = job_status(j)
                with _lock:
                    if jid in _CANCEL_REQUESTS:
                        return "CANCELLED"
                if st in FINAL:
                    return st
                if _deadline is not None and time.monotonic() - t0 >= _deadline:
                    store.update_job(jid, st)
                    raise HardwareError("timeout", f"job {jid}: still {st}", job_id=jid)
                time.sleep(poll_s)

        try:
            o = settle(store, row.run_id, row.job_id, job, tasks, waiter)
            meta = {**row.meta, **o.meta}
            out.append(Reattached(row.job_id, row.run_id, "DONE", o.raw, o.stds, source, meta=meta))
        except HardwareError as exc:
            status = {"failed": "ERROR", "cancelled": "CANCELLED"}.get(exc.status) or job_status(job)
            out.append(Reattached(row.job_id, row.run_id, status, source=source, meta=row.meta, message=str(exc)))
    return out


def job_rows_json(rows) -> str:
    return json.dumps([{"job_id": r.job_id, "run_id": r.run_id, "backend": r.backend, "status": r.status,
                        "created": r.created, "updated": r.updated, "meta": r.meta} for r in rows], indent=2)
