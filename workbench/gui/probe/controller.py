"""What the canvas shows inside the circuit, kept current: the probe's state and every drawn gate's matrix.

The numbers come from ``workbench.analysis.probe`` (what ``qmtl probe`` prints), computed in the worker process:
one job per burst of edits (a later edit cancels an earlier job's answer), tagged with the document revision and
the input it was asked for, so a stale answer is never shown.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from workbench.analysis.probe import format_matrix
from workbench.circuits.edits import ENCODER, BlockKey
from workbench.gui.common.worker import workers
from workbench.gui.composer.document import ExperimentDocument


def encoder_inputs(spec) -> int | None:
    """How many features the shared encoder loads (None while the spec cannot say)."""
    from workbench.spec import layout as L

    try:
        return int(L.encoder_width(spec))
    except Exception:  # noqa: BLE001 - a spec mid-edit
        return None


class InsightController(QObject):
    """Holds the probe's place and input; answers the canvas's questions (matrix of a gate, an angle's value)."""

    resultChanged = Signal()
    inputChanged = Signal()  # the input, or the weights, the probe looks with

    def __init__(self, doc: ExperimentDocument, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.at: tuple[int, int] | None = None  # (task, column of its circuit)
        self.pair = (0, 1)
        self.features: np.ndarray | None = None
        self.input_text = "zeros"
        self.user_input = False
        self.source = None  # a WeightsSource, as the live outputs use it; None: the initial weights of training.seed
        self.weights_text = "the seed's initial weights"
        self.result: dict | None = None
        self.result_revision = -1
        self.busy = False
        self.active = False  # nothing runs until the panel shows, a probe is placed or a gate's matrix is asked
        self._default_job = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)  # coalesce the edits of one event-loop turn
        self._timer.timeout.connect(self._submit)
        doc.changed.connect(self._on_changed)

    def activate(self) -> None:
        """Start computing (a window that never shows the probe nor a gate's matrix costs nothing)."""
        if not self.active:
            self.active = True
            self._ask_default_input()
            self.schedule()

    # ------------------------------------------------------------------------------------------- questions
    def set_probe(self, at: tuple[int, int] | None) -> None:
        if at != self.at:
            self.at = at
            if at is not None:
                self.activate()
            self.schedule()

    def set_pair(self, a: int, b: int) -> None:
        if (a, b) != self.pair:
            self.pair = (a, b)
            self.schedule()

    def set_input(self, features, text: str = "chosen input") -> None:
        """The encoder's input features (what the shared encoder loads), e.g. from an input chooser."""
        features = np.asarray(features, dtype=np.float64).reshape(-1)
        if self.user_input and text == self.input_text and self.features is not None and \
                np.array_equal(features, self.features):
            return  # the live outputs' answer to an edit hands over the same input: nothing to recompute
        self.features = features
        self.input_text = text
        self.user_input = True
        self.inputChanged.emit()
        self.schedule()

    def set_source(self, source) -> None:
        """The weights to probe with (a ``WeightsSource``: a run's trained weights, or a seed's initial ones)."""
        if source != self.source:
            self.source = source
            self.weights_text = (f"trained weights of run {source.run_id}" if source and source.run_id else
                                 f"initial weights, seed {source.seed}" if source else "the seed's initial weights")
            self.inputChanged.emit()
            self.schedule()

    def schedule(self, *_args) -> None:
        if self.active:
            self.busy = True  # what is held answers an older question until the new answer comes
            self._timer.start()

    def _on_changed(self, path) -> None:
        head = path[0] if path else None
        n = encoder_inputs(self.doc.spec)
        if self.active and not self.user_input and (head in (None, "dataset", "backbone", "training") or
                                    (self.features is not None and n is not None and n != self.features.size)):
            self._ask_default_input()
        self.schedule()

    def _ask_default_input(self) -> None:
        """The first test sample through the seed's backbone (zeros until it arrives, or when there is no data)."""
        n = encoder_inputs(self.doc.spec)
        if self.features is None or (n is not None and self.features.size != n):
            self.features = np.zeros(n or 0)
            self.input_text = "zeros"
        path = self.doc.path
        job = self._default_job = workers().submit(
            "workbench.analysis.probe:default_input_job", key=f"probe-input-{id(self)}", owner=self,
            spec=self.doc.snapshot(), base_dir=str(path.parent) if path else None)
        job.returned.connect(self._default_input)

    def _default_input(self, answer: dict) -> None:
        if self.user_input:
            return
        self.features = np.asarray(answer["features"], dtype=np.float64)
        self.input_text = answer["text"] + (f" (no data: {answer['error']})" if answer.get("error") else "")
        self.inputChanged.emit()
        self.schedule()

    def _submit(self) -> None:
        revision = self.doc.revision
        features = None if self.features is None else self.features.copy()
        task, column = self.at if self.at is not None else (None, None)
        self.busy = True
        job = workers().submit("workbench.analysis.probe:insight_job", key=f"probe-{id(self)}", owner=self,
                               spec=self.doc.snapshot(), features=features, task=task, column=column,
                               pair=self.pair, source=self.source)
        asked = (revision, self.at, self.pair, None if features is None else features.tobytes(), self.source)
        job.returned.connect(lambda result: self._answer(asked, result))
        job.errored.connect(lambda err: self._answer(asked, {"probe": None, "matrices": {},
                                                             "probe_error": err.message,
                                                             "matrices_error": err.message}))

    def _answer(self, asked: tuple, result: dict) -> None:
        features = None if self.features is None else self.features.tobytes()
        if asked != (self.doc.revision, self.at, self.pair, features, self.source):
            return  # the question changed meanwhile: its own job is on the way
        self.busy = False
        self.result = result
        if result.get("weights"):  # the answer's fuller line: "trained weights of run ... (best validation epoch)"
            self.weights_text = result["weights"]
        self.result_revision = asked[0]
        self.resultChanged.emit()

    # ------------------------------------------------------------------------------------------- answers
    @property
    def current(self) -> bool:
        return self.result is not None and self.result_revision == self.doc.revision and not self.busy

    def matrix(self, ref: tuple[BlockKey, int]) -> np.ndarray | None:
        if not self.current:
            return None
        return self.result["matrices"].get(tuple(ref))

    def angles(self, ref: tuple[BlockKey, int]) -> list[float] | None:
        self.activate()
        if not self.current:
            return None
        return self.result.get("angles", {}).get(tuple(ref))

    def matrix_html(self, ref: tuple[BlockKey, int]) -> str:
        """The tooltip's matrix part: the matrix at the gate's current angle, or why it is not shown yet."""
        self.activate()
        m = self.matrix(ref)
        where = "input" if self.input_text == "zeros" else self.input_text
        if m is None:
            error = self.result.get("matrices_error") if self.result and self.current else None
            return f"<i>matrix: {html.escape(error)}</i>" if error else "<i>matrix: computing…</i>"
        key = "encoder" if ref[0] == ENCODER else "task"
        note = f"at the current angle (trainable: {self.weights_text}; {key} inputs: {where})"
        return f"<pre>{html.escape(format_matrix(m))}</pre><small>{html.escape(note)}</small>"
