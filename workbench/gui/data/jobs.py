"""Short pure-data work (reading a table, checking a spec against its data) through the GUI's one worker
abstraction, in its thread runner: only numpy/pandas/scikit-learn run there, never qiskit or torch.

``DataJobs`` tags each request so its owner can tell which question an answer belongs to; a newer request
of the same owner supersedes the older one (the worker drops the stale answer).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from workbench.gui.common.worker import workers

_owners = itertools.count(1)


class DataJobs(QObject):
    """``submit(tag, fn, *args)``; ``finished(tag, result, error message or None)`` arrives on the GUI thread."""

    finished = Signal(object, object, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.key = f"data-{next(_owners)}"
        self.job = None

    def submit(self, tag, fn: Callable, *args) -> None:
        job = workers().run_in_thread(fn, *args, key=self.key, owner=self)
        job.returned.connect(lambda result, tag=tag: self.finished.emit(tag, result, None))
        job.errored.connect(lambda error, tag=tag: self.finished.emit(tag, None, error.message))
        self.job = job

    def idle(self) -> bool:
        return self.job is None or self.job.done

    def shutdown(self, wait_ms: int = 0) -> None:
        if self.job is not None and not self.job.done:
            self.job.discard()
