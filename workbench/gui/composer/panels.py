"""Dock panels: experiment properties and tasks, the inspector (block, readout, gate angles) and the log.

Widgets show the document and push commands; they refresh from the document on ``changed`` with their
signals blocked, so a refresh never becomes an edit. Input that cannot be taken (``pi/0``, a duplicate
task name, ``"1,a"`` as wires) is refused in place: the document stays as it was and a red line under
the field says why.
"""

from __future__ import annotations

import copy
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.circuits import edits as ops
from workbench.circuits.edits import ENCODER, BlockKey
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.composer import commands as C
from workbench.gui.composer.document import ExperimentDocument
from workbench.gui.composer.scene import format_angle
from workbench.spec import vocabulary as V
from workbench.spec.layout import parse_word
from workbench.spec.model import BlockSpec
from workbench.spec.params import parse_param
from workbench.spec.validate import MAX_QUBITS, effective_readout


class ErrorLabel(QLabel):
    """A red line under a field saying why input was refused or why the document cannot train."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)  # messages quote user text and 'x<i>': never markup
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.set_theme(LIGHT)
        self.hide()

    def set_theme(self, theme: Theme) -> None:
        self.setStyleSheet(f"color: {theme.error};")

    def show_error(self, text: str | None) -> None:
        self.setText(f"⚠ {text}" if text else "")
        self.setVisible(bool(text))


def _spin(lo: int, hi: int) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setKeyboardTracking(False)
    return s


def _dspin(lo: float, hi: float, decimals: int = 3, step: float = 0.1) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(decimals)
    s.setSingleStep(step)
    s.setKeyboardTracking(False)
    return s


def _combo(items, data=None) -> QComboBox:
    c = QComboBox()
    for i, text in enumerate(items):
        c.addItem(text, data[i] if data else text)
    return c


def _set_combo(combo: QComboBox, value) -> None:
    i = combo.findData(value)
    if i < 0:  # a value the combo does not list (a hand-edited file): show it rather than lie
        combo.addItem(str(value), value)
        i = combo.count() - 1
    combo.setCurrentIndex(i)


class Refreshing:
    """Mixin: ``refresh()`` runs with every child's signals blocked."""

    def guarded_refresh(self) -> None:
        widgets = self.findChildren(QWidget)
        old = [w.blockSignals(True) for w in widgets]
        try:
            self.refresh()
        finally:
            for w, b in zip(widgets, old):
                w.blockSignals(b)


def task_icon(theme: Theme, index: int) -> QIcon:
    pm = QPixmap(12, 12)
    pm.fill(theme.task_color(index))
    return QIcon(pm)


# ----------------------------------------------------------------------------------------------- block editor

class BlockEditor(QWidget, Refreshing):
    """Template and options of one block: the shared encoder, the default block or a task's block."""

    def __init__(self, doc: ExperimentDocument, encoder: bool, default_block: bool = False, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.encoder = encoder
        self.default_block = default_block  # edits quantum.default_block
        self.key: BlockKey = ENCODER if encoder else 0
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.form = form
        templates = list(V.ENCODERS if encoder else V.ANSATZE)
        labels = list(templates)
        data = list(templates)
        if not encoder and not default_block:
            labels.insert(0, "Default block")
            data.insert(0, None)
        self.template = _combo(labels, data)
        self.template.setToolTip("The block's template; Custom holds gates you place on the canvas")
        self.layers = _spin(0 if encoder else 1, 64)
        self.rotation = _combo(V.ROTATION_AXES)
        self.rotations = QLineEdit()
        self.rotations.setPlaceholderText("e.g. RY RZ")
        self.entangler = _combo(V.ENTANGLERS)
        self.entanglement = _combo(V.ENTANGLEMENTS)
        self.input_scale = _dspin(-100, 100, 3, 0.1)
        self.trainable_layers = _spin(0, 16)
        self.gates_label = QLabel()
        self.gates_label.setWordWrap(True)
        self.expand_btn = QPushButton("Expand to gates")
        self.expand_btn.setToolTip("Turn the template into a Custom block with the same gates and weights (Ctrl+E)")
        self.regroup_btn = QPushButton("Regroup as template")
        self.regroup_btn.setToolTip("Turn gates that form a template back into the template call (Ctrl+G)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.expand_btn)
        buttons.addWidget(self.regroup_btn)
        self.error = ErrorLabel()
        form.addRow("Template", self.template)
        form.addRow("Layers", self.layers)
        form.addRow("Rotation", self.rotation)
        form.addRow("Rotations", self.rotations)
        form.addRow("Entangler", self.entangler)
        form.addRow("Entanglement", self.entanglement)
        form.addRow("Input scale", self.input_scale)
        form.addRow("Trainable layers", self.trainable_layers)
        form.addRow(self.gates_label)
        form.addRow(buttons)
        form.addRow(self.error)
        if default_block:
            self.expand_btn.hide()
            self.regroup_btn.hide()
        self.template.activated.connect(self._template_chosen)
        self.layers.valueChanged.connect(lambda v: self._edit("layers", v, merge=True))
        self.rotation.activated.connect(lambda _i: self._edit("rotation", self.rotation.currentData()))
        self.rotations.editingFinished.connect(self._rotations_edited)
        self.entangler.activated.connect(lambda _i: self._edit("entangler", self.entangler.currentData()))
        self.entanglement.activated.connect(lambda _i: self._edit("entanglement", self.entanglement.currentData()))
        self.input_scale.valueChanged.connect(lambda v: self._edit("input_scale", float(v), merge=True))
        self.trainable_layers.valueChanged.connect(lambda v: self._edit("trainable_layers", v, merge=True))
        self.expand_btn.clicked.connect(lambda: self._block_command(C.expand))
        self.regroup_btn.clicked.connect(lambda: self._block_command(C.regroup))

    def set_key(self, key: BlockKey) -> None:
        self.key = key
        self.guarded_refresh()

    # the block shown and where edits go
    def _block(self) -> BlockSpec:
        if self.default_block:
            return self.doc.spec.quantum.default_block
        return ops.effective_block(self.doc.spec, self.key)

    def _path(self) -> tuple:
        return ("quantum", "default_block") if self.default_block else ops.block_path(self.key)

    def _edit(self, field: str, value, merge: bool = False) -> None:
        block = copy.deepcopy(self._block())
        if getattr(block, field) == value:
            return
        setattr(block, field, value)
        C.set_value(self.doc, self._path(), block, f"Set {field.replace('_', ' ')} to {value}", merge)

    def _template_chosen(self, _i: int) -> None:
        value = self.template.currentData()
        self.error.show_error(None)
        try:
            if value is None:  # back to the default block
                C.set_value(self.doc, self._path(), None, "Use the default block")
            elif value == "Custom":
                if self._block().template != "Custom":
                    if self.default_block:
                        block = copy.deepcopy(self._block())
                        block.template = "Custom"
                        block.gates = []
                        C.set_value(self.doc, self._path(), block, "Default block: Custom")
                    else:
                        C.expand(self.doc, self.key)
            elif self.doc.get(self._path()) is None or self._block().template != value:
                block = ops.template_block(self._block(), value, self.encoder)
                C.set_value(self.doc, self._path(), block, f"Use {value}")
        except C.EditRefused as exc:
            self.error.show_error(str(exc))
        self.guarded_refresh()

    def _rotations_edited(self) -> None:
        names = self.rotations.text().replace(",", " ").split()
        bad = [n for n in names if n not in V.ROTATION_GATES]
        if bad or not names:
            self.error.show_error(f"rotations are {', '.join(V.ROTATION_GATES)}; got {bad[0] if bad else 'none'}")
            return
        self.error.show_error(None)
        self._edit("rotations", names)

    def _block_command(self, command) -> None:
        """Expand or regroup this block; a refusal is said under the buttons."""
        try:
            command(self.doc, self.key)
            self.error.show_error(None)
        except C.EditRefused as exc:
            self.error.show_error(str(exc))

    def refresh(self) -> None:
        if not self.encoder and not self.default_block and not 0 <= self.key < len(self.doc.spec.tasks):
            return
        block = self._block()
        if not self.encoder and not self.default_block and self.doc.get(self._path()) is None:
            _set_combo(self.template, None)
        else:
            _set_combo(self.template, block.template)
        t = block.template
        self.layers.setValue(block.layers)
        _set_combo(self.rotation, block.rotation)
        self.rotations.setText(" ".join(block.rotations))
        _set_combo(self.entangler, block.entangler)
        _set_combo(self.entanglement, block.entanglement)
        self.input_scale.setValue(block.input_scale)
        self.trainable_layers.setValue(block.trainable_layers)
        custom = t == "Custom"
        rows = {
            self.layers: t in ("StronglyEntanglingLayers", "BasicEntanglerLayers", "HardwareEfficient",
                               "ReUploading", "IQPEmbedding"),
            self.rotation: t in ("BasicEntanglerLayers", "AngleEmbedding"),
            self.rotations: t in ("HardwareEfficient", "ReUploading"),
            self.entangler: t in ("HardwareEfficient", "ReUploading"),
            self.entanglement: t in ("HardwareEfficient", "ReUploading"),
            self.input_scale: self.encoder,
            self.trainable_layers: self.encoder,
            self.gates_label: custom,
        }
        for w, visible in rows.items():
            self.form.setRowVisible(w, visible)
        self.gates_label.setText(f"{len(block.gates)} gates: place, move and edit them on the canvas")
        self.expand_btn.setEnabled(not custom)
        self.regroup_btn.setEnabled(custom)


# ----------------------------------------------------------------------------------------------- experiment

class ExperimentPanel(QScrollArea, Refreshing):
    """Experiment name, qubits, backbone width, engine, device, the default block and the task list."""

    taskSelected = Signal(int)
    message = Signal(str, bool)

    def __init__(self, doc: ExperimentDocument, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.theme = LIGHT
        self._listed = None  # (name, classes) of the tasks the list shows
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.setWidget(body)
        lay = QVBoxLayout(body)

        box = QGroupBox("Experiment")
        form = QFormLayout(box)
        self.name = QLineEdit()
        self.description = QLineEdit()
        self.name_error = ErrorLabel()
        form.addRow("Name", self.name)
        form.addRow(self.name_error)
        form.addRow("Description", self.description)
        lay.addWidget(box)

        box = QGroupBox("Quantum head")
        form = QFormLayout(box)
        self.qubits = _spin(1, MAX_QUBITS)
        self.qubits.setToolTip("Wires of the circuit; fewer wires leave gates and readouts on missing wires")
        self.width = _spin(1, 4096)
        self.width.setToolTip("d: width of the shared representation h that the encoder loads")
        self.engine = _combo(V.ENGINES)
        self.device = _combo(V.DEVICES)
        form.addRow("Qubits", self.qubits)
        form.addRow("Features d", self.width)
        form.addRow("Engine", self.engine)
        form.addRow("Device", self.device)
        lay.addWidget(box)

        box = QGroupBox("Tasks")
        v = QVBoxLayout(box)
        self.tasks = QListWidget()
        self.tasks.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.tasks.setToolTip("Double-click or F2 to rename")
        self.tasks.setAccessibleName("Tasks")
        self.tasks.setMaximumHeight(150)
        v.addWidget(self.tasks)
        row = QHBoxLayout()
        self.add_btn = QToolButton(text="Add")
        self.remove_btn = QToolButton(text="Remove")
        self.up_btn = QToolButton(text="▲")
        self.down_btn = QToolButton(text="▼")
        for b, tip in ((self.add_btn, "Add a task (Ctrl+T)"), (self.remove_btn, "Remove the selected task"),
                       (self.up_btn, "Move the task earlier: its lane goes left (Alt+Left)"),
                       (self.down_btn, "Move the task later: its lane goes right (Alt+Right)")):
            b.setToolTip(tip)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            row.addWidget(b, 2 if b in (self.add_btn, self.remove_btn) else 1)
        v.addLayout(row)
        self.task_error = ErrorLabel()
        v.addWidget(self.task_error)
        lay.addWidget(box)

        box = QGroupBox("Default task block")
        box.setToolTip("The block of every task that has no block of its own")
        v = QVBoxLayout(box)
        self.default_block = BlockEditor(doc, encoder=False, default_block=True)
        v.addWidget(self.default_block)
        lay.addWidget(box)
        lay.addStretch(1)

        self.name.editingFinished.connect(self._name_edited)
        self.description.editingFinished.connect(
            lambda: C.set_value(doc, ("description",), self.description.text(), "Edit description"))
        self.qubits.valueChanged.connect(lambda v: C.set_value(doc, ("quantum", "qubits"), v, f"{v} qubits", True))
        self.width.valueChanged.connect(lambda v: C.set_value(doc, ("backbone", "width"), v, f"d = {v}", True))
        self.engine.activated.connect(lambda _i: C.set_value(doc, ("quantum", "engine"), self.engine.currentData(),
                                                             f"Engine {self.engine.currentData()}"))
        self.device.activated.connect(lambda _i: C.set_value(doc, ("training", "device"), self.device.currentData(),
                                                             f"Device {self.device.currentData()}"))
        self.tasks.currentRowChanged.connect(self._row_changed)
        self.tasks.itemChanged.connect(self._renamed)
        self.add_btn.clicked.connect(self.add_task)
        self.remove_btn.clicked.connect(self.remove_task)
        self.up_btn.clicked.connect(lambda: self.move_task(-1))
        self.down_btn.clicked.connect(lambda: self.move_task(+1))
        doc.changed.connect(self._on_changed)
        self.guarded_refresh()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for e in self.findChildren(ErrorLabel):
            e.set_theme(theme)
        self._listed = None  # new icon colours
        self.guarded_refresh()

    def _on_changed(self, path) -> None:
        self.guarded_refresh()
        self.default_block.guarded_refresh()

    def _name_edited(self) -> None:
        text = self.name.text()
        if not text.strip():
            self.name_error.show_error("the experiment needs a name")
            return
        self.name_error.show_error(None)
        C.set_value(self.doc, ("name",), text, f"Rename experiment to {text}")

    def current_task(self) -> int:
        return self.tasks.currentRow()

    def select_task(self, index: int) -> None:
        if 0 <= index < self.tasks.count() and index != self.tasks.currentRow():
            self.tasks.setCurrentRow(index)

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.taskSelected.emit(row)

    def _renamed(self, item: QListWidgetItem) -> None:
        row = self.tasks.row(item)
        try:
            C.rename_task(self.doc, row, item.text())
            self.task_error.show_error(None)
        except C.EditRefused as exc:
            self.task_error.show_error(f"rename refused: {exc}")
            self.message.emit(f"rename refused: {exc}", True)
            self.guarded_refresh()

    def add_task(self) -> None:
        i = C.add_task(self.doc)
        self.task_error.show_error(None)
        self.tasks.setCurrentRow(i)

    def remove_task(self) -> None:
        row = self.tasks.currentRow()
        if row < 0:
            return
        try:
            C.remove_task(self.doc, row)
            self.task_error.show_error(None)
        except C.EditRefused as exc:
            self.task_error.show_error(str(exc))
            self.message.emit(str(exc), True)
        self.tasks.setCurrentRow(min(row, self.tasks.count() - 1))

    def move_task(self, step: int) -> None:
        row = self.tasks.currentRow()
        if row < 0:
            return
        to = C.move_task(self.doc, row, row + step)
        self.tasks.setCurrentRow(to)

    def refresh(self) -> None:
        spec = self.doc.spec
        if not self.name.hasFocus():
            self.name.setText(spec.name)
        if not self.description.hasFocus():
            self.description.setText(spec.description)
            self.description.setCursorPosition(0)
        self.qubits.setValue(spec.quantum.qubits)
        self.width.setValue(spec.backbone.width)
        _set_combo(self.engine, spec.quantum.engine)
        _set_combo(self.device, spec.training.device)
        row = self.tasks.currentRow()
        names = [(t.name, t.classes) for t in spec.tasks]
        if names != self._listed:  # rebuilding the list on every edit would be wasted work
            self._listed = names
            self.tasks.clear()
            for i, t in enumerate(spec.tasks):
                item = QListWidgetItem(task_icon(self.theme, i), t.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(f"{t.name}: {t.classes} classes · double-click to rename")
                self.tasks.addItem(item)
        self.tasks.setCurrentRow(min(max(row, 0), len(names) - 1))
        self.remove_btn.setEnabled(len(names) > 1)


# ----------------------------------------------------------------------------------------------- inspector

PARAM_KINDS = ("Trainable", "Input feature", "Fixed")


class ParamRow(QWidget):
    """One gate angle: its kind, its token (w3, x2, pi/4) and what it resolves to."""

    def __init__(self, inspector: GateEditor, j: int):
        super().__init__()
        self.inspector = inspector
        self.j = j
        grid = QVBoxLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        top = QHBoxLayout()
        self.kind = _combo(PARAM_KINDS)
        self.token = QLineEdit()
        self.token.setPlaceholderText("w, w3, x2, pi/4 …")
        self.token.setToolTip("w: a new trainable angle · w3: trainable angle 3 of this block · x2: input "
                              "feature 2 (shared encoder only) · a number or expression such as pi/4: fixed")
        self.info = QLabel()
        self.info.setMinimumWidth(70)
        top.addWidget(QLabel(f"θ{j + 1}"))
        top.addWidget(self.kind, 3)
        top.addWidget(self.token, 3)
        top.addWidget(self.info, 2)
        grid.addLayout(top)
        self.error = ErrorLabel()
        grid.addWidget(self.error)
        self.kind.activated.connect(self._kind_chosen)
        self.token.editingFinished.connect(self._token_edited)

    def _kind_chosen(self, i: int) -> None:
        default = {"Trainable": "w", "Input feature": "x0", "Fixed": "0"}[PARAM_KINDS[i]]
        self.token.setText(default)
        self.commit(default)

    def _token_edited(self) -> None:
        text = self.token.text().strip()
        try:
            value = float(text)  # plain numbers are stored as numbers, like the TOML files write them
        except ValueError:
            value = text
        self.commit(value)

    def commit(self, token) -> None:
        ref = self.inspector.ref
        if ref is None:
            return
        try:
            C.set_param(self.inspector.doc, ref, self.j, token)
            self.error.show_error(None)
        except C.EditRefused as exc:  # refused in place: the document keeps the old angle
            self.error.show_error(str(exc))

    def show_token(self, token, resolved) -> None:
        if not self.token.hasFocus() or not self.error.isVisible():
            self.token.setText(str(token))
        try:
            tok = parse_param(token)
        except ValueError:
            tok = None
        kind = {"weight": "Trainable", "input": "Input feature", "const": "Fixed"}[tok.kind] if tok else "Fixed"
        self.kind.setCurrentIndex(PARAM_KINDS.index(kind))
        if resolved is not None and resolved.kind == "weight":
            info, tip = f"→ w{resolved.index}", f"trainable angle {resolved.index} of this block's weight vector"
        elif resolved is not None and resolved.kind == "input":
            info, tip = f"→ {resolved.scale:g}·x{resolved.index}", "input feature × the encoder's input scale"
        elif tok is not None and tok.kind == "const":
            info, tip = f"= {format_angle(tok.value)}", f"fixed at {tok.value:.6g} rad"
        else:
            info, tip = "", ""
        self.info.setText(info)
        self.info.setToolTip(tip)


class GateEditor(QGroupBox):
    """The selected gate: its wires and each angle (kind, token, what it resolves to), its problem in place."""

    def __init__(self, doc: ExperimentDocument, parent=None):
        super().__init__("Gate", parent)
        self.doc = doc
        self.ref: tuple | None = None
        gl = QVBoxLayout(self)
        self.gate_title = QLabel()
        f = self.gate_title.font()
        f.setBold(True)
        self.gate_title.setFont(f)
        gl.addWidget(self.gate_title)
        self.gate_wires_row = QWidget()
        wrow = QHBoxLayout(self.gate_wires_row)
        wrow.setContentsMargins(0, 0, 0, 0)
        wrow.addWidget(QLabel("Wires"))
        self.gate_wires = QLineEdit()
        self.gate_wires.setToolTip("The wires the gate acts on, e.g. '2, 3' (control first)")
        wrow.addWidget(self.gate_wires)
        gl.addWidget(self.gate_wires_row)
        self.gate_wires_error = ErrorLabel()
        gl.addWidget(self.gate_wires_error)
        self.params_box = QVBoxLayout()
        gl.addLayout(self.params_box)
        self.param_rows: list[ParamRow] = []
        self.init_note = QLabel("Initial values: trainable angles start uniform in [0, 2π), drawn with "
                                "training.seed; fixed angles keep their value.")
        self.init_note.setWordWrap(True)
        self.init_note.setEnabled(False)
        gl.addWidget(self.init_note)
        self.gate_problem = ErrorLabel()
        gl.addWidget(self.gate_problem)
        self.gate_hint = QLabel("Select a gate on the canvas to edit its wires and angles.")
        self.gate_hint.setWordWrap(True)
        gl.addWidget(self.gate_hint)
        self.gate_wires.editingFinished.connect(self._gate_wires_edited)

    def set_gate(self, ref: tuple | None) -> None:
        if ref != self.ref:
            for row in self.param_rows:
                row.error.show_error(None)
            self.gate_wires_error.show_error(None)
        self.ref = ref

    def _gate_wires_edited(self) -> None:
        if self.ref is None:
            return
        try:
            wires = ops.parse_wires(self.gate_wires.text())
            C.set_gate_wires(self.doc, self.ref, wires)
            self.gate_wires_error.show_error(None)
        except (ValueError, C.EditRefused) as exc:
            self.gate_wires_error.show_error(f"not taken: {exc}")

    def refresh(self) -> None:
        ref = self.ref
        gate = None
        if ref is not None:
            key, i = ref
            if key != ENCODER and key >= len(self.doc.spec.tasks):
                ref = None
            else:
                block = ops.effective_block(self.doc.spec, key)
                gate = block.gates[i] if block.template == "Custom" and i < len(block.gates) else None
        self.gate_hint.setVisible(gate is None)
        for w in (self.gate_title, self.gate_wires_row):
            w.setVisible(gate is not None)
        self.init_note.setVisible(gate is not None and bool(gate.params))
        if gate is None:
            self.ref = None
            for row in self.param_rows:
                row.hide()
            self.gate_problem.show_error(None)
            self.gate_wires_error.show_error(None)
            self.setTitle("Gate")
            return
        key, i = ref
        where = "shared encoder" if key == ENCODER else self.doc.spec.tasks[key].name
        self.setTitle(f"Gate {i} of {where}")
        n_wires, n_params = V.GATES.get(gate.gate, (None, len(gate.params)))
        self.gate_title.setText(f"{gate.gate} · {n_params} angle{'s' * (n_params != 1)}")
        if not self.gate_wires.hasFocus() or not self.gate_wires_error.isVisible():
            self.gate_wires.setText(", ".join(map(str, gate.wires)))
        while len(self.param_rows) < len(gate.params):
            row = ParamRow(self, len(self.param_rows))
            self.param_rows.append(row)
            self.params_box.addWidget(row)
        resolved = self._resolved(key, i)
        for j, row in enumerate(self.param_rows):
            row.setVisible(j < len(gate.params))
            if j < len(gate.params):
                row.show_token(gate.params[j], resolved[j] if resolved else None)
        gp = [p for p in self.doc.problems() if p.where == ("gate", key, i)]
        self.gate_problem.show_error(gp[0].message if gp else None)

    def _resolved(self, key: BlockKey, i: int):
        spec = self.doc.spec
        try:
            ir = ops.expand_ir(ops.effective_block(spec, key), spec, key)
        except Exception:  # noqa: BLE001 - a token that does not parse: show the raw tokens
            return None
        return ir.gates[i].params if i < len(ir.gates) else None


class InspectorPanel(QScrollArea, Refreshing):
    """The current band (encoder settings, or a task's classes, block and readout) and the selected gate."""

    def __init__(self, doc: ExperimentDocument, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.key: BlockKey = 0 if doc.spec.tasks else ENCODER
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.setWidget(body)
        lay = QVBoxLayout(body)

        self.gate_box = GateEditor(doc)
        lay.addWidget(self.gate_box)

        self.task_box = QGroupBox("Task")
        tf = QFormLayout(self.task_box)
        self.task_name = QLineEdit()
        self.task_name_error = ErrorLabel()
        self.classes = _spin(2, 4096)
        self.classes_note = QLabel()  # what a class-count edit did to the task's class names
        self.classes_note.setWordWrap(True)
        self.classes_note.setTextFormat(Qt.TextFormat.PlainText)  # class names are user text
        self.classes_note.hide()
        self.weight = _dspin(0, 1000, 3, 0.1)
        tf.addRow("Name", self.task_name)
        tf.addRow(self.task_name_error)
        tf.addRow("Classes", self.classes)
        tf.addRow(self.classes_note)
        tf.addRow("Loss weight", self.weight)
        lay.addWidget(self.task_box)

        self.block_box = QGroupBox("Block")
        bl = QVBoxLayout(self.block_box)
        self.block_editor = BlockEditor(doc, encoder=False)
        self.encoder_editor = BlockEditor(doc, encoder=True)
        bl.addWidget(self.block_editor)
        bl.addWidget(self.encoder_editor)
        self.block_problem = ErrorLabel()
        bl.addWidget(self.block_problem)
        lay.addWidget(self.block_box)

        self.readout_box = QGroupBox("Readout")
        rf = QFormLayout(self.readout_box)
        self.auto_readout = QCheckBox("Automatic (from the class count)")
        self.readout_kind = _combo(["⟨Z⟩ per wire (expval)", "Basis-state probabilities (probs)",
                                    "Pauli words (pauli)"], list(V.READOUTS))
        self.readout_wires = QLineEdit()
        self.readout_wires.setToolTip("Measured wires, e.g. '0, 1, 2, 3'")
        self.readout_words = QLineEdit()
        self.readout_words.setToolTip("One Pauli word per output, comma-separated, e.g. 'Z0, Z1, X0 X1'")
        self.readout_relative = QCheckBox("Wires counted within the task's register")
        self.readout_single = QCheckBox("One logit (binary cross-entropy)")
        self.readout_scale = _dspin(-1000, 1000, 3, 0.5)
        self.readout_scale.setToolTip("logits = scale × ⟨Z⟩ (expval readouts)")
        self.readout_error = ErrorLabel()  # input refused
        self.readout_problem = ErrorLabel()  # the readout as it stands cannot serve the task
        rf.addRow(self.auto_readout)
        rf.addRow("Kind", self.readout_kind)
        rf.addRow("Wires", self.readout_wires)
        rf.addRow("Words", self.readout_words)
        rf.addRow(self.readout_relative)
        rf.addRow(self.readout_single)
        rf.addRow(self.readout_error)
        rf.addRow("Scale", self.readout_scale)
        rf.addRow(self.readout_problem)
        self.readout_form = rf
        lay.addWidget(self.readout_box)
        lay.addStretch(1)

        self.task_name.editingFinished.connect(self._rename)
        self.classes.valueChanged.connect(self._classes_edited)
        self.weight.valueChanged.connect(lambda v: self._task_edit("weight", float(v), f"loss weight {v}", True))
        self.auto_readout.toggled.connect(self._auto_toggled)
        self.readout_kind.activated.connect(lambda _i: self._readout_edit(kind=self.readout_kind.currentData()))
        self.readout_wires.editingFinished.connect(self._wires_edited)
        self.readout_words.editingFinished.connect(self._words_edited)
        self.readout_relative.clicked.connect(lambda on: self._readout_edit(relative=bool(on)))
        self.readout_single.clicked.connect(
            lambda on: self._readout_edit(binary="single-logit" if on else "two-logit"))
        self.readout_scale.valueChanged.connect(lambda v: self._readout_edit(scale=float(v)))
        doc.changed.connect(lambda _p: self.guarded_refresh())
        doc.problemsChanged.connect(self.guarded_refresh)
        self.guarded_refresh()

    def set_theme(self, theme: Theme) -> None:
        for e in self.findChildren(ErrorLabel):
            e.set_theme(theme)

    # ------------------------------------------------------------------------------------------- context
    def set_band(self, key: BlockKey) -> None:
        self.key = key
        self.classes_note.hide()
        for e in (self.task_name_error, self.readout_error):
            e.show_error(None)
        self.guarded_refresh()

    def set_gate(self, ref: tuple | None) -> None:
        self.gate_box.set_gate(ref)
        if ref is not None:
            self.key = ref[0]
        self.guarded_refresh()

    @property
    def ref(self) -> tuple | None:
        return self.gate_box.ref

    # the gate part's fields, reachable from the inspector as before the part was its own class
    param_rows = property(lambda self: self.gate_box.param_rows)
    gate_wires = property(lambda self: self.gate_box.gate_wires)
    gate_wires_error = property(lambda self: self.gate_box.gate_wires_error)

    # ------------------------------------------------------------------------------------------- task edits
    def _task_edit(self, field: str, value, text: str, merge: bool = False) -> None:
        if isinstance(self.key, int):
            C.set_value(self.doc, ("tasks", self.key, field), value, f"{self.doc.spec.tasks[self.key].name}: {text}",
                        merge)

    def _classes_edited(self, classes: int) -> None:
        if isinstance(self.key, int) and classes != self.doc.spec.tasks[self.key].classes:
            note = C.set_classes(self.doc, self.key, classes, merge=True)
            self.classes_note.setText(f"{note[0].upper()}{note[1:]}." if note else "")
            self.classes_note.setVisible(bool(note))

    def _rename(self) -> None:
        if not isinstance(self.key, int):
            return
        name = self.task_name.text()
        if name == self.doc.spec.tasks[self.key].name:
            return
        try:
            C.rename_task(self.doc, self.key, name)
            self.task_name_error.show_error(None)
        except C.EditRefused as exc:
            self.task_name_error.show_error(str(exc))

    def _auto_toggled(self, checked: bool) -> None:
        if not isinstance(self.key, int):
            return
        if checked:
            C.set_readout(self.doc, self.key, None)
        else:
            C.set_readout(self.doc, self.key, ops.readout_for(self.doc.spec, self.key))

    def _readout_edit(self, **changes) -> None:
        if not isinstance(self.key, int):
            return
        readout = ops.readout_for(self.doc.spec, self.key)
        for k, v in changes.items():
            setattr(readout, k, v)
        if readout != self.doc.spec.tasks[self.key].readout:
            C.set_readout(self.doc, self.key, readout)

    def _wires_edited(self) -> None:
        try:
            wires = ops.parse_wires(self.readout_wires.text())
        except ValueError as exc:
            self.readout_error.show_error(f"not taken: {exc}")
            return
        self.readout_error.show_error(None)
        self._readout_edit(wires=wires)

    def _words_edited(self) -> None:
        words = [w.strip() for w in self.readout_words.text().split(",") if w.strip()]
        try:
            for w in words:
                parse_word(w)
        except ValueError as exc:
            self.readout_error.show_error(f"not taken: {exc}")
            return
        self.readout_error.show_error(None)
        self._readout_edit(words=[" ".join(f"{op}{q}" for op, q in parse_word(w)) for w in words])

    # ------------------------------------------------------------------------------------------- refresh
    def refresh(self) -> None:
        spec = self.doc.spec
        if isinstance(self.key, int) and self.key >= len(spec.tasks):
            self.key = len(spec.tasks) - 1 if spec.tasks else ENCODER
        self.gate_box.refresh()
        is_task = isinstance(self.key, int)
        self.task_box.setVisible(is_task)
        self.readout_box.setVisible(is_task)
        self.block_editor.setVisible(is_task)
        self.encoder_editor.setVisible(not is_task)
        problems = self.doc.problems()
        if is_task:
            task = spec.tasks[self.key]
            self.task_box.setTitle(f"Task {self.key + 1}: {task.name}")
            if not self.task_name.hasFocus():
                self.task_name.setText(task.name)
            self.classes.setValue(task.classes)
            self.classes.setEnabled(not task.is_regression)  # a regression task has one output, not classes
            self.classes.setToolTip("A regression task: one continuous output (kind = \"regression\" in the file)"
                                    if task.is_regression else "")
            self.weight.setValue(task.weight)
            self.block_box.setTitle(f"Block of {task.name}")
            self.block_editor.key = self.key
            self.block_editor.refresh()
            r = effective_readout(spec, task)
            self.auto_readout.setChecked(task.readout is None)
            _set_combo(self.readout_kind, r.kind)
            if not self.readout_wires.hasFocus() or not self.readout_error.isVisible():
                self.readout_wires.setText(", ".join(map(str, r.wires)))
            self.readout_scale.setValue(r.scale)
            if not self.readout_words.hasFocus() or not self.readout_error.isVisible():
                self.readout_words.setText(", ".join(r.words))
            self.readout_relative.setChecked(r.relative)
            self.readout_single.setChecked(r.binary == "single-logit")
            pauli = r.kind == "pauli"
            self.readout_form.setRowVisible(self.readout_scale, r.kind in ("expval", "pauli"))
            self.readout_form.setRowVisible(self.readout_wires, not pauli)
            self.readout_form.setRowVisible(self.readout_words, pauli)
            self.readout_form.setRowVisible(self.readout_relative, pauli)
            self.readout_form.setRowVisible(self.readout_single, task.classes == 2 and r.kind != "probs")
            for w in (self.readout_kind, self.readout_wires, self.readout_scale, self.readout_words,
                      self.readout_relative, self.readout_single):
                w.setEnabled(task.readout is not None)
            rp = [p for p in problems if p.where in (("readout", self.key), ("task", self.key))]
            self.readout_problem.show_error("; ".join(p.message for p in rp) if rp else None)
            bp = [p for p in problems if p.where == ("block", self.key)]
        else:
            self.block_box.setTitle("Shared encoder")
            self.encoder_editor.refresh()
            bp = [p for p in problems if p.where == ("block", ENCODER)]
        self.block_problem.show_error("; ".join(p.message for p in bp) if bp else None)

# ----------------------------------------------------------------------------------------------- log

class LogPanel(QPlainTextEdit):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(2000)
        self.setAccessibleName("Log")
        self.theme = LIGHT

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme

    def log(self, text: str, error: bool = False) -> None:
        stamp = time.strftime("%H:%M:%S")
        color = QColor(self.theme.error if error else self.theme.text).name()
        safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        self.appendHtml(f'<span style="color:{self.theme.muted}">{stamp}</span> '
                        f'<span style="color:{color}">{"⚠ " if error else ""}{safe}</span>')
