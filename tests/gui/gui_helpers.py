"""Drive the composer through real Qt events: drags from the palette, mouse drags of gates."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

from workbench.gui.composer.scene import BAND_PAD, COL_W, wire_y


def band_point(window, key, wire: int, col: float = 0.5) -> QPointF:
    """Scene position of column ``col`` on ``wire`` inside band ``key``."""
    band = window.scene.bands[key]
    return QPointF(band.pos().x() + BAND_PAD + col * COL_W, wire_y(wire))


def to_viewport(window, scene_pos: QPointF) -> QPoint:
    view = window.view
    view.ensureVisible(scene_pos.x() - 5, scene_pos.y() - 5, 10, 10, 20, 20)
    return view.mapFromScene(scene_pos)


def drop_mime(window, mime, scene_pos: QPointF) -> tuple[bool, bool]:
    """Enter, move and drop ``mime`` on the view's viewport at ``scene_pos``, as a real drag does.
    Returns (move accepted, drop accepted)."""
    vp = window.view.viewport()
    pos = QPointF(to_viewport(window, scene_pos))
    copy = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(pos.toPoint(), copy, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, enter)
    move = QDragMoveEvent(pos.toPoint(), copy, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, move)
    moved = move.isAccepted()
    drop = QDropEvent(pos, copy, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, drop)
    return moved, drop.isAccepted()


def mouse_drag(window, start: QPointF, end: QPointF, steps: int = 4) -> None:
    """Press on ``start``, move in steps with the button held, release on ``end`` (scene positions)."""
    vp = window.view.viewport()
    a = QPointF(to_viewport(window, start))
    b = QPointF(window.view.mapFromScene(end))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    mods = Qt.KeyboardModifier.NoModifier

    def send(kind, pos, button, buttons):
        ev = QMouseEvent(kind, pos, vp.mapToGlobal(pos), button, buttons, mods)
        QApplication.sendEvent(vp, ev)

    send(QEvent.Type.MouseButtonPress, a, left, left)
    for i in range(1, steps + 1):
        p = a + (b - a) * (i / steps)
        send(QEvent.Type.MouseMove, p, none, left)
    send(QEvent.Type.MouseButtonRelease, b, left, none)
