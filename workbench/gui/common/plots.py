"""Live and comparison plots (pyqtgraph): per-task training curves, run overlays with seed bands, the
parameter-scaling plot, and PNG/SVG export of any of them.

Data rate and paint rate are decoupled (ScopeFoundry's ``update_display``): whoever owns the data appends
to ``SeriesBuffer``s, which only mark themselves dirty; a ``QTimer`` of the owner calls ``repaint()`` at
about 10 Hz, and only dirty curves are handed to pyqtgraph.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from workbench.gui.common.theme import LIGHT, TASK_HUES, Theme

pg.setConfigOptions(antialias=True, foreground="k")


# ------------------------------------------------------------------------------------------------ data
class SeriesBuffer:
    """An append-only (x, y) series in growable numpy arrays; ``dirty`` until the next repaint reads it. It keeps
    the range of its finite y values and its moving average up to date as points arrive, so that a repaint
    costs the new points, not the whole series."""

    __slots__ = ("_x", "_y", "n", "dirty", "lo", "hi", "_s", "_s_n", "_s_weight", "_s_last", "_s_count")

    def __init__(self, capacity: int = 256):
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self._s = np.empty(0)
        self.clear()
        self.dirty = False

    def append(self, x: float, y: float) -> None:
        if self.n == len(self._x):
            self._x = np.resize(self._x, 2 * self.n)
            self._y = np.resize(self._y, 2 * self.n)
        y = math.nan if y is None else float(y)
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1
        self.dirty = True
        if math.isfinite(y):
            self.lo = min(self.lo, y)
            self.hi = max(self.hi, y)

    def extend(self, xs, ys) -> None:
        for x, y in zip(xs, ys):
            self.append(x, y)

    def clear(self) -> None:
        self.n = 0
        self.dirty = True
        self.lo, self.hi = math.inf, -math.inf
        self._s_n, self._s_weight, self._s_last, self._s_count = 0, None, 0.0, 0

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    @property
    def last_x(self) -> float:
        return float(self._x[self.n - 1]) if self.n else -math.inf

    def smoothed(self, weight: float) -> np.ndarray:
        """``ema(self.y, weight)``, computing only the points added since the last call with this weight."""
        if weight <= 0:
            return self.y
        if weight != self._s_weight:
            self._s_n, self._s_weight, self._s_last, self._s_count = 0, weight, 0.0, 0
        if len(self._s) < len(self._x):
            self._s = np.resize(self._s, len(self._x))
        self._s_last, self._s_count = _ema_into(self._y, self._s, self._s_n, self.n, weight, self._s_last,
                                                self._s_count)
        self._s_n = self.n
        return self._s[: self.n]

    def __len__(self) -> int:
        return self.n


def nice_ceil(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k that is at least ``value`` (> 0): axis limits
    that move in a few jumps as a series grows."""
    scale = 10.0 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * scale >= value * (1 - 1e-12):
            return step * scale
    return 10 * scale


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average (weight 0: raw values). NaNs pass through."""
    values = np.asarray(values, dtype=float)
    if weight <= 0 or len(values) < 2:
        return values
    out = np.empty_like(values)
    _ema_into(values, out, 0, len(values), weight, 0.0, 0)
    return out


def _ema_into(values, out, start: int, stop: int, weight: float, last: float, count: int) -> tuple[float, int]:
    """``ema`` of ``values[start:stop]`` written into ``out``, continuing from the state (``last``, ``count``) a
    previous call returned: live curves extend their smoothing by the new points only."""
    for i in range(start, stop):
        v = values[i]
        if not math.isfinite(v):
            out[i] = v
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out[i] = last / (1 - weight ** count)
    return last, count


def mean_std(series: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and standard deviation over runs, on the x values every run has (seeds of one spec share
    their epochs/steps; a run stopped early only shortens the band)."""
    if not series:
        return np.empty(0), np.empty(0), np.empty(0)
    common = set(series[0][0].tolist())
    for x, _ in series[1:]:
        common &= set(x.tolist())
    xs = np.array(sorted(common), dtype=float)
    stack = []
    for x, y in series:
        lookup = dict(zip(x.tolist(), y.tolist()))
        stack.append([lookup[v] for v in xs])
    arr = np.asarray(stack, dtype=float).reshape(len(series), len(xs))
    return xs, np.nanmean(arr, axis=0), np.nanstd(arr, axis=0)


def style_plot(plot: pg.PlotWidget, theme: Theme) -> None:
    """Theme colours for the background, axes, tick and axis labels, title and legend of one plot."""
    plot.setBackground(QColor(theme.base))
    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
    for name in ("left", "bottom", "right"):
        ax = item.getAxis(name)
        ax.enableAutoSIPrefix(False)  # "accuracy (x0.001)" reads worse than 0.85
        ax.setPen(pg.mkPen(theme.muted))
        ax.setTextPen(pg.mkPen(theme.text))
        ax.labelStyle["color"] = theme.text
        ax._updateLabel()  # the axis title ("loss") keeps its colour in labelStyle
    # Room for "0.980" and the axis title: without it pyqtgraph clipped tick labels to "980".
    left = item.getAxis("left")
    left.setStyle(autoExpandTextSpace=True, autoReduceTextSpace=False)
    metrics = QFontMetrics(left.style.get("tickFont") or QFont())
    left.setWidth(max(int(left.width()), metrics.horizontalAdvance("-0.000") + 30))
    item.titleLabel.setAttr("color", theme.text)
    legend = item.legend
    if legend is not None:
        legend.setLabelTextColor(QColor(theme.text))
        back = QColor(theme.base)
        back.setAlpha(220)
        legend.setBrush(pg.mkBrush(back))
        legend.setPen(pg.mkPen(theme.muted))


def fast_curve(item: pg.PlotDataItem) -> pg.PlotDataItem:
    """Settings that keep 10^4..10^5 points per curve cheap to repaint."""
    item.setDownsampling(auto=True, method="peak")
    # "peak" keeps each bin's minimum and maximum: two bins per pixel look the same as pyqtgraph's default
    # five and stroke 2.5x fewer segments (no setter for it: it is a plain option)
    item.opts["autoDownsampleFactor"] = 2.0
    item.setClipToView(True)
    item.setSkipFiniteCheck(True)
    return item


def line_width(points: int) -> float:
    """Antialiased lines wider than one pixel cost Qt's raster engine about 30x more to stroke: long
    curves (10^4 noisy points take 170 ms at width 2, 5 ms at width 1) are drawn thin."""
    return 2 if points <= 2000 else 1


def export_plot(plot, path: str | Path, width: int = 1600) -> Path:
    """A plot (PlotWidget or anything with a ``scene()``) to PNG (pyqtgraph's exporter, ``width`` pixels) or
    SVG by the file's suffix. The SVG is drawn with QtSvg's generator: pyqtgraph 0.14's SVG exporter cannot
    parse the path data Qt 6.12 writes."""
    from pyqtgraph.exporters import ImageExporter

    path = Path(path)
    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
    if path.suffix.lower() == ".svg":
        from PySide6.QtCore import QRectF, QSize
        from PySide6.QtGui import QPainter
        from PySide6.QtSvg import QSvgGenerator

        widget = plot if hasattr(plot, "viewport") else None
        scene = item.scene()
        src = widget.mapToScene(widget.viewport().rect()).boundingRect() if widget else item.sceneBoundingRect()
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(QSize(int(src.width()), int(src.height())))
        gen.setViewBox(QRectF(0, 0, src.width(), src.height()))
        gen.setTitle("QMTL Workbench plot")
        painter = QPainter(gen)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bg = widget.backgroundBrush() if widget else None
        if bg is not None:
            painter.fillRect(QRectF(0, 0, src.width(), src.height()), bg)
        scene.render(painter, QRectF(0, 0, src.width(), src.height()), src)
        painter.end()
    else:
        ex = ImageExporter(item)
        ex.parameters()["width"] = width
        ex.export(str(path))
    if not path.exists():
        raise OSError(f"cannot write {path}")
    return path


def _title(parts: Iterable[tuple[str, str]], size: str = "9pt") -> str:
    return " &nbsp; ".join(f'<span style="color:{c}">{t}</span>' for t, c in parts)


# ----------------------------------------------------------------------------------------- smoothing
class SmoothingControl(QWidget):
    changed = Signal(float)

    def __init__(self, value: float = 0.6, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Smoothing"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 99)
        self.slider.setValue(round(value * 100))
        self.slider.setMaximumWidth(160)
        self.slider.setToolTip("Debiased exponential moving average of the training curves (0: raw)")
        self.label = QLabel()
        self.label.setMinimumWidth(32)
        lay.addWidget(self.slider)
        lay.addWidget(self.label)
        self.slider.valueChanged.connect(self._changed)
        self._changed(self.slider.value())

    @property
    def value(self) -> float:
        return self.slider.value() / 100

    def _changed(self, v: int) -> None:
        self.label.setText(f"{v / 100:.2f}")
        self.changed.emit(v / 100)


# ------------------------------------------------------------------------------------------ live plots
class FrameCosts:
    """CPU time of the GUI thread (``time.thread_time``: what other processes on the machine do not inflate)
    per live frame: handing new data to the curves plus the paints that follow, until the next frame."""

    def __init__(self, keep: int = 20_000):
        self.frames: deque[float] = deque(maxlen=keep)  # seconds per frame
        self.paints: deque[float] = deque(maxlen=keep)  # seconds per paint of one plot

    def frame(self, cpu: float) -> None:
        self.frames.append(cpu)

    def paint(self, cpu: float) -> None:
        self.paints.append(cpu)
        if self.frames:
            self.frames[-1] += cpu

    def clear(self) -> None:
        self.frames.clear()
        self.paints.clear()


class _LivePlot(pg.PlotWidget):
    """A PlotWidget that reports the CPU time of each of its paints."""

    def __init__(self, costs: FrameCosts):
        super().__init__()
        self._costs = costs

    def paintEvent(self, ev):
        t = time.thread_time()
        try:
            return super().paintEvent(ev)
        finally:
            self._costs.paint(time.thread_time() - t)


SPLIT_STYLE = {"train": Qt.PenStyle.SolidLine, "val": Qt.PenStyle.DashLine}


LIVE_TRAIN_WIDTH = 1  # px: per-step curves repainted at 10 Hz (see ``line_width``); epoch curves get 2


class TrainingPlots(QWidget):
    """Per-task loss and accuracy, train (per step while live, per epoch from the store) and validation
    (per epoch). ``add_event`` only fills buffers; ``repaint`` (the owner's timer) draws.

    While live (after ``reset``) the axes do not auto-range: the step axis spans the run's total steps (or
    grows in jumps when that is unknown) and the loss axis grows in jumps, so a frame repaints the curves
    and blits the axes from their cache instead of laying out and drawing every tick label and grid line
    again. Stored runs (``load_rows``) auto-range as usual."""

    def __init__(self, theme: Theme = LIGHT, parent=None, font_pt: int = 9):
        super().__init__(parent)
        self.theme = theme
        self.font_pt = font_pt
        self.tasks: list[str] = []
        self.buffers: dict[tuple[str, str, str], SeriesBuffer] = {}  # (split, task, metric)
        self.curves: dict[tuple[str, str, str], pg.PlotDataItem] = {}
        self.smoothing = 0.6
        self._smoothing_dirty = False
        self.costs = FrameCosts()
        self.live = False
        self._x_total: float | None = None  # the run's last step, when the events say it
        self._ranges: tuple = ()  # the (x, y) limits last applied while live
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        # The legend is a wrapping line above both plots: as a plot title it was cut off on the right.
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(self.legend)
        row = QHBoxLayout()
        self.loss_plot = _LivePlot(self.costs)
        self.acc_plot = _LivePlot(self.costs)
        for p, label in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            p.setLabel("left", label)
            p.setLabel("bottom", "step")
            p.showGrid(x=True, y=True, alpha=0.2)
            p.setMenuEnabled(True)
            p.setMinimumHeight(160)
            row.addWidget(p)
        self.acc_plot.setYRange(0, 1, padding=0.02)
        self.acc_plot.enableAutoRange(y=False)
        self.acc_plot.setXLink(self.loss_plot)
        for p in self.plots():
            for name in ("left", "bottom"):
                # ticks, labels and the grid (drawn by the axes) kept as a pixmap until the axis changes
                p.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        lay.addLayout(row, 1)
        self.set_theme(theme)

    def plots(self) -> list[pg.PlotWidget]:
        return [self.loss_plot, self.acc_plot]

    # -- data
    def reset(self, tasks: list[str], live: bool = True) -> None:
        """Empty curves for ``tasks``; ``live``: per-step data will stream in (see the class)."""
        for p in self.plots():
            p.clear()
        self.tasks = list(tasks)
        self.buffers.clear()
        self.curves.clear()
        self._x_total = None
        for i, task in enumerate(self.tasks):
            color = TASK_HUES[i % len(TASK_HUES)]
            for split in ("train", "val"):
                for metric, plot in (("loss", self.loss_plot), ("accuracy", self.acc_plot)):
                    key = (split, task, metric)
                    self.buffers[key] = SeriesBuffer()
                    pen = pg.mkPen(color, width=2.4, style=SPLIT_STYLE[split])  # train: see _set_live
                    kw = dict(symbol="o", symbolSize=6, symbolBrush=color, symbolPen=color) if split == "val" else {}
                    self.curves[key] = fast_curve(plot.plot([], [], pen=pen, **kw))
        self._set_live(live)
        self._titles()

    def _set_live(self, live: bool) -> None:
        """Live: fixed axes moved by ``_live_ranges`` and thin train curves; else auto-range, 2-px curves."""
        self.live = live
        self._ranges = ()
        self.loss_plot.enableAutoRange(x=not live, y=not live)
        self.acc_plot.enableAutoRange(x=not live)
        for i, task in enumerate(self.tasks):
            for metric in ("loss", "accuracy"):
                self.curves[("train", task, metric)].setPen(
                    pg.mkPen(TASK_HUES[i % len(TASK_HUES)], width=LIVE_TRAIN_WIDTH if live else 2))

    def _titles(self) -> None:
        parts = [(f"■ {t}", TASK_HUES[i % len(TASK_HUES)]) for i, t in enumerate(self.tasks)]
        parts.append(("— train  - - validation", self.theme.muted))
        self.legend.setText(f'<span style="font-size:{self.font_pt}pt">{_title(parts)}</span>')

    def _ensure_task(self, task: str) -> None:
        if task not in self.tasks:
            self.reset(self.tasks + [task], live=self.live)

    def add_metrics(self, split: str, x: float, metrics: dict) -> None:
        """``metrics`` = {task: {"loss": .., "accuracy": ..}} at x (a step)."""
        for task, m in metrics.items():
            if (split, task, "loss") not in self.buffers:
                self._ensure_task(task)
            for metric in ("loss", "accuracy"):
                if metric in m:
                    self.buffers[(split, task, metric)].append(x, m[metric])

    def add_event(self, ev) -> None:
        """A TrainEvent: step events carry per-batch train metrics; epoch events the validation ones."""
        if not self.live:  # a resumed run streams on after its stored epochs
            self._set_live(True)
        if ev.total_epochs and ev.steps_per_epoch:
            self._x_total = ev.total_epochs * ev.steps_per_epoch
        if ev.kind == "step":
            self.add_metrics("train", ev.step, ev.metrics.get("train", {}))
        elif ev.kind == "epoch":
            self.add_metrics("val", ev.step, ev.metrics.get("val", {}))

    def load_rows(self, rows, tasks: list[str], upto_epoch: int | None = None) -> None:
        """Fill from stored MetricRows (epoch resolution); ``upto_epoch`` limits them (replay)."""
        self.reset(tasks, live=False)
        for r in rows:
            if r.split not in ("train", "val") or "." not in r.key:
                continue
            if upto_epoch is not None and r.epoch > upto_epoch:
                continue
            task, metric = r.key.rsplit(".", 1)
            key = (r.split, task, metric)
            if key in self.buffers:
                self.buffers[key].append(r.step, r.value)

    def point_count(self) -> int:
        return sum(len(b) for b in self.buffers.values())

    def set_smoothing(self, weight: float) -> None:
        self.smoothing = weight
        self._smoothing_dirty = True

    # -- paint
    def repaint(self) -> int:
        """Hand dirty buffers to their curves; returns how many curves were updated."""
        t = time.thread_time()
        n = 0
        for key, buf in self.buffers.items():
            if not (buf.dirty or self._smoothing_dirty):
                continue
            y = buf.smoothed(self.smoothing) if key[0] == "train" else buf.y
            self.curves[key].setData(buf.x, y)
            buf.dirty = False
            n += 1
        self._smoothing_dirty = False
        if n:
            if self.live:
                self._live_ranges()
            self.costs.frame(time.thread_time() - t)
        return n

    def _live_ranges(self) -> None:
        """Step axis: 0 to the run's total steps, or to a limit that doubles when the newest step passes it;
        loss axis: from 0 (or a round limit below the lowest loss) to a round limit above the highest. Applied
        only when a limit moves."""
        last = max(b.last_x for b in self.buffers.values())
        if last <= 0:
            return
        x_hi = self._ranges[0] if self._ranges else 0
        if self._x_total and last <= self._x_total:
            x_hi = self._x_total
        elif last > x_hi:
            x_hi = nice_ceil(2 * last)  # doubling: a handful of jumps per run
        losses = [b for (_, _, metric), b in self.buffers.items() if metric == "loss" and b.hi >= b.lo]
        lo = min((b.lo for b in losses), default=0.0)
        hi = max((b.hi for b in losses), default=1.0)
        y = (0.0 if lo >= 0 else -nice_ceil(-lo), nice_ceil(hi) if hi > 0 else 1.0)
        if (x_hi, y) == self._ranges:
            return
        self._ranges = (x_hi, y)
        self.loss_plot.setXRange(0, x_hi, padding=0.02)
        self.loss_plot.setYRange(*y, padding=0.02)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for p in self.plots():
            style_plot(p, theme)
        self._titles()

    def set_font_size(self, pt: int) -> None:
        from PySide6.QtGui import QFont

        self.font_pt = pt
        f = QFont()
        f.setPointSize(pt)
        for p in self.plots():
            for name in ("left", "bottom"):
                ax = p.getAxis(name)
                ax.setStyle(tickFont=f)
                ax.label.setFont(f)
        self._titles()


# ------------------------------------------------------------------------------------------ overlays
OVERLAY_HUES = TASK_HUES


class OverlayPlot(pg.PlotWidget):
    """Several runs' curves of one metric; seeds of the same spec and head as a mean line with a +-std band."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setLabel("bottom", "epoch")
        self.legend = self.addLegend(offset=(-10, -10), labelTextSize="9pt")
        self.series: dict[str, tuple[np.ndarray, np.ndarray, str]] = {}  # label -> (x, y, group)
        self.items: list = []
        style_plot(self, theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self, theme)

    def show_series(self, series: list[tuple[str, np.ndarray, np.ndarray, str]], group: bool,
                    smoothing: float = 0.0, ylabel: str = "", xlabel: str = "epoch") -> int:
        """``series``: (label, x, y, group key). Returns the number of drawn lines (bands count as one)."""
        self.clear()
        self.legend.clear()
        self.items = []
        self.setLabel("left", ylabel)
        self.setLabel("bottom", xlabel)
        if group:
            groups: dict[str, list] = {}
            for label, x, y, g in series:
                groups.setdefault(g, []).append((label, x, ema(y, smoothing)))
            for i, (g, members) in enumerate(groups.items()):
                color = QColor(OVERLAY_HUES[i % len(OVERLAY_HUES)])
                if len(members) == 1:
                    label, x, y = members[0]
                    self._line(x, y, color, f"{g} (1 run)")
                    continue
                xs, mean, std = mean_std([(x, y) for _, x, y in members])
                fill = QColor(color)
                fill.setAlpha(60)
                lo = pg.PlotDataItem(xs, mean - std, pen=pg.mkPen(None))
                hi = pg.PlotDataItem(xs, mean + std, pen=pg.mkPen(None))
                band = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(fill))
                self.addItem(band)
                self.items.append(band)
                self._line(xs, mean, color, f"{g}: mean ± std of {len(members)} seeds")
            return len(groups)
        for i, (label, x, y, _g) in enumerate(series):
            color = QColor(OVERLAY_HUES[i % len(OVERLAY_HUES)])
            self._line(x, ema(y, smoothing), color, label)
        return len(series)

    def _line(self, x, y, color: QColor, label: str) -> pg.PlotDataItem:
        item = fast_curve(self.plot(x, y, pen=pg.mkPen(color, width=line_width(len(x))), name=label))
        self.items.append(item)
        return item

    def line_items(self) -> list[pg.PlotDataItem]:
        return [i for i in self.items if isinstance(i, pg.PlotDataItem)]

    def band_items(self) -> list[pg.FillBetweenItem]:
        return [i for i in self.items if isinstance(i, pg.FillBetweenItem)]


# ------------------------------------------------------------------------------------------- scaling
class ScalingPlot(QWidget):
    """Head parameters (classical HPS vs quantum) against the number of tasks T, with circuit depth and
    two-qubit gates on a second axis; log-log toggle. The study (what ``qmtl params --json`` reports) runs as
    a job of the worker process (it builds torch heads for every T): the GUI thread never waits for it."""

    finished = Signal()

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.rows: list[dict] = []
        self.error = ""
        self._job = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.log_box = QCheckBox("log-log")
        self.log_box.setChecked(True)
        self.log_box.toggled.connect(self._apply_log)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        top.addWidget(self.log_box)
        top.addWidget(self.note, 1)
        lay.addLayout(top)
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "tasks T")
        self.plot.setLabel("left", "trainable head parameters")
        self.plot.showAxis("right")
        self.plot.setLabel("right", "depth · two-qubit gates")
        self.right = pg.ViewBox()
        pi = self.plot.getPlotItem()
        pi.scene().addItem(self.right)
        pi.getAxis("right").linkToView(self.right)
        self.right.setXLink(pi)
        pi.vb.sigResized.connect(self._sync_views)
        self.classical = pi.plot([], [], symbol="o", symbolSize=7)
        self.quantum = pi.plot([], [], symbol="s", symbolSize=7)
        self.depth = pg.PlotDataItem([], [], symbol="t", symbolSize=7)
        self.two_qubit = pg.PlotDataItem([], [], symbol="t1", symbolSize=7)
        self.right.addItem(self.depth)
        self.right.addItem(self.two_qubit)
        lay.addWidget(self.plot, 1)
        self.set_theme(theme)

    def _sync_views(self) -> None:
        self.right.setGeometry(self.plot.getPlotItem().vb.sceneBoundingRect())
        self.right.linkedViewChanged(self.plot.getPlotItem().vb, self.right.XAxis)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)
        for item, color, style in ((self.classical, theme.classical, Qt.PenStyle.SolidLine),
                                   (self.quantum, theme.quantum, Qt.PenStyle.SolidLine),
                                   (self.depth, "#E69F00", Qt.PenStyle.DashLine),
                                   (self.two_qubit, theme.muted, Qt.PenStyle.DashLine)):
            item.setPen(pg.mkPen(color, width=2, style=style))
            item.setSymbolBrush(QColor(color))
            item.setSymbolPen(pg.mkPen(color))
        parts = [("● classical HPS params", theme.classical), ("■ quantum head params", theme.quantum),
                 ("▲ depth (right)", "#E69F00"), ("▼ 2q gates (right)", theme.muted)]
        self.plot.setTitle(_title(parts), size="9pt")

    def request(self, spec) -> None:
        """Compute the study for ``spec`` (an ExperimentSpec) in the worker process; a newer request replaces a
        running one."""
        from workbench.gui.common.worker import workers

        self.note.setText("computing the scaling study…")
        job = self._job = workers().submit("workbench.analysis.background:scaling_study", key=f"scaling-{id(self)}",
                                           owner=self, spec=spec)
        job.returned.connect(self._done)
        job.errored.connect(self._failed)

    def busy(self) -> bool:
        return self._job is not None and not self._job.done

    def _done(self, data: dict) -> None:
        self.show_rows(data["rows"], data.get("alpha"))
        self.error = ""
        self.finished.emit()

    def _failed(self, err) -> None:
        self.error = err.message
        self.note.setText(f'<span style="color:{self.theme.error}">{self.error}</span>')
        self.finished.emit()

    def show_rows(self, rows: list[dict], alpha: float | None = None) -> None:
        self.rows = list(rows)
        T = [r["T"] for r in rows]
        self.classical.setData(T, [r["classical_params"] for r in rows])
        self.quantum.setData(T, [r["quantum_params"] for r in rows])
        self.depth.setData(T, [r["depth"] for r in rows])
        self.two_qubit.setData(T, [r["two_qubit"] for r in rows])
        if alpha is not None:
            self.plot.setLabel("bottom", f"tasks T (shared width d = {alpha:g}·T)")
        self.note.setText("")
        self._apply_log(self.log_box.isChecked())

    def _apply_log(self, on: bool) -> None:
        self.plot.setLogMode(x=on, y=on)
        for item in (self.depth, self.two_qubit):
            item.setLogMode(on, on)
        self.plot.getPlotItem().getAxis("right").setLogMode(on, on)
        self.right.enableAutoRange()
        self.plot.enableAutoRange()
