"""Database layout and connection settings of ``runs.sqlite``.

Several processes use one file at once: a training process writes while the GUI and the CLI read. WAL lets
readers proceed during a write; ``busy_timeout`` makes a second writer wait instead of failing; writes take
the lock up front (``BEGIN IMMEDIATE``) because a read transaction that later upgrades to a write cannot wait
on ``busy_timeout`` and fails at once with "database is locked".
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from workbench.runs.errors import RunStoreError

SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 30.0

DDL = """
CREATE TABLE IF NOT EXISTS runs (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    created      TEXT NOT NULL,
    updated      TEXT NOT NULL,
    spec_text    TEXT NOT NULL DEFAULT '',
    spec_format  TEXT NOT NULL DEFAULT 'toml',
    note         TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '{}',
    provenance   TEXT NOT NULL DEFAULT '{}',
    parent       TEXT,
    error        TEXT
);
CREATE INDEX IF NOT EXISTS runs_created ON runs (created);

CREATE TABLE IF NOT EXISTS params (
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS tags (
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;

-- The rowid keeps the order rows were logged in; value is NULL for NaN (SQLite stores NaN as NULL).
CREATE TABLE IF NOT EXISTS metrics (
    id      INTEGER PRIMARY KEY,
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step    INTEGER NOT NULL,
    epoch   INTEGER NOT NULL,
    split   TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   REAL,
    time    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_run ON metrics (run_id, key, split, step);

CREATE TABLE IF NOT EXISTS jobs (
    job_id   TEXT PRIMARY KEY,
    run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    backend  TEXT NOT NULL,
    status   TEXT NOT NULL,
    meta     TEXT NOT NULL DEFAULT '{}',
    created  TEXT NOT NULL,
    updated  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_run ON jobs (run_id);

CREATE TABLE IF NOT EXISTS artifacts (
    run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    relpath  TEXT NOT NULL,
    created  TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
"""


# Changes to a database written by an older workbench, by the version they bring it to. ``DDL`` stays the
# version-1 layout, so a new file and an old one take the same steps.
MIGRATIONS = {
    # a deleted run goes to the trash first: ``deleted`` is when (ISO 8601, UTC), NULL for a live run
    2: "ALTER TABLE runs ADD COLUMN deleted TEXT",
}


def database_error(db_path: Path, exc: BaseException) -> RunStoreError:
    """One line for a database that cannot be used: what is wrong and what to do."""
    from workbench.textsafe import first_line

    reason = first_line(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in reason or "busy" in reason):
        return RunStoreError(f"{db_path} is busy: another process has held its write lock for over "
                             f"{BUSY_TIMEOUT_S:.0f} s; try again when it is done")
    if db_path.is_dir():
        return RunStoreError(f"{db_path} is a folder, not a run database; move it away, then run `qmtl runs "
                             f"repair --runs-dir {db_path.parent}` to rebuild the index from the run folders")
    return RunStoreError(f"{db_path} cannot be read ({reason}); run `qmtl runs repair --runs-dir "
                         f"{db_path.parent}` to rebuild it from the run folders (a copy of the damaged file is "
                         "kept)")


def _statements(script: str) -> list[str]:
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


def connect(db_path: Path) -> sqlite3.Connection:
    """A fresh connection for the calling thread; sqlite3 connections must not cross threads."""
    # isolation_level=None: the store issues BEGIN/COMMIT itself, so transactions are exactly as short as
    # the code that opens them.
    try:
        conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise database_error(db_path, exc) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # In WAL mode NORMAL loses nothing when a process is killed, only on power loss, and saves an fsync
        # per transaction, which matters when a trainer logs every step.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise database_error(db_path, exc) from None
    return conn


def initialise(db_path: Path) -> None:
    """Create or check the database; safe to run from several processes at once."""
    conn = connect(db_path)
    try:
        # The journal mode is stored in the file, so this is needed once; it cannot run inside a transaction.
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RunStoreError(
                f"{db_path} was written by a newer workbench (schema {version}, this one reads {SCHEMA_VERSION})"
            )
        if version == SCHEMA_VERSION:
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            # read again under the write lock: another opener may have created or migrated the file meanwhile
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                if version == 0:
                    for statement in _statements(DDL):  # executescript() would COMMIT the open transaction
                        conn.execute(statement)
                for step in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                    conn.execute(MIGRATIONS[step])
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise database_error(db_path, exc) from None
    finally:
        conn.close()
