"""Training from the GUI as a job of the application's worker pool (``workbench.gui.common.worker``):
``ProcessTrainingSession`` has ``TrainingSession``'s interface (start, pause, resume, stop, drain, run_id,
running, result, error) but runs the core's ``workbench.training.background.train_job`` in the warm worker
process.

Why a process: a training thread in the GUI process competes with the GUI thread for the GIL. Measured with
``bench_training`` on 2 cores, the GUI thread stalled 100-150 ms at a time while a small run trained and the
run itself took 3x longer. Why a warm one: importing torch and the trainer takes seconds; the pool keeps a
process that has already paid for it. Closing the GUI cancels the job, which keeps the run resumable from
its last epoch checkpoint.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from workbench.gui.common.worker import Job, JobError, WorkerPool, workers


@dataclass
class ProcessResult:
    status: str
    data: dict = field(default_factory=dict)


class ProcessTrainingSession:
    target = "workbench.training.background:train_job"  # the job function (tests swap in a faulty one)

    def __init__(self, trainer_kwargs: dict, store, spec=None, resume_run: str | None = None,
                 threads: int | None = None, pool: WorkerPool | None = None):
        from workbench.spec import dumps

        self.store = store
        self.pool = pool
        self.job_kwargs = {"kwargs": dict(trainer_kwargs), "root": str(store.root), "threads": threads,
                           "spec": dumps(spec) if spec is not None else None, "resume": None}
        self._run_id: str | None = None
        self.tasks: list[str] = [t.name for t in spec.tasks] if spec is not None else []
        if resume_run is not None:
            from workbench.spec import loads

            rid = store.resolve(resume_run)
            text, fmt = store.spec(rid)
            self.tasks = [t.name for t in loads(text, fmt, f"run {rid}").tasks]
            self.job_kwargs["resume"] = rid
            self._run_id = rid
        self._events: deque = deque()
        self.job: Job | None = None
        self.result: ProcessResult | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        self.job = (self.pool or workers()).submit(self.target, **self.job_kwargs)
        self.job.yielded.connect(self._event)
        self.job.returned.connect(self._returned)
        self.job.errored.connect(self._errored)

    def _event(self, ev) -> None:
        if self._run_id is None and ev.run_id:
            self._run_id = ev.run_id
        self._events.append(ev)

    def _returned(self, data: dict) -> None:
        self.result = ProcessResult(data.get("status", "finished"), data)

    def _errored(self, err: JobError) -> None:
        from workbench.training.events import TrainEvent

        self.error = RuntimeError(err.message)
        self._events.append(TrainEvent(self._run_id or "", "failed", message=err.message))

    def drain(self) -> list:
        out = list(self._events)
        self._events.clear()
        return out

    @property
    def run_id(self) -> str | None:
        return self._run_id

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.done

    def pause(self) -> None:
        if self.job is not None:
            self.job.send("pause")

    def resume(self) -> None:
        if self.job is not None:
            self.job.send("resume")

    def stop(self, wait: float | None = None) -> None:
        """Cancel between steps; the run stays resumable from its last epoch checkpoint."""
        if self.job is None:
            return
        self.job.cancel(force_after=None if wait is None else wait)
        if wait is not None:
            self.job.wait(wait + 5)
