"""A training run in a background thread, for front ends that poll (the GUI repaints from a ~10 Hz timer).

The trainer thread only appends events to a buffer; the front end drains the buffer on its own thread.
Nothing here knows about widgets, so the same session drives a GUI, a notebook or a test.
"""

from __future__ import annotations

import threading
from collections import deque

from workbench.runs import RunStore
from workbench.training.control import TrainControl
from workbench.training.events import EventBus, TrainEvent
from workbench.training.trainer import Trainer, TrainResult


class TrainingSession:
    def __init__(self, trainer_kwargs: dict, store: RunStore, spec=None, resume_run: str | None = None):
        self.store = store
        self.control = TrainControl()
        self.bus = EventBus()
        self._events: deque[TrainEvent] = deque()
        self._lock = threading.Lock()
        self.bus.subscribe(self._append)
        self.result: TrainResult | None = None
        self.error: BaseException | None = None
        kwargs = dict(trainer_kwargs, bus=self.bus, control=self.control)
        if resume_run is not None:
            from workbench.spec import loads

            info = store.get(store.resolve(resume_run))
            text, fmt = store.spec(info.id)
            spec = loads(text, fmt, f"run {info.id}")
            p = info.params
            kwargs.update(head=p["head"], engine=p["engine"], seed=p["seed"], device=p["device"],
                          base_dir=p.get("spec_dir"), run_id=info.id, epochs=kwargs.get("epochs") or p["epochs"])
        self.trainer = Trainer(spec, store, **kwargs)
        self._thread = threading.Thread(target=self._run, name="qmtl-training", daemon=True)

    # -- thread side
    def _append(self, ev: TrainEvent) -> None:
        with self._lock:
            self._events.append(ev)

    def _run(self) -> None:
        try:
            self.result = self.trainer.run()
        except BaseException as exc:  # reported to the front end, which shows it; the run keeps its data
            self.error = exc
            self._append(TrainEvent(self.trainer.run_id or "", "failed", message=f"{type(exc).__name__}: {exc}"))

    # -- front-end side
    def start(self) -> None:
        self._thread.start()

    def drain(self) -> list[TrainEvent]:
        with self._lock:
            out = list(self._events)
            self._events.clear()
        return out

    @property
    def run_id(self) -> str | None:
        return self.trainer.run_id

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self, wait: float | None = None) -> None:
        """Cancel between steps; the run stays resumable from its last epoch checkpoint."""
        self.control.cancel()
        if wait is not None and self._thread.is_alive():
            self._thread.join(wait)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
