"""The live outputs panel: for the chosen input, each task's readout as bars, recomputed on every edit.

Weights: the trained weights of the run the document came from (``use_run``), else the initial weights of the
spec's training seed; "Re-draw" draws a new seed. What is computed is ``qmtl predict``'s computation
(``workbench.analysis.live_outputs``), in the live outputs' worker process.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from workbench.analysis.live_results import LiveOutputs, WeightsSource
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.live.bars import BarsGrid
from workbench.gui.live.inputs import InputChooser
from workbench.gui.live.requests import LiveRequester, OutputsView
from workbench.spec.bounds import MAX_SEED
from workbench.textsafe import markup


class LiveOutputsPanel(OutputsView, QWidget):
    outputsShown = Signal(object)  # the LiveOutputs now on screen
    sourceChanged = Signal(object)  # the WeightsSource the panel now asks with

    def __init__(self, doc, base_dir: Callable[[], Path | None] = lambda: None, runs_root: str | Path | None = None,
                 theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.theme = theme
        self.runs_root = str(runs_root) if runs_root is not None else None
        self.run_id: str | None = None  # the run the document came from
        self.use_run_weights = False
        self.seed: int | None = None  # a drawn seed; None: the spec's training seed
        self.outputs: LiveOutputs | None = None
        self._shown_source: WeightsSource | None = None
        self._stale = True  # something changed while the panel was hidden
        self.latency_ms: float | None = None  # question to answer on screen, for the last answer
        self.requester = LiveRequester(self)
        self.requester.answered.connect(self._answered)
        self.requester.failed.connect(self._failed)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        self.chooser = InputChooser(doc, base_dir, self)
        self.chooser.inputChanged.connect(lambda _s: self.request())
        lay.addWidget(self.chooser)
        row = QHBoxLayout()
        self.source_label = QLabel()
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.redraw_btn = QPushButton("Re-draw")
        self.redraw_btn.setToolTip("Initial weights from a new random seed")
        self.redraw_btn.clicked.connect(self.redraw)
        self.run_btn = QPushButton()
        self.run_btn.clicked.connect(self.back_to_run)
        self.run_btn.setVisible(False)
        row.addWidget(self.source_label, 1)
        row.addWidget(self.run_btn)
        row.addWidget(self.redraw_btn)
        lay.addLayout(row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.status)
        self.grid = BarsGrid(theme)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        host = QWidget()
        hl = QVBoxLayout(host)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(self.grid)
        hl.addStretch(1)
        scroll.setWidget(host)
        lay.addWidget(scroll, 1)
        doc.changed.connect(self._doc_changed)
        self._show_source()
        self.request()

    # ------------------------------------------------------------------------------------------- weights
    def source(self) -> WeightsSource:
        seed = self.seed if self.seed is not None else int(self.doc.spec.training.seed)
        if self.use_run_weights and self.run_id is not None:
            return WeightsSource(seed, self.run_id, self.runs_root)
        return WeightsSource(seed)

    def use_run(self, run_id: str | None, runs_root: str | Path | None = None) -> None:
        """The document came from this run: show its trained weights (None: the seed's initial weights)."""
        self.run_id = run_id
        if runs_root is not None:
            self.runs_root = str(runs_root)
        self.use_run_weights = run_id is not None
        self.seed = None
        self._show_source()
        self.request()

    def cloned(self, spec, run_id: str) -> None:
        """The runs browser asked to clone ``run_id``: once the document holds that spec (the user may have kept
        the old one), show the run's trained weights."""
        if self.doc.spec == spec:
            self.use_run(run_id)

    def redraw(self) -> None:
        self.seed = random.randint(0, min(MAX_SEED, 2**31 - 1))
        self.use_run_weights = False
        self._show_source()
        self.request()

    def back_to_run(self) -> None:
        self.use_run(self.run_id)

    def _show_source(self) -> None:
        s = self.source()
        if s == self._shown_source:  # the answer's fuller line ("... (best validation epoch)") stays
            return
        self._shown_source = s
        self.sourceChanged.emit(s)
        if s.run_id is not None:
            text = f"trained weights of run {s.run_id}"
        else:
            text = f"initial weights, seed {s.seed}"
        self.source_label.setText(f"Weights: {text}")
        self.run_btn.setVisible(self.run_id is not None and not self.use_run_weights)
        if self.run_id is not None:
            self.run_btn.setText(f"Run {self.run_id}'s weights")

    def _doc_changed(self, path) -> None:
        if path == ():  # a whole new document: its own seed, and no run until told
            self.run_id, self.use_run_weights, self.seed = None, False, None
        self._show_source()
        self.request()

    # ------------------------------------------------------------------------------------------- requests
    def request(self) -> None:
        if not self.isVisible():  # a hidden panel (a dock behind another tab) asks when it is shown
            self._stale = True
            return
        self._stale = False
        problem = self.doc.first_spec_problem()
        if problem is not None:
            self.requester.discard()
            self.grid.clear()  # bars of another circuit would mislead
            self.outputs = None
            self._say(f"not computed: {problem}", error=True)
            return
        sample = self.chooser.current()
        if sample is None:
            self._say(self.chooser.data_error or "waiting for the input…", error=bool(self.chooser.data_error))
            return
        # the live spec, not a copy: the request pickles it when it is sent, which is the copy
        self.requester.ask(self.doc.spec, self.source(), sample)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._stale:
            self.request()

    def _answered(self, out: LiveOutputs) -> None:
        self.outputs = out
        self.grid.set_outputs(out, self.theme)
        self.latency_ms = (time.perf_counter() - self.requester.asked_at) * 1000
        self.source_label.setText(f"Weights: {out.weights}")
        notes = " · ".join(out.notes)
        self._say(f"{markup(out.input)}" + (f" · <span style='color:{self.theme.error}'>{markup(notes)}</span>"
                                          if notes else ""))
        if self.chooser.mode == "data":
            self.chooser.sample_encoder_inputs = out.encoder_inputs
        self.outputsShown.emit(out)

    def _failed(self, message: str) -> None:
        self._say(f"not computed: {message}", error=True)

    def _say(self, text: str, error: bool = False) -> None:
        color = self.theme.error if error else self.theme.muted
        self.status.setText(f"<span style='color:{color}'>{text if not error else markup(text)}</span>")
