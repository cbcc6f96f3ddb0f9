"""The hardware panel's background work: jobs of the worker pool running ``workbench.hardware.background``
functions (Qiskit never runs in the GUI process). One job per kind ("backends", "plan", "execute", "poll",
"reattach", "cancel:JOB"); a newer job of a kind supersedes an older one still running (its answer is never
seen). The plan job yields its pre-flight and waits: once confirmed it goes on as the "execute" job."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from workbench.gui.common.worker import Job, workers

JOB_POLL_S = 1.0  # status poll while jobs are pending


class HardwareJobs(QObject):
    ended = Signal(str, object, object)  # kind, tag, result: None when cancelled, a JobError when it failed
    preflight = Signal(object, dict)  # the plan job (waiting for "submit" or "abort"), its pre-flight summary
    progress = Signal(str, bool)  # a status line from the plan job (text, is an error)
    busyChanged = Signal()

    def __init__(self, owner: QObject):
        super().__init__(owner)
        self.owner = owner  # a destroyed owner's jobs are discarded
        self.busy: set[str] = set()
        self.jobs: dict[str, Job] = {}
        self.last_poll = 0.0

    def submit(self, kind: str, function: str, tag=None, **kwargs) -> Job:
        """Run ``workbench.hardware.background.<function>``; its answer comes as ``ended(kind, tag, result)``."""
        self.busy.add(kind)
        self.busyChanged.emit()
        key = None if kind == "plan" else f"hardware-{id(self.owner)}-{kind}"
        job = workers().submit(f"workbench.hardware.background:{function}", key=key, owner=self.owner, **kwargs)
        self.jobs[kind] = job
        job.returned.connect(lambda result: self._done(job, kind, tag, result))
        job.errored.connect(lambda err: self._done(job, kind, tag, err))
        job.aborted.connect(lambda: self._done(job, kind, tag, None))
        if kind == "plan":
            job.yielded.connect(lambda summary: self._preflight(job, summary))
            job.progress.connect(lambda p: self.progress.emit(p["message"], bool(p.get("error"))))
        return job

    def _preflight(self, job: Job, summary: dict) -> None:
        self.busy.discard("plan")  # the plan is ready; nothing runs until it is confirmed
        self.busyChanged.emit()
        self.preflight.emit(job, summary)

    def confirmed(self, job: Job) -> None:
        """The pre-flight was confirmed: the plan job submits and goes on as the execute job."""
        job.send("submit")
        self.busy.add("execute")
        self.jobs["execute"] = job
        self.busyChanged.emit()

    def _done(self, job: Job, kind: str, tag, result) -> None:
        if kind == "plan" and self.jobs.get("execute") is job:  # confirmed: it ran the plan
            kind = "execute"
        elif kind == "plan" and isinstance(result, dict) and not result.get("submitted", True):
            self.jobs.pop("plan", None)
            self.busy.discard("plan")  # not confirmed: the status says so already
            self.busyChanged.emit()
            return
        if self.jobs.get(kind) is job:
            del self.jobs[kind]
        self.busy.discard(kind)
        self.busyChanged.emit()
        self.ended.emit(kind, tag, result)

    def running(self, kind: str) -> Job | None:
        job = self.jobs.get(kind)
        return job if job is not None and not job.done else None

    def poll_due(self, pending: bool) -> bool:
        """Time for a status poll: every second while jobs are pending, every five otherwise."""
        if "poll" in self.busy or "reattach" in self.busy or \
                time.monotonic() - self.last_poll <= (JOB_POLL_S if pending else 5 * JOB_POLL_S):
            return False
        self.last_poll = time.monotonic()
        return True

    def poll_soon(self) -> None:
        self.last_poll = 0.0

    def idle(self) -> bool:
        return not (self.busy - {"poll"})
