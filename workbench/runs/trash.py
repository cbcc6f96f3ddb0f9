"""Deleting a run moves it to the trash: hidden from every listing, kept (record, metrics and folder) for
``TRASH_DAYS`` days so a slip can be undone, then purged when a store opens or on ``qmtl runs trash --purge``.

The store's clock decides what "30 days ago" is, so tests fix it instead of waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workbench.runs.errors import RunStoreError
from workbench.runs.lock import RunLock
from workbench.runs.records import RunInfo
from workbench.runs.repair import update_record
from workbench.runs.store import RunStore
from workbench.textsafe import shown

TRASH_DAYS = 30


@dataclass(frozen=True)
class TrashedRun:
    info: RunInfo
    deleted: datetime  # UTC

    @property
    def purge_after(self) -> datetime:
        return self.deleted + timedelta(days=TRASH_DAYS)


def _deleted_stamp(store: RunStore, conn, run_id: str) -> str | None:
    row = conn.execute("SELECT deleted FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise RunStoreError(f"no run {shown(run_id)}")
    return row[0]


def move_to_trash(store: RunStore, run_id: str) -> None:
    """Hide the run from listings; ``restore`` brings it back until it is purged."""
    # a run a trainer is writing to cannot go: the trainer would keep filling a run nobody sees
    with RunLock(store.run_dir(run_id), run_id, "deleted"):
        stamp = store.clock().isoformat(timespec="seconds")
        with store._write() as conn:
            if _deleted_stamp(store, conn, run_id) is not None:
                raise RunStoreError(f"run {run_id} is already in the trash")
            conn.execute("UPDATE runs SET deleted = ? WHERE id = ?", (stamp, run_id))
    update_record(store.run_dir(run_id), deleted=stamp)  # so a rebuilt index keeps it in the trash


def restore(store: RunStore, run_id: str) -> None:
    with store._write() as conn:
        if _deleted_stamp(store, conn, run_id) is None:
            raise RunStoreError(f"run {run_id} is not in the trash")
        conn.execute("UPDATE runs SET deleted = NULL WHERE id = ?", (run_id,))
    update_record(store.run_dir(run_id), deleted=None)


def trashed_runs(store: RunStore) -> list[TrashedRun]:
    """The trash, most recently deleted first."""
    infos = {i.id: i for i in store.list_runs(trashed=True)}
    with store._read() as conn:
        stamps = dict(conn.execute("SELECT id, deleted FROM runs WHERE deleted IS NOT NULL").fetchall())
    out = [TrashedRun(info, datetime.fromisoformat(stamps[rid])) for rid, info in infos.items() if rid in stamps]
    return sorted(out, key=lambda t: t.deleted, reverse=True)


def purge_expired(store: RunStore, days: int = TRASH_DAYS) -> list[str]:
    """Delete for good the runs that have been in the trash longer than ``days``; returns their ids."""
    cutoff = (store.clock() - timedelta(days=days)).isoformat(timespec="seconds")
    # ISO stamps of one time zone (UTC) sort as text in time order
    with store._read() as conn:
        expired = [r[0] for r in conn.execute("SELECT id FROM runs WHERE deleted IS NOT NULL AND deleted < ?",
                                              (cutoff,))]
    purged = []
    for run_id in expired:
        try:
            with RunLock(store.run_dir(run_id), run_id, "purged"):
                pass
            store.delete(run_id)
            purged.append(run_id)
        except RunStoreError:  # held by a process, or already gone: the next opening tries again
            continue
    return purged
