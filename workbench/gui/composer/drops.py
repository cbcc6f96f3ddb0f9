"""Drops from the palette onto the composer canvas: what a drag carries, where it would land (the indicator and
its hint say whether the drop is taken, and why not), and the drop itself, handed to the editor as an intent."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt

from workbench.gui.composer.items import BAND_PAD, COL_W, GATE_H, GATE_W, PALETTE_MIME, TOP, WIRE_PITCH, wire_y
from workbench.spec import vocabulary as V

if TYPE_CHECKING:
    from workbench.gui.composer.scene import ComposerScene


class PaletteDrops:
    """The scene's drag-and-drop events from the palette."""

    def __init__(self, scene: ComposerScene):
        self.scene = scene

    @staticmethod
    def payload(mime) -> dict | None:
        if not mime.hasFormat(PALETTE_MIME):
            return None
        try:
            data = json.loads(bytes(mime.data(PALETTE_MIME)).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) and "kind" in data and "name" in data else None

    def preview(self, payload: dict, pos: QPointF) -> tuple[bool, QRectF, str]:
        target = self.scene.target_at(pos)
        if target is None:
            return False, QRectF(pos.x() - 20, pos.y() - 15, 40, 30), "drop onto a wire of a band"
        key, wire, col = target
        band = self.scene.bands[key]
        reason = self.scene.editor.drop_problem(payload, key, wire) if self.scene.editor else None
        if payload["kind"] == "gate":
            nwires = V.GATES.get(payload["name"], (1, 0))[0] or 1
            lo = wire if wire + nwires - 1 < self.scene.qubits else max(wire - 1, 0)
            if band.model.block.template == "Custom":
                x = band.pos().x() + BAND_PAD + col * COL_W + (COL_W - GATE_W) / 2
            else:
                x = band.pos().x() + BAND_PAD + (0 if col == 0 else band.model.content_w - GATE_W)
            rect = QRectF(x, wire_y(lo) - GATE_H / 2, GATE_W, (nwires - 1) * WIRE_PITCH + GATE_H)
            text = reason or ("" if band.model.block.template == "Custom"
                              else f"{band.model.block.template} is a template: dropping asks to expand it "
                                   "into gates")
        else:
            rect = QRectF(band.pos().x() + 4, TOP - 6, band.model.width - 8, self.scene.qubits * WIRE_PITCH + 6)
            text = reason or f"use {payload['name']} here"
        return reason is None, rect, text

    def enter(self, event) -> None:
        if self.payload(event.mimeData()) is not None:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def move(self, event) -> None:
        payload = self.payload(event.mimeData())
        if payload is None:
            event.ignore()
            return
        ok, rect, text = self.preview(payload, event.scenePos())
        self.scene.indicator.show_at(rect, ok, text)
        event.setDropAction(Qt.DropAction.CopyAction)
        event.setAccepted(ok)

    def leave(self, event) -> None:
        self.scene.indicator.hide()
        event.accept()

    def drop(self, event) -> None:
        self.scene.indicator.hide()
        payload = self.payload(event.mimeData())
        target = self.scene.target_at(event.scenePos())
        if payload is None or target is None or self.scene.editor is None:
            event.ignore()
            return
        ok = self.scene.editor.drop_palette(payload, *target)
        event.setDropAction(Qt.DropAction.CopyAction)
        event.setAccepted(ok)
