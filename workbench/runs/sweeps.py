"""Sweeps in the run store: a sweep is a base spec, its axes and a list of trials, each trial an ordinary run.

Two tables beside the runs: ``sweeps`` (one row per sweep) and ``sweep_trials`` (one row per trial: the point
in the axes, everything a worker needs to train it, its status, attempts, errors and the run it produced).
Only the sweep driver writes them. They are created on first use, so stores written before sweeps existed
open unchanged.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workbench.runs.errors import RunStoreError
from workbench.runs.store import RunStore, _like_escape, _now_iso

TRIAL_STATUSES = ("pending", "running", "finished", "failed", "cancelled")

DDL = """
CREATE TABLE IF NOT EXISTS sweeps (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    created      TEXT NOT NULL,
    updated      TEXT NOT NULL,
    spec_text    TEXT NOT NULL DEFAULT '',
    spec_format  TEXT NOT NULL DEFAULT 'toml',
    axes         TEXT NOT NULL DEFAULT '[]',
    settings     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS sweeps_fingerprint ON sweeps (fingerprint);

CREATE TABLE IF NOT EXISTS sweep_trials (
    sweep_id     TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    point        TEXT NOT NULL,
    task         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    run_id       TEXT REFERENCES runs (id) ON DELETE SET NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    errors       TEXT NOT NULL DEFAULT '[]',
    wall_time_s  REAL,
    updated      TEXT NOT NULL,
    PRIMARY KEY (sweep_id, idx)
) WITHOUT ROWID;
"""


@dataclass
class SweepInfo:
    id: str
    name: str
    fingerprint: str
    created: str
    updated: str
    spec_text: str
    spec_format: str
    axes: list
    settings: dict


@dataclass
class TrialRow:
    sweep_id: str
    idx: int
    point: dict[str, Any]
    task: dict[str, Any]
    status: str = "pending"
    run_id: str | None = None
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    wall_time_s: float | None = None
    updated: str = ""


def _new_sweep_id() -> str:
    return "sweep-" + datetime.now(UTC).strftime("%Y%m%d-%H%M-") + secrets.token_hex(3)


class SweepRecords:
    """Reads and writes the sweep tables of one run store (through the store's own short transactions)."""

    def __init__(self, store: RunStore):
        self.store = store
        with store._read() as conn:  # a read first: readers (the GUI, show) should not queue for the write lock
            have = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                                "AND name IN ('sweeps', 'sweep_trials')").fetchone()[0]
        if have < 2:
            with store._write() as conn:
                for statement in DDL.split(";"):
                    if statement.strip():
                        conn.execute(statement)

    # -- writing ----------------------------------------------------------------------------------------
    def create(self, *, name: str, fingerprint: str, spec_text: str, spec_format: str, axes: list,
               settings: dict, trials: list[tuple[dict, dict]]) -> str:
        """A new sweep with its trials ``(point, task)`` in order; all in one transaction."""
        sweep_id, now = _new_sweep_id(), _now_iso()
        with self.store._write() as conn:
            conn.execute(
                "INSERT INTO sweeps (id, name, fingerprint, created, updated, spec_text, spec_format, axes, settings)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sweep_id, name, fingerprint, now, now, spec_text, spec_format, json.dumps(axes),
                 json.dumps(settings)))
            conn.executemany(
                "INSERT INTO sweep_trials (sweep_id, idx, point, task, updated) VALUES (?, ?, ?, ?, ?)",
                [(sweep_id, i, json.dumps(point), json.dumps(task), now) for i, (point, task) in enumerate(trials)])
        return sweep_id

    def update_trial(self, sweep_id: str, idx: int, *, status: str, run_id: str | None = None,
                     add_attempt: bool = False, error: str | None = None, wall_time_s: float | None = None) -> None:
        if status not in TRIAL_STATUSES:
            raise RunStoreError(f"trial status {status!r} is not one of {', '.join(TRIAL_STATUSES)}")
        now = _now_iso()
        with self.store._write() as conn:
            row = conn.execute("SELECT errors FROM sweep_trials WHERE sweep_id = ? AND idx = ?",
                               (sweep_id, idx)).fetchone()
            if row is None:
                raise RunStoreError(f"sweep {sweep_id} has no trial {idx}")
            errors = json.loads(row[0]) + ([error] if error else [])
            conn.execute(
                "UPDATE sweep_trials SET status = ?, run_id = COALESCE(?, run_id), attempts = attempts + ?,"
                " errors = ?, wall_time_s = COALESCE(?, wall_time_s), updated = ? WHERE sweep_id = ? AND idx = ?",
                (status, run_id, int(add_attempt), json.dumps(errors), wall_time_s, now, sweep_id, idx))
            conn.execute("UPDATE sweeps SET updated = ? WHERE id = ?", (now, sweep_id))

    def recover(self, sweep_id: str) -> int:
        """After a driver that died: trials left 'running' go back to 'pending'. Returns how many."""
        with self.store._write() as conn:
            cur = conn.execute("UPDATE sweep_trials SET status = 'pending', updated = ? "
                               "WHERE sweep_id = ? AND status = 'running'", (_now_iso(), sweep_id))
            return cur.rowcount

    def delete(self, sweep_id: str) -> None:
        """The sweep record only; its trials' runs stay in the store."""
        with self.store._write() as conn:
            conn.execute("DELETE FROM sweeps WHERE id = ?", (sweep_id,))

    # -- reading ----------------------------------------------------------------------------------------
    _COLUMNS = "id, name, fingerprint, created, updated, spec_text, spec_format, axes, settings"

    @staticmethod
    def _info(row) -> SweepInfo:
        i, n, f, c, u, st, sf, axes, settings = row
        return SweepInfo(i, n, f, c, u, st, sf, json.loads(axes), json.loads(settings))

    def get(self, sweep_id: str) -> SweepInfo:
        with self.store._read() as conn:
            row = conn.execute(f"SELECT {self._COLUMNS} FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise RunStoreError(f"no sweep {sweep_id!r}")
        return self._info(row)

    def find(self, fingerprint: str) -> SweepInfo | None:
        """The newest sweep with exactly these trials, to resume."""
        with self.store._read() as conn:
            row = conn.execute(f"SELECT {self._COLUMNS} FROM sweeps WHERE fingerprint = ? "
                               "ORDER BY created DESC LIMIT 1", (fingerprint,)).fetchone()
        return self._info(row) if row else None

    def resolve(self, prefix: str) -> str:
        """The one sweep whose id is, or starts with, ``prefix`` (the 'sweep-' may be left off)."""
        prefix = prefix.strip()
        if not prefix:
            raise RunStoreError("no sweep id given")
        candidates = [prefix] if prefix.startswith("sweep-") else [prefix, "sweep-" + prefix]
        with self.store._read() as conn:
            for p in candidates:
                if conn.execute("SELECT 1 FROM sweeps WHERE id = ?", (p,)).fetchone():
                    return p
            matches = sorted({r[0] for p in candidates for r in conn.execute(
                "SELECT id FROM sweeps WHERE id LIKE ? ESCAPE '\\' LIMIT 6", (_like_escape(p) + "%",))})
        if not matches:
            raise RunStoreError(f"no sweep matches {prefix!r}")
        if len(matches) > 1:
            raise RunStoreError(f"{prefix!r} is ambiguous: {', '.join(matches[:5])}")
        return matches[0]

    def list_sweeps(self) -> list[tuple[SweepInfo, dict[str, int]]]:
        """Sweeps newest first, each with its trial counts by status."""
        with self.store._read() as conn:
            infos = [self._info(r) for r in conn.execute(
                f"SELECT {self._COLUMNS} FROM sweeps ORDER BY created DESC, id DESC")]
            counts: dict[str, dict[str, int]] = {i.id: {} for i in infos}
            for sid, status, n in conn.execute(
                    "SELECT sweep_id, status, COUNT(*) FROM sweep_trials GROUP BY sweep_id, status"):
                if sid in counts:
                    counts[sid][status] = n
        return [(i, counts[i.id]) for i in infos]

    def trials(self, sweep_id: str) -> list[TrialRow]:
        with self.store._read() as conn:
            if conn.execute("SELECT 1 FROM sweeps WHERE id = ?", (sweep_id,)).fetchone() is None:
                raise RunStoreError(f"no sweep {sweep_id!r}")
            rows = conn.execute(
                "SELECT sweep_id, idx, point, task, status, run_id, attempts, errors, wall_time_s, updated "
                "FROM sweep_trials WHERE sweep_id = ? ORDER BY idx", (sweep_id,)).fetchall()
        return [TrialRow(s, i, json.loads(p), json.loads(t), st, r, a, json.loads(e), w, u)
                for s, i, p, t, st, r, a, e, w, u in rows]
