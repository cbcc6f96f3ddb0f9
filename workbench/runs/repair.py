"""Rebuilding ``runs.sqlite`` from the run folders, and salvaging what a damaged database still holds.

Every run folder keeps its own record (``run.json``: name, kind, params, tags, status, summary; ``spec.*``;
``provenance.json``), so the database is an index that can be rebuilt. ``repair`` checks the database, keeps a
copy of a damaged file, salvages every row that still reads (metrics, jobs, artifacts, notes) and adds the runs
that only their folders remember. A missing or zero-length database beside run folders is rebuilt the same way
when the store opens, instead of starting empty and hiding those runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from workbench.runs.schema import connect, initialise
from workbench.textsafe import first_line

DB_NAME = "runs.sqlite"
RECORD = "run.json"
_RUN_DIR = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
_MAX_RECORD_BYTES = 4 * 2**20
_TABLES = ("runs", "params", "tags", "metrics", "jobs", "artifacts")


@dataclass
class RepairReport:
    db_path: Path
    integrity: str = "ok"  # "ok", "missing", "empty" or the first problem reported
    backup: Path | None = None
    salvaged: dict[str, int] = field(default_factory=dict)  # table -> rows copied from the old file
    from_folders: list[str] = field(default_factory=list)  # runs only their folders remembered
    skipped: list[str] = field(default_factory=list)  # folders that are not runs, with the reason

    def lines(self) -> list[str]:
        out = [f"database: {self.db_path} ({self.integrity})"]
        if self.backup:
            out.append(f"kept a copy of the old file: {self.backup}")
        if self.salvaged:
            out.append("salvaged rows: " + ", ".join(f"{k} {v}" for k, v in self.salvaged.items()))
        out.append(f"runs rebuilt from their folders: {len(self.from_folders)}"
                   + (f" ({', '.join(self.from_folders[:10])}{', ...' if len(self.from_folders) > 10 else ''})"
                      if self.from_folders else ""))
        out += [f"skipped {s}" for s in self.skipped[:20]]
        return out


def run_folders(root: Path) -> list[Path]:
    """Folders under ``root`` that hold a run (a spec file written when the run was created)."""
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.is_dir() and not p.is_symlink() and _RUN_DIR.fullmatch(p.name)
            and any(p.glob("spec.*"))]


def write_record(run_dir: Path, record: dict) -> None:
    """The run's own copy of its record, written atomically (the index can be rebuilt from these)."""
    tmp = run_dir / (RECORD + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, run_dir / RECORD)


def update_record(run_dir: Path, **changes) -> None:
    record = read_json(run_dir / RECORD) or {}
    record.update(changes)
    try:
        write_record(run_dir, record)
    except OSError:  # the database stays the authority; a missing mirror only weakens a later repair
        pass


def read_json(path: Path) -> dict | None:
    """A small JSON object from a run folder, or None: the file is data, read with limits, never trusted."""
    try:
        if not path.is_file() or path.stat().st_size > _MAX_RECORD_BYTES:
            return None
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _needs_rebuild(root: Path) -> bool:
    db = root / DB_NAME
    try:
        lost = not db.exists() or (db.is_file() and db.stat().st_size == 0)
    except OSError:
        return False
    return lost and bool(run_folders(root))


def rebuild_if_lost(root: Path) -> bool:
    """Rebuild a missing or zero-length database from the run folders; True when it did."""
    if not _needs_rebuild(root):
        return False
    repair(root)
    return True


def _integrity(db: Path) -> str:
    if not db.exists():
        return "missing"
    if db.is_dir():
        return "a folder, not a database"
    if db.stat().st_size == 0:
        return "empty"
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return first_line(exc)
    problems = [r[0] for r in rows if r and r[0] != "ok"]
    return "ok" if not problems else first_line(ValueError(problems[0]))


def _salvage(old: Path, conn: sqlite3.Connection, report: RepairReport, tables: tuple[str, ...]) -> None:
    """Copy each table's readable rows from the old file (row by row: a damaged page loses only its rows)."""
    try:
        src = sqlite3.connect(f"file:{old}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return
    try:
        for table in tables:
            try:
                cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
                cursor = src.execute(f"SELECT {', '.join(cols)} FROM {table}") if cols else None
            except sqlite3.Error:
                continue
            if cursor is None:
                continue
            n = 0
            marks = ", ".join("?" * len(cols))
            while True:
                try:
                    row = cursor.fetchone()
                except sqlite3.Error:
                    break
                if row is None:
                    break
                try:
                    conn.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(cols)}) VALUES ({marks})", row)
                    n += 1
                except sqlite3.Error:
                    continue
            if n:
                report.salvaged[table] = n
    finally:
        src.close()


def _from_folder(conn: sqlite3.Connection, run_dir: Path) -> str | None:
    """Insert the run a folder describes, unless the index has it; the reason when the folder is unusable."""
    run_id = run_dir.name
    if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
        return None
    specs = sorted(run_dir.glob("spec.*"))
    spec_path = specs[0]
    fmt = spec_path.suffix.lstrip(".") or "toml"
    try:
        if spec_path.stat().st_size > _MAX_RECORD_BYTES:
            return f"{run_id}: spec file too large"
        spec_text = spec_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"{run_id}: {first_line(exc)}"
    record = read_json(run_dir / RECORD) or {}
    provenance = read_json(run_dir / "provenance.json") or {}
    params = record.get("params") if isinstance(record.get("params"), dict) else None
    if params is None:  # a run from before run.json: what provenance and the spec say
        params = {k: provenance.get(k) for k in ("head", "engine", "device", "seed") if k in provenance}
        m = re.search(r"(?m)^epochs\s*=\s*(\d{1,7})\s*$", spec_text)
        if m:
            params["epochs"] = int(m.group(1))
    has_checkpoint = (run_dir / "checkpoints" / "last.pt").exists()
    status = record.get("status") if isinstance(record.get("status"), str) else None
    if status not in ("created", "running", "paused", "finished", "failed", "cancelled"):
        status = "cancelled" if has_checkpoint else "failed"
    if status in ("running", "paused"):
        status = "cancelled"  # whatever ran it is gone with the old index; resume picks it up
    name = str(record.get("name") or run_id)[:500]
    created = str(record.get("created") or time.strftime("%Y-%m-%dT%H:%M:%S"))
    summary = record.get("summary") if isinstance(record.get("summary"), dict) else {}
    kind = str(record.get("kind") or "train")[:50]
    parent = record.get("parent") if isinstance(record.get("parent"), str) else None
    conn.execute(
        "INSERT INTO runs (id, name, kind, status, created, updated, spec_text, spec_format, provenance, summary,"
        " parent, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run_id, name, kind, status, created, created, spec_text, fmt, json.dumps(provenance, default=str),
         json.dumps(summary, default=str), None if parent is None else parent,
         None if status == "finished" else "rebuilt from its folder by qmtl runs repair"),
    )
    conn.executemany("INSERT OR IGNORE INTO params (run_id, key, value) VALUES (?, ?, ?)",
                     [(run_id, str(k), json.dumps(v, sort_keys=True, default=str)) for k, v in params.items()])
    if isinstance(record.get("deleted"), str):  # it was in the trash; the trash's clock keeps running
        conn.execute("UPDATE runs SET deleted = ? WHERE id = ?", (record["deleted"][:40], run_id))
    tags = record.get("tags") if isinstance(record.get("tags"), list) else []
    conn.executemany("INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)",
                     [(run_id, str(t)[:200]) for t in tags if str(t).strip()])
    return None


def _add_folders(conn: sqlite3.Connection, root: Path, report: RepairReport) -> None:
    for run_dir in run_folders(root):
        before = conn.total_changes
        problem = _from_folder(conn, run_dir)
        if problem:
            report.skipped.append(problem)
        elif conn.total_changes != before:
            report.from_folders.append(run_dir.name)


def repair(root: str | Path) -> RepairReport:
    """Check ``root/runs.sqlite``; when it is damaged, missing or empty, keep a copy and rebuild it."""
    root = Path(root).expanduser()
    db = root / DB_NAME
    report = RepairReport(db, _integrity(db))
    if report.integrity == "ok":
        # a sound file may still miss runs whose folders exist (a database restored from a backup)
        conn = connect(db)
        try:
            initialise(db)
            conn.execute("BEGIN IMMEDIATE")
            _add_folders(conn, root, report)
            conn.execute("COMMIT")
        finally:
            conn.close()
        return report
    stamp = time.strftime("%Y%m%d-%H%M%S")
    old = None
    if db.exists():
        backup = root / f"{DB_NAME}.damaged-{stamp}"
        if db.is_dir():
            raise_dir(db)
        shutil.move(str(db), backup)
        for suffix in ("-wal", "-shm"):
            side = root / (DB_NAME + suffix)
            if side.exists():
                shutil.move(str(side), root / f"{DB_NAME}.damaged-{stamp}{suffix}")
        report.backup = backup
        old = backup if backup.stat().st_size else None
    tmp = root / f"{DB_NAME}.rebuild-{os.getpid()}"
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    initialise(tmp)
    conn = connect(tmp)
    try:
        conn.execute("BEGIN IMMEDIATE")
        if old is not None:  # its WAL moved beside it under the matching name, so committed pages count too
            _salvage(old, conn, report, ("runs",))
        _add_folders(conn, root, report)
        if old is not None:  # after the runs, so rows of a run only its folder remembered are kept too
            _salvage(old, conn, report, _TABLES[1:])
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    os.replace(tmp, db)
    return report


def raise_dir(db: Path) -> None:
    from workbench.runs.errors import RunStoreError

    raise RunStoreError(f"{db} is a folder, not a run database; move it away and run `qmtl runs repair` again")
