"""Short pure-data work (reading a table, checking a spec against its data) on Qt's thread pool.

Only numpy/pandas/scikit-learn run here, never qiskit or torch: those belong in worker processes. The result
comes back to the GUI thread through a queued signal; a job whose answer is no longer wanted is simply ignored
by the caller (each job carries the caller's tag).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from workbench.errors import UserError


class _Relay(QObject):
    done = Signal(object, object, object)  # tag, result, error message (str) or None


class _Job(QRunnable):
    def __init__(self, relay: _Relay, tag, fn: Callable, args: tuple):
        super().__init__()
        self.relay, self.tag, self.fn, self.args = relay, tag, fn, args

    def run(self) -> None:
        try:
            result, error = self.fn(*self.args), None
        except UserError as exc:
            result, error = None, str(exc)
        except Exception as exc:  # noqa: BLE001 - a broken file must not take the window down
            result, error = None, f"{type(exc).__name__}: {exc}"
        self.relay.done.emit(self.tag, result, error)


class DataJobs(QObject):
    """Runs ``fn(*args)`` off the GUI thread; ``finished(tag, result, error)`` arrives on the GUI thread."""

    finished = Signal(object, object, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._relay = _Relay(self)
        self._relay.done.connect(self._done)
        self.pending = 0
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one at a time, in order; callers ignore answers they no longer want

    def submit(self, tag, fn: Callable, *args) -> None:
        self.pending += 1
        self.pool.start(_Job(self._relay, tag, fn, args))

    def _done(self, tag, result, error) -> None:
        self.pending -= 1
        self.finished.emit(tag, result, error)

    def idle(self) -> bool:
        return self.pending == 0

    def shutdown(self, wait_ms: int = 10000) -> None:
        self.pool.clear()
        self.pool.waitForDone(wait_ms)
