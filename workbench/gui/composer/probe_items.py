"""The probe on the canvas: a rail under each band's wires (click a column there to look at the state after it)
and the marker that shows where the probe sits. ``ProbeOverlay`` keeps the probe's place across rebuilds and says
when it moves; what the probe shows is the probe panel's business."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from workbench.gui.composer.items import BAND_PAD, COL_W, RAIL_H, TOP, qcolor, ui_font

if TYPE_CHECKING:
    from workbench.gui.composer.items import BandItem
    from workbench.gui.composer.scene import ComposerScene

RAIL_TIP = "Click a column here to probe the state after it (click it again, or press Esc, to remove the probe)"


def band_grid(band: BandItem) -> tuple[int, float]:
    """(columns, column width) of a band as drawn: a Custom block's gate columns, a template's one box."""
    model = band.model
    if model.block.template == "Custom":
        return max(max(model.cols, default=-1) + 1, 1), COL_W
    return 1, model.content_w


class ProbeRail(QGraphicsItem):
    """The strip under a band's wires; the hovered column is outlined so the click's target shows."""

    def __init__(self, band: BandItem):
        super().__init__(band)
        self.band = band
        self.n, self.col_w = band_grid(band)
        self.hovered = -1
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setZValue(1)
        self.setToolTip(RAIL_TIP)

    @property
    def top(self) -> float:
        return self.band.composer.wires_bottom + 1

    def boundingRect(self) -> QRectF:
        return QRectF(BAND_PAD, self.top, self.n * self.col_w, RAIL_H)

    def column_at(self, x: float) -> int:
        return max(0, min(self.n - 1, math.floor((x - BAND_PAD) / self.col_w)))

    def hoverMoveEvent(self, event) -> None:
        col = self.column_at(event.pos().x())
        if col != self.hovered:
            self.hovered = col
            self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.hovered = -1
        self.update()

    def mousePressEvent(self, event) -> None:
        self.band.composer.probes.toggle(self.band.key, self.column_at(event.pos().x()))
        event.accept()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.band.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = self.top
        painter.setPen(QPen(qcolor(theme.wire), 1.0))
        for c in range(self.n):  # a small tick where each column ends: where a probe would go
            x = BAND_PAD + (c + 1) * self.col_w
            painter.drawLine(QPointF(x, top + 4), QPointF(x, top + 10))
        if self.hovered >= 0:
            painter.setPen(QPen(qcolor(theme.highlight), 1.0, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(BAND_PAD + self.hovered * self.col_w + 1, top + 1, self.col_w - 2,
                                           RAIL_H - 3), 3, 3)


class ProbeMarker(QGraphicsItem):
    """A dashed line through the wires after the probed column, with a flag on the rail."""

    def __init__(self, scene: ComposerScene):
        super().__init__()
        self.composer = scene
        self.setZValue(5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks reach the gates under it
        self.hide()

    def boundingRect(self) -> QRectF:
        return QRectF(-9, TOP - 10, 18, self.composer.wires_bottom - TOP + RAIL_H + 14)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.composer.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = qcolor(theme.highlight)
        bottom = self.composer.wires_bottom
        painter.setPen(QPen(c, 2.0, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(0, TOP - 6), QPointF(0, bottom))
        flag = QPainterPath()  # a diamond on the rail
        y = bottom + RAIL_H / 2 + 1
        flag.moveTo(0, y - 7)
        flag.lineTo(7, y)
        flag.lineTo(0, y + 7)
        flag.lineTo(-7, y)
        flag.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c)
        painter.drawPath(flag)
        painter.setPen(qcolor(theme.canvas))
        painter.setFont(ui_font(8, True))
        painter.drawText(QRectF(-7, y - 7, 14, 14), Qt.AlignmentFlag.AlignCenter, "P")


class ProbeOverlay(QObject):
    """Where the probe sits: (band key, column of that band), or None."""

    changed = Signal(object)

    def __init__(self, scene: ComposerScene):
        super().__init__(scene)
        self.scene = scene
        self.at: tuple | None = None
        self.marker = ProbeMarker(scene)
        scene.addItem(self.marker)

    def toggle(self, key, column: int) -> None:
        self.set_at(None if self.at == (key, column) else (key, column))

    def clear(self) -> bool:
        if self.at is None:
            return False
        self.set_at(None)
        return True

    def set_at(self, at: tuple | None) -> None:
        self.at = at
        self.relayout(emit=False)
        self.changed.emit(self.at)

    def relayout(self, emit: bool = True) -> None:
        """After a rebuild: follow the band, stay within its columns, or go when the band went."""
        old = self.at
        band = self.scene.bands.get(old[0]) if old is not None else None
        if band is None:
            self.at = None
            self.marker.hide()
        else:
            n, col_w = band_grid(band)
            self.at = (old[0], min(old[1], n - 1))
            self.marker.prepareGeometryChange()
            self.marker.setPos(band.pos().x() + BAND_PAD + (self.at[1] + 1) * col_w, 0)
            self.marker.show()
        if emit and self.at != old:
            self.changed.emit(self.at)
