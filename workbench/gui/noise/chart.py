"""The noise comparison's grouped bar chart: one group of bars per task, one bar per backend (hatched when
measured on hardware), 95 % error bars in the shot views, a legend above the plot, and PNG/SVG export of both."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.common.plots import style_plot
from workbench.gui.common.theme import LIGHT, TASK_HUES, Theme
from workbench.gui.noise.rows import Row, series_order

# the views of the plot: (figure, label); "{shots}" is the shot budget
VIEWS = (("accuracy", "Accuracy (exact)"), ("shots_accuracy", "Accuracy ({shots} shots)"),
         ("macro_f1", "Macro-F1 (exact)"), ("shots_macro_f1", "Macro-F1 ({shots} shots)"),
         ("loss", "Test loss (exact)"), ("margin", "Mean margin p1 - p2 (exact)"),
         ("mean_abs_z", "Mean |<Z>| of the readout (exact)"), ("tv_from_ideal", "TV distance from ideal (exact)"))
UNBOUNDED = {"loss"}  # figures not in [0, 1]
IDEAL_COLOR = "#5d6470"


class NoiseChart(QWidget):
    """The legend and the plot: what the plot export draws."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.theme = LIGHT
        self.bar_items: dict[str, pg.BarGraphItem] = {}
        self.error_items: dict[str, pg.ErrorBarItem] = {}
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(220)
        self.plot.showGrid(y=True, alpha=0.25)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setMinimumHeight(int(self.legend.fontMetrics().height() * 1.8))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.legend)
        lay.addWidget(self.plot, 1)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)

    def color(self, series: str, order: list[str]) -> QColor:
        if series == "ideal":
            return QColor(IDEAL_COLOR if not self.theme.dark else "#c5cad3")
        others = [s for s in order if s != "ideal"]
        return QColor(TASK_HUES[others.index(series) % len(TASK_HUES)] if series in others else TASK_HUES[0])

    def draw(self, rows: list[Row], tasks: list[str], key: str, label: str, shots: int | None,
             empty_text: str = "") -> None:
        """Bars of figure ``key`` (its view's ``label``) per task and series; ``empty_text`` when no rows."""
        self.plot.clear()
        self.bar_items, self.error_items = {}, {}
        order = series_order(rows)
        self.plot.getAxis("bottom").setTicks([[(i, t) for i, t in enumerate(tasks)]])
        self.plot.setLabel("left", f"test {label[0].lower()}{label[1:]}" if label.startswith(("Acc", "Mac"))
                           else label)
        values = [r.figure(key) for r in rows]
        top = max([v for v in values if v is not None and not math.isnan(v)] or [1.0])
        self.plot.setYRange(0, top * 1.1 if key in UNBOUNDED else 1.05, padding=0)
        self.plot.setXRange(-0.6, max(len(tasks) - 1, 0) + 0.6, padding=0)
        if not rows:
            self.legend.setText(f'<span style="color:{self.theme.muted}">{empty_text}</span>' if empty_text else "")
            return
        n = len(order)
        width = 0.8 / max(n, 1)
        legend = []
        for j, series in enumerate(order):
            xs, ys, lows, highs = [], [], [], []
            for r in rows:
                v = r.figure(key)
                if r.series != series or r.task not in tasks or v is None:
                    continue
                xs.append(tasks.index(r.task) + (j - (n - 1) / 2) * width)
                ys.append(v)
                lo, hi = r.figures.get(key + "_low"), r.figures.get(key + "_high")
                lows.append(None if lo is None else v - lo)
                highs.append(None if hi is None else hi - v)
            if not xs:
                continue
            color = self.color(series, order)
            self._bars(series, xs, ys, width, color)
            if any(s is not None for s in highs):
                eb = pg.ErrorBarItem(x=np.array(xs), y=np.array(ys), top=np.array([s or 0.0 for s in highs]),
                                     bottom=np.array([s or 0.0 for s in lows]), beam=width * 0.3,
                                     pen=pg.mkPen(self.theme.text, width=1.2))
                self.plot.addItem(eb)
                self.error_items[series] = eb
            swatch = "▨" if series.startswith("hardware: ") else "■"
            legend.append(f'<span style="color:{color.name()}; font-size:13pt">{swatch}</span>&nbsp;'
                          f"{html.escape(series)}")
        if key.startswith("shots_"):
            hint = f" · {shots} shots per input; error bars: 95% interval over repeated samplings"
        else:
            hint = " · exact (infinitely many shots)"
        self.legend.setText("&nbsp;&nbsp; ".join(legend) + f'<span style="color:{self.theme.muted}">{hint}</span>')

    def _bars(self, series: str, xs: list, ys: list, width: float, color: QColor) -> None:
        pen = pg.mkPen(color.darker(130), width=1)
        if series.startswith("hardware: "):
            brush = pg.mkBrush(color)
            brush.setStyle(Qt.BrushStyle.Dense3Pattern)  # hatched: measured on hardware
            fill = QColor(color)
            fill.setAlpha(90)
            bars = pg.BarGraphItem(x=xs, height=ys, width=width * 0.92, brushes=[brush] * len(xs), pen=pen)
            self.plot.addItem(pg.BarGraphItem(x=xs, height=ys, width=width * 0.92, brush=pg.mkBrush(fill), pen=pen))
        else:
            bars = pg.BarGraphItem(x=xs, height=ys, width=width * 0.92, brush=pg.mkBrush(color), pen=pen)
        self.plot.addItem(bars)
        self.bar_items[series] = bars

    def export(self, path: str | Path, title: str, scale: float = 2.0) -> Path:
        """The legend and the plot as PNG (``scale`` x for slides) or SVG (vector, QtSvg), by the suffix."""
        from PySide6.QtCore import QPoint, QRectF, QSize
        from PySide6.QtGui import QImage, QPainter

        p = Path(path)
        if p.suffix.lower() not in (".png", ".svg"):
            p = p.with_suffix(".png")
        if self.width() < 200 or self.height() < 150:  # never shown (a docked tab not opened yet): lay it out
            self.resize(900, 520)
        w, h = self.width(), self.height()
        if p.suffix.lower() == ".svg":
            from PySide6.QtSvg import QSvgGenerator

            gen = QSvgGenerator()
            gen.setFileName(str(p))
            gen.setSize(QSize(w, h))
            gen.setViewBox(QRectF(0, 0, w, h))
            gen.setTitle(title)
            gen.setDescription("Exported by QMTL Workbench")
            painter = QPainter(gen)
            painter.fillRect(QRectF(0, 0, w, h), QColor(self.theme.base))
            self.render(painter, QPoint(0, 0))
            painter.end()
        else:
            image = QImage(int(w * scale), int(h * scale), QImage.Format.Format_ARGB32)
            image.fill(QColor(self.theme.base))
            painter = QPainter(image)
            painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
            painter.scale(scale, scale)
            self.render(painter, QPoint(0, 0))
            painter.end()
            if not image.save(str(p), "PNG"):
                raise OSError(f"cannot write {p}")
        if not p.exists():
            raise OSError(f"cannot write {p}")
        return p
