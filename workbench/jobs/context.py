"""What a job function sees of the front end: report progress and values, notice a cancel, receive words."""

from __future__ import annotations

import threading
from collections.abc import Callable


class JobCancelled(Exception):
    """Raised by ``JobContext.check()`` once the front end cancelled the job; the job ends as aborted."""


class JobContext:
    """Thread-safe: the job may report from any thread, words arrive on the worker's reader thread."""

    def __init__(self, job_id: int, send: Callable[[tuple], None] | None = None):
        self.job_id = job_id
        self._send = send or (lambda _msg: None)
        self._cancel = threading.Event()
        self._words: list[str] = []
        self._word_ready = threading.Condition()
        self._listeners: list[Callable[[str], None]] = []

    # -- reporting
    def progress(self, message: str = "", fraction: float | None = None, **extra) -> None:
        """A progress message (shown as is) and, where known, the fraction done in [0, 1]."""
        self._send(("progress", self.job_id, {"message": message, "fraction": fraction, **extra}))

    def yield_(self, value) -> None:
        """An intermediate result (a training event, one row of a table), delivered in order."""
        self._send(("yielded", self.job_id, value))

    # -- cancel
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled

    def cancel(self) -> None:
        self._cancel.set()
        self._deliver("cancel")

    # -- words from the front end (pause, resume, submit, ...)
    def on_word(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(word)`` for every word (and "cancel"), on the thread that receives it."""
        self._listeners.append(callback)

    def wait_word(self, *words: str, timeout: float | None = None) -> str | None:
        """Block until one of ``words`` arrives (returned) or the job is cancelled or times out (None)."""
        with self._word_ready:
            ok = self._word_ready.wait_for(lambda: self._cancel.is_set() or any(w in self._words for w in words),
                                           timeout)
            if not ok or self._cancel.is_set():
                return None
            word = next(w for w in self._words if w in words)
            self._words.remove(word)
            return word

    def send_word(self, word: str) -> None:
        self._deliver(word)

    def _deliver(self, word: str) -> None:
        with self._word_ready:
            if word != "cancel":
                self._words.append(word)
            self._word_ready.notify_all()
        for cb in list(self._listeners):
            cb(word)
