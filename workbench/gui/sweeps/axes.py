"""The axes of a sweep, one row each: a name (head, seed, engine, epochs, tasks or a dotted spec field) and its
values, as ``qmtl sweep --grid`` takes them."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

DEFAULT_AXES = (("head", "qmtl,hps"), ("seed", "0..2"))


class AxesEditor(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["axis", "values"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setToolTip("head, seed, engine, epochs, tasks (first k tasks, or k synthetic tasks) or a dotted "
                              "spec field such as quantum.default_block.layers; values a,b,c or a range 0..4 or "
                              "lo..hi:N[:log]")
        for name, values in DEFAULT_AXES:
            self.add_axis(name, values)
        self.add_btn = QPushButton("Add axis")
        self.add_btn.clicked.connect(lambda: self.add_axis("", ""))
        self.remove_btn = QPushButton("Remove axis")
        self.remove_btn.clicked.connect(self.remove_axis)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_btn)
        buttons.addWidget(self.remove_btn)
        lay.addLayout(buttons)

    def add_axis(self, name: str, values: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(values))

    def remove_axis(self) -> None:
        row = self.table.currentRow()
        self.table.removeRow(row if row >= 0 else self.table.rowCount() - 1)

    def axis_texts(self) -> list[str]:
        """The axes as ``qmtl sweep --grid`` takes them; blank rows are skipped."""
        out = []
        for row in range(self.table.rowCount()):
            name, values = (self.table.item(row, c).text().strip() if self.table.item(row, c) else ""
                            for c in (0, 1))
            if name or values:
                out.append(f"{name}={values}")
        return out
