"""The composer canvas: a QGraphicsScene that draws the document and forwards gestures to the editor.

Left to right: wire labels, the shared-encoder band, then one lane per task (coloured per task, with the
task's readout at its end). The scene never changes the document: drops, drags, deletes and double-clicks
become calls on ``ComposerEditor``, which pushes commands; the scene redraws when the document says
``changed``. Only the bands a change touches are rebuilt, so edits stay fast on large circuits.
The items live in ``items``, palette drops in ``drops``, the probe's rail and marker in ``probe_items``, the
gate tooltips in ``hover`` and the in-place angle editor in ``angle_editor``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from workbench.circuits import edits as ops
from workbench.circuits.edits import ENCODER, BlockKey
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.composer import hover
from workbench.gui.composer.drops import PaletteDrops
from workbench.gui.composer.items import (  # noqa: F401 - the canvas's names, imported from here by other modules
    BAND_GAP,
    BAND_PAD,
    COL_W,
    CONTROLLED,
    GATE_H,
    GATE_W,
    GATES_MIME,
    LEFT,
    PALETTE_MIME,
    ROTATIONS,
    TOP,
    WIRE_PITCH,
    BandItem,
    BandModel,
    DropIndicator,
    GateItem,
    ReadoutItem,
    TemplateItem,
    WireLabels,
    band_problems,
    build_band,
    format_angle,
    param_text,
    wire_y,
)
from workbench.gui.composer.probe_items import ProbeOverlay, ProbeRail
from workbench.spec.validate import effective_readout


class ComposerScene(QGraphicsScene):
    """Draws the document; gestures go to ``editor`` (a ComposerEditor) as intents."""

    bandActivated = Signal(object)  # block key clicked
    gateActivated = Signal(object)  # (key, index) double-clicked
    expandRequested = Signal(object)  # block key
    contextMenuRequested = Signal(object, object)  # block key, screen pos
    angleEditRequested = Signal(object)  # (key, index) double-clicked: a gate with angles

    def __init__(self, document, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.doc = document
        self.theme = theme
        self.editor = None  # set by ComposerEditor
        self.bands: dict[BlockKey, BandItem] = {}
        self.order: list[BlockKey] = []
        self.current_band: BlockKey = 0 if document.spec.tasks else ENCODER
        self.qubits = document.spec.quantum.qubits
        self.n_drawn_wires = self.qubits
        self.labels = WireLabels(self)
        self.addItem(self.labels)
        self.indicator = DropIndicator(self)
        self.addItem(self.indicator)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self._press = None
        self.drops = PaletteDrops(self)
        self.probes = ProbeOverlay(self)
        self.insight = None  # what the probe panel knows: gate matrices and current angles (see hover)
        self.shown_tip = None  # the gate whose tooltip is up, so it can be refreshed when its matrix arrives
        self.rebuild_all()
        document.changed.connect(self._on_changed)

    # ------------------------------------------------------------------------------------------- geometry
    @property
    def wires_bottom(self) -> float:
        return TOP + self.n_drawn_wires * WIRE_PITCH

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackgroundBrush(QColor(theme.canvas))
        self.rebuild_all()

    def _drawn_wires(self) -> int:
        spec = self.doc.spec
        top = spec.quantum.qubits - 1
        for key in [ENCODER, *range(len(spec.tasks))]:
            block = ops.effective_block(spec, key)
            if block.template == "Custom":
                for g in block.gates:
                    top = max([top, *[w for w in g.wires if isinstance(w, int)]])
        for t in spec.tasks:
            try:
                wires = effective_readout(spec, t).wires
            except Exception:  # noqa: BLE001 - a half-typed value must not stop the drawing
                wires = []
            top = max([top, *[w for w in wires if isinstance(w, int)]])
        return min(top + 1, spec.quantum.qubits + 64)  # a typo like wire 10000 must not draw 10000 wires

    def set_current_band(self, key: BlockKey) -> None:
        if key == self.current_band:
            return
        old = self.bands.get(self.current_band)
        self.current_band = key
        for band in (old, self.bands.get(key)):
            if band is not None:
                band.update()


    # ------------------------------------------------------------------------------------------- rebuild
    def rebuild_all(self) -> None:
        self._rebuild(None)

    def _rebuild(self, keys: set | None) -> None:
        """Rebuild the bands in ``keys`` (None: all), then lay the bands out left to right."""
        spec = self.doc.spec
        problems = self.doc.problems()
        self.qubits = spec.quantum.qubits
        drawn = self._drawn_wires()
        order = [ENCODER, *range(len(spec.tasks))]
        if drawn != self.n_drawn_wires or order != self.order:
            keys = None
        self.n_drawn_wires = drawn
        if keys is None:
            keys = set(order)
        else:  # a change of problems elsewhere also redraws the bands that show them
            for key in order:
                band = self.bands.get(key)
                if band is not None and key not in keys and band_problems(key, problems) != band.model.problems:
                    keys.add(key)
        selected = {it.ref for it in self.selectedItems() if isinstance(it, GateItem)}
        counts = {k: len(b.model.block.gates) for k, b in self.bands.items()}
        for key in list(self.bands):
            if key not in order or key in keys:
                self.removeItem(self.bands.pop(key))
        for key in order:
            if key in keys or key not in self.bands:
                band = build_band(self, key, problems)
                ProbeRail(band)
                self.addItem(band)
                self.bands[key] = band
                if counts.get(key) == len(band.model.block.gates):  # same gates: keep the selection
                    for item in band.childItems():
                        if isinstance(item, GateItem) and item.ref in selected:
                            item.setSelected(True)
        self.order = order
        if self.current_band not in self.bands:
            self.current_band = 0 if spec.tasks else ENCODER
        x = LEFT
        for key in order:
            band = self.bands[key]
            band.setPos(x, 0)
            x += band.model.width + BAND_GAP
        height = max((b.height for b in self.bands.values()), default=self.wires_bottom)
        self.labels.prepareGeometryChange()
        self.labels.update()
        self.setSceneRect(QRectF(0, 0, x + 8, height + 8))
        self.probes.relayout()

    def _on_changed(self, path: tuple) -> None:
        self._rebuild(self._affected(path))

    def _affected(self, path: tuple) -> set | None:
        """The bands a change at ``path`` redraws (None: all of them)."""
        head, sub = (path + (None, None))[:2]
        if head is None:
            return None
        if head == "quantum":
            if sub == "encoder":
                return {ENCODER}
            if sub == "default_block":
                return {i for i, t in enumerate(self.doc.spec.tasks) if t.block is None}
            return set() if sub in ("engine", "dtype") else None
        if head == "backbone":
            return {ENCODER}  # the width is the number of features the encoder loads
        if head == "tasks":
            return None if sub is None else {sub}
        return set()  # names, training settings: only changes of problems can show

    # ------------------------------------------------------------------------------------------- hit tests
    def band_at(self, x: float) -> BlockKey | None:
        for key in self.order:
            band = self.bands[key]
            left = band.pos().x() - BAND_GAP / 2
            if left <= x < band.pos().x() + band.model.width + BAND_GAP / 2:
                return key
        return None

    def target_at(self, pos: QPointF) -> tuple[BlockKey, int, int] | None:
        """(block key, wire, column) under a scene position, or None outside the bands' wires."""
        key = self.band_at(pos.x())
        if key is None:
            return None
        wire = math.floor((pos.y() - TOP) / WIRE_PITCH)
        if not 0 <= wire < self.qubits:
            return None
        band = self.bands[key]
        col = max(0, math.floor((pos.x() - band.pos().x() - BAND_PAD) / COL_W))
        if band.model.block.template != "Custom":
            col = 0 if pos.x() < band.pos().x() + BAND_PAD + band.model.content_w / 4 else 10**6
        else:
            col = min(col, max(band.model.cols, default=-1) + 1)
        return key, wire, col

    def gate_items(self) -> list[GateItem]:
        return [it for b in self.bands.values() for it in b.childItems() if isinstance(it, GateItem)]

    def selected_refs(self) -> list[tuple]:
        return sorted((it.ref for it in self.selectedItems() if isinstance(it, GateItem)),
                      key=lambda r: (-1 if r[0] == ENCODER else r[0], r[1]))

    def select_refs(self, refs) -> None:
        refs = set(refs)
        self.clearSelection()
        for it in self.gate_items():
            if it.ref in refs:
                it.setSelected(True)

    # ------------------------------------------------------------------------------------------- drag & drop
    def dragEnterEvent(self, event) -> None:
        self.drops.enter(event)

    def dragMoveEvent(self, event) -> None:
        self.drops.move(event)

    def dragLeaveEvent(self, event) -> None:
        self.drops.leave(event)

    def dropEvent(self, event) -> None:
        self.drops.drop(event)

    # ------------------------------------------------------------------------------------------- gates: tips, angles
    def helpEvent(self, event) -> None:
        if not hover.show_gate_tip(self, event):
            super().helpEvent(event)

    def gate_double_clicked(self, item: GateItem) -> None:
        self.gateActivated.emit(item.ref)
        if item.gate.params:
            self.angleEditRequested.emit(item.ref)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.probes.clear():
            event.accept()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------------------------------- moving gates
    def mousePressEvent(self, event) -> None:
        super().mousePressEvent(event)
        key = self.band_at(event.scenePos().x())
        if key is not None:
            self.bandActivated.emit(key)
        grabber = self.mouseGrabberItem()
        self._press = grabber if isinstance(grabber, GateItem) else None

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        item, self._press = self._press, None
        if item is None or item.scene() is not self:
            return
        moved = [it for it in self.gate_items() if it.pos() != it.home]
        if not moved:
            return
        if item not in moved:
            self._reset_positions()
            return
        d = item.pos() - item.home
        wire_delta = round(d.y() / WIRE_PITCH)
        scene_pt = item.mapToScene(QPointF(0, 0))
        key = self.band_at(scene_pt.x())
        if key is None or self.editor is None:
            self._reset_positions()
            return
        band = self.bands[key]
        if key == item.band.key:
            target_col = item.col + round(d.x() / COL_W)
        else:
            target_col = max(0, math.floor((scene_pt.x() - band.pos().x() - BAND_PAD) / COL_W))
            if band.model.block.template != "Custom":
                target_col = 10**6
        delta = target_col - item.col
        refs = [it.ref for it in moved]
        col_of = {it.ref: it.col + delta for it in moved}
        if not self.editor.move_gates(refs, key, wire_delta, col_of):
            self._reset_positions()

    def _reset_positions(self) -> None:
        for it in self.gate_items():
            if it.pos() != it.home:
                it.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges, False)
                it.setPos(it.home)
                it.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges, True)

    def contextMenuEvent(self, event) -> None:
        key = self.band_at(event.scenePos().x())
        if key is None:
            return
        item = self.itemAt(event.scenePos(), self.views()[0].transform()) if self.views() else None
        while item is not None and not isinstance(item, (GateItem, TemplateItem)):
            item = item.parentItem()
        if item is not None and not item.isSelected():
            self.clearSelection()
            item.setSelected(True)
        self.bandActivated.emit(key)
        self.contextMenuRequested.emit(key, event.screenPos())
        event.accept()
