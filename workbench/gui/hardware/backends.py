"""The backend picker: the provider's backends with qubits, queue and status; those too small for the run's
circuit are greyed out and cannot be picked."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QGroupBox, QHeaderView, QLabel, QTableWidgetItem, QVBoxLayout

from workbench.gui.common.tables import row_table
from workbench.gui.common.theme import LIGHT, Theme

BACKEND_COLUMNS = ["Backend", "Qubits", "Queue", "Status"]


class BackendPicker(QGroupBox):
    selectionChanged = Signal()

    def __init__(self, parent=None):
        super().__init__("Backend", parent)
        self.theme = LIGHT
        self.infos: list = []  # BackendInfo
        self.need = 0  # the run's qubits
        bv = QVBoxLayout(self)
        self.table = row_table(BACKEND_COLUMNS)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.selectionChanged.emit)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        bv.addWidget(self.table, 1)
        self.note = QLabel()
        self.note.setWordWrap(True)
        bv.addWidget(self.note)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.note.setStyleSheet(f"color: {theme.muted};")

    def set_note(self, text: str, error: bool = False) -> None:
        self.note.setText(f"⚠ {text}" if error else text)
        self.note.setStyleSheet(f"color: {self.theme.error if error else self.theme.muted};")

    def show_backends(self, infos: list | None = None, need: int | None = None) -> None:
        """Show ``infos`` (default: the last ones) for a circuit of ``need`` qubits; the selection stays."""
        if infos is not None:
            self.infos = infos
        if need is not None:
            self.need = need
        selected = self.selected()
        t = self.table
        t.setRowCount(len(self.infos))
        for i, b in enumerate(self.infos):
            queue_txt = "–" if b.pending_jobs is None else str(b.pending_jobs)
            state = "" if b.operational is None else ("online" if b.operational else "offline")
            fits = b.num_qubits >= self.need
            for j, v in enumerate([b.name, str(b.num_qubits), queue_txt, state + ("" if fits else
                                                                                     f" · needs {self.need} qubits")]):
                item = QTableWidgetItem(v)
                item.setData(Qt.ItemDataRole.UserRole, b.name)
                if j in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if not fits:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(b.status_msg or "")
                t.setItem(i, j, item)
        if selected:
            self.select(selected)

    def select(self, name: str) -> bool:
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item.data(Qt.ItemDataRole.UserRole) == name and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                self.table.selectRow(i)
                self.table.scrollToItem(item, QAbstractItemView.ScrollHint.PositionAtCenter)
                return True
        return False

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
