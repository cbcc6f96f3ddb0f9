"""A small painted Bloch sphere: outline, equator, the x/y/z axes and the qubit's Bloch vector as an arrow.

The sphere is drawn in an oblique view (z up, y to the right, x towards the viewer, down-left), the way
textbooks draw it; a mixed state's vector is shorter than the radius, so its length shows its purity.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from workbench.gui.common.theme import LIGHT, Theme

# screen directions of the x, y and z axes (unit radius; screen y grows downwards)
_EX = (-0.42, 0.32)
_EY = (1.0, 0.0)
_EZ = (0.0, -1.0)


def project(v: tuple[float, float, float]) -> tuple[float, float]:
    """A point of the unit ball in the oblique view, as (right, down) in radii."""
    x, y, z = v
    return (x * _EX[0] + y * _EY[0] + z * _EZ[0], x * _EX[1] + y * _EY[1] + z * _EZ[1])


class BlochSphere(QWidget):
    def __init__(self, label: str = "", parent=None):
        super().__init__(parent)
        self.vector: tuple[float, float, float] | None = None
        self.label = label
        self.theme: Theme = LIGHT
        self.setFixedSize(124, 124)
        self.setAccessibleName(f"Bloch sphere {label}".strip())

    def sizeHint(self) -> QSize:
        return QSize(120, 120)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.update()

    def set_vector(self, v: tuple[float, float, float] | None) -> None:
        self.vector = None if v is None else tuple(float(c) for c in v)
        if v is not None:
            x, y, z = self.vector
            self.setToolTip(f"{self.label}: x = {x:.3f}, y = {y:.3f}, z = {z:.3f}, length "
                            f"{math.sqrt(x * x + y * y + z * z):.3f}")
        self.update()

    def paintEvent(self, event) -> None:
        t = self.theme
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height())
        r = side * 0.36
        c = QPointF(self.width() / 2, self.height() / 2 + side * 0.02)

        def at(v) -> QPointF:
            dx, dy = project(v)
            return QPointF(c.x() + r * dx, c.y() + r * dy)

        fill = QColor(t.highlight)
        fill.setAlpha(22)
        p.setBrush(fill)
        p.setPen(QPen(QColor(t.muted), 1.2))
        p.drawEllipse(c, r, r)
        # the equator: its front half solid, its back half dashed
        for front in (True, False):
            path = QPainterPath()
            steps = 48
            for s in range(steps + 1):
                a = math.pi * s / steps + (0 if front else math.pi)
                pt = at((-math.sin(a), math.cos(a), 0.0))  # front: x > 0, towards the viewer
                path.moveTo(pt) if s == 0 else path.lineTo(pt)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(t.wire), 1.0, Qt.PenStyle.SolidLine if front else Qt.PenStyle.DashLine))
            p.drawPath(path)
        axis_pen = QPen(QColor(t.wire), 0.8, Qt.PenStyle.DotLine)
        p.setPen(axis_pen)
        for axis in ((1, 0, 0), (0, 1, 0), (0, 0, 1)):
            p.drawLine(at(tuple(-a for a in axis)), at(axis))
        f = QFont(self.font())
        f.setPixelSize(max(9, int(side * 0.09)))
        p.setFont(f)
        p.setPen(QColor(t.muted))
        box = side * 0.16
        for text, v in (("x", (1.28, 0, 0)), ("y", (0, 1.22, 0)), ("|0⟩", (0, 0, 1.2)), ("|1⟩", (0, 0, -1.2))):
            pt = at(v)
            p.drawText(QRectF(pt.x() - box, pt.y() - box / 2, 2 * box, box), Qt.AlignmentFlag.AlignCenter, text)
        if self.vector is not None:
            self._arrow(p, c, at(self.vector), QColor(t.highlight))
        if self.label:
            p.setPen(QColor(t.text))
            p.drawText(QRectF(2, 1, side * 0.4, box), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                       self.label)
        p.end()

    @staticmethod
    def _arrow(p: QPainter, a: QPointF, b: QPointF, color: QColor) -> None:
        p.setPen(QPen(color, 2.2))
        p.drawLine(a, b)
        d = b - a
        length = math.hypot(d.x(), d.y())
        if length < 4:  # a (nearly) fully mixed state: a dot at the centre
            p.setBrush(color)
            p.drawEllipse(a, 3, 3)
            return
        ux, uy = d.x() / length, d.y() / length
        head = min(9.0, length * 0.45)
        left = QPointF(b.x() - head * ux + head * 0.45 * uy, b.y() - head * uy - head * 0.45 * ux)
        right = QPointF(b.x() - head * ux - head * 0.45 * uy, b.y() - head * uy + head * 0.45 * ux)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawPolygon(QPolygonF([b, left, right]))
