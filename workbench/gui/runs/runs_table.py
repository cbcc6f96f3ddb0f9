"""The table view of runs: the metrics model behind the filter proxy, row selection by run id, a sort that
survives refreshes (by column key: per-task columns come and go), widths that keep the figures on screen."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from workbench.gui.common.theme import Theme
from workbench.gui.runs.table_model import ID_ROLE, SORT_ROLE, RunFilter, RunsModel
from workbench.runs import RunInfo
from workbench.runs.metrics_table import MetricsTable

MAX_COLUMN_PX = 260  # a long name or note must not push the figures off screen


class RunsTable(QTableView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.runs_model = RunsModel(self)
        self.proxy = RunFilter(self)
        self.proxy.setSourceModel(self.runs_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sort_key = ("created", Qt.SortOrder.DescendingOrder)
        self.filling = False
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.setAlternatingRowColors(True)
        self.setAccessibleName("Runs")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.horizontalHeader().sortIndicatorChanged.connect(self._sort_changed)

    def editing(self) -> bool:
        return self.state() == QAbstractItemView.State.EditingState

    def fill(self, data: MetricsTable, runs: dict[str, RunInfo], theme: Theme, text: str, status: str) -> None:
        selected = self.selected_ids()
        self.filling = True
        self.setSortingEnabled(False)
        self.runs_model.fill(data, runs, theme)
        self.setSortingEnabled(True)
        key, order = self.sort_key
        if any(c.key == key for c in self.runs_model.columns):
            self.sortByColumn(self.runs_model.col(key), order)
        self.filling = False
        self.proxy.set_filter(text, status)
        self.resizeColumnsToContents()
        for c in range(self.runs_model.columnCount()):
            self.setColumnWidth(c, min(self.columnWidth(c), MAX_COLUMN_PX))
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        if selected:
            self.select(selected)

    def _sort_changed(self, section: int, order) -> None:
        if not self.filling and 0 <= section < len(self.runs_model.columns):
            self.sort_key = (self.runs_model.columns[section].key, order)

    def sort_by(self, key: str, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sortByColumn(self.runs_model.col(key), order)

    def visible_ids(self) -> list[str]:
        return [self.proxy.index(r, 0).data(ID_ROLE) for r in range(self.proxy.rowCount())]

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        return [self.proxy.index(r, 0).data(ID_ROLE) for r in rows]

    def select(self, run_ids: list[str]) -> None:
        sel = QItemSelection()
        for r in range(self.proxy.rowCount()):
            if self.proxy.index(r, 0).data(ID_ROLE) in run_ids:
                sel.select(self.proxy.index(r, 0), self.proxy.index(r, self.runs_model.columnCount() - 1))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.selectionModel().select(sel, flags)
