"""The runs table: the core's metrics table (``workbench.runs.metrics_table``) as a Qt model, numbers sorted as
numbers, Tags and Note edited in place, and the core's filter behind the filter box."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel

from workbench.gui.common.theme import Theme
from workbench.runs import RunInfo, RunStoreError
from workbench.runs.metrics_table import Column, MetricsTable, row_filter

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
EDITABLE = ("tags", "note")
STATUS_COLORS = {"finished": "ok", "failed": "error", "cancelled": "muted", "running": "highlight",
                 "paused": "muted"}
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def cell_text(value, column: Column) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, float):
        return f"{value:.4g}" if column.key == "wall_time_s" else f"{value:.3f}" if abs(value) < 10 else f"{value:.4g}"
    return str(value)


class RunsModel(QStandardItemModel):
    """One row per run, columns as the core's table has them (per-task columns come and go with the runs)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.columns: list[Column] = []
        self.rows: dict[str, dict] = {}  # run id -> the core's row, for the filter

    def col(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def fill(self, table: MetricsTable, infos: dict[str, RunInfo], theme: Theme) -> None:
        self.setRowCount(0)
        if [c.key for c in self.columns] != [c.key for c in table.columns]:
            self.columns = list(table.columns)
            self.setColumnCount(len(self.columns))
            self.setHorizontalHeaderLabels([c.title for c in self.columns])
            for i, c in enumerate(self.columns):
                self.horizontalHeaderItem(i).setToolTip(f"{c.title} — `qmtl runs table` column {c.key}")
        self.rows = {r["id"]: r for r in table.rows}
        for row in table.rows:
            self.appendRow(self._items(row, infos.get(row["id"]), theme))

    def _items(self, row: dict, info: RunInfo | None, theme: Theme) -> list[QStandardItem]:
        items = []
        for c in self.columns:
            value = row.get(c.key)
            it = QStandardItem(cell_text(value, c))
            it.setData(row["id"], ID_ROLE)
            # numbers sort as numbers; a run without a value has None (the proxy puts it last either way)
            sort = value if c.numeric else (cell_text(value, c).lower() or None)
            it.setData(sort, SORT_ROLE)
            it.setEditable(c.key in EDITABLE)
            if c.key in EDITABLE:
                it.setToolTip("Double-click to edit" + (" (comma-separated)" if c.key == "tags" else ""))
            if c.numeric:
                it.setTextAlignment(RIGHT)
            items.append(it)
        items[0].setToolTip(f"run {row['id']}")
        status = items[self.col("status")]
        if STATUS_COLORS.get(row["status"]):
            status.setForeground(QColor(getattr(theme, STATUS_COLORS[row["status"]])))
        if info is not None and info.error:
            status.setToolTip(info.error)
            if row.get("mean_accuracy") is None and info.status == "failed":
                # a failed run has no accuracy; its reason goes where the eye looks for the result
                acc = items[self.col("mean_accuracy")]
                acc.setText(info.error.splitlines()[0] if info.error.strip() else "failed")
                acc.setToolTip(info.error)
                acc.setForeground(QColor(theme.error))
                acc.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return items


class RunFilter(QSortFilterProxyModel):
    """The core's filter (``head=qmtl mean_accuracy>0.8 paper``) plus an exact status filter."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.text = ""
        self.status = ""
        self.error = ""
        self._keep = None

    def set_filter(self, text: str, status: str) -> None:
        self.text, self.status = text.strip(), status
        self._rebuild()

    def _rebuild(self) -> None:
        model = self.sourceModel()
        try:
            self._keep = row_filter(self.text, model.columns) if self.text and model is not None else None
            self.error = ""
        except RunStoreError as exc:  # a column that does not exist: say so, show every run meanwhile
            self._keep, self.error = None, str(exc)
        self.invalidate()

    def lessThan(self, left, right) -> bool:  # noqa: N802 - Qt's name
        """Runs without a value last in either order, as ``qmtl runs table --sort`` puts them."""
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            return a is not b and (a is None) == (self.sortOrder() == Qt.SortOrder.DescendingOrder)
        return a < b

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802 - Qt's name
        m = self.sourceModel()
        run_id = m.index(row, 0, parent).data(ID_ROLE)
        data = m.rows.get(run_id, {})
        if self.status and data.get("status") != self.status:
            return False
        return self._keep is None or self._keep(data)
