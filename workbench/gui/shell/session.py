"""What outlives a window: settings (layout, theme, recent files) and autosave with crash recovery.

Settings are an INI file in the user scope; ``QSettings.setPath`` moves it (tests use a temporary
folder). Autosave files live under ``QStandardPaths.AppDataLocation`` (or ``$QMTL_WORKBENCH_DATA_DIR``):
``autosave/<session>.toml`` beside ``<session>.json`` (where it came from) and ``<session>.lock``, a
``QLockFile`` held while the session runs. A lock whose owner is gone marks a crash: its file is offered
for recovery on the next start.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QSettings, QStandardPaths, QTimer, Signal

from workbench.gui.composer.document import ExperimentDocument
from workbench.spec import save

ORG, APP = "QMTL", "Workbench"
MAX_RECENT = 8
DATA_DIR_ENV = "QMTL_WORKBENCH_DATA_DIR"


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG, APP)


def data_dir() -> Path:
    base = os.environ.get(DATA_DIR_ENV) or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or str(Path.home() / ".qmtl-workbench")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def autosave_dir() -> Path:
    path = data_dir() / "autosave"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----------------------------------------------------------------------------------------------- recent

def recent_files() -> list[str]:
    value = settings().value("recentFiles", [])
    if isinstance(value, str):
        value = [value]
    return [v for v in (value or []) if isinstance(v, str)]


def add_recent(path: str | Path) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [p for p in recent_files() if p != path]
    files = files[:MAX_RECENT]
    settings().setValue("recentFiles", files)
    return files


def forget_recent(path: str) -> None:
    settings().setValue("recentFiles", [p for p in recent_files() if p != path])


# ----------------------------------------------------------------------------------------------- autosave

@dataclass(frozen=True)
class Recovery:
    spec_file: Path
    meta_file: Path
    lock_file: Path
    source: str | None  # the file the work came from (None: never saved)
    name: str
    saved_at: float

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        origin = self.source or "an unsaved experiment"
        return f"“{self.name}” from {origin}, autosaved {when}"

    def discard(self) -> None:
        for p in (self.spec_file, self.meta_file, self.lock_file):
            p.unlink(missing_ok=True)


def pending_recoveries() -> list[Recovery]:
    """Autosaves left behind by sessions that did not close cleanly, newest first."""
    out = []
    for meta in autosave_dir().glob("*.json"):
        session = meta.stem
        lock = QLockFile(str(meta.with_suffix(".lock")))
        if not lock.tryLock(0):  # its session still runs (this or another window)
            continue
        lock.unlock()
        spec_file = meta.with_suffix(".toml")
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        if not spec_file.exists():
            meta.unlink(missing_ok=True)
            continue
        out.append(Recovery(spec_file, meta, meta.with_suffix(".lock"), info.get("source"),
                            str(info.get("name", session)), float(info.get("saved_at", spec_file.stat().st_mtime))))
    return sorted(out, key=lambda r: -r.saved_at)


class Autosaver(QObject):
    """Writes the document (when modified and valid) every ``interval_ms`` and ``debounce_ms`` after edits."""

    saved = Signal(str)

    def __init__(self, doc: ExperimentDocument, interval_ms: int = 30_000, debounce_ms: int = 2_000, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.session = uuid.uuid4().hex[:12]
        folder = autosave_dir()
        self.spec_file = folder / f"{self.session}.toml"
        self.meta_file = folder / f"{self.session}.json"
        self.lock = QLockFile(str(folder / f"{self.session}.lock"))
        self.lock.setStaleLockTime(0)
        self.lock.tryLock(0)
        self.periodic = QTimer(self)
        self.periodic.setInterval(interval_ms)
        self.periodic.timeout.connect(self.save_now)
        self.periodic.start()
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(debounce_ms)
        self.debounce.timeout.connect(self.save_now)
        doc.changed.connect(self._changed)
        doc.modifiedChanged.connect(self._modified)

    def _changed(self, _path) -> None:
        self.debounce.start()

    def _modified(self, modified: bool) -> None:
        if not modified:  # saved (or reverted by undo): nothing to recover
            self.spec_file.unlink(missing_ok=True)
            self.meta_file.unlink(missing_ok=True)

    def save_now(self) -> bool:
        """Write the recovery file. An invalid spec is not written (it could not be loaded back); the last
        valid autosave stays."""
        if not self.doc.is_modified() or self.doc.first_spec_problem() is not None:  # data problems do not block
            return False
        save(self.doc.spec, self.spec_file)
        meta = {"source": str(self.doc.path) if self.doc.path else None, "name": self.doc.spec.name,
                "saved_at": time.time(), "pid": os.getpid()}
        tmp = self.meta_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        tmp.replace(self.meta_file)
        self.saved.emit(str(self.spec_file))
        return True

    def close(self) -> None:
        """A clean end of the session: nothing to recover."""
        self.periodic.stop()
        self.debounce.stop()
        self.spec_file.unlink(missing_ok=True)
        self.meta_file.unlink(missing_ok=True)
        self.lock.unlock()
