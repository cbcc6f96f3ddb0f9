"""The one way the GUI does background work (after napari's ``thread_worker`` and Orange's ``TaskState``).

Every piece of background work is a ``Job``: a ``QObject`` whose signals arrive on the GUI thread, in order::

    started()            the job began running
    progress(dict)       {"message": str, "fraction": float | None, ...} from ctx.progress(...)
    yielded(object)      an intermediate value (a training event, a table row), from ctx.yield_(...)
    returned(object)     the job's result; or
    errored(JobError)    it raised (JobError.message is one line), or its worker process died (crashed=True); or
    aborted()            it was cancelled and stopped
    finished()           after any of the three, always last

Two ways to run one, same signals:

* ``workers().submit("package.module:function", key=..., **kwargs)`` runs a Qt-free job function from the
  core (``workbench.jobs``) in a worker **process**. Use it for anything heavy or that imports torch, Qiskit
  or Aer: the GUI process never runs them in a thread (Qiskit imported from two threads at once breaks its
  compiled core). One warm process is kept (torch and the trainer already imported), so a job starts in
  milliseconds instead of paying the imports; more are started when jobs overlap, and idle extras exit.
  A process that dies mid-job (segfault, out of memory) reports that job as ``errored`` with ``crashed``
  set; the next job gets a fresh process and the application stays up.
* ``workers().run_in_thread(fn, *args, key=..., **kwargs)`` runs a light, Qt-free, GIL-friendly function
  (SQLite reads, small files) in a thread; a generator function's ``yield``s become ``yielded``.

Control: ``job.cancel()`` asks the job to stop (``ctx.cancelled`` / ``ctx.check()`` in the job function;
between yields for a thread generator); ``job.cancel(force_after=s)`` kills its process when it has not
stopped within ``s`` seconds (reported as ``aborted``). ``job.send(word)`` hands a word to the running job
function (``ctx.on_word`` / ``ctx.wait_word``), e.g. "pause", "resume" or "submit".

Stale results: every job has a unique ``id``; submitting with a ``key`` cancels the earlier job of that key,
and a superseded job emits nothing more, so a slot never sees an answer to a question no longer asked. Pass
``owner=widget`` and the job is discarded (cancelled, silent) when that widget is destroyed; ``job.discard()``
does the same by hand.
``job.wait(timeout)`` processes events until the job is done (scripts and benchmarks; tests use
``qtbot.waitSignal(job.finished)``).
"""

from __future__ import annotations

import atexit
import inspect
import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from workbench.engines.allocator import allocator_env
from workbench.jobs.context import JobCancelled
from workbench.jobs.protocol import read_message, write_message

# what a training imports and first calls: the reason a warm process exists
WARM_MODULES = ("workbench.training.trainer", "workbench.training.background:warm_up")
KEEP_IDLE = 1  # warm processes kept waiting for the next job
_ids = itertools.count(1)


@dataclass
class JobError:
    message: str  # one line, for the status bar
    type: str = ""
    traceback: str = ""
    crashed: bool = False  # the worker process died (segfault, killed)

    def __str__(self) -> str:
        return self.message


class Job(QObject):
    started = Signal()
    progress = Signal(object)
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    aborted = Signal()
    finished = Signal()

    def __init__(self, name: str, key: str | None = None):
        super().__init__()
        self.id = next(_ids)
        self.name = name
        self.key = key
        self.state = "pending"  # pending, running, returned, errored, aborted
        self.result = None
        self.error: JobError | None = None
        self.stale = False  # superseded by a newer job of the same key: emits nothing more
        self.cancel_requested = False
        self._runner = None  # the pool, or the thread runner

    @property
    def done(self) -> bool:
        return self.state in ("returned", "errored", "aborted")

    @property
    def running(self) -> bool:
        return not self.done

    def cancel(self, force_after: float | None = None) -> None:
        if self.done:
            return
        self.cancel_requested = True
        if self._runner is not None:
            self._runner.cancel(self, force_after)

    def discard(self, *_args) -> None:
        """Cancel, and emit nothing more (its owner is gone or no longer wants the answer)."""
        self.stale = True
        self.cancel()

    def send(self, word: str) -> None:
        if not self.done and self._runner is not None:
            self._runner.send(self, word)

    def wait(self, timeout: float = 60.0) -> bool:
        """Process events until the job is done; True if it is."""
        end = time.monotonic() + timeout
        app = QCoreApplication.instance()
        while not self.done and time.monotonic() < end:
            if app is not None:
                app.processEvents()
            time.sleep(0.005)
        return self.done

    # -- called on the GUI thread by the runners
    def _deliver(self, kind: str, payload=None) -> None:
        if self.done:
            return
        if kind == "started":
            self.state = "running"
        elif kind == "returned":
            self.state, self.result = "returned", payload
        elif kind == "errored":
            self.state, self.error = "errored", payload
        elif kind == "aborted":
            self.state = "aborted"
        if self.stale:
            return
        signal = getattr(self, kind)
        if payload is None and kind in ("started", "aborted"):
            signal.emit()
        else:
            signal.emit(payload)
        if self.done:
            self.finished.emit()


class _Relay(QObject):
    """Carries messages from reader and job threads to the GUI thread: emitted there, a queued connection to a
    slot of an object living on the GUI thread runs it on the GUI thread."""

    message = Signal(object)


# ------------------------------------------------------------------------------------------------ processes
class _Process:
    """One ``python -m workbench.jobs.server``, its reader thread, and the job it runs (one at a time)."""

    def __init__(self, pool: WorkerPool):
        self.pool = pool
        args = [sys.executable, "-m", "workbench.jobs.server", "--nice", str(pool.nice)]
        for m in pool.warm_modules:
            args += ["--warm", m]
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        self.popen = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, creationflags=flags,
                                      env=allocator_env())
        self.job: Job | None = None
        self.riders: list[Job] = []  # quick jobs queued on it without making it busy (share=True)
        self.closing = False  # told to exit: takes no more jobs
        self.killed_for_cancel = False
        self._write = threading.Lock()
        threading.Thread(target=self._read, name=f"qmtl-job-reader-{self.popen.pid}", daemon=True).start()

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def idle(self) -> bool:
        return self.job is None and not self.closing and self.alive

    def write(self, msg) -> bool:
        with self._write:
            try:
                write_message(self.popen.stdin, msg)
                return True
            except (OSError, ValueError):
                return False

    def _read(self) -> None:
        while True:
            try:
                msg = read_message(self.popen.stdout)
            except (EOFError, OSError, ValueError):
                break
            self.pool._relay_process.message.emit((self, msg))
        self.popen.wait()
        self.pool._relay_process.message.emit((self, None))

    def close(self) -> None:
        self.closing = True
        if self.alive:
            self.write(None)
            try:
                self.popen.stdin.close()
            except OSError:
                pass

    def kill(self) -> None:
        if self.alive:
            self.popen.kill()


class WorkerPool(QObject):
    """The application's worker processes (see the module docstring). Create on the GUI thread."""

    def __init__(self, warm_modules=WARM_MODULES, keep_idle: int = KEEP_IDLE, nice: int = 5):
        super().__init__()
        self.warm_modules = tuple(warm_modules)
        self.keep_idle = keep_idle
        self.nice = nice
        self.processes: list[_Process] = []
        self.jobs: dict[int, Job] = {}
        self.latest: dict[str, Job] = {}
        self._relay_process = _Relay()
        self._relay_process.message.connect(self._on_message)
        self._relay_thread = _Relay()
        self._relay_thread.message.connect(self._on_thread_message)
        self._closed = False

    # -- public
    def submit(self, target: str, *, key: str | None = None, owner: QObject | None = None, share: bool = False,
               **kwargs) -> Job:
        """Run job function ``target`` ("module:function", Qt-free) in a worker process. When ``owner`` (a widget)
        is destroyed, the job is discarded: its slots are never called on a deleted widget. A ``share`` job is
        quick: it queues on a live process without making it busy (the next job still goes there too)."""
        job = self._new_job(target, key, owner)
        job._runner = self
        self.jobs[job.id] = job
        for _attempt in range(2):  # an idle process may have died since its last job: then a fresh one
            proc = self._idle_process() or (self._live_process() if share else None) or self._spawn()
            if share:
                proc.riders.append(job)
            else:
                proc.job = job
            if proc.write(("run", job.id, target, kwargs)):
                return job
            proc.job = None
            proc.riders = [j for j in proc.riders if j is not job]
            proc.close()
        # after the caller connected its slots
        QTimer.singleShot(0, lambda: self._fail(job, "cannot start a worker process"))
        return job

    def _fail(self, job: Job, text: str) -> None:
        job._deliver("errored", JobError(f"{text} for {job.name}", "WorkerUnavailable", "", crashed=True))
        self.jobs.pop(job.id, None)

    def run_in_thread(self, fn: Callable, *args, key: str | None = None, owner: QObject | None = None,
                      **kwargs) -> Job:
        """Run a light Qt-free function in a thread; a generator's yields become ``yielded``."""
        job = self._new_job(getattr(fn, "__qualname__", "job"), key, owner)
        job._runner = _THREADS
        self.jobs[job.id] = job  # the thread knows only the id: the Job is never released off the GUI thread
        _THREADS.start(job.id, fn, args, kwargs, self._relay_thread)
        return job

    def prewarm(self) -> None:
        """Start the warm process now (at application start), unless there is one already (busy ones come back:
        a second process importing torch at the same time would only slow both down)."""
        if not self._closed and not any(p.alive and not p.closing for p in self.processes):
            self._spawn()

    def idle_processes(self) -> int:
        return sum(1 for p in self.processes if p.idle)

    def shutdown(self, wait: float = 2.0) -> None:
        """Cancel every job, end every process (killing what has not ended within ``wait`` seconds)."""
        self._closed = True
        for p in list(self.processes):
            if p.job is not None:
                p.write(("cancel", p.job.id))
            p.close()
        end = time.monotonic() + wait
        for p in list(self.processes):
            try:
                p.popen.wait(max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
        self.processes.clear()

    # -- runner interface
    def cancel(self, job: Job, force_after: float | None) -> None:
        proc = self._process_of(job)
        if proc is None:
            return
        proc.write(("cancel", job.id))
        if force_after is not None:
            QTimer.singleShot(int(force_after * 1000), lambda: self._force(job))

    def send(self, job: Job, word: str) -> None:
        proc = self._process_of(job)
        if proc is not None:
            proc.write(("word", job.id, word))

    # -- internals
    def _new_job(self, name: str, key: str | None, owner: QObject | None = None) -> Job:
        job = Job(name, key)
        if owner is not None:
            owner.destroyed.connect(job.discard)
        if key is not None:
            old = self.latest.get(key)
            if old is not None and not old.done:
                old.stale = True
                old.cancel()
            self.latest[key] = job
        return job

    def _process_of(self, job: Job) -> _Process | None:
        return next((p for p in self.processes if p.job is job or job in p.riders), None)

    def _live_process(self) -> _Process | None:
        return next((p for p in self.processes if p.alive and not p.closing), None)

    def _force(self, job: Job) -> None:
        proc = self._process_of(job)
        if proc is not None and not job.done:
            proc.killed_for_cancel = True
            proc.kill()

    def _idle_process(self) -> _Process | None:
        return next((p for p in self.processes if p.idle), None)

    def _spawn(self) -> _Process:
        proc = _Process(self)
        self.processes.append(proc)
        return proc

    def _on_message(self, item) -> None:
        proc, msg = item
        if msg is None:
            self._process_gone(proc)
            return
        kind, job_id = msg[0], msg[1]
        job = self.jobs.get(job_id)
        if job is None:
            return
        payload = msg[2] if len(msg) > 2 else None
        if kind == "errored":
            payload = JobError(payload["message"], payload["type"], payload["traceback"])
        if kind in ("returned", "errored", "aborted"):
            self._job_ended(proc, job)  # first: a slot may submit the next job, which can take this process
        job._deliver(kind, payload)

    def _on_thread_message(self, item) -> None:
        job_id, kind, payload = item
        job = self.jobs.get(job_id)
        if job is None:
            return
        job._deliver(kind, payload)
        if job.done:
            self.jobs.pop(job.id, None)

    def _job_ended(self, proc: _Process, job: Job) -> None:
        self.jobs.pop(job.id, None)
        if self.latest.get(job.key) is job:
            del self.latest[job.key]
        if job in proc.riders:
            proc.riders.remove(job)
        elif proc.job is job:
            proc.job = None
            if self.idle_processes() > self.keep_idle or self._closed:
                proc.close()

    def _process_gone(self, proc: _Process) -> None:
        if proc in self.processes:
            self.processes.remove(proc)
        for job in [proc.job, *proc.riders]:
            if job is None or job.done:
                continue
            self._job_ended(proc, job)
            if proc.killed_for_cancel and job.cancel_requested:
                job._deliver("aborted")
            else:
                code = proc.popen.poll()
                job._deliver("errored", JobError(
                    f"the worker process ended unexpectedly (exit code {code}) while running {job.name}",
                    "WorkerCrashed", "", crashed=True))
        proc.job, proc.riders = None, []


# ------------------------------------------------------------------------------------------------ threads
class _ThreadRunner:
    def __init__(self):
        self.cancelled: set[int] = set()

    def start(self, job_id: int, fn: Callable, args, kwargs, relay: _Relay) -> None:
        def post(kind, payload=None):
            relay.message.emit((job_id, kind, payload))

        def run():
            post("started")
            try:
                value = fn(*args, **kwargs)
                if inspect.isgenerator(value):
                    for item in value:
                        if job_id in self.cancelled:
                            value.close()
                            raise JobCancelled
                        post("yielded", item)
                    value = None
            except JobCancelled:
                post("aborted")
            except Exception as exc:  # noqa: BLE001 - reported as the job's error, never a traceback in the GUI
                from workbench.jobs.server import error_payload

                p = error_payload(exc)
                post("errored", JobError(p["message"], p["type"], p["traceback"]))
            else:
                post("aborted" if job_id in self.cancelled and value is None else "returned", value)
            finally:
                self.cancelled.discard(job_id)

        threading.Thread(target=run, name=f"qmtl-job-{job_id}", daemon=True).start()

    def cancel(self, job: Job, force_after: float | None) -> None:
        self.cancelled.add(job.id)  # read between yields

    def send(self, job: Job, word: str) -> None:
        pass


_THREADS = _ThreadRunner()
_pool: WorkerPool | None = None


def workers() -> WorkerPool:
    """The application's pool (created on first use, on the GUI thread; ended when the application quits)."""
    global _pool
    if _pool is None or _pool._closed:
        _pool = WorkerPool()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(_pool.shutdown)
        atexit.register(_pool.shutdown)
    return _pool
