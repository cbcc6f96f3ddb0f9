"""The editor's document: a QObject around the core ``ExperimentSpec`` (orange-canvas-core's Scheme idea).

The spec itself stays a plain dataclass tree. Views read ``document.spec`` and listen to ``changed``;
they never write to it. Every change goes through ``set_value``, which only commands call, so every edit
is on the undo stack.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from workbench.gui.common.compat import guard_none_refcount
from workbench.gui.composer.ops import Problem, find_problems
from workbench.spec import ExperimentSpec, load, save
from workbench.spec.model import BackboneSpec, QuantumSpec, TaskSpec

guard_none_refcount()  # every Qt module of the GUI imports this one

SpecPath = tuple  # attribute names and list indices from the spec root, e.g. ("tasks", 1, "readout")


def new_spec() -> ExperimentSpec:
    """What File > New starts from: the smallest experiment that validates."""
    return ExperimentSpec(name="untitled", tasks=[TaskSpec("task1", 2)], quantum=QuantumSpec(qubits=4),
                          backbone=BackboneSpec(width=4))


def get_path(root, path: SpecPath):
    obj = root
    for key in path:
        obj = obj[key] if isinstance(key, int) else getattr(obj, key)
    return obj


class ExperimentDocument(QObject):
    changed = Signal(object)  # the SpecPath that changed; () after a whole new spec
    problemsChanged = Signal()
    validityChanged = Signal(bool)
    fileChanged = Signal(object)  # Path | None
    modifiedChanged = Signal(bool)

    def __init__(self, spec: ExperimentSpec | None = None, path: Path | None = None, parent=None):
        super().__init__(parent)
        self._spec = copy.deepcopy(spec) if spec is not None else new_spec()
        self._path = Path(path) if path else None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(lambda clean: self.modifiedChanged.emit(not clean))
        self._problems = find_problems(self._spec)
        self._revision = 0

    # ------------------------------------------------------------------------------------------- state
    @property
    def spec(self) -> ExperimentSpec:
        """The live spec: read it, never write to it (use commands)."""
        return self._spec

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def revision(self) -> int:
        """Grows on every change; lets listeners coalesce work and drop stale results."""
        return self._revision

    def snapshot(self) -> ExperimentSpec:
        return copy.deepcopy(self._spec)

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def problems(self) -> list[Problem]:
        return list(self._problems)

    def is_trainable(self) -> bool:
        """True when the core validates the spec: the training panel may start a run."""
        return not self._problems

    def first_problem(self) -> Problem | None:
        return self._problems[0] if self._problems else None

    def get(self, path: SpecPath):
        return get_path(self._spec, path)

    # ------------------------------------------------------------------------------------------- edits
    def set_value(self, path: SpecPath, value) -> None:
        """Replace the value at ``path``. Only commands call this (that keeps undo complete)."""
        if not path:
            self._spec = value
        else:
            parent = get_path(self._spec, path[:-1])
            key = path[-1]
            if isinstance(key, int):
                parent[key] = value
            else:
                setattr(parent, key, value)
        self._touch(path)

    def _touch(self, path: SpecPath) -> None:
        self._revision += 1
        was_valid = not self._problems
        old = self._problems
        self._problems = find_problems(self._spec)
        self.changed.emit(tuple(path))
        if self._problems != old:
            self.problemsChanged.emit()
        if was_valid != (not self._problems):
            self.validityChanged.emit(not self._problems)

    # ------------------------------------------------------------------------------------------- files
    def replace(self, spec: ExperimentSpec, path: Path | None, modified: bool = False) -> None:
        """A whole new document (new, open, recover): clears undo history."""
        self.undo_stack.clear()
        self._spec = copy.deepcopy(spec)
        self._path = Path(path) if path else None
        if modified:
            self.undo_stack.resetClean()  # no clean index: shows as modified until saved
        else:
            self.undo_stack.setClean()
        self.modifiedChanged.emit(modified)
        self.fileChanged.emit(self._path)
        self._touch(())

    def open(self, path: str | Path) -> None:
        """Load ``path`` (raises ``SpecError`` naming the problem; the document is then unchanged)."""
        spec = load(path)
        self.replace(spec, Path(path))

    def save(self, path: str | Path | None = None) -> Path:
        target = Path(path) if path else self._path
        if target is None:
            raise ValueError("no file name")
        save(self._spec, target)
        self._path = target
        self.undo_stack.setClean()
        self.fileChanged.emit(self._path)
        return target
