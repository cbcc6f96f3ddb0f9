"""The trainer's event stream: anyone (CLI progress bar, run store, GUI) subscribes; events carry the run id."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


# kinds: start, step, epoch, paused, resumed, cancelled, finished, failed
@dataclass(frozen=True)
class TrainEvent:
    run_id: str
    kind: str
    epoch: int = 0
    step: int = 0
    total_epochs: int = 0
    steps_per_epoch: int = 0
    metrics: dict = field(default_factory=dict)  # e.g. {"train": {"digit": {"loss": .., "accuracy": ..}}, ..}
    message: str = ""
    time: float = field(default_factory=time.time)


class EventBus:
    """Synchronous fan-out on the emitting (training) thread; subscribers hand off to their own thread."""

    def __init__(self):
        self._subs: list[Callable[[TrainEvent], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Callable[[TrainEvent], None]) -> Callable[[], None]:
        with self._lock:
            self._subs.append(callback)

        def unsubscribe():
            with self._lock:
                if callback in self._subs:
                    self._subs.remove(callback)

        return unsubscribe

    def emit(self, event: TrainEvent) -> None:
        with self._lock:
            subs = list(self._subs)
        for cb in subs:
            cb(event)
