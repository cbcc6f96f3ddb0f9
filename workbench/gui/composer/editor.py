"""The composer's controller: turns gestures on the scene (drops, drags, keys) into commands.

Refused edits never raise out of here: they emit ``message`` with the reason, which the window shows in
the status bar and the log (and tests read).
"""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, QObject, Signal
from PySide6.QtWidgets import QApplication

from workbench.gui.composer import commands as C
from workbench.gui.composer import ops
from workbench.gui.composer.document import ExperimentDocument
from workbench.gui.composer.ops import ENCODER, BlockKey
from workbench.gui.composer.scene import GATES_MIME, ComposerScene, TemplateItem
from workbench.spec import vocabulary as V
from workbench.spec.model import BlockSpec


class ComposerEditor(QObject):
    message = Signal(str, bool)  # text, is_error

    def __init__(self, document: ExperimentDocument, scene: ComposerScene, parent=None):
        super().__init__(parent)
        self.doc = document
        self.scene = scene
        scene.editor = self
        scene.bandActivated.connect(scene.set_current_band)
        scene.expandRequested.connect(self.expand)

    # ------------------------------------------------------------------------------------------- helpers
    def _try(self, fn, *args, ok_text: str | None = None):
        try:
            result = fn(*args)
        except C.EditRefused as exc:
            self.message.emit(str(exc), True)
            return None
        if ok_text:
            self.message.emit(ok_text, False)
        return True if result is None else result

    @property
    def current_block(self) -> BlockKey:
        refs = self.scene.selected_refs()
        return refs[0][0] if refs else self.scene.current_band

    # ------------------------------------------------------------------------------------------- palette
    def drop_problem(self, payload: dict, key: BlockKey, wire: int) -> str | None:
        """Why a palette item cannot go to (key, wire), for the drop preview; None when it can."""
        kind, name = payload.get("kind"), payload.get("name")
        if kind == "gate":
            if name not in V.GATES:
                return f"unknown gate {name!r}"
            if V.GATES[name][0] == 2 and self.doc.spec.quantum.qubits < 2:
                return f"{name} needs two wires"
            block = ops.effective_block(self.doc.spec, key)
            if block.template != "Custom":
                try:
                    ops.expand_block(self.doc.spec, key)
                except ValueError as exc:
                    return f"{exc}; this block cannot take single gates"
            return None
        if kind == "encoder":
            return None if key == ENCODER else f"{name} is an encoder: drop it on the shared encoder band"
        if kind == "ansatz":
            return None if key != ENCODER else f"{name} is an ansatz: drop it on a task lane"
        return f"unknown palette item {kind!r}"

    def drop_palette(self, payload: dict, key: BlockKey, wire: int, col: float | None = None) -> bool:
        problem = self.drop_problem(payload, key, wire)
        if problem:
            self.message.emit(problem, True)
            return False
        self.scene.set_current_band(key)
        if payload["kind"] == "gate":
            note = self._try(C.add_gate, self.doc, key, payload["name"], wire, col)
            if isinstance(note, str) and note:
                self.message.emit(note, False)
            return bool(note is not None)
        return bool(self._try(C.set_template, self.doc, key, payload["name"]))

    def add_to_current(self, payload: dict) -> bool:
        """Palette double-click / Enter: put the item in the current band (first wire, at the end)."""
        return self.drop_palette(payload, self.current_block, 0, None)

    # ------------------------------------------------------------------------------------------- gates
    def move_gates(self, refs, key: BlockKey, wire_delta: int, col_of: dict) -> bool:
        return bool(self._try(C.move_gates, self.doc, refs, key, wire_delta, col_of))

    def delete_selection(self) -> bool:
        refs = self.scene.selected_refs()
        if refs:
            return bool(self._try(C.delete_gates, self.doc, refs))
        templates = [it for it in self.scene.selectedItems() if isinstance(it, TemplateItem)]
        if templates:
            key = templates[0].band.key
            return bool(self._try(C.set_block, self.doc, key, BlockSpec(template="Custom"), "Clear block"))
        self.message.emit("select gates to delete (click, Shift+click or drag a rectangle)", True)
        return False

    def copy_selection(self) -> int:
        refs = self.scene.selected_refs()
        if not refs:
            self.message.emit("select gates to copy", True)
            return 0
        by_block = {}
        for key, i in refs:
            by_block.setdefault(key, []).append(i)
        items = []
        for key, idx in by_block.items():
            block = ops.effective_block(self.doc.spec, key)
            cols = ops.gate_columns(block.gates)
            first = min(cols[i] for i in idx)
            for i in idx:
                g = block.gates[i]
                items.append({"gate": g.gate, "wires": list(g.wires), "params": list(g.params),
                              "col": cols[i] - first})
        mime = QMimeData()
        mime.setData(GATES_MIME, json.dumps(items).encode("utf-8"))
        mime.setText(json.dumps(items))
        QApplication.clipboard().setMimeData(mime)
        self.message.emit(f"copied {len(items)} gate{'s' * (len(items) != 1)}", False)
        return len(items)

    def cut_selection(self) -> bool:
        if self.copy_selection():
            return self.delete_selection()
        return False

    def paste(self) -> bool:
        mime = QApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(GATES_MIME):
            self.message.emit("the clipboard holds no gates", True)
            return False
        try:
            items = json.loads(bytes(mime.data(GATES_MIME)).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            self.message.emit("the clipboard's gates do not parse", True)
            return False
        key = self.current_block
        return bool(self._try(C.paste_gates, self.doc, key, items))

    def select_all(self) -> None:
        key = self.scene.current_band
        self.scene.select_refs((key, i) for i in range(len(ops.effective_block(self.doc.spec, key).gates)))

    # ------------------------------------------------------------------------------------------- blocks
    def expand(self, key: BlockKey | None = None) -> bool:
        key = self.current_block if key is None else key
        return bool(self._try(C.expand, self.doc, key))

    def regroup(self, key: BlockKey | None = None) -> bool:
        key = self.current_block if key is None else key
        label = self._try(C.regroup, self.doc, key)
        if label:
            self.message.emit(f"regrouped as {label}", False)
        return bool(label)
