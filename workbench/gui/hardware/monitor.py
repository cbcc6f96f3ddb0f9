"""The job monitor: every recorded hardware job (all runs) with its status, queue, elapsed time and note, a Cancel
button on the pending ones, and the panel's status line below."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QGroupBox, QHeaderView, QLabel, QPushButton, QTableWidgetItem, QVBoxLayout

from workbench.gui.common.tables import row_table
from workbench.gui.common.theme import LIGHT, Theme

JOB_COLUMNS = ["Job id", "Run", "Backend", "Status", "Queue", "Elapsed", "Note", ""]
STATUS_TEXT = {"DONE": "done", "ERROR": "failed", "CANCELLED": "cancelled", "QUEUED": "queued",
               "RUNNING": "running", "INITIALIZING": "initializing", "VALIDATING": "validating"}


def elapsed(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(max(seconds, 0))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class JobMonitor(QGroupBox):
    cancelRequested = Signal(str)  # job id

    def __init__(self, parent=None):
        super().__init__("Jobs (all runs; reattached from the run store)", parent)
        self.theme = LIGHT
        self.views: list = []  # JobView
        jv = QVBoxLayout(self)
        self.table = row_table(JOB_COLUMNS)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 14)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(JOB_COLUMNS.index("Note"), QHeaderView.ResizeMode.Stretch)
        jv.addWidget(self.table, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        jv.addWidget(self.status)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.show_jobs()

    def set_status(self, text: str, error: bool = False) -> None:
        from workbench.hardware.redact import redact

        self.status.setText(("⚠ " if error else "") + redact(text))
        self.status.setStyleSheet(f"color: {self.theme.error if error else self.theme.text};")

    def show_jobs(self, views: list | None = None) -> None:
        if views is not None:
            self.views = views
        t = self.table
        views = sorted(self.views, key=lambda v: (not v.pending, v.job_id))
        t.setRowCount(len(views))
        colors = {"DONE": self.theme.ok, "ERROR": self.theme.error, "CANCELLED": self.theme.muted}
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        for i, v in enumerate(views):
            label = STATUS_TEXT.get(v.status, v.status.lower())
            vals = [v.job_id, v.run_id, v.backend + (" (local)" if v.local else ""), label,
                    "–" if v.queue is None else str(v.queue), elapsed(v.elapsed_s), v.note]
            for j, val in enumerate(vals):
                item = QTableWidgetItem(val)
                if j == 0:
                    item.setFont(mono)
                if j == 3:
                    item.setForeground(QBrush(QColor(colors.get(v.status, self.theme.highlight))))
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                    item.setToolTip(f"IBM status {v.status}")
                if j == 6:
                    item.setToolTip(v.note)
                t.setItem(i, j, item)
            if v.pending:
                button = QPushButton("Cancel")
                button.setToolTip("Cancel this job")
                button.clicked.connect(lambda _c=False, jid=v.job_id: self.cancelRequested.emit(jid))
                t.setCellWidget(i, len(JOB_COLUMNS) - 1, button)
            else:
                t.removeCellWidget(i, len(JOB_COLUMNS) - 1)
                t.setItem(i, len(JOB_COLUMNS) - 1, QTableWidgetItem(""))

    def job_row(self, job_id: str) -> dict[str, str] | None:
        """A monitor row as shown (tests, scripts): column name -> text."""
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).text() == job_id:
                return {c: self.table.item(i, j).text() for j, c in enumerate(JOB_COLUMNS[:-1])}
        return None
