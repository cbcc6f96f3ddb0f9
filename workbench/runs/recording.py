"""A run recorded away from the run store, then written into it by the one process that owns the store.

Sweep workers (local processes or Ray tasks on other machines) must not open ``runs.sqlite``: SQLite over a
network folder is unsafe and a remote node has no folder at all. A worker hands the ordinary trainer a
``RecordingStore`` instead; it keeps every write the trainer makes (params, metrics, status, summary) as plain
data and the run's files (checkpoints) in a scratch folder. ``export()`` turns that into a picklable record of
JSON-like values and file bytes, and ``persist()`` replays it into the real ``RunStore`` on the driver. The
driver never unpickles anything from the files: it writes their bytes where the trainer would have.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from workbench.runs.errors import RunStoreError
from workbench.runs.lock import LOCK_NAME
from workbench.runs.records import STATUSES, MetricRow
from workbench.runs.store import RunStore

PLACEHOLDER_ID = "recorded-run"
MAX_FILE_BYTES = 1 << 30  # a run's checkpoint larger than this is a bug or a hostile record


class RecordingStore:
    """The slice of ``RunStore`` a trainer writes through, kept in memory plus a scratch folder."""

    def __init__(self, scratch: str | Path):
        self.root = Path(scratch)
        self.create: dict | None = None
        self.metric_rows: list[tuple[int, int, str, str, float]] = []
        self.status: str = "created"
        self.error: str | None = None
        self.summary: dict = {}
        self.extra_params: dict = {}
        self.extra_tags: list[str] = []

    def create_run(self, **kwargs) -> str:
        if self.create is not None:
            raise RunStoreError("a recording store holds one run")
        self.create = kwargs
        return PLACEHOLDER_ID

    def run_dir(self, run_id: str) -> Path:
        self._check(run_id)
        return self.root / run_id

    def set_status(self, run_id: str, status: str, error: str | None = None) -> None:
        self._check(run_id)
        if status not in STATUSES:
            raise RunStoreError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        self.status, self.error = status, error

    def log_metrics(self, run_id: str, rows) -> None:
        self._check(run_id)
        self.metric_rows.extend((int(s), int(e), str(sp), str(k), float(v)) for s, e, sp, k, v in rows)

    def metrics(self, run_id: str, *, key: str | None = None, split: str | None = None) -> list[MetricRow]:
        self._check(run_id)
        return [MetricRow(s, e, sp, k, v, 0.0) for s, e, sp, k, v in self.metric_rows
                if (key is None or k == key) and (split is None or sp == split)]

    def set_summary(self, run_id: str, summary: dict) -> None:
        self._check(run_id)
        self.summary = dict(summary)

    def finish_run(self, run_id: str, test_rows, summary: dict, split: str = "test") -> None:
        """As ``RunStore.finish_run``: rows of ``split`` for the same epochs are replaced, then finished."""
        self._check(run_id)
        rows = [(int(s), int(e), str(sp), str(k), float(v)) for s, e, sp, k, v in test_rows]
        epochs = {r[1] for r in rows}
        self.metric_rows = [r for r in self.metric_rows if not (r[2] == split and r[1] in epochs)] + rows
        self.summary = dict(summary)
        self.status, self.error = "finished", None

    def add_params(self, run_id: str, params: dict) -> None:
        self._check(run_id)
        self.extra_params.update(params)

    def add_tags(self, run_id: str, *tags: str) -> None:
        self._check(run_id)
        self.extra_tags.extend(tags)

    def _check(self, run_id: str) -> None:
        if run_id != PLACEHOLDER_ID:
            raise RunStoreError(f"no run {run_id!r} in this recording")

    def export(self) -> dict:
        """The run as plain data: what the trainer wrote, and each file under the run folder as bytes.

        The worker's run lock is left out: it guards the scratch folder in this process, not the stored run."""
        if self.create is None:
            raise RunStoreError("nothing was recorded: the trainer never created its run")
        files = {}
        base = self.root / PLACEHOLDER_ID
        if base.exists():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.name.endswith(".tmp") and path.name != LOCK_NAME:
                    files[path.relative_to(base).as_posix()] = path.read_bytes()
        return {"create": dict(self.create), "metrics": list(self.metric_rows), "status": self.status,
                "error": self.error, "summary": self.summary, "params": dict(self.extra_params),
                "tags": list(self.extra_tags), "files": files}


def _safe_relpath(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if path.is_absolute() or not path.parts or any(p in ("", ".", "..") for p in path.parts) or "\\" in rel:
        raise RunStoreError(f"recorded file {rel!r} would land outside its run folder")
    return path


def persist(store: RunStore, record: dict, *, tags: list[str] | None = None, params: dict | None = None) -> str:
    """Write a recorded run into ``store`` as a new run; returns its id. ``tags`` and ``params`` are added.

    Files are written before the final status, so a run marked finished always has its checkpoints.
    """
    create = dict(record["create"])
    create["tags"] = list(create.get("tags") or []) + list(record.get("tags") or []) + list(tags or [])
    create["params"] = {**(create.get("params") or {}), **(record.get("params") or {}), **(params or {})}
    files = {}
    for rel, data in (record.get("files") or {}).items():
        if not isinstance(data, bytes | bytearray) or len(data) > MAX_FILE_BYTES:
            raise RunStoreError(f"recorded file {rel!r} is not a byte string of a sane size")
        files[_safe_relpath(rel)] = data
    run_id = store.create_run(**create)
    run_dir = store.run_dir(run_id)
    for rel, data in files.items():
        target = run_dir.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    store.log_metrics(run_id, record.get("metrics") or [])
    if record.get("summary"):
        store.set_summary(run_id, record["summary"])
    store.set_status(run_id, record.get("status") or "finished", record.get("error"))
    return run_id
