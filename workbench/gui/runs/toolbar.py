"""The runs browser's controls above the table: the filter (the core's, as ``qmtl runs table --filter``), the
status filter, runs or trash, the count, and the buttons acting on the selected runs."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from workbench.runs.trash import TRASH_DAYS

# attribute -> (text, tooltip)
BUTTONS = {
    "diff_btn": ("Diff specs", "Show how the specs of the two selected runs differ"),
    "clone_btn": ("Clone into composer", "Open the selected run's spec in the composer as a new, untitled experiment"),
    "resume_btn": ("Resume", "Continue a stopped, failed or killed run from its last epoch checkpoint"),
    "csv_btn": ("Export CSV…", "Every metric row of the selected runs in one CSV file"),
    "png_btn": ("Export plot…", "The curves or the scatter, whichever is shown, as PNG or SVG"),
    "report_btn": ("HTML report…", "A self-contained HTML report of the selected runs"),
}
STATUSES = ("finished", "running", "paused", "cancelled", "failed")


class RunsToolbar(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: words, or COLUMN<op>VALUE such as head=qmtl mean_accuracy>0.8 "
                                       "tag=paper")
        self.filter.setToolTip("Every term must hold. Columns by key (hover a column title) or title; "
                               "ops = != < <= > >=")
        self.filter.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItem("any status", "")
        for s in STATUSES:
            self.status_filter.addItem(s, s)
        self.view_box = QComboBox()
        self.view_box.addItem("Show: runs", False)
        self.view_box.addItem("Show: trash", True)
        self.view_box.setToolTip(f"Deleted runs stay in the trash for {TRASH_DAYS} days; right-click one there to "
                                 "restore it")
        self.count_label = QLabel()
        for w, stretch in ((self.filter, 1), (self.status_filter, 0), (self.view_box, 0), (self.count_label, 0)):
            top.addWidget(w, stretch)
        lay.addLayout(top)
        actions = QHBoxLayout()
        for attr, (text, tip) in BUTTONS.items():
            button = QPushButton(text)
            button.setToolTip(tip)
            setattr(self, attr, button)
            actions.addWidget(button)
        actions.addStretch(1)
        lay.addLayout(actions)
