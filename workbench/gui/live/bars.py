"""Each task's readout as horizontal bars: one per class, the predicted class in the task's colour, the true label
outlined; a regression as a gauge over its target range with the true value as a tick. Painted directly (a
handful of rectangles per task repaints in well under a millisecond, at any font size)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QWidget

from workbench.analysis.live_results import TaskOutput
from workbench.gui.common.theme import LIGHT, Theme

# what one class row and the whole widget need, in multiples of the font's line height
ROW = 1.35
PAD = 6


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(round(a.red() * (1 - t) + b.red() * t), round(a.green() * (1 - t) + b.green() * t),
                  round(a.blue() * (1 - t) + b.blue() * t))


class TaskBars(QWidget):
    """One task's output. ``output`` is what it shows (None: nothing yet)."""

    def __init__(self, theme: Theme = LIGHT, color: QColor | None = None, point_size: float | None = None,
                 parent=None):
        super().__init__(parent)
        self.theme = theme
        self.color = color or QColor(theme.highlight)
        self.output: TaskOutput | None = None
        if point_size:
            f = QFont(self.font())
            f.setPointSizeF(point_size)
            self.setFont(f)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_output(self, output: TaskOutput, color: QColor | None = None, theme: Theme | None = None) -> None:
        self.output = output
        if color is not None:
            self.color = color
        if theme is not None:
            self.theme = theme
        self.setToolTip(self._tooltip())
        self.updateGeometry()
        self.update()

    def _rows(self) -> int:
        if self.output is None:
            return 1
        return 1 if self.output.kind == "regression" else len(self.output.probabilities)

    def _line(self) -> int:
        return QFontMetrics(self.font()).height()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        line = self._line()
        rows = self._rows() + (1 if self.output is not None and self.output.kind == "regression" else 0)
        return QSize(240, int(line * 1.6 + rows * line * ROW + line * 1.3 + 2 * PAD))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(160, self.sizeHint().height())

    def _tooltip(self) -> str:
        o = self.output
        raw = "\n".join(f"{label} = {v:.4f}" for label, v in zip(o.raw_labels[:16], o.raw[:16]))
        more = f"\n… {len(o.raw)} values in all" if len(o.raw) > 16 else ""
        return f"{o.name}: {o.readout} readout\n{raw}{more}"

    # ------------------------------------------------------------------------------------------- painting
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        line = self._line()
        r = QRectF(self.rect()).adjusted(PAD, PAD, -PAD, -PAD)
        o = self.output
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(self.color)
        head = QRectF(r.left(), r.top(), r.width(), line * 1.4)
        p.drawText(head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, o.name if o else "…")
        if o is None:
            return
        p.setFont(self.font())
        p.setPen(QColor(t.muted))
        verdict = ""
        if o.truth is not None and o.kind != "regression":
            verdict = "  ✓" if o.correct else "  ✗"
        p.drawText(head, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   f"predicted {o.predicted_text()}{verdict}")
        top = head.bottom() + line * 0.2
        if o.kind == "regression":
            top = self._gauge(p, o, r, top, line)
        else:
            top = self._classes(p, o, r, top, line)
        p.setPen(QColor(t.muted))
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.85))
        p.setFont(small)
        raw = ", ".join(f"{label} {v:+.3f}" for label, v in zip(o.raw_labels, o.raw))
        foot = QRectF(r.left(), top + line * 0.1, r.width(), line * 1.2)
        p.drawText(foot, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   QFontMetrics(small).elidedText(f"{o.readout}: {raw}", Qt.TextElideMode.ElideRight,
                                                  int(foot.width())))

    def _classes(self, p: QPainter, o: TaskOutput, r: QRectF, top: float, line: int) -> float:
        t = self.theme
        fm = QFontMetrics(self.font())
        label_w = max(fm.horizontalAdvance(n) for n in o.class_names) + line * 0.5
        value_w = fm.horizontalAdvance("100.0%  true") + line * 0.3
        track_x = r.left() + label_w
        track_w = max(10.0, r.width() - label_w - value_w)
        h = line * ROW
        other = _mix(self.color, QColor(t.base), 0.4 if t.dark else 0.6)  # dimmed, still readable on dark
        truth = int(o.truth) if o.truth is not None else None
        for k, (name, prob) in enumerate(zip(o.class_names, o.probabilities)):
            y = top + k * h
            p.setPen(QColor(t.text))
            p.drawText(QRectF(r.left(), y, label_w - line * 0.4, h),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            track = QRectF(track_x, y + h * 0.15, track_w, h * 0.7)
            p.fillRect(track, QColor(t.alt_base))
            p.fillRect(QRectF(track.left(), track.top(), track_w * min(max(prob, 0.0), 1.0), track.height()),
                       self.color if k == o.predicted else other)
            if k == truth:
                p.setPen(QPen(QColor(t.text), max(1.5, line / 9)))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(track.adjusted(-1, -1, 1, 1))
            p.setPen(QColor(t.text) if k == o.predicted else QColor(t.muted))
            tag = "  true" if k == truth else ""
            p.drawText(QRectF(track.right() + line * 0.3, y, value_w, h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{prob:.1%}{tag}")
        return top + len(o.probabilities) * h

    def _gauge(self, p: QPainter, o: TaskOutput, r: QRectF, top: float, line: int) -> float:
        t = self.theme
        lo, hi = o.target_range
        span = (hi - lo) or 1.0
        h = line * ROW
        track = QRectF(r.left(), top + h * 0.15, r.width(), h * 0.7)
        p.fillRect(track, QColor(t.alt_base))
        frac = min(max((o.value - lo) / span, 0.0), 1.0)
        p.fillRect(QRectF(track.left(), track.top(), track.width() * frac, track.height()), self.color)
        labels = QRectF(r.left(), top + h, r.width(), line * 1.2)
        p.setPen(QColor(t.muted))
        p.drawText(labels, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{lo:g}")
        p.drawText(labels, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{hi:g}")
        if o.truth is not None:
            x = track.left() + track.width() * min(max((float(o.truth) - lo) / span, 0.0), 1.0)
            p.setPen(QPen(QColor(t.text), max(2.0, line / 7)))
            p.drawLine(int(x), int(track.top() - 3), int(x), int(track.bottom() + 3))
            p.drawText(labels, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                       f"true {o.truth_text()}")
        return top + h + line * 1.2


class BarsGrid(QWidget):
    """Every task's bars, in as many columns as the width allows."""

    def __init__(self, theme: Theme = LIGHT, point_size: float | None = None, column_width: int = 260,
                 parent=None):
        super().__init__(parent)
        self.theme = theme
        self.point_size = point_size
        self.column_width = column_width
        self.bars: list[TaskBars] = []
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(4)
        self._columns = 0

    def set_outputs(self, outputs, theme: Theme | None = None) -> None:
        if theme is not None:
            self.theme = theme
        tasks = outputs.tasks
        while len(self.bars) > len(tasks):
            bar = self.bars.pop()
            self._grid.removeWidget(bar)
            bar.deleteLater()
        while len(self.bars) < len(tasks):
            self.bars.append(TaskBars(self.theme, point_size=self.point_size, parent=self))
        for i, (bar, task) in enumerate(zip(self.bars, tasks)):
            bar.set_output(task, self.theme.task_color(i), self.theme)
        self._layout(force=True)

    def clear(self) -> None:
        for bar in self.bars:
            self._grid.removeWidget(bar)
            bar.deleteLater()
        self.bars = []

    def _layout(self, force: bool = False) -> None:
        scale = (self.point_size or self.font().pointSizeF()) / max(self.font().pointSizeF(), 1.0)
        columns = max(1, min(len(self.bars) or 1, int(self.width() // (self.column_width * scale))))
        if columns == self._columns and not force:
            return
        self._columns = columns
        for bar in self.bars:
            self._grid.removeWidget(bar)
        for i, bar in enumerate(self.bars):
            self._grid.addWidget(bar, i // columns, i % columns, Qt.AlignmentFlag.AlignTop)
        for c in range(self._grid.columnCount()):
            self._grid.setColumnStretch(c, 1 if c < columns else 0)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._layout()
