"""File > New: the first step is choosing the data; the tasks come from its label columns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout

from workbench.gui.composer.document import ExperimentDocument, new_spec
from workbench.gui.data.checker import DataChecker
from workbench.gui.data.panel import DataPanel


class NewExperimentDialog(QDialog):
    """Edits a scratch document (so every choice is the same command as in the data panel); the window takes
    its spec on Accept."""

    def __init__(self, base_dir: Callable[[], Path | None], parent=None):
        super().__init__(parent)
        self.setWindowTitle("New experiment: choose the data")
        self.setObjectName("newExperimentDialog")
        self.scratch = ExperimentDocument(new_spec(), parent=self)
        self.checker = DataChecker(self.scratch, base_dir, self)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit("untitled")
        self.name.setAccessibleName("Experiment name")
        form.addRow("Name", self.name)
        lay.addLayout(form)
        self.data = DataPanel(self.scratch, base_dir, self)
        lay.addWidget(self.data, 1)
        self.checker.fileChanged.connect(self.data.reload)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.data.previewReady.connect(self._update_ok)
        self.scratch.dataChecked.connect(self._update_ok)
        self.resize(760, 560)
        self._update_ok()
        # Start from the digits demo data, with its own task names and class counts.
        self.data.choose_source("digits-3task")

    def _update_ok(self) -> None:
        ready = self.data.preview is not None and not self.data.busy()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ready)

    def spec(self):
        spec = self.scratch.snapshot()
        spec.name = self.name.text().strip() or "untitled"
        return spec

    def done(self, result: int) -> None:
        self.data.shutdown()
        self.checker.shutdown()
        super().done(result)
