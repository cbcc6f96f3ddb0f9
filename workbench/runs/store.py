"""The run store: one SQLite database plus a folder per run, shared by trainers, the GUI and the CLI.

Modelled on MLflow's tracking store: params are fixed once written (a run is a record of what was done),
metrics only grow, and everything else (status, tags, note, summary, jobs) may change. Every method opens
its own short-lived connection, so one ``RunStore`` may be used from any thread or process.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.runs.errors import RunStoreError
from workbench.runs.records import STATUSES, ArtifactRow, JobRow, MetricRow, RunInfo
from workbench.runs.repair import update_record, write_record
from workbench.runs.schema import connect, database_error, initialise
from workbench.textsafe import first_line, shown

DB_NAME = "runs.sqlite"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")


def default_runs_dir() -> Path:
    """``$QMTL_RUNS_DIR`` if set, else ``./runs`` in the current directory."""
    env = os.environ.get("QMTL_RUNS_DIR")
    return Path(env).expanduser() if env else Path.cwd() / "runs"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _new_run_id() -> str:
    # UTC, so ids sort by creation time even across a daylight-saving change; the random tail keeps two
    # runs started in the same minute (or on two machines sharing a folder) apart.
    return datetime.now(UTC).strftime("%Y%m%d-%H%M-") + secrets.token_hex(3)


def _dumps(value: Any, what: str, sort_keys: bool = False) -> str:
    # Params are compared as text to enforce immutability, so their keys are sorted; summaries and
    # provenance keep the order their writer chose, which is the order people expect to read them in.
    try:
        return json.dumps(value, sort_keys=sort_keys, default=_to_plain)
    except (TypeError, ValueError) as exc:
        raise RunStoreError(f"{what} is not JSON-serialisable: {exc}") from exc


def _to_plain(value: Any) -> Any:
    # numpy scalars and arrays turn up in summaries and params; .tolist() covers both without importing numpy
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} {value!r}")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class RunStore:
    """Runs under ``root``: ``root/runs.sqlite`` holds the records, ``root/<run_id>/`` the files."""

    def __init__(self, root: str | Path, clock: Callable[[], datetime] | None = None):
        self.root = Path(root).expanduser()
        self.clock = clock or _utc_now  # when runs go to the trash; tests fix it
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunStoreError(f"cannot create runs folder {self.root}: {exc}") from exc
        self.db_path = self.root / DB_NAME
        from workbench.runs.repair import rebuild_if_lost

        # a missing or zero-length database beside run folders is rebuilt from them, never silently emptied
        if not rebuild_if_lost(self.root):
            initialise(self.db_path)
        from workbench.runs.trash import purge_expired

        purge_expired(self)  # the trash keeps runs for 30 days; emptied here and by ``qmtl runs trash --purge``

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r})"

    # -- connections ------------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = connect(self.db_path)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:  # a damaged or vanished file: one line that says what to do
            raise database_error(self.db_path, exc) from None
        finally:
            conn.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # One read transaction, so a run and its params/tags come from the same snapshot even while a
        # trainer commits in between the SELECTs.
        conn = connect(self.db_path)
        try:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise database_error(self.db_path, exc) from None
        except (ValueError, TypeError) as exc:  # a record whose JSON no longer parses
            raise RunStoreError(f"{self.db_path}: a record is damaged ({first_line(exc)}); run `qmtl runs "
                                f"repair --runs-dir {self.root}`") from None
        finally:
            conn.close()

    @staticmethod
    def _require(conn: sqlite3.Connection, run_id: str) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise RunStoreError(f"no run {shown(run_id)}")

    @staticmethod
    def _touch(conn: sqlite3.Connection, run_id: str) -> None:
        conn.execute("UPDATE runs SET updated = ? WHERE id = ?", (_now_iso(), run_id))

    # -- runs -------------------------------------------------------------------------------------------

    def run_dir(self, run_id: str) -> Path:
        if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
            raise RunStoreError(f"{shown(run_id)} is not a run id")
        return self.root / run_id

    def create_run(
        self,
        *,
        name: str,
        kind: str = "train",
        spec_text: str = "",
        spec_format: str = "toml",
        params: dict | None = None,
        tags: list[str] | None = None,
        provenance: dict | None = None,
        parent: str | None = None,
    ) -> str:
        if not name or not name.strip():
            raise RunStoreError("a run needs a name")
        if not re.fullmatch(r"[A-Za-z0-9]+", spec_format):
            raise RunStoreError(f"spec format {spec_format!r} is not a file extension")
        params_json = {str(k): _dumps(v, f"param {k!r}", sort_keys=True) for k, v in (params or {}).items()}
        tag_list = self._clean_tags(tags or [])
        provenance_json = _dumps(provenance or {}, "provenance")

        # Creating the folder claims the id atomically (mkdir fails if it exists), before the DB knows it;
        # readers therefore never see a run whose folder is missing.
        for _ in range(20):
            run_id = _new_run_id()
            run_dir = self.root / run_id
            try:
                run_dir.mkdir()
                break
            except FileExistsError:
                continue
        else:
            raise RunStoreError(f"could not find a free run id in {self.root}")
        try:
            (run_dir / f"spec.{spec_format}").write_text(spec_text, encoding="utf-8")
            (run_dir / "provenance.json").write_text(
                json.dumps(json.loads(provenance_json), indent=2) + "\n", encoding="utf-8"
            )
            now = _now_iso()
            # the folder's own record: ``qmtl runs repair`` rebuilds the index from these
            write_record(run_dir, {"id": run_id, "name": name.strip(), "kind": kind, "created": now,
                                   "status": "created", "params": {k: json.loads(v) for k, v in params_json.items()},
                                   "tags": tag_list, "parent": parent, "spec_format": spec_format})
            with self._write() as conn:
                if parent is not None:
                    self._require(conn, parent)
                conn.execute(
                    "INSERT INTO runs (id, name, kind, status, created, updated, spec_text, spec_format,"
                    " provenance, parent) VALUES (?, ?, ?, 'created', ?, ?, ?, ?, ?, ?)",
                    (run_id, name.strip(), kind, now, now, spec_text, spec_format, provenance_json, parent),
                )
                conn.executemany(
                    "INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)",
                    [(run_id, k, v) for k, v in params_json.items()],
                )
                conn.executemany(
                    "INSERT INTO tags (run_id, tag) VALUES (?, ?)", [(run_id, t) for t in tag_list]
                )
        except BaseException:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        return run_id

    def set_status(self, run_id: str, status: str, error: str | None = None) -> None:
        if status not in STATUSES:
            raise RunStoreError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        with self._write() as conn:
            self._require(conn, run_id)
            # A new status replaces the old error: a resumed run is no longer failed.
            conn.execute(
                "UPDATE runs SET status = ?, error = ?, updated = ? WHERE id = ?",
                (status, error, _now_iso(), run_id),
            )
        update_record(self.run_dir(run_id), status=status)

    def set_summary(self, run_id: str, summary: dict) -> None:
        if not isinstance(summary, dict):
            raise RunStoreError(f"a summary is a dict, not {type(summary).__name__}")
        text = _dumps(summary, "summary")
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute("UPDATE runs SET summary = ?, updated = ? WHERE id = ?", (text, _now_iso(), run_id))
        update_record(self.run_dir(run_id), summary=json.loads(text))

    def set_note(self, run_id: str, text: str) -> None:
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute("UPDATE runs SET note = ?, updated = ? WHERE id = ?", (text, _now_iso(), run_id))

    def add_params(self, run_id: str, params: dict) -> None:
        """Record new params; repeating a key with the same value is fine, a different value is refused."""
        new = {str(k): _dumps(v, f"param {k!r}", sort_keys=True) for k, v in params.items()}
        with self._write() as conn:
            self._require(conn, run_id)
            old = dict(conn.execute("SELECT key, value FROM params WHERE run_id = ?", (run_id,)).fetchall())
            for key, value in new.items():
                if key in old and old[key] != value:
                    raise RunStoreError(
                        f"run {run_id}: param {key!r} is already {old[key]} and params cannot change "
                        f"(asked for {value})"
                    )
            conn.executemany(
                "INSERT OR IGNORE INTO params (run_id, key, value) VALUES (?, ?, ?)",
                [(run_id, k, v) for k, v in new.items()],
            )
            self._touch(conn, run_id)

    @staticmethod
    def _clean_tags(tags: Iterable[str]) -> list[str]:
        cleaned = []
        for tag in tags:
            tag = str(tag).strip()
            if not tag:
                raise RunStoreError("a tag cannot be empty")
            if tag not in cleaned:
                cleaned.append(tag)
        return cleaned

    def add_tags(self, run_id: str, *tags: str) -> None:
        clean = self._clean_tags(tags)
        with self._write() as conn:
            self._require(conn, run_id)
            conn.executemany(
                "INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)", [(run_id, t) for t in clean]
            )
            self._touch(conn, run_id)

    def remove_tag(self, run_id: str, tag: str) -> None:
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute("DELETE FROM tags WHERE run_id = ? AND tag = ?", (run_id, tag.strip()))
            self._touch(conn, run_id)

    def delete(self, run_id: str) -> None:
        """Gone for good, folder and all (``workbench.runs.trash`` is the undoable delete)."""
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))  # the rest goes by ON DELETE CASCADE
        # Files go after the commit: a failure here leaves stray files, never a record without its folder.
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)

    # -- metrics ----------------------------------------------------------------------------------------

    def log_metrics(self, run_id: str, rows: Iterable[tuple[int, int, str, str, float]]) -> None:
        """Append ``(step, epoch, split, key, value)`` rows in one transaction: all of them or none."""
        logged = time.time()
        batch = []
        for row in rows:
            try:
                step, epoch, split, key, value = row
                batch.append((run_id, int(step), int(epoch), str(split), str(key), float(value), logged))
            except (TypeError, ValueError) as exc:
                raise RunStoreError(f"run {run_id}: bad metric row {row!r} ({exc})") from exc
        if not batch:
            return
        with self._write() as conn:
            self._require(conn, run_id)
            conn.executemany(
                "INSERT INTO metrics (run_id, step, epoch, split, key, value, time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            # The updated stamp doubles as a heartbeat: a "running" run whose stamp is old has likely died.
            self._touch(conn, run_id)

    def finish_run(self, run_id: str, test_rows: Iterable[tuple[int, int, str, str, float]], summary: dict,
                   split: str = "test") -> None:
        """The final test in one transaction: its metric rows, the summary and status ``finished`` together.

        Rows of ``split`` already logged for the same epoch are replaced, so a resume that repeats the final test
        (its process was killed before this returned) never logs them twice.
        """
        text = _dumps(summary, "summary")
        logged = time.time()
        batch = []
        for row in test_rows:
            try:
                step, epoch, sp, key, value = row
                batch.append((run_id, int(step), int(epoch), str(sp), str(key), float(value), logged))
            except (TypeError, ValueError) as exc:
                raise RunStoreError(f"run {run_id}: bad metric row {row!r} ({exc})") from exc
        epochs = sorted({b[2] for b in batch})
        with self._write() as conn:
            self._require(conn, run_id)
            conn.executemany("DELETE FROM metrics WHERE run_id = ? AND split = ? AND epoch = ?",
                             [(run_id, split, e) for e in epochs])
            conn.executemany(
                "INSERT INTO metrics (run_id, step, epoch, split, key, value, time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            conn.execute("UPDATE runs SET summary = ?, status = 'finished', error = NULL, updated = ? WHERE id = ?",
                         (text, _now_iso(), run_id))
        update_record(self.run_dir(run_id), status="finished", summary=json.loads(text))

    def metrics(self, run_id: str, *, key: str | None = None, split: str | None = None) -> list[MetricRow]:
        """Rows by step; rows logged for the same step keep the order they were logged in."""
        sql = "SELECT step, epoch, split, key, value, time FROM metrics WHERE run_id = ?"
        args: list[Any] = [run_id]
        if key is not None:
            sql += " AND key = ?"
            args.append(key)
        if split is not None:
            sql += " AND split = ?"
            args.append(split)
        with self._read() as conn:
            self._require(conn, run_id)
            rows = conn.execute(sql + " ORDER BY step, id", args).fetchall()
        return [MetricRow(s, e, sp, k, math.nan if v is None else v, t) for s, e, sp, k, v, t in rows]

    def last_metrics(self, run_id: str) -> list[MetricRow]:
        """The most recently logged row of each (split, key)."""
        with self._read() as conn:
            self._require(conn, run_id)
            rows = conn.execute(
                "SELECT step, epoch, split, key, value, time FROM metrics WHERE id IN "
                "(SELECT MAX(id) FROM metrics WHERE run_id = ? GROUP BY split, key) ORDER BY split, key",
                (run_id,),
            ).fetchall()
        return [MetricRow(s, e, sp, k, math.nan if v is None else v, t) for s, e, sp, k, v, t in rows]

    # -- hardware jobs ----------------------------------------------------------------------------------

    def add_job(self, run_id: str, job_id: str, backend: str, status: str, meta: dict | None = None) -> None:
        """Record a hardware job id as soon as the provider returns it, so a crash cannot lose a paid job."""
        meta_json = _dumps(meta or {}, f"job {job_id} meta")
        now = _now_iso()
        with self._write() as conn:
            self._require(conn, run_id)
            if conn.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job_id,)).fetchone():
                raise RunStoreError(f"job {job_id!r} is already recorded")
            conn.execute(
                "INSERT INTO jobs (job_id, run_id, backend, status, meta, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_id, run_id, backend, status, meta_json, now, now),
            )

    def update_job(self, job_id: str, status: str, meta: dict | None = None) -> None:
        """New status; ``meta`` keys are merged into what was recorded, so submission details stay."""
        with self._write() as conn:
            row = conn.execute("SELECT meta FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                raise RunStoreError(f"no job {job_id!r}")
            merged = {**json.loads(row[0]), **(meta or {})}
            conn.execute(
                "UPDATE jobs SET status = ?, meta = ?, updated = ? WHERE job_id = ?",
                (status, _dumps(merged, f"job {job_id} meta"), _now_iso(), job_id),
            )

    def jobs(self, run_id: str | None = None, pending_only: bool = False) -> list[JobRow]:
        sql = "SELECT job_id, run_id, backend, status, meta, created, updated FROM jobs"
        args: tuple = ()
        if run_id is not None:
            sql += " WHERE run_id = ?"
            args = (run_id,)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY created, job_id", args).fetchall()
        jobs = [JobRow(j, r, b, s, json.loads(m), c, u) for j, r, b, s, m, c, u in rows]
        return [j for j in jobs if j.pending] if pending_only else jobs

    # -- artifacts --------------------------------------------------------------------------------------

    def add_artifact(self, run_id: str, name: str, kind: str, relpath: str) -> None:
        """Register a file under the run folder; a second artifact of the same name replaces the first."""
        rel = Path(relpath)
        if rel.is_absolute() or ".." in rel.parts:
            raise RunStoreError(f"artifact path {relpath!r} must lie inside the run folder")
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute(
                "INSERT OR REPLACE INTO artifacts (run_id, name, kind, relpath, created) VALUES (?, ?, ?, ?, ?)",
                (run_id, name, kind, rel.as_posix(), _now_iso()),
            )
            self._touch(conn, run_id)

    def artifacts(self, run_id: str) -> list[ArtifactRow]:
        with self._read() as conn:
            self._require(conn, run_id)
            rows = conn.execute(
                "SELECT name, kind, relpath, created FROM artifacts WHERE run_id = ? ORDER BY created, name",
                (run_id,),
            ).fetchall()
        return [ArtifactRow(*row) for row in rows]

    # -- reading runs -----------------------------------------------------------------------------------

    _RUN_COLUMNS = "id, name, kind, status, created, updated, note, summary, provenance, parent, error"

    def _infos(self, conn: sqlite3.Connection, rows: list[tuple]) -> list[RunInfo]:
        ids = [row[0] for row in rows]
        params: dict[str, dict] = {i: {} for i in ids}
        tags: dict[str, list] = {i: [] for i in ids}
        # SQLite caps bound parameters (32766 here, 999 on old builds); chunk to stay under both.
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for run_id, key, value in conn.execute(
                f"SELECT run_id, key, value FROM params WHERE run_id IN ({marks}) ORDER BY key", chunk
            ):
                params[run_id][key] = json.loads(value)
            for run_id, tag in conn.execute(
                f"SELECT run_id, tag FROM tags WHERE run_id IN ({marks}) ORDER BY tag", chunk
            ):
                tags[run_id].append(tag)
        return [
            RunInfo(
                id=i, name=n, kind=k, status=s, created=c, updated=u, params=params[i], tags=tags[i],
                note=note, summary=json.loads(summ), provenance=json.loads(prov), parent=par, error=err,
            )
            for i, n, k, s, c, u, note, summ, prov, par, err in rows
        ]

    def get(self, run_id: str) -> RunInfo:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {self._RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchall()
            if not rows:
                raise RunStoreError(f"no run {shown(run_id)}")
            return self._infos(conn, rows)[0]

    def spec(self, run_id: str) -> tuple[str, str]:
        """The spec the run was started from, as ``(text, format)``."""
        with self._read() as conn:
            row = conn.execute("SELECT spec_text, spec_format FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunStoreError(f"no run {shown(run_id)}")
        return row[0], row[1]

    def resolve(self, prefix_or_id: str) -> str:
        """The one run whose id is, or starts with, ``prefix_or_id``."""
        prefix = prefix_or_id.strip()
        if not prefix:
            raise RunStoreError("no run id given")
        if not _RUN_ID.fullmatch(prefix):
            raise RunStoreError(f"no run matches {shown(prefix_or_id)}")
        with self._read() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (prefix,)).fetchone():
                return prefix
            matches = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6",
                    (_like_escape(prefix) + "%",),
                )
            ]
        if not matches:
            raise RunStoreError(f"no run matches {shown(prefix_or_id)}")
        if len(matches) > 1:
            listed = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
            raise RunStoreError(f"{shown(prefix_or_id)} is ambiguous: {listed}")
        return matches[0]

    def list_runs(
        self,
        *,
        kind: str | None = None,
        tag: str | None = None,
        status: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        trashed: bool = False,
    ) -> list[RunInfo]:
        """Runs newest first. ``search`` matches id, name, note or a tag, ignoring case. Runs in the trash are
        left out, or are the only ones listed with ``trashed``."""
        where, args = ["deleted IS NOT NULL" if trashed else "deleted IS NULL"], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if tag is not None:
            where.append("EXISTS (SELECT 1 FROM tags t WHERE t.run_id = runs.id AND t.tag = ?)")
            args.append(tag)
        if search:
            pattern = "%" + _like_escape(search) + "%"
            like = "LIKE ? ESCAPE '\\'"
            where.append(
                f"(id {like} OR name {like} OR note {like}"
                f" OR EXISTS (SELECT 1 FROM tags t WHERE t.run_id = runs.id AND t.tag {like}))"
            )
            args.extend([pattern] * 4)
        sql = f"SELECT {self._RUN_COLUMNS} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._read() as conn:
            return self._infos(conn, conn.execute(sql, args).fetchall())
