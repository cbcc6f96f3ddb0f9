"""The composer's view: zoom with Ctrl+wheel or the View menu, rubber-band selection, drops from the palette."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QGraphicsView

from workbench.gui.composer.angle_editor import open_angle_editor

HINT = ("Drag gates and templates from the palette onto a wire  ·  double-click a template to expand it, a gate "
        "to edit its angle  ·  drag gates to move them, Shift+click or drag a rectangle to select  ·  click the strip "
        "under the wires to probe the state  ·  Del deletes  ·  Ctrl+Z undoes  ·  Ctrl+wheel zooms")


class ComposerView(QGraphicsView):
    MIN_ZOOM, MAX_ZOOM = 0.25, 4.0

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setAcceptDrops(True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Circuit composer")
        self.hint_color = QColor("#5d6470")
        scene.angleEditRequested.connect(lambda ref: open_angle_editor(self, ref))

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, z: float) -> None:
        z = max(self.MIN_ZOOM, min(self.MAX_ZOOM, z))
        self.resetTransform()
        self.scale(z, z)

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self.zoom * factor)

    def fit(self, max_zoom: float = 1.5, min_zoom: float | None = None) -> None:
        """Fit the whole circuit, enlarging small circuits at most to ``max_zoom``; with ``min_zoom`` a wide
        circuit stays readable and scrolls instead."""
        rect = self.sceneRect()
        if rect.isEmpty():
            return
        vp = self.viewport().rect()
        z = min(vp.width() / rect.width(), vp.height() / rect.height()) * 0.98
        z = min(z, max_zoom)
        if min_zoom is not None:
            z = max(z, min_zoom)
        self.set_zoom(z)
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        """A line of help under the circuit, in the free space (never over it; not part of exports)."""
        vp = self.viewport().rect()
        bottom = self.mapFromScene(self.sceneRect().bottomLeft()).y()
        if bottom > vp.height() - 52:
            return
        painter.save()
        painter.resetTransform()
        f = QFont(self.font())
        f.setPixelSize(11)
        painter.setFont(f)
        painter.setPen(self.hint_color)
        painter.drawText(QRectF(12, vp.height() - 46, vp.width() - 24, 42),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, HINT)
        painter.restore()

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
            event.accept()
        else:
            super().wheelEvent(event)
