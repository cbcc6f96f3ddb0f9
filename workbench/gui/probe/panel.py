"""The probe panel: per-qubit Bloch spheres with their purity at the probed column, and the mutual information
between two chosen wires (and between a task register and the other wires), for the probe's input.

The canvas places the probe (the strip under each band's wires); the numbers are those ``qmtl probe`` prints,
computed in the worker process by ``InsightController``. ``set_input(features)`` takes the encoder's input
features (what the shared encoder loads) from an input chooser; until then the first test sample is used.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.analysis.probe import global_column
from workbench.circuits.edits import ENCODER
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.composer import hover
from workbench.gui.probe.bloch import BlochSphere
from workbench.gui.probe.controller import InsightController

PER_ROW = 4
NO_PROBE = ("No probe placed. Click a column in the strip under a band's wires to see each qubit's state after "
            "it; click it again, or press Esc on the canvas, to remove the probe.")


class ProbePanel(QWidget):
    def __init__(self, doc, scene, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.scene = scene
        self.theme: Theme = LIGHT
        self.controller = InsightController(doc, self)
        scene.insight = self.controller
        self.setAccessibleName("Probe")
        lay = QVBoxLayout(self)
        self.where = _plain_label(NO_PROBE)
        lay.addWidget(self.where)
        self.input_label = _plain_label()
        self.input_label.setEnabled(False)
        lay.addWidget(self.input_label)
        row = QHBoxLayout()
        row.addWidget(QLabel("Mutual information between"))
        self.wire_a, self.wire_b = QComboBox(), QComboBox()
        self.wire_a.setAccessibleName("First wire")
        self.wire_b.setAccessibleName("Second wire")
        row.addWidget(self.wire_a)
        row.addWidget(QLabel("and"))
        row.addWidget(self.wire_b)
        self.mi = QLabel("–")
        row.addWidget(self.mi)
        row.addStretch(1)
        lay.addLayout(row)
        self.block_mi = _plain_label()
        lay.addWidget(self.block_mi)
        self.error = _plain_label()
        lay.addWidget(self.error)
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(0, 0, 0, 0)
        self.grid = QGridLayout()
        self.grid.setSpacing(6)
        outer.addLayout(self.grid)
        outer.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        lay.addWidget(scroll, 1)
        self.spheres: list[BlochSphere] = []
        self.purities: list[QLabel] = []
        self.probe = None  # the Probe shown
        self.wire_a.activated.connect(self._pair_chosen)
        self.wire_b.activated.connect(self._pair_chosen)
        scene.probes.changed.connect(self._placed)
        scene.bandActivated.connect(lambda _key: self._placed(scene.probes.at))
        doc.changed.connect(lambda _path: self._placed(scene.probes.at))
        self.controller.resultChanged.connect(self._show)
        self.controller.resultChanged.connect(self._show_input)  # the answer names its weights in full
        self.controller.resultChanged.connect(lambda: hover.refresh_tip(scene))
        self.controller.inputChanged.connect(self._show_input)
        self.controller.inputChanged.connect(self._show)  # what is shown was for the old input
        self._set_wires(doc.spec.quantum.qubits)
        self._show_input()
        self._show()

    def showEvent(self, event) -> None:
        self.controller.activate()
        super().showEvent(event)

    # ------------------------------------------------------------------------------------------- inputs
    def set_input(self, features, text: str = "chosen input") -> None:
        """The encoder's input features to probe with (e.g. from the live outputs' input chooser)."""
        self.controller.set_input(features, text)

    def set_source(self, source) -> None:
        """The weights to probe with (a ``WeightsSource``, e.g. the live outputs')."""
        self.controller.set_source(source)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for s in self.spheres:
            s.set_theme(theme)
        self.error.setStyleSheet(f"color: {theme.error};")

    def _placed(self, at) -> None:
        """The canvas's (band, column) as (task, column of the task's circuit); an encoder probe reads the
        current task's circuit (the encoder's state is the same for every task)."""
        spec = self.doc.spec
        if at is None or not spec.tasks:
            self.controller.set_probe(None)
            self._show()
            return
        key, local = at
        task = key if key != ENCODER else (self.scene.current_band if isinstance(self.scene.current_band, int)
                                           and self.scene.current_band < len(spec.tasks) else 0)
        try:
            self.controller.set_probe((task, global_column(spec, key, local)))
        except Exception:  # noqa: BLE001 - a spec mid-edit: the controller's answer says why
            self.controller.set_probe(None)
        self._show()

    def _pair_chosen(self, _i: int) -> None:
        a, b = self.wire_a.currentIndex(), self.wire_b.currentIndex()
        self.controller.set_pair(a, b)

    # ------------------------------------------------------------------------------------------- showing
    def _set_wires(self, n: int) -> None:
        if self.wire_a.count() == n:
            return
        a, b = self.controller.pair
        for combo in (self.wire_a, self.wire_b):
            combo.clear()
            combo.addItems([f"q{w}" for w in range(n)])
        a, b = (a, b) if max(a, b) < n else (0, min(1, n - 1))
        self.wire_a.setCurrentIndex(a)
        self.wire_b.setCurrentIndex(b)
        self.controller.set_pair(a, b)
        while len(self.spheres) < n:
            w = len(self.spheres)
            cell = QVBoxLayout()
            cell.setSpacing(0)
            sphere = BlochSphere(f"q{w}")
            sphere.set_theme(self.theme)
            label = QLabel()
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            cell.addWidget(sphere, 0, Qt.AlignmentFlag.AlignHCenter)
            cell.addWidget(label)
            self.grid.addLayout(cell, w // PER_ROW, w % PER_ROW)
            self.spheres.append(sphere)
            self.purities.append(label)
        for w, (s, label) in enumerate(zip(self.spheres, self.purities)):
            s.setVisible(w < n)
            label.setVisible(w < n)

    def _show_input(self) -> None:
        self.input_label.setText(f"Input: {self.controller.input_text}. Trainable angles: "
                                 f"{self.controller.weights_text}."
                                 + "".join(f" {n}." for n in self._weights_notes()))

    def _weights_notes(self) -> list[str]:
        c = self.controller
        return list(c.result.get("weights_notes") or []) if c.result is not None and c.current else []

    def _show(self) -> None:
        c = self.controller
        self._set_wires(self.doc.spec.quantum.qubits)
        result = c.result if c.current else None
        probe = result["probe"] if result else None
        if c.at is None:
            self.where.setText(NO_PROBE)
        elif result is None:
            self.where.setText("Probe: computing…")
        elif probe is not None:
            self.where.setText(f"Probe after column {probe.column} of {probe.task}'s circuit ({probe.where})")
        self.probe = probe if c.at is not None else None
        error = result.get("probe_error") if result and c.at is not None else None
        self.error.setText(f"⚠ {error}" if error else "")
        self.error.setVisible(bool(error))
        p = self.probe
        for w, (s, label) in enumerate(zip(self.spheres, self.purities)):
            s.set_vector(p.bloch[w] if p is not None and w < len(p.bloch) else None)
            label.setText(f"purity {p.purity[w]:.3f}" if p is not None and w < len(p.purity) else "purity –")
        self.mi.setText(f"= {p.mi:.4f} bits" if p is not None else "–")
        if p is not None and p.block_mi is not None:
            wires = ", ".join(f"q{w}" for w in p.block_wires)
            self.block_mi.setText(f"Between task {p.task}'s register ({wires}) and the other wires: "
                                  f"{p.block_mi:.4f} bits")
        else:
            self.block_mi.setText("")
        self.block_mi.setVisible(bool(self.block_mi.text()))


def _plain_label(text: str = "") -> QLabel:
    """A wrapping label that shows its text as typed: task names and messages are user text, never markup."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
