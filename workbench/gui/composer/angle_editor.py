"""Edit a gate's angles where the gate is: double-click it and a small editor opens under it on the canvas.

A fixed angle gets a slider from -2π to 2π (steps of half a degree; multiples of π/12 are written as
expressions such as ``pi/4``) and a box that takes whatever the spec takes for an angle (``0.3``, ``-2*pi/3``,
``w`` to make it trainable). Releasing the slider or pressing Enter applies one undoable command; a value the
spec refuses is explained in plain words and changes nothing. A trainable angle (or an input feature) is shown
read-only with its current value.
"""

from __future__ import annotations

import math
from fractions import Fraction

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QSlider, QToolButton, QVBoxLayout

from workbench.circuits import edits as ops
from workbench.circuits.edits import ENCODER
from workbench.gui.composer import commands as C
from workbench.spec.params import parse_param

STEPS_PER_PI = 360  # slider resolution: half a degree


def slider_token(k: int) -> str | float:
    """Slider position ``k`` as an angle token: ``pi/4`` for multiples of π/12, else a rounded number."""
    if k % 30 == 0:
        f = Fraction(k, STEPS_PER_PI)
        if f == 0:
            return 0.0
        num = "" if abs(f.numerator) == 1 else f"{abs(f.numerator)}*"
        sign = "-" if f < 0 else ""
        return f"{sign}{num}pi" + ("" if f.denominator == 1 else f"/{f.denominator}")
    return round(k * math.pi / STEPS_PER_PI, 6)


def typed_token(text: str) -> str | float:
    """What a typed angle is stored as: plain numbers as numbers (like the files write them), else the text."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return text


class AngleEditor(QFrame):
    """The in-place editor of one gate's angles; lives on the view's viewport, closes with Esc."""

    def __init__(self, view, ref: tuple):
        super().__init__(view.viewport())
        self.view = view
        self.scene = view.scene()
        self.doc = self.scene.doc
        self.ref = tuple(ref)
        self.setObjectName("angleEditor")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setAccessibleName("Angle editor")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        top = QGridLayout()
        self.title = QLabel()
        f = self.title.font()
        f.setBold(True)
        self.title.setFont(f)
        close = QToolButton()
        close.setText("×")
        close.setToolTip("Close (Esc)")
        close.clicked.connect(self.close)
        top.addWidget(self.title, 0, 0)
        top.addWidget(close, 0, 1, Qt.AlignmentFlag.AlignRight)
        lay.addLayout(top)
        self.grid = QGridLayout()
        lay.addLayout(self.grid)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # the parser's message quotes 'x<i>'
        self.error.setMaximumWidth(420)
        self.error.setStyleSheet(f"color: {self.scene.theme.error};")
        self.error.hide()
        lay.addWidget(self.error)
        hint = QLabel("Enter or releasing the slider applies (Ctrl+Z undoes) · Esc closes")
        hint.setEnabled(False)
        lay.addWidget(hint)
        self.sliders: list[QSlider | None] = []
        self.boxes: list[QLineEdit | None] = []
        self.notes: list[QLabel] = []
        self._setting = False
        self._build()
        self.doc.changed.connect(self._doc_changed)
        if self.scene.insight is not None:  # trainable angles' values arrive from the worker
            self.scene.insight.resultChanged.connect(self._insight_arrived)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    # ------------------------------------------------------------------------------------------- content
    def gate(self):
        key, i = self.ref
        spec = self.doc.spec
        if key != ENCODER and key >= len(spec.tasks):
            return None
        block = ops.effective_block(spec, key)
        if block.template != "Custom" or i >= len(block.gates):
            return None
        return block.gates[i]

    def _build(self) -> None:
        gate = self.gate()
        self.title.setText(f"{gate.gate} on wire{'s' * (len(gate.wires) > 1)} {', '.join(map(str, gate.wires))}")
        self.n_params = len(gate.params)
        for j in range(self.n_params):
            self.grid.addWidget(QLabel(f"θ{j + 1}"), j, 0)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(-2 * STEPS_PER_PI, 2 * STEPS_PER_PI)
            slider.setPageStep(STEPS_PER_PI // 12)
            slider.setMinimumWidth(150)
            slider.setToolTip("-2π … 2π")
            box = QLineEdit()
            box.setMaximumWidth(110)
            box.setToolTip("A number or expression such as pi/4 or -2*pi/3; 'w' makes the angle trainable")
            note = QLabel()
            note.setWordWrap(True)
            note.setTextFormat(Qt.TextFormat.PlainText)
            slider.valueChanged.connect(lambda k, j=j: self._slid(j, k))
            slider.sliderReleased.connect(lambda j=j: self.apply(j, slider_token(self.sliders[j].value())))
            box.returnPressed.connect(lambda j=j: self._typed(j))
            self.grid.addWidget(slider, j, 1)
            self.grid.addWidget(box, j, 2)
            self.grid.addWidget(note, j, 1, 1, 2)
            self.sliders.append(slider)
            self.boxes.append(box)
            self.notes.append(note)
        self.refresh()

    def refresh(self) -> None:
        gate = self.gate()
        values = self.scene.insight.angles(self.ref) if self.scene.insight is not None else None
        self._setting = True
        for j, token in enumerate(gate.params):
            try:
                tok = parse_param(token)
            except ValueError:
                tok = None
            fixed = tok is None or tok.kind == "const"
            self.sliders[j].setVisible(fixed)
            self.boxes[j].setVisible(fixed)
            self.notes[j].setVisible(not fixed)
            if fixed:
                if tok is not None:
                    self.sliders[j].setValue(round(tok.value * STEPS_PER_PI / math.pi))
                if not self.boxes[j].hasFocus() or not self.error.isVisible():
                    self.boxes[j].setText(str(token))
            else:
                now = f"{values[j]:.4f} rad" if values and j < len(values) else "computing…"
                if tok.kind == "weight":
                    what, source = f"trainable ({token})", "the seed's initial weight"
                else:
                    what, source = f"input feature {token}", "for the probe's input"
                self.notes[j].setText(f"{what}: now {now}, {source}. A fixed angle is set in the inspector.")
        self._setting = False

    # ------------------------------------------------------------------------------------------- edits
    def _slid(self, j: int, k: int) -> None:
        if self._setting:
            return
        self.boxes[j].setText(str(slider_token(k)))
        if not self.sliders[j].isSliderDown():  # keys and page clicks: each step is one edit
            self.apply(j, slider_token(k))

    def _typed(self, j: int) -> None:
        if self.apply(j, typed_token(self.boxes[j].text())):
            self.close()

    def apply(self, j: int, token) -> bool:
        """Set angle ``j`` to ``token`` as one undoable command; refused values are explained, nothing changes."""
        if self._setting:
            return False
        problem = ops.param_problem(token, encoder=self.ref[0] == ENCODER)
        if problem is None:
            try:
                C.set_param(self.doc, self.ref, j, token)
            except C.EditRefused as exc:
                problem = str(exc)
        self.error.setText(f"Not applied: {problem}" if problem else "")
        self.error.setVisible(problem is not None)
        self.adjustSize()
        return problem is None

    def _insight_arrived(self) -> None:
        if self.gate() is not None and len(self.gate().params) == self.n_params:
            self.refresh()

    def _doc_changed(self, _path) -> None:
        gate = self.gate()
        if gate is None or len(gate.params) != self.n_params:
            self.close()
            return
        self.refresh()
        self.place()

    # ------------------------------------------------------------------------------------------- placing
    def place(self) -> None:
        """Under the gate, kept inside the viewport."""
        items = [it for it in self.scene.gate_items() if it.ref == self.ref]
        if not items:
            return
        rect = items[0].sceneBoundingRect()
        vp = self.view.viewport()
        self.adjustSize()
        p = self.view.mapFromScene(rect.bottomLeft()) + QPoint(0, 4)
        x = max(2, min(p.x(), vp.width() - self.width() - 2))
        y = p.y() if p.y() + self.height() < vp.height() else max(2, self.view.mapFromScene(rect.topLeft()).y()
                                                                  - self.height() - 4)
        self.move(x, y)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            event.accept()
            return
        super().keyPressEvent(event)


def open_angle_editor(view, ref: tuple) -> AngleEditor:
    """Close any open editor and open one for gate ``ref``, its first fixed angle focused."""
    for old in view.viewport().findChildren(AngleEditor):
        old.close()
    editor = AngleEditor(view, ref)
    editor.place()
    editor.show()
    editor.raise_()
    first = next((b for b in editor.boxes if b is not None and not b.isHidden()), None)
    if first is not None:
        first.setFocus()
        first.selectAll()
    else:
        editor.setFocus()
    return editor
