"""Plain records handed out by the store: readers get copies, never live database rows."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("created", "running", "paused", "finished", "failed", "cancelled")

# Hardware providers spell their final states differently (IBM: DONE/ERROR/CANCELLED); a job in any of
# these is no longer worth polling.
TERMINAL_JOB_STATUSES = frozenset(
    {"done", "completed", "finished", "failed", "error", "cancelled", "canceled", "aborted"}
)


@dataclass(frozen=True)
class MetricRow:
    step: int
    epoch: int
    split: str
    key: str
    value: float
    time: float  # unix seconds at which the row was logged


@dataclass(frozen=True)
class JobRow:
    job_id: str
    run_id: str
    backend: str
    status: str
    meta: dict[str, Any]
    created: str
    updated: str

    @property
    def pending(self) -> bool:
        return self.status.lower() not in TERMINAL_JOB_STATUSES


@dataclass(frozen=True)
class ArtifactRow:
    name: str
    kind: str
    relpath: str  # relative to the run's directory, so a runs folder can be moved or copied whole
    created: str


@dataclass
class RunInfo:
    id: str
    name: str
    kind: str
    status: str
    created: str  # ISO 8601, UTC
    updated: str
    params: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    note: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    parent: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def json_safe(value: Any) -> Any:
    """Replace NaN and infinities by None: strict JSON (what other tools parse) has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
