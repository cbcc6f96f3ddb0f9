"""The results side of the noise panel: the view box, Clear and exports above the bar chart, the table below."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.common import messages
from workbench.gui.common.tables import row_table
from workbench.gui.common.theme import Theme
from workbench.gui.noise.chart import VIEWS, NoiseChart
from workbench.gui.noise.rows import Row, fmt, one_line, rows_to_csv, series_order

COLUMNS = ["Backend", "Source", "Task", "Accuracy", "Acc. (shots) [95%]", "Macro-F1", "Loss", "Margin", "|<Z>|",
           "TV ideal", "Shots", "Inputs", "Time s"]


class NoiseResults(QWidget):
    """Shows ``rows`` of one run (``run_id``, its ``task_names``)."""

    changed = Signal()  # rows shown or cleared (the panel enables its buttons)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[Row] = []
        self.task_names: list[str] = []
        self.run_id: str | None = None
        self._build()

    def _build(self) -> None:
        rv = QVBoxLayout(self)
        rv.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("View:"))
        self.metric_box = QComboBox()
        self.metric_box.setToolTip("The figure the bars show")
        self._fill_views(None)
        self.metric_box.currentIndexChanged.connect(lambda _i: self._draw())
        top.addWidget(self.metric_box)
        top.addStretch(1)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the plot and the table (what is stored with the run stays)")
        self.clear_button.clicked.connect(self.clear)
        top.addWidget(self.clear_button)
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.clicked.connect(self._ask_csv)
        self.plot_button = QPushButton("Export plot…")
        self.plot_button.setToolTip("PNG or SVG")
        self.plot_button.clicked.connect(self._ask_plot)
        top.addWidget(self.csv_button)
        top.addWidget(self.plot_button)
        rv.addLayout(top)
        self.chart = NoiseChart()
        rv.addWidget(self.chart, 3)
        self.table = row_table(COLUMNS)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        rv.addWidget(self.table, 2)

    def set_theme(self, theme: Theme) -> None:
        self.chart.set_theme(theme)
        self._draw()

    def show_rows(self, rows: list[Row], task_names: list[str] | None = None, run_id=False) -> None:
        """Show ``rows`` (and, when given, a new run's tasks and id)."""
        if task_names is not None:
            self.task_names = task_names
        if run_id is not False:
            self.run_id = run_id
        self.rows = rows
        self._show_rows()

    def clear(self) -> None:
        """Empty the plot and the table (the results stored with the run stay there)."""
        self.show_rows([])

    # -- table and plot
    def _show_rows(self) -> None:
        order = series_order(self.rows)
        tasks = self.task_names or sorted({r.task for r in self.rows})
        rows = sorted(self.rows, key=lambda r: (order.index(r.series), tasks.index(r.task) if r.task in tasks else 99))
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            shot = r.figures.get("shots_accuracy")
            shot_text = "" if shot is None else (f"{fmt(shot)} [{fmt(r.figures.get('shots_accuracy_low'))}, "
                                                 f"{fmt(r.figures.get('shots_accuracy_high'))}]")
            vals = [r.backend, r.source + (f" ({r.engine})" if r.engine else ""), r.task, fmt(r.accuracy), shot_text,
                    fmt(r.macro_f1), fmt(r.figures.get("loss")), fmt(r.figures.get("margin")),
                    fmt(r.figures.get("mean_abs_z")), fmt(r.figures.get("tv_from_ideal"), 4),
                    "exact" if r.shots is None and r.source == "simulated" else fmt(r.shots, 0), fmt(r.inputs, 0),
                    fmt(r.seconds, 1)]
            for j, v in enumerate(vals):
                item = QTableWidgetItem(v)
                if j >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if j == 0:
                    item.setForeground(QBrush(self.chart.color(r.series, order)))
                self.table.setItem(i, j, item)
        self._fill_views(self._shots_of_rows())
        has = bool(rows)
        for button in (self.csv_button, self.plot_button, self.clear_button):
            button.setEnabled(has)
        self._draw()
        self.changed.emit()

    def _shots_of_rows(self) -> int | None:
        shots = {r.shots for r in self.rows
                 if r.source == "simulated" and r.shots and r.figures.get("shots_accuracy") is not None}
        return max(shots) if shots else None

    def _fill_views(self, shots: int | None) -> None:
        """The view box's items, the shot views labelled with the budget ("N shots") when there is one."""
        current = self.metric_box.currentData() or "accuracy"
        self.metric_box.blockSignals(True)
        self.metric_box.clear()
        for key, label in VIEWS:
            self.metric_box.addItem(label.format(shots=shots if shots else "N"), key)
        self.metric_box.setCurrentIndex(max(self.metric_box.findData(current), 0))
        self.metric_box.blockSignals(False)

    def set_view(self, key: str) -> None:
        i = self.metric_box.findData(key)
        if i < 0:
            raise KeyError(key)
        self.metric_box.setCurrentIndex(i)

    def _draw(self) -> None:
        if not hasattr(self, "chart"):
            return
        key = self.metric_box.currentData() or "accuracy"
        tasks = self.task_names or sorted({r.task for r in self.rows})
        empty = "No results yet: choose backends and press Compare." if self.run_id else ""
        self.chart.draw(self.rows, tasks, key, self.metric_box.currentText() or key, self._shots_of_rows(), empty)

    # -- exports
    def export_csv(self, path: str | Path) -> Path:
        p = Path(path)
        p.write_text(rows_to_csv(self.rows), encoding="utf-8")
        return p

    def export_plot(self, path: str | Path, scale: float = 2.0) -> Path:
        """The legend and the plot as PNG (``scale`` x for slides) or SVG (vector), by the suffix."""
        return self.chart.export(path, f"Noise comparison, run {self.run_id}", scale)

    def _ask_csv(self) -> None:
        path = messages.save_path(self, caption="Export noise table", filters="CSV (*.csv);;All files (*)",
                                  directory=f"noise-{self.run_id or 'run'}.csv")
        if path:
            try:
                self.export_csv(path)
            except OSError as exc:
                messages.error(self, "Export failed", f"Cannot write {path}", one_line(exc))

    def _ask_plot(self) -> None:
        path = messages.save_path(self, caption="Export noise plot",
                                  filters="PNG image (*.png);;SVG image (*.svg)",
                                  directory=f"noise-{self.run_id or 'run'}.png")
        if path:
            try:
                self.export_plot(path)
            except Exception as exc:  # exporters raise assorted errors on unwritable paths
                messages.error(self, "Export failed", f"Cannot write {path}", one_line(exc))
