"""Accuracy against head parameters across runs: one mark per configuration (seeds averaged, ±std as error
bars), a distinct mark per head kind, and the Pareto front as a step line. What a quantum head costs next to the
classical one, at a glance. The numbers come from the core (``workbench.runs.tradeoff``)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.gui.common.plots import style_plot
from workbench.gui.common.theme import Theme
from workbench.runs.metrics_table import MetricsTable
from workbench.runs.tradeoff import TradeoffPoint, front_of, tradeoff_points

# head kind -> (legend name, pyqtgraph symbol, colour (None: the theme's quantum or classical colour), glyph)
HEAD_MARKS = {"qmtl": ("QMTL", "o", None, "●"),
              "hps": ("HPS (classical)", "s", None, "■"),
              "hybrid": ("hybrid", "t", "#009E73", "▼"),
              "single": ("single VQC per task", "d", "#CC79A7", "◆")}
LEGEND_TIP = ("QMTL: a shared quantum encoder and one ansatz block per task\nHPS: hard parameter sharing, one dense "
              "classical head per task\nhybrid: one shared VQC read out on every qubit, then a dense layer per task\n"
              "single: one complete VQC (own encoder copy) per task")
MAX_TEXT_LABELS = 12  # beyond this, names would cover the marks; hover still names each one


class TradeoffScatter(QWidget):
    pointClicked = Signal(list)  # the run ids behind a mark

    def __init__(self, theme: Theme, parent=None, font_pt: int = 9):
        super().__init__(parent)
        self.theme = theme
        self.font_pt = font_pt
        self.points: list[TradeoffPoint] = []
        self.front: list[TradeoffPoint] = []
        self.marks: dict[str, pg.ScatterPlotItem] = {}
        self.front_item: pg.PlotDataItem | None = None
        self._last: tuple[MetricsTable, dict] | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.logx_box = QCheckBox("log x")
        self.logx_box.setToolTip("Logarithmic head-parameter axis (heads that differ by orders of magnitude)")
        self.logx_box.toggled.connect(lambda _b: self._redraw())
        self.note = QLabel()
        self.note.setWordWrap(True)
        top.addWidget(self.logx_box)
        top.addWidget(self.note, 1)
        lay.addLayout(top)
        self.legend = QLabel()  # above the plot, where it never covers a mark, and wraps on a narrow window
        self.legend.setWordWrap(True)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.legend.setToolTip(LEGEND_TIP)
        lay.addWidget(self.legend)
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        lay.addWidget(self.plot, 1)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)
        self._redraw()

    def set_font_size(self, pt: int) -> None:
        self.font_pt = pt
        font = QFont()
        font.setPointSize(pt)
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setStyle(tickFont=font)
            ax.label.setFont(font)
        self._redraw()

    def color(self, head: str) -> QColor:
        explicit = HEAD_MARKS.get(head, ("", "x", "#777777", "×"))[2]
        return QColor(explicit or (self.theme.classical if head == "hps" else self.theme.quantum))

    def show_table(self, table: MetricsTable, groups: dict[str, str]) -> None:
        self._last = (table, groups)
        self._redraw()

    def _tip(self, x=None, y=None, data=None) -> str:
        p = self.points[int(data)]
        spread = f" ± {p.std:.3f}" if p.seeds > 1 else ""
        return (f"{p.label}\naccuracy {p.accuracy:.3f}{spread} · {p.params:g} head parameters\n"
                + "runs " + ", ".join(p.run_ids))

    def _clicked(self, _item, spots, _ev=None) -> None:
        if len(spots):
            self.pointClicked.emit(list(self.points[int(spots[0].data())].run_ids))

    def _x(self, params) -> np.ndarray:
        x = np.asarray(params, dtype=float)
        return np.log10(np.maximum(x, 1e-9)) if self.logx_box.isChecked() else x

    def _redraw(self) -> None:
        self.plot.clear()
        self.legend.clear()
        self.marks, self.front_item = {}, None
        log = self.logx_box.isChecked()
        self.plot.getAxis("bottom").setLogMode(log)  # the data is drawn in log10 units; the axis labels 10^k
        self.plot.setLabel("bottom", "trainable head parameters" + (" (log scale)" if log else ""))
        self.plot.setLabel("left", "mean test accuracy")
        if self._last is None:
            return
        self.points = tradeoff_points(*self._last)
        self.front = front_of(self.points)
        if not self.points:
            self.note.setText("No finished run with a test accuracy and a head size among the runs shown.")
            return
        self.note.setText(f"{len(self.points)} configurations from {sum(p.seeds for p in self.points)} runs · "
                          "bars: ±1 std over seeds · line: Pareto front (no run is more accurate with fewer head "
                          "parameters) · hover a mark for its runs")
        heads = list(dict.fromkeys([h for h in HEAD_MARKS if any(p.head == h for p in self.points)]
                                   + [p.head for p in self.points]))
        for head in heads:
            pts = [p for p in self.points if p.head == head]
            name, symbol, _, _ = HEAD_MARKS.get(head, (head, "x", None, "×"))
            color = self.color(head)
            x, y = self._x([p.params for p in pts]), np.array([p.accuracy for p in pts])
            std = np.array([p.std for p in pts])
            if std.any():
                bars = pg.ErrorBarItem(x=x, y=y, top=std, bottom=std, beam=0.0, pen=pg.mkPen(color, width=1.5))
                self.plot.addItem(bars)
            item = pg.ScatterPlotItem(x=x, y=y, symbol=symbol, size=12, brush=pg.mkBrush(color),
                                      pen=pg.mkPen(self.theme.base, width=1), name=name, hoverable=True,
                                      data=[self.points.index(p) for p in pts], tip=self._tip)
            item.sigClicked.connect(self._clicked)
            self.plot.addItem(item)
            self.marks[head] = item
        if len(self.front) > 1:
            xs, ys = [], []
            for a, b in zip(self.front, self.front[1:]):  # flat to the next point's params, then up to it
                xs += [a.params, b.params]
                ys += [a.accuracy, a.accuracy]
            xs.append(self.front[-1].params)
            ys.append(self.front[-1].accuracy)
            self.front_item = self.plot.plot(self._x(xs), ys, pen=pg.mkPen(self.theme.text, width=1.5,
                                                                           style=Qt.PenStyle.DashLine),
                                             name="Pareto front")
            self.front_item.setZValue(-1)
        if len(self.points) <= MAX_TEXT_LABELS:
            at: dict[tuple[float, float], list[str]] = {}  # marks on one spot share one label
            for p in self.points:
                at.setdefault((p.params, p.accuracy), []).append(p.label)
            xs = self._x([p.params for p in self.points])
            right = float(xs.min() + 0.6 * (xs.max() - xs.min())) if len(self.points) > 1 else float("inf")
            for (params, acc), labels in at.items():
                # below the mark, where the front (flat from it, then up to the next) leaves room; beside it
                # towards the middle, so no name runs off the plot
                x = float(self._x([params])[0])
                text = pg.TextItem("\n".join(labels), color=self.theme.text,
                                   anchor=(1.04, -0.1) if x > right else (-0.04, -0.1))
                font = QFont()
                font.setPointSize(self.font_pt)
                text.setFont(font)
                text.setPos(x, acc)
                self.plot.addItem(text)
        self._legend(heads)
        self._frame()

    def _legend(self, heads: list[str]) -> None:
        parts = [f'<span style="color:{self.color(h).name()}">{HEAD_MARKS.get(h, (h, "", "", "×"))[3]} '
                 f'{HEAD_MARKS.get(h, (h,))[0]}</span>' for h in heads]
        if self.front_item is not None:
            parts.append(f'<span style="color:{self.theme.text}">- - Pareto front</span>')
        self.legend.setText(f'<span style="font-size:{self.font_pt}pt">{" &nbsp; ".join(parts)}</span>')

    def _frame(self) -> None:
        """Room around the marks; below them for their names."""
        xs = self._x([p.params for p in self.points])
        lo_y = min(p.accuracy - p.std for p in self.points)
        hi_y = max(p.accuracy + p.std for p in self.points)
        span_x = float(xs.max() - xs.min()) or max(abs(float(xs.max())) * 0.2, 1.0)
        span_y = (hi_y - lo_y) or 0.05
        self.plot.setXRange(float(xs.min()) - 0.06 * span_x, float(xs.max()) + 0.08 * span_x, padding=0)
        self.plot.setYRange(lo_y - 0.2 * span_y, hi_y + 0.12 * span_y, padding=0)
