"""The composer canvas's items: gates, template boxes, readouts, the band each block is drawn in, wire labels
and the drop indicator, and the geometry they share. ``build_band`` turns one block of the spec into its band.

Everything a paint needs is worked out when an item is made; pictures are cached per item, so a large circuit
repaints fast. Items never change the document: gestures go to the scene, which asks the editor.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject

from workbench.circuits import edits as ops
from workbench.circuits.edits import ENCODER, BlockKey, Problem
from workbench.circuits.templates import upload_layers
from workbench.gui.common.theme import Theme
from workbench.spec import layout as L
from workbench.spec.model import BlockSpec, ExperimentSpec, GateSpec, ReadoutSpec
from workbench.spec.validate import effective_readout

if TYPE_CHECKING:
    from workbench.gui.composer.scene import ComposerScene

PALETTE_MIME = "application/x-qmtl-palette"
GATES_MIME = "application/x-qmtl-gates"

WIRE_PITCH = 42.0
TOP = 54.0
LEFT = 58.0
COL_W = 46.0
GATE_W = 38.0
GATE_H = 30.0
BAND_PAD = 14.0
BAND_GAP = 16.0
READOUT_W = 54.0
TEMPLATE_MIN_W = 130.0
LINE_H = 15.0
RAIL_H = 18.0  # the probe rail under the wires

ROTATIONS = {"RX", "RY", "RZ", "Rot", "PhaseShift", "MultiRZ"}
CONTROLLED = {"CRX": "RX", "CRY": "RY", "CRZ": "RZ"}


def wire_y(w: int) -> float:
    return TOP + w * WIRE_PITCH + WIRE_PITCH / 2


def format_angle(value: float) -> str:
    """``0.785398`` -> ``π/4``; other numbers with two decimals."""
    for den in (1, 2, 3, 4, 6, 8, 12, 16):
        num = value * den / math.pi
        if abs(num - round(num)) < 1e-9 and round(num) != 0:
            n = round(num)
            top = "π" if abs(n) == 1 else f"{abs(n)}π"
            sign = "-" if n < 0 else ""
            return f"{sign}{top}" if den == 1 else f"{sign}{top}/{den}"
    return f"{value:.3g}"


def param_text(token, resolved=None) -> str:
    """How an angle reads on a gate: w3 (trainable), x2 (input), π/4 (fixed)."""
    if resolved is not None:
        if resolved.kind == "weight":
            return f"w{resolved.index}"
        if resolved.kind == "input":
            return f"x{resolved.index}"
        return format_angle(resolved.value)
    if isinstance(token, (int, float)):
        return format_angle(float(token))
    return str(token)


@dataclass
class BandModel:
    """What one band draws, computed from the spec (recomputed when the band is rebuilt)."""

    key: BlockKey
    title: str
    subtitle: str
    block: BlockSpec
    readout: ReadoutSpec | None
    cols: list[int]
    problems: list[Problem]
    resolved: list | None  # IR gates of a Custom block (resolved angle indices), when they expand
    content_w: float
    width: float
    detail: str = ""  # a template's second line: layers, gates, parameters


def band_problems(key: BlockKey, problems: list[Problem]) -> list[Problem]:
    """The problems a band shows in place."""
    kinds = ("gate", "block") if key == ENCODER else ("gate", "block", "readout", "task")
    return [p for p in problems if p.where[0] in kinds and p.where[1] == key]


# ----------------------------------------------------------------------------------------------- items

@functools.lru_cache(maxsize=256)
def qcolor(name: str) -> QColor:
    """Colours parsed once (painting runs thousands of times per second on a large circuit)."""
    return QColor(name)


@functools.lru_cache(maxsize=16)
def ui_font(pixel_size: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(pixel_size)
    f.setBold(bold)
    return f


@functools.lru_cache(maxsize=16)
def font_metrics(pixel_size: int, bold: bool = False) -> QFontMetricsF:
    return QFontMetricsF(ui_font(pixel_size, bold))


CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache
_POSITION_CHANGE = QGraphicsItem.GraphicsItemChange.ItemPositionChange


class GateItem(QGraphicsItem):
    """One gate. Everything a paint needs is worked out once here; the picture is cached per item."""

    def __init__(self, band: BandItem, index: int, gate: GateSpec, col: int, resolved, problem: str | None):
        super().__init__(band)
        self.band = band
        self.index = index
        self.gate = gate
        self.col = col
        self.problem = problem
        wires = [w for w in gate.wires if isinstance(w, int)] or [0]
        self.lo, self.hi = min(wires), max(wires)
        self.ys = [(w - self.lo) * WIRE_PITCH for w in wires]
        res = resolved.params if resolved is not None else [None] * len(gate.params)
        self.params = [param_text(t, r) for t, r in zip(gate.params, res)]
        name = gate.gate
        theme = band.theme
        if name in ROTATIONS or name in CONTROLLED:
            self.fill = qcolor(theme.gate_input if any(p.startswith("x") for p in self.params)
                               else theme.gate_rotation)
        elif name in ("CNOT", "CZ", "SWAP"):
            self.fill = qcolor(theme.gate_entangler)
        else:
            self.fill = qcolor(theme.gate_pauli)
        self.label = CONTROLLED.get(name, name)
        self.param_line = font_metrics(8).elidedText(",".join(self.params), Qt.TextElideMode.ElideRight,
                                                     GATE_W - 3)
        self.home = QPointF(BAND_PAD + col * COL_W + COL_W / 2, wire_y(self.lo))
        self._rect = QRectF(-GATE_W / 2 - 4, -GATE_H / 2 - 4, GATE_W + 8, (self.hi - self.lo) * WIRE_PITCH + GATE_H + 8)
        self.setPos(self.home)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setZValue(2)
        self.setCacheMode(CACHE)
        tip = (f"{name} on wire{'s' * (len(gate.wires) > 1)} {', '.join(map(str, gate.wires))}\n"
               f"angles: {', '.join(self.params) or 'none'}")
        self.setToolTip(tip + (f"\n⚠ {problem}" if problem else ""))

    @property
    def ref(self) -> tuple:
        return (self.band.key, self.index)

    def boundingRect(self) -> QRectF:
        return self._rect

    def itemChange(self, change, value):
        if change == _POSITION_CHANGE and self.scene() is not None:
            d = value - self.home  # snap to the grid while dragging
            return self.home + QPointF(round(d.x() / COL_W) * COL_W, round(d.y() / WIRE_PITCH) * WIRE_PITCH)
        return super().itemChange(change, value)

    def mouseDoubleClickEvent(self, event):
        scene = self.scene()
        if scene is not None and hasattr(scene, "gate_double_clicked"):
            scene.gate_double_clicked(self)
        event.accept()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.band.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        name = self.gate.gate
        selected = self.isSelected()
        fill = self.fill
        if self.problem:
            edge = qcolor(theme.error)
        else:
            edge = qcolor(theme.highlight) if selected else fill.darker(130)
        pen = QPen(edge, 2.5 if (selected or self.problem) else 1.0)
        ys = self.ys
        if len(ys) > 1:
            painter.setPen(QPen(qcolor(theme.error) if self.problem else fill, 2.0))
            painter.drawLine(QPointF(0, min(ys)), QPointF(0, max(ys)))
        if name in ("CNOT", "CZ", "SWAP") or name in CONTROLLED:
            self._paint_two_qubit(painter, name, ys, fill, pen, theme)
        else:
            top, bottom = min(ys), max(ys)
            self._box(painter, QRectF(-GATE_W / 2, top - GATE_H / 2, GATE_W, bottom - top + GATE_H), fill, pen,
                      theme)
        if selected and not self.problem:
            painter.setPen(QPen(qcolor(theme.highlight), 1.0, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self.boundingRect().adjusted(1, 1, -1, -1), 5, 5)

    def _box(self, painter, rect, fill, pen, theme) -> None:
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(qcolor(theme.gate_text))
        painter.setFont(ui_font(11, True))
        if self.params:
            painter.drawText(rect.adjusted(0, 1, 0, -rect.height() / 2 + 2), Qt.AlignmentFlag.AlignCenter, self.label)
            painter.setFont(ui_font(8))
            painter.drawText(rect.adjusted(1, rect.height() / 2 - 1, -1, -2), Qt.AlignmentFlag.AlignCenter,
                             self.param_line)
        else:
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.label)

    def _paint_two_qubit(self, painter, name, ys, fill, pen, theme) -> None:
        control, target = ys[0], ys[-1]
        dot = qcolor(theme.error) if self.problem else fill
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(dot)
        if name == "SWAP":
            painter.setPen(QPen(dot, 2.5))
            for y in (control, target):
                painter.drawLine(QPointF(-7, y - 7), QPointF(7, y + 7))
                painter.drawLine(QPointF(-7, y + 7), QPointF(7, y - 7))
            return
        painter.drawEllipse(QPointF(0, control), 5.5, 5.5)
        if name == "CZ":
            painter.drawEllipse(QPointF(0, target), 5.5, 5.5)
        elif name == "CNOT":
            painter.setBrush(qcolor(theme.canvas))
            painter.setPen(QPen(dot, 2.0))
            painter.drawEllipse(QPointF(0, target), 11, 11)
            painter.drawLine(QPointF(-11, target), QPointF(11, target))
            painter.drawLine(QPointF(0, target - 11), QPointF(0, target + 11))
        else:
            self._box(painter, QRectF(-GATE_W / 2, target - GATE_H / 2, GATE_W, GATE_H), fill, pen, theme)
        if self.isSelected() or self.problem:  # the dots carry no box: ring them so the state shows
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(pen)
            painter.drawEllipse(QPointF(0, control), 9, 9)


class TemplateItem(QGraphicsItem):
    """A template call drawn as one box over all wires; double-click expands it to gates."""

    def __init__(self, band: BandItem, width: float, wires: int, span: tuple[int, int] | None = None):
        super().__init__(band)
        self.band = band
        self.w = width
        first, last = span if span is not None else (0, wires - 1)  # a task register: only its wires
        self.h = max(last - first, 0) * WIRE_PITCH + GATE_H + 6
        self.setPos(BAND_PAD, wire_y(first) - GATE_H / 2 - 3)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(1)
        self.setCacheMode(CACHE)
        block = band.model.block
        self.setToolTip(f"{ops.block_label(block)}\nDouble-click (or Ctrl+E) to expand it to gates")

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, self.w + 4, self.h + 4)

    def mouseDoubleClickEvent(self, event):
        scene = self.scene()
        if scene is not None and hasattr(scene, "expandRequested"):
            scene.expandRequested.emit(self.band.key)
        event.accept()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.band.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, self.w, self.h)
        color = QColor(theme.template_fill) if self.band.key == ENCODER else self.band.color
        fill = QColor(color)
        fill.setAlpha(235)
        painter.setBrush(fill)
        has_problem = any(p.where[0] == "block" for p in self.band.model.problems)
        sel = self.isSelected()
        edge = QColor(theme.error) if has_problem else (QColor(theme.highlight) if sel else color.darker(140))
        painter.setPen(QPen(edge, 2.5 if (sel or has_problem) else 1.0))
        painter.drawRoundedRect(rect, 6, 6)
        block = self.band.model.block
        f = QFont(painter.font())
        f.setPixelSize(12)
        f.setBold(True)
        painter.setFont(f)
        painter.setPen(QColor("#ffffff"))
        cy = self.h / 2
        painter.drawText(QRectF(0, cy - 26, self.w, 18), Qt.AlignmentFlag.AlignCenter, block.template)
        f.setBold(False)
        f.setPixelSize(10)
        painter.setFont(f)
        painter.drawText(QRectF(0, cy - 8, self.w, 16), Qt.AlignmentFlag.AlignCenter, self.band.model.detail)
        f.setPixelSize(9)
        painter.setFont(f)
        painter.setPen(QColor(255, 255, 255, 190))
        painter.drawText(QRectF(0, cy + 9, self.w, 16), Qt.AlignmentFlag.AlignCenter, "double-click to expand")


class ReadoutItem(QGraphicsItem):
    """Measurement meters on the task's readout wires."""

    def __init__(self, band: BandItem, x: float, readout: ReadoutSpec, problem: str | None,
                 register: list[int] | None = None):
        super().__init__(band)
        self.band = band
        self.readout = readout
        self.problem = problem
        self.wires = [w for w in readout.wires if isinstance(w, int) and w >= 0]
        words = None
        if readout.kind == "pauli":
            try:
                words = L.absolute_words(readout, register or [])
                self.wires = sorted({w for word in words for _, w in word})
            except ValueError:
                self.wires = []
        self.setPos(x, 0)
        self.setZValue(2)
        self.setCacheMode(CACHE)
        kind = "⟨Z⟩ per wire" if readout.kind == "expval" else "basis-state probabilities"
        tip = f"Readout: {kind} of wires {readout.wires}"
        if words is not None:
            tip = "Readout: Pauli words " + ", ".join(" ".join(f"{op}{w}" for op, w in word) for word in words)
        if problem:
            tip += f"\n⚠ {problem}"
        self.setToolTip(tip)

    def boundingRect(self) -> QRectF:
        bottom = wire_y(max(self.wires, default=0)) + 18
        return QRectF(0, TOP - 16, READOUT_W, bottom - TOP + 16)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.band.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(theme.error) if self.problem else QColor(theme.text)
        f = QFont(painter.font())
        f.setPixelSize(10)
        painter.setFont(f)
        painter.setPen(QColor(theme.error) if self.problem else QColor(theme.muted))
        label = {"expval": "⟨Z⟩", "pauli": "⟨P⟩"}.get(self.readout.kind, "P(·)")
        painter.drawText(QRectF(0, TOP - 16, READOUT_W, 14), Qt.AlignmentFlag.AlignCenter, label)
        cx = READOUT_W / 2
        for w in self.wires:
            y = wire_y(w)
            rect = QRectF(cx - 14, y - 12, 28, 24)
            painter.setPen(QPen(color, 1.4))
            painter.setBrush(QColor(theme.canvas))
            painter.drawRoundedRect(rect, 3, 3)
            arc = QPainterPath()
            arc.moveTo(cx - 9, y + 6)
            arc.quadTo(cx, y - 8, cx + 9, y + 6)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(arc)
            painter.drawLine(QPointF(cx, y + 6), QPointF(cx + 7, y - 7))
        if self.readout.kind == "probs" and len(self.wires) > 1:  # bracket: one joint distribution
            painter.setPen(QPen(color, 1.2))
            y0, y1 = wire_y(min(self.wires)) - 12, wire_y(max(self.wires)) + 12
            painter.drawLine(QPointF(cx + 18, y0), QPointF(cx + 18, y1))


class BandItem(QGraphicsObject):
    """The encoder band or one task lane: background, header, wire segments, problems; holds the gates."""

    def __init__(self, scene: ComposerScene, model: BandModel, color: QColor):
        super().__init__()
        self.composer = scene
        self.model = model
        self.key = model.key
        self.color = color
        self.theme: Theme = scene.theme
        self.setZValue(0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # background drags rubber-band select
        self.setCacheMode(CACHE)
        self._problem_lines = self._wrap_problems()

    @property
    def height(self) -> float:
        lines = len(self._problem_lines)
        return self.composer.wires_bottom + RAIL_H + 8 + lines * LINE_H + (6 if lines else 0)

    def _wrap_problems(self) -> list[str]:
        probs = self.model.problems
        if not probs:
            return []
        fm = font_metrics(10)
        lines: list[str] = []
        shown = probs[:3]
        for p in shown:
            prefix = f"gate {p.where[2]} ({self.model.block.gates[p.where[2]].gate}): " \
                if p.where[0] == "gate" and p.where[2] < len(self.model.block.gates) else \
                ("readout: " if p.where[0] == "readout" else "")
            lines.extend(_wrap(fm, "⚠ " + prefix + p.message, self.model.width - 12))
        if len(probs) > len(shown):
            lines.append(f"… and {len(probs) - len(shown)} more")
        return lines

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.model.width, self.height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.boundingRect().adjusted(0.5, 6.5, -0.5, -0.5)
        if self.key == ENCODER:
            fill, edge = QColor(theme.band_encoder), QColor(theme.wire)
        else:
            fill, edge = theme.lane_fill(self.key), QColor(self.color)
        active = self.composer.current_band == self.key
        painter.setBrush(fill)
        painter.setPen(QPen(edge, 2.0 if active else 1.0, Qt.PenStyle.SolidLine if active else Qt.PenStyle.DashLine))
        painter.drawRoundedRect(rect, 8, 8)
        if self.key != ENCODER:  # a coloured cap makes the task's colour obvious at a glance
            cap = QRectF(rect.left(), rect.top(), rect.width(), 5)
            path = QPainterPath()
            path.addRoundedRect(rect, 8, 8)
            painter.save()
            painter.setClipRect(cap)
            painter.fillPath(path, QColor(self.color))
            painter.restore()
        f = QFont(painter.font())
        f.setPixelSize(12)
        f.setBold(True)
        painter.setFont(f)
        painter.setPen(QColor(theme.text) if self.key == ENCODER else QColor(self.color).lighter(
            130 if theme.dark else 100))
        fm = QFontMetricsF(f)
        painter.drawText(QRectF(10, 13, rect.width() - 20, 16), Qt.AlignmentFlag.AlignLeft,
                         fm.elidedText(self.model.title, Qt.TextElideMode.ElideRight, rect.width() - 20))
        f.setBold(False)
        f.setPixelSize(10)
        painter.setFont(f)
        painter.setPen(QColor(theme.muted))
        fm = QFontMetricsF(f)
        painter.drawText(QRectF(10, 30, rect.width() - 20, 14), Qt.AlignmentFlag.AlignLeft,
                         fm.elidedText(self.model.subtitle, Qt.TextElideMode.ElideRight, rect.width() - 20))
        # wire segments through this band
        n = self.composer.qubits
        for w in range(self.composer.n_drawn_wires):
            y = wire_y(w)
            if w < n:
                painter.setPen(QPen(QColor(theme.wire), 1.2))
            else:
                painter.setPen(QPen(QColor(theme.error), 1.2, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(4, y), QPointF(self.model.width - 4, y))
        if self._problem_lines:
            painter.setPen(QColor(theme.error))
            painter.setFont(f)
            y = self.composer.wires_bottom + RAIL_H + 6
            for line in self._problem_lines:
                painter.drawText(QRectF(6, y, self.model.width - 12, LINE_H), Qt.AlignmentFlag.AlignLeft, line)
                y += LINE_H


def _wrap(fm: QFontMetricsF, text: str, width: float) -> list[str]:
    words, lines, cur = text.split(" "), [], ""
    for w in words:
        trial = f"{cur} {w}" if cur else w
        if fm.horizontalAdvance(trial) <= width or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = "   " + w
    if cur:
        lines.append(cur)
    return [fm.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in lines]


class WireLabels(QGraphicsItem):
    def __init__(self, scene: ComposerScene):
        super().__init__()
        self.composer = scene

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, LEFT, self.composer.wires_bottom + 4)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.composer.theme
        f = QFont(painter.font())
        f.setPixelSize(12)
        painter.setFont(f)
        n = self.composer.qubits
        for w in range(self.composer.n_drawn_wires):
            painter.setPen(QColor(theme.text) if w < n else QColor(theme.error))
            label = f"q{w}" if w < n else f"q{w} ✗"
            painter.drawText(QRectF(0, wire_y(w) - 9, LEFT - 10, 18),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)


class DropIndicator(QGraphicsItem):
    def __init__(self, scene: ComposerScene):
        super().__init__()
        self.composer = scene
        self.rect = QRectF()
        self.ok = True
        self.text = ""
        self.setZValue(10)
        self.hide()

    def show_at(self, rect: QRectF, ok: bool, text: str) -> None:
        self.prepareGeometryChange()
        self.rect, self.ok, self.text = rect, ok, text
        self.show()

    HINT_W = 240.0

    def hint_rect(self) -> QRectF:
        """The hint's box: under the target, moved left and up as needed to stay inside the scene."""
        if not self.text:
            return QRectF()
        fm = font_metrics(11)
        lines = _wrap(fm, self.text, self.HINT_W - 12)
        w = min(self.HINT_W, max(fm.horizontalAdvance(line) for line in lines) + 14)
        h = len(lines) * LINE_H + 8
        area = self.composer.sceneRect()
        x = min(self.rect.left(), area.right() - w - 4)
        y = self.rect.bottom() + 4
        if y + h > area.bottom() - 2:
            y = max(area.top() + 2, self.rect.top() - h - 4)
        return QRectF(max(area.left() + 2, x), y, w, h)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-4, -4, 4, 4).united(self.hint_rect().adjusted(-2, -2, 2, 2))

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.composer.theme
        c = QColor(theme.highlight if self.ok else theme.error)
        painter.setPen(QPen(c, 2, Qt.PenStyle.DashLine))
        fill = QColor(c)
        fill.setAlpha(40)
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect, 5, 5)
        if self.text:
            # Theme text on the canvas colour in a framed box: readable over any lane or template colour.
            box = self.hint_rect()
            painter.setPen(QPen(c, 1.2))
            painter.setBrush(QColor(theme.canvas))
            painter.drawRoundedRect(box, 4, 4)
            painter.setFont(ui_font(11))
            painter.setPen(QColor(theme.text if self.ok else theme.error))
            for i, line in enumerate(_wrap(font_metrics(11), self.text, self.HINT_W - 12)):
                painter.drawText(QRectF(box.left() + 7, box.top() + 4 + i * LINE_H, box.width() - 9, LINE_H),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)


# ----------------------------------------------------------------------------------------------- bands

def band_model(spec: ExperimentSpec, key: BlockKey, problems: list[Problem]) -> BandModel:
    block = ops.effective_block(spec, key)
    readout = None
    if key == ENCODER:
        title = "Shared encoder"
        d = spec.backbone.width
        subtitle = f"loads h ({d} feature{'s' * (d != 1)}) once, for every task"
    else:
        task = spec.tasks[key]
        try:
            readout = effective_readout(spec, task)
        except Exception:  # noqa: BLE001
            readout = None
        title = f"{task.name}"
        kind = "" if readout is None else {"expval": "⟨Z⟩", "pauli": "Pauli words"}.get(readout.kind, "probs")
        share = "default block" if task.block is None else ops.block_label(block)
        outputs = "regression" if task.is_regression else f"{task.classes} classes"
        subtitle = f"{outputs} · {kind} · {share}"
    mine = band_problems(key, problems)
    resolved = None
    if block.template == "Custom":
        cols = ops.gate_columns(block.gates)
        try:
            ir = ops.expand_ir(block, spec, key)
            if len(ir.gates) == len(block.gates):
                resolved = ir.gates
        except Exception:  # noqa: BLE001 - tokens that do not parse are shown as typed
            resolved = None
        content_w = max(max(cols, default=-1) + 1, 1) * COL_W
        detail = ""
    else:
        cols = []
        detail = template_detail(spec, key, block)
        content_w = max(TEMPLATE_MIN_W, font_metrics(12, True).horizontalAdvance(block.template) + 28,
                        font_metrics(10).horizontalAdvance(detail) + 20)
    head_w = max(font_metrics(12, True).horizontalAdvance(title) + 24,
                 min(font_metrics(10).horizontalAdvance(subtitle) + 24, 260))
    width = max(2 * BAND_PAD + content_w + (READOUT_W if key != ENCODER else 0), head_w)
    return BandModel(key, title, subtitle, block, readout, cols, mine, resolved, content_w, width, detail)

def build_band(scene: ComposerScene, key: BlockKey, problems: list[Problem]) -> BandItem:
    """Band ``key`` of the scene's document with its gates (or template box) and readout."""
    spec = scene.doc.spec
    model = band_model(spec, key, problems)
    color = QColor(scene.theme.template_fill) if key == ENCODER else scene.theme.task_color(key)
    band = BandItem(scene, model, color)
    gate_problems = {p.where[2]: p.message for p in model.problems if p.where[0] == "gate"}
    if model.block.template == "Custom":
        for i, (g, c) in enumerate(zip(model.block.gates, model.cols)):
            res = model.resolved[i] if model.resolved is not None else None
            GateItem(band, i, g, c, res, gate_problems.get(i))
    else:
        TemplateItem(band, model.content_w, scene.qubits, lane_span(spec, key))
    if model.readout is not None:
        rp = next((p.message for p in model.problems if p.where[0] == "readout"), None)
        ReadoutItem(band, model.width - BAND_PAD / 2 - READOUT_W, model.readout, rp, register_of(spec, key))
    return band

def register_of(spec: ExperimentSpec, key: BlockKey) -> list[int] | None:
    """The wires a task's block acts on: its register, or its block's wires (None: unknown mid-edit)."""
    if key == ENCODER:
        return None
    try:
        return L.task_wires(spec, key)
    except Exception:  # noqa: BLE001 - a half-typed spec must not stop the drawing
        return None

def lane_span(spec: ExperimentSpec, key: BlockKey) -> tuple[int, int] | None:
    wires = register_of(spec, key)
    if not wires or wires == list(range(spec.quantum.qubits)):
        return None
    return min(wires), max(wires)

def template_detail(spec: ExperimentSpec, key: BlockKey, block: BlockSpec) -> str:
    try:
        ir = ops.expand_ir(block, spec, key)
    except Exception:  # noqa: BLE001
        return ops.block_label(block).split(" · ", 1)[-1]
    parts = []
    if block.template == "ReUploading":  # as many upload layers as the features need
        n = upload_layers(block, spec.backbone.width, spec.quantum.qubits)
        parts.append(f"{n} upload layer{'s' * (n != 1)}")
    elif block.template not in ("AngleEmbedding", "AmplitudeEmbedding", "IQPEmbedding"):
        parts.append(f"{block.layers} layer{'s' * (block.layers != 1)}")
    elif block.template == "AngleEmbedding":
        parts.append(f"R{block.rotation}")
    parts.append(f"{len(ir.gates)} gates")
    parts.append(f"{ir.n_weights} params")
    return " · ".join(parts)
