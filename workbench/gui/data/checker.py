"""The "ready to train" check: whenever the data-related part of the spec changes, check it against its data
off the GUI thread and hand the verdict to the document (which the status bar and the train panel read)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

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


class DataChecker(QObject):
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

    def check_now(self) -> None:
        self._timer.stop()
        spec = self.doc.snapshot()
        base = self.base_dir()
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

    def _finished(self, key, result, error) -> None:
        problems, summary = result if result is not None else ([f"data: {error}"], "")
        self._cache[key] = (problems, summary)
        if key == self._wanted:
            self.doc.set_data_check("problems" if problems else "ok", problems, summary)

    def busy(self) -> bool:
        return not self.jobs.idle() or self._timer.isActive()

    def shutdown(self) -> None:
        self._timer.stop()
        self.jobs.shutdown()
