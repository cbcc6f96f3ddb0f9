"""Asking for live outputs: one request in flight, answers to questions no longer asked dropped.

The evaluation imports torch, which the GUI process never does; it runs in a worker process of its own
(``workbench.gui.common.worker.WorkerPool``, warm with the evaluation path), so a training or a scaling study in the
application's pool never queues in front of an edit's answer, and the process keeps its caches (the data, a run's
weights, the last models) from one edit to the next.
"""

from __future__ import annotations

import atexit
import time

from PySide6.QtCore import QCoreApplication, QObject, Signal

from workbench.gui.common.worker import JobError, WorkerPool

JOB = "workbench.analysis.live_outputs:live_outputs_job"
_pool: WorkerPool | None = None


def live_pool() -> WorkerPool:
    """The live outputs' worker process (started on first use, ended with the application)."""
    global _pool
    if _pool is None or _pool._closed:
        _pool = WorkerPool(warm_modules=("workbench.analysis.live_outputs:warm_up",), keep_idle=1, nice=0)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(_pool.shutdown)
        atexit.register(_pool.shutdown)
    return _pool


class LiveRequester(QObject):
    """``ask(spec, source, sample)``; ``answered(LiveOutputs)`` or ``failed(str)`` for the latest question only.
    While one evaluation runs, newer questions replace each other and the newest is asked when it returns."""

    answered = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._job = None
        self._next: tuple | None = None  # the newest question, waiting for the running one
        self._serial = 0  # grows with every question
        self.asked_at = 0.0  # perf_counter of the question the last answer is for

    @property
    def busy(self) -> bool:
        return self._job is not None

    def ask(self, spec, source, sample) -> None:
        """``spec`` is read when the question is sent (pickled to the worker), not now: while one evaluation runs,
        the newest question waits and goes with the spec as it is by then."""
        self._serial += 1
        question = (self._serial, spec, source, sample, time.perf_counter())
        if self._job is not None:
            self._next = question
            return
        self._send(question)

    def _send(self, question) -> None:
        serial, spec, source, sample, t0 = question
        job = self._job = live_pool().submit(JOB, key=f"live-{id(self)}", owner=self, share=True, spec=spec,
                                             source=source, sample=sample)
        job.returned.connect(lambda out: self._done(serial, t0, out, None))
        job.errored.connect(lambda err: self._done(serial, t0, None, err))
        job.aborted.connect(lambda: self._done(serial, t0, None, JobError("the evaluation was stopped")))
        if self._next is None:
            self.busyChanged.emit(True)

    def _done(self, serial: int, t0: float, out, err) -> None:
        self._job = None
        if self._next is not None:  # an answer to an older question: ask the newest instead
            question, self._next = self._next, None
            self._send(question)
            return
        self.busyChanged.emit(False)
        if serial != self._serial:
            return
        self.asked_at = t0
        if err is None:
            self.answered.emit(out)
        else:
            self.failed.emit(err.message)

    def discard(self) -> None:
        self._next = None
        if self._job is not None:
            self._job.discard()
            self._job = None


class OutputsView:
    """What the views of live outputs share (the panel and the presentation's prediction page): each draws its
    ``outputs`` in a ``grid`` of bars and asks a ``requester`` for them."""

    def set_theme(self, theme) -> None:
        self.theme = theme
        if self.outputs is not None:
            self.grid.set_outputs(self.outputs, theme)

    def shutdown(self) -> None:
        self.requester.discard()
