"""The "ready to train" check: whenever the data-related part of the spec changes, or its data file changes on
disk, check it against its data off the GUI thread and hand the verdict to the document (which the status bar
and the train panel read)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from workbench.data.check import check_spec_data
from workbench.gui.composer.document import ExperimentDocument
from workbench.gui.data.jobs import DataJobs


def _key(spec, base_dir) -> tuple:
    """Everything the check depends on; other edits (gates, angles) never re-read the data."""
    d = spec.dataset
    return (repr(d), tuple((t.name, t.label, t.classes, t.class_names) for t in spec.tasks), spec.backbone.kind,
            spec.backbone.width, str(base_dir))


def _check(spec, base_dir):
    result = check_spec_data(spec, base_dir)
    return result.problems, result.summary


def data_file(spec, base_dir) -> Path | None:
    """The file a spec's data is read from (relative paths resolve against ``base_dir``); None for built-ins."""
    if not spec.dataset.path:
        return None
    path = Path(spec.dataset.path).expanduser()
    return Path(base_dir) / path if not path.is_absolute() and base_dir else path


class DataChecker(QObject):
    fileChanged = Signal(str)  # the data file was rewritten on disk: its preview is stale too

    def __init__(self, doc: ExperimentDocument, base_dir: Callable[[], Path | None], parent=None):
        super().__init__(parent)
        self.doc = doc
        self.base_dir = base_dir
        self.jobs = DataJobs(self)
        self.jobs.finished.connect(self._finished)
        self._wanted = None  # the key of the latest request
        self._cache: dict[tuple, tuple[list[str], str]] = {}
        self._timer = QTimer(self, singleShot=True, interval=150)  # typing a path: check once it settles
        self._timer.timeout.connect(self.check_now)
        doc.changed.connect(lambda _p: self._timer.start())
        doc.fileChanged.connect(lambda _p: self._timer.start())
        # The data file on disk: a rewrite (an editor, an export from elsewhere) checks again. The folder is
        # watched too: a file replaced by a rename leaves the file watch, and comes back through the folder's.
        self.watched: Path | None = None
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(lambda _p: self._disk_timer.start())
        self._watcher.directoryChanged.connect(self._folder_changed)
        self._disk_timer = QTimer(self, singleShot=True, interval=300)  # a write in several steps: once it settles
        self._disk_timer.timeout.connect(self._file_rewritten)
        self._stamp = None

    def check_now(self) -> None:
        self._timer.stop()
        spec = self.doc.snapshot()
        base = self.base_dir()
        self._watch(data_file(spec, base))
        key = _key(spec, base)
        if key == self._wanted:
            return
        self._wanted = key
        if key in self._cache:
            problems, summary = self._cache[key]
            self.doc.set_data_check("problems" if problems else "ok", problems, summary)
            return
        self.doc.set_data_check("checking")
        self.jobs.submit(key, _check, copy.deepcopy(spec), base)

    def forget(self) -> None:
        """The data on disk may have changed (a file was rewritten): check again from scratch."""
        self._cache.clear()
        self._wanted = None
        self.check_now()

    def _watch(self, path: Path | None) -> None:
        if path == self.watched:
            return
        if self._watcher.files() or self._watcher.directories():
            self._watcher.removePaths(self._watcher.files() + self._watcher.directories())
        self.watched = path
        self._stamp = _stamp(path)
        if path is not None:
            if path.is_file():
                self._watcher.addPath(str(path))
            if path.parent.is_dir():
                self._watcher.addPath(str(path.parent))

    def _folder_changed(self, _folder: str) -> None:
        if self.watched is not None and _stamp(self.watched) != self._stamp:
            self._disk_timer.start()

    def _file_rewritten(self) -> None:
        path = self.watched
        if path is None:
            return
        stamp = _stamp(path)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        if path.is_file() and str(path) not in self._watcher.files():
            self._watcher.addPath(str(path))  # replaced by a rename: watch the new file
        self.forget()
        self.fileChanged.emit(str(path))

    def _finished(self, key, result, error) -> None:
        problems, summary = result if result is not None else ([f"data: {error}"], "")
        self._cache[key] = (problems, summary)
        if key == self._wanted:
            self.doc.set_data_check("problems" if problems else "ok", problems, summary)

    def busy(self) -> bool:
        return not self.jobs.idle() or self._timer.isActive()

    def shutdown(self) -> None:
        self._timer.stop()
        self._disk_timer.stop()
        self.jobs.shutdown()


def _stamp(path: Path | None):
    """What says a file changed: its modification time and size (None: no such file)."""
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return None
    return None if st is None else (st.st_mtime_ns, st.st_size)
