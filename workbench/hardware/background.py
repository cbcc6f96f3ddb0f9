"""The hardware panel's work as background jobs (``workbench.jobs``), run in a worker process: Qiskit, Aer and
IBM's runtime are only ever imported and run on that process's main thread, one job at a time.

Each job function takes the ``JobContext`` and picklable keywords and returns plain data. ``account`` is the
saved ``Account`` (None: local testing mode); ``service_factory`` and ``backend_factory`` name a
``module:callable`` to use instead of IBM's service or a named device (tests inject faults this way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

_providers: dict = {}  # per worker process: (local, account) -> provider, reused by later jobs


@dataclass
class JobView:
    """One row of the job monitor."""
    job_id: str
    run_id: str
    backend: str
    status: str  # IBM's: QUEUED, RUNNING, DONE, ERROR, CANCELLED, ...
    pending: bool
    queue: int | None
    elapsed_s: float | None
    note: str
    local: bool


def one_line(exc: BaseException | str) -> str:
    from workbench.errors import UserError
    from workbench.hardware.errors import one_line as _one

    text = _one(str(exc))
    if isinstance(exc, BaseException) and not isinstance(exc, UserError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text


def provider_for(local: bool, account=None, service_factory: str | None = None):
    from workbench.hardware.redact import install_log_redaction
    from workbench.hardware.service import connect
    from workbench.jobs.server import resolve

    key = (bool(local or account is None), account, service_factory)
    if key not in _providers:
        if key[0]:
            provider = connect(local=True)
        else:
            provider = connect(account, factory=resolve(service_factory) if service_factory else None)
        install_log_redaction()  # again: Qiskit's runtime adds its own log handler when first imported
        _providers[key] = provider
    return _providers[key]


def list_backends(ctx, *, local: bool, account=None, service_factory: str | None = None) -> list:
    """``BackendInfo`` of every backend the provider offers."""
    return provider_for(local, account, service_factory).backends()


def preflight_and_run(ctx, *, root: str, run_id: str, settings, local: bool, account=None,
                      service_factory: str | None = None, backend_factory: str | None = None) -> dict:
    """Transpile and estimate (yields the pre-flight as a dict), wait for the word "submit" (anything else, or a
    cancel, submits nothing), then execute with the core's ``execute_plan``. While it runs, the word
    ``cancel-job:ID`` cancels one of its jobs (only this process holds local testing mode's jobs)."""
    from workbench.hardware.execute import cancel_job
    from workbench.hardware.qmtl import execute_plan, make_plan
    from workbench.jobs.server import resolve
    from workbench.runs.store import RunStore

    store = RunStore(root)
    provider = provider_for(local, account, service_factory)
    backend = resolve(backend_factory)(settings.backend) if backend_factory else None
    plan = make_plan(store, run_id, provider, settings, backend=backend)
    plan.preflight.notes.extend(provider.notes_for(plan.backend.name))
    ctx.yield_({"run_id": plan.run_id, "backend": plan.backend.name, "local": plan.local,
                "total_qpu_s": plan.preflight.total_qpu_s, "preflight": plan.preflight.render()})
    if ctx.wait_word("submit", "abort") != "submit":
        return {"submitted": False, "run_id": run_id}

    def on_word(word: str) -> None:
        if word.startswith("cancel-job:"):
            job_id = word.split(":", 1)[1]
            try:
                ctx.progress(cancel_job(store, job_id, provider), job_id=job_id)
            except Exception as exc:  # noqa: BLE001 - said in the status line
                ctx.progress(one_line(exc), job_id=job_id, error=True)

    ctx.on_word(on_word)
    result = execute_plan(store, plan, on_event=lambda msg: ctx.progress(str(msg)))
    return {"submitted": True, "run_id": result.run_id, "backend": result.backend, "status": result.status,
            "accuracy": result.accuracy}


def reattach_all(ctx, *, root: str, account=None, service_factory: str | None = None) -> tuple[dict, str]:
    """Bring every recorded job up to date (an app restart): (job id -> note, why IBM's jobs were skipped)."""
    from workbench.errors import UserError
    from workbench.hardware.qmtl import reattach_run
    from workbench.runs.store import RunStore

    store = RunStore(root)
    remote = any(not j.meta.get("local") and j.pending for j in store.jobs())
    provider = None
    if remote and account is not None:
        try:
            provider = provider_for(False, account, service_factory)
        except UserError as exc:
            return {}, one_line(exc)
    found = reattach_run(store, None, provider=provider, deadline_s=0.0)
    return {r.job_id: r.message for r in found if r.message}, ""


def cancel(ctx, *, root: str, job_id: str, account=None, service_factory: str | None = None) -> str:
    """Cancel a recorded IBM job through the service (local jobs are cancelled by the job that runs them)."""
    from workbench.hardware.execute import cancel_job
    from workbench.runs.store import RunStore

    provider = provider_for(False, account, service_factory) if account is not None else None
    return cancel_job(RunStore(root), job_id, provider)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _queue_position(job) -> int | None:
    for getter in (lambda j: j.queue_position(), lambda j: (j.metrics() or {}).get("position_in_queue")):
        try:
            v = getter(job)
        except Exception:  # not every job type reports it; local jobs never do
            continue
        if v is not None:
            return int(v)
    return None


def poll(ctx, *, root: str, local: bool, account=None, service_factory: str | None = None,
         notes: dict | None = None) -> list[JobView]:
    """Every recorded job with its live status where this process can see it (IBM's through the provider),
    read-only: the store is written by the executor and by reattach, not here."""
    from workbench.runs.store import RunStore

    store = RunStore(root)
    provider = None
    if not local and account is not None and any(j.pending and not j.meta.get("local") for j in store.jobs()):
        provider = provider_for(False, account, service_factory)
    return poll_jobs(store, provider, notes)


def poll_jobs(store, provider=None, notes: dict | None = None) -> list[JobView]:
    from workbench.hardware.errors import HardwareError
    from workbench.hardware.execute import cached_job, job_status

    now = datetime.now(UTC)
    out = []
    for r in store.jobs():
        status, qpos = r.status, None
        note = (notes or {}).get(r.job_id) or r.meta.get("error") or r.meta.get("note") or ""
        if r.pending:
            job = cached_job(r.job_id)
            if job is None and not r.meta.get("local") and provider is not None and not provider.local:
                try:
                    job = provider.job(r.job_id)
                except HardwareError as exc:
                    note = str(exc)
            if job is not None:
                try:
                    status = job_status(job)
                except Exception as exc:  # the service went away: keep the recorded status, say why
                    note = one_line(exc)
                qpos = _queue_position(job)
        start = _parse_time(r.meta.get("submitted")) or _parse_time(r.created)
        end = None if r.pending else (_parse_time(r.meta.get("finished")) or _parse_time(r.meta.get("cancelled"))
                                      or _parse_time(r.updated))
        elapsed = ((end or now) - start).total_seconds() if start else None
        out.append(JobView(r.job_id, r.run_id, r.backend, status, r.pending, qpos, elapsed, note,
                           bool(r.meta.get("local"))))
    return out
