"""The first rows of the data, a column per header: labels tinted and marked ◆, left-out columns greyed and
marked ✕; a header click asks to change the column's role."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableWidget, QTableWidgetItem

from workbench.data.preview import Preview
from workbench.gui.common.theme import Theme

ROLE_TEXT = {"feature": "feature", "label": "label → task", "skip": "left out"}


class PreviewTable(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(92)
        self.columnClicked = header.sectionClicked  # column index
        self.verticalHeader().setDefaultSectionSize(22)
        self.setMinimumHeight(150)
        self.setAccessibleName("Data preview")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_preview(self, p: Preview | None, roles: dict[str, str], theme: Theme) -> None:
        self.clear()
        if p is None:
            self.setRowCount(0)
            self.setColumnCount(0)
            return
        self.setColumnCount(len(p.columns))
        self.setRowCount(len(p.rows))
        label_bg = QColor(theme.classical)
        label_bg.setAlpha(60)
        muted = QColor(theme.muted)
        for j, col in enumerate(p.columns):
            role = roles.get(col, "skip")
            mark = {"label": "◆ ", "feature": "", "skip": "✕ "}[role]
            head = QTableWidgetItem(mark + col)
            head.setToolTip(f"{col}: {ROLE_TEXT[role]} · click to change")
            if role == "skip":
                head.setForeground(muted)
            self.setHorizontalHeaderItem(j, head)
            for i, row in enumerate(p.rows):
                item = QTableWidgetItem(row[j] if j < len(row) else "")
                if role == "label":
                    item.setBackground(label_bg)
                elif role == "skip":
                    item.setForeground(muted)
                self.setItem(i, j, item)
