"""A sweep's finished trials as mean test accuracy against head parameters: QMTL, the classical head and the
other quantum baselines in their own marks, the Pareto front dashed; a click on a point opens its run."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor

from workbench.gui.common.plots import style_plot
from workbench.gui.common.theme import LIGHT, Theme

# QMTL and the classical heads in different marks; the other quantum baselines in a third
GROUPS = (("QMTL", "o", ("qmtl",)), ("classical (HPS)", "s", ("hps",)),
          ("hybrid / single VQC", "t", ("hybrid", "single")))


def finished(rows) -> list[dict]:
    return [r for r in rows if r["mean_test_accuracy"] is not None and r["head_params"] is not None]


class SweepScatter(pg.PlotWidget):
    runClicked = Signal(str)

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.setLabel("bottom", "head parameters")
        self.setLabel("left", "mean test accuracy")
        self.addLegend(offset=(-10, 10))
        self.showGrid(x=True, y=True, alpha=0.2)
        self.scatter: dict[str, pg.ScatterPlotItem] = {}  # group label -> its points
        for label, symbol, _heads in GROUPS:
            item = pg.ScatterPlotItem(symbol=symbol, size=11, name=label, hoverable=True)
            item.sigClicked.connect(self._points_clicked)
            self.addItem(item)
            self.scatter[label] = item
        self.front = pg.PlotDataItem(name="Pareto front")
        self.addItem(self.front)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        style_plot(self, theme)
        colors = {"QMTL": theme.quantum, "classical (HPS)": theme.classical}
        for label, item in self.scatter.items():
            color = QColor(colors.get(label, theme.muted))
            item.setPen(pg.mkPen(color.darker(130)))
            item.setBrush(pg.mkBrush(color))
        self.front.setPen(pg.mkPen(QColor(theme.muted), width=1.5, style=Qt.PenStyle.DashLine))

    def show_rows(self, rows) -> int:
        """Points of the finished trials, by head; the Pareto front. Returns the number of points drawn."""
        from workbench.sweeps import pareto_front

        done = finished(rows)
        for label, _symbol, heads in GROUPS:
            pts = [r for r in done if r["head"] in heads]
            self.scatter[label].setData([float(r["head_params"]) for r in pts],
                                        [float(r["mean_test_accuracy"]) for r in pts], data=[r["run_id"] for r in pts])
        front = pareto_front(done)
        self.front.setData([float(r["head_params"]) for r in front], [float(r["mean_test_accuracy"]) for r in front])
        return len(done)

    def _points_clicked(self, _item, points, *_args) -> None:
        if len(points):
            run_id = points[0].data()
            if run_id:
                self.runClicked.emit(run_id)
