"""The palette: gates, encoders and ansatz templates, dragged onto the composer with a real QDrag."""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.composer.scene import CONTROLLED, PALETTE_MIME, ROTATIONS
from workbench.spec import vocabulary as V

PAYLOAD_ROLE = Qt.ItemDataRole.UserRole + 1

GATE_HELP = {
    "RX": "rotation about X by one angle", "RY": "rotation about Y by one angle",
    "RZ": "rotation about Z by one angle", "Rot": "general rotation RZ·RY·RZ (three angles)",
    "H": "Hadamard", "X": "Pauli X (NOT)", "Z": "Pauli Z", "CNOT": "controlled NOT (two wires)",
    "CZ": "controlled Z (two wires)", "SWAP": "swap two wires",
    "CRX": "controlled RX (two wires, one angle)", "CRY": "controlled RY (two wires, one angle)",
    "CRZ": "controlled RZ (two wires, one angle)",
}
TEMPLATE_HELP = {
    "AngleEmbedding": "one feature per qubit as a rotation angle",
    "ReUploading": "several features per qubit over upload layers",
    "AmplitudeEmbedding": "features as the amplitudes of the state (2^n of them)",
    "IQPEmbedding": "H, RZ(x) and ZZ(x·x) products",
    "StronglyEntanglingLayers": "Rot on every wire, then a CNOT ring, per layer",
    "BasicEntanglerLayers": "one rotation per wire, then a CNOT ring, per layer",
    "HardwareEfficient": "chosen rotations per wire, then entanglers, per layer",
}


def payload_mime(payload: dict) -> QMimeData:
    mime = QMimeData()
    mime.setData(PALETTE_MIME, json.dumps(payload).encode("utf-8"))
    mime.setText(payload["name"])
    return mime


def _gate_icon(name: str, theme: Theme) -> QIcon:
    pm = QPixmap(28, 20)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    if name in ROTATIONS or name in CONTROLLED:
        color = theme.gate_rotation
    elif name in ("CNOT", "CZ", "SWAP"):
        color = theme.gate_entangler
    else:
        color = theme.gate_pauli
    p.setBrush(QColor(color))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(1, 1, 26, 18, 3, 3)
    f = QFont()
    f.setPixelSize(8 if len(name) > 3 else 9)
    f.setBold(True)
    p.setFont(f)
    p.setPen(QColor("#ffffff") if name not in ("CNOT", "CZ", "SWAP") or not theme.dark else QColor("#000000"))
    p.drawText(pm.rect(), Qt.AlignmentFlag.AlignCenter, name)
    p.end()
    return QIcon(pm)


class PaletteWidget(QTreeWidget):
    activated_payload = Signal(dict)  # double-click / Enter: add to the current band

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setIndentation(10)
        self.setAccessibleName("Gate palette")
        self.itemActivated.connect(self._activated)
        self._theme = theme
        self.populate()

    def populate(self) -> None:
        self.clear()
        groups = [
            ("Gates", "gate", V.PALETTE_GATES, GATE_HELP),
            ("Encoders", "encoder", [e for e in V.ENCODERS if e != "Custom"], TEMPLATE_HELP),
            ("Ansatz templates", "ansatz", [a for a in V.ANSATZE if a != "Custom"], TEMPLATE_HELP),
        ]
        for title, kind, names, helps in groups:
            top = QTreeWidgetItem(self, [title])
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            top.setToolTip(0, {"gate": "Drop on a wire; two-qubit gates take the wire below too",
                               "encoder": "Drop on the shared encoder band",
                               "ansatz": "Drop on a task lane"}[kind])
            f = top.font(0)
            f.setBold(True)
            top.setFont(0, f)
            for name in names:
                item = QTreeWidgetItem(top, [name])
                item.setData(0, PAYLOAD_ROLE, {"kind": kind, "name": name})
                item.setToolTip(0, f"{name}: {helps.get(name, '')}\nDrag onto the composer, or double-click "
                                   f"to add it to the current band")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                if kind == "gate":
                    item.setIcon(0, _gate_icon(name, self._theme))
            top.setExpanded(True)

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.populate()

    def item_for(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            for j in range(top.childCount()):
                if top.child(j).text(0) == name:
                    return top.child(j)
        return None

    def mimeTypes(self) -> list[str]:
        return [PALETTE_MIME]

    def mimeData(self, items) -> QMimeData:
        payloads = [it.data(0, PAYLOAD_ROLE) for it in items if it.data(0, PAYLOAD_ROLE)]
        return payload_mime(payloads[0]) if payloads else QMimeData()

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        payload = item.data(0, PAYLOAD_ROLE) if item else None
        if not payload:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        if not item.icon(0).isNull():
            drag.setPixmap(item.icon(0).pixmap(28, 20))
        drag.exec(Qt.DropAction.CopyAction)

    def _activated(self, item: QTreeWidgetItem, _col: int) -> None:
        payload = item.data(0, PAYLOAD_ROLE)
        if payload:
            self.activated_payload.emit(dict(payload))
