"""A sweep driven from a background thread, for front ends that poll (the GUI drains events from a timer).

The thread only waits on the workers and writes the store; the training runs in worker processes (or on Ray),
so it barely competes with the front end for the interpreter. Nothing here knows about widgets.
"""

from __future__ import annotations

import threading
from collections import deque

from workbench.runs import RunStore
from workbench.sweeps.engine import SweepControl, SweepEvent, SweepOutcome, run_sweep


class SweepSession:
    def __init__(self, store: RunStore, sweep_id: str, executor):
        """``executor``: an executor, or a function making one in the session's thread (starting Ray takes
        seconds, which a front end should not wait for)."""
        self.store = store
        self.sweep_id = sweep_id
        self.executor = executor
        self.control = SweepControl()
        self.outcome: SweepOutcome | None = None
        self.error: BaseException | None = None
        self._events: deque[SweepEvent] = deque()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="qmtl-sweep", daemon=True)

    def _append(self, ev: SweepEvent) -> None:
        with self._lock:
            self._events.append(ev)

    def _run(self) -> None:
        try:
            if callable(self.executor):
                self.executor = self.executor()
            self.outcome = run_sweep(self.store, self.sweep_id, self.executor, on_event=self._append,
                                     control=self.control)
        except BaseException as exc:  # reported to the front end, which shows it; finished trials are stored
            self.error = exc
        finally:
            if not callable(self.executor):
                self.executor.close()

    def start(self) -> None:
        self._thread.start()

    def drain(self) -> list[SweepEvent]:
        with self._lock:
            out = list(self._events)
            self._events.clear()
        return out

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """No new trials; the running ones finish."""
        self.control.stop()

    def cancel(self) -> None:
        """Kill the running trials too (they stay pending, to run on a resume)."""
        self.control.cancel()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
