"""A clock the run store reads (``RunStore(root, clock=...)``) that tests move by hand instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime


class Clock:
    def __init__(self, now: datetime | None = None):
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now
