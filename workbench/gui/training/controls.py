"""The train panel's left column: the run settings, Start / Pause / Resume / Stop, why a run cannot start, the
progress bar with its ETA, and the run's status. Long texts wrap in the column: the buttons never move."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from workbench.gui.training.progress import Progress, fmt_duration
from workbench.gui.training.settings_form import TrainSettingsForm


class TrainControls(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        ll = QVBoxLayout(self)
        ll.setContentsMargins(0, 0, 4, 0)
        self.form = TrainSettingsForm()
        ll.addWidget(self.form)
        row = QHBoxLayout()
        self.buttons = (QPushButton("▶ Start"), QPushButton("‖ Pause"), QPushButton("▶ Resume"),
                        QPushButton("■ Stop"))
        start, _pause, _resume, stop = self.buttons
        start.setToolTip("Train the experiment as it is now in the editor (unsaved edits included)")
        stop.setToolTip("Stop after the current step; the run stays resumable from its last epoch")
        for b in self.buttons:
            row.addWidget(b)
        ll.addLayout(row)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setTextFormat(Qt.TextFormat.RichText)
        ll.addWidget(self.why)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")
        ll.addWidget(self.progress)
        self.eta = QLabel(" ")
        ll.addWidget(self.eta)
        self.status = QLabel("No run yet.")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ll.addWidget(self.status)
        ll.addStretch(1)
        # Long status text wraps inside the column instead of widening it (which moved Start/Pause/Stop).
        for label in (self.why, self.eta, self.status):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(270)
        self.setMaximumWidth(380)

    def show_state(self, bar_text: str, html: str, value: int | None = None) -> None:
        """A run starting or ended: the bar's text (and value), the status line, no ETA."""
        if value is not None:
            self.progress.setValue(value)
        self.progress.setFormat(bar_text)
        self.eta.setText(" ")
        self.status.setText(html)

    def show_progress(self, ev, p: Progress) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        self.progress.setFormat(f"epoch {ev.epoch}/{ev.total_epochs} · step {ev.step}/{p.total} · %p%")
        eta = p.eta()
        self.eta.setText(f"ETA {fmt_duration(eta)}" if eta is not None else "ETA …")
