"""The live resource budget: trainable parameters, depth and two-qubit gates per block and per task circuit,
the classical HPS heads for the same tasks, and the parameter-scaling plot (T = 1..12).

Everything shown comes from the core (``build_program``, ``program_resources``, and
``workbench.analysis.scaling.scaling_table`` where it is installed); the panel only lays it out.
Recomputation is coalesced: many edits in one event-loop turn cost one update, after the canvas repaint.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from workbench.analysis.background import SCALING_TASKS
from workbench.circuits import build_program, program_resources
from workbench.gui.common.plots import style_plot
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.common.worker import workers
from workbench.gui.composer.document import ExperimentDocument
from workbench.spec.model import ExperimentSpec
from workbench.textsafe import markup

COLUMNS = ["Block", "Params", "Kind", "Depth", "2q", "Task depth", "Task 2q"]
HEADER_TIPS = ["The shared encoder and each task's block", "Trainable angles of the block",
               "shared: trained by every task; task: this task's own", "Depth of the block alone",
               "Two-qubit gates of the block (CRX counts 2, SWAP 3)",
               "Depth of the circuit one task runs: shared encoder + its block",
               "Two-qubit gates of the circuit one task runs (total: every task re-runs the encoder)"]


def hps_head_params(spec: ExperimentSpec) -> int:
    """Classical HPS heads for the spec's tasks: one linear layer d -> C_t with bias per task."""
    d = spec.backbone.width
    return sum((d + 1) * t.classes for t in spec.tasks)


@dataclass(frozen=True)
class ScalingCurve:
    tasks: list[int]
    d: list[int]
    classical: list[int]
    quantum: list[int]
    note: str  # "" from analysis.scaling (d = alpha * T); else why the fixed-d fallback is drawn


def fixed_d_curve(spec: ExperimentSpec, why: str) -> ScalingCurve:
    """Where ``analysis.scaling`` is missing or refuses the spec (a Custom encoder has a fixed feature count):
    d stays fixed, ``P_cls(T) = sum_t (d+1) C_t`` and ``P_q(T) = P_enc + sum_t P_block_t`` over the spec's
    tasks, cycled."""
    res = program_resources(build_program(spec))
    d = spec.backbone.width
    ts, cls, qs = [], [], []
    for T in SCALING_TASKS:
        tasks = [spec.tasks[i % len(spec.tasks)] for i in range(T)]
        ts.append(T)
        cls.append(sum((d + 1) * t.classes for t in tasks))
        qs.append(res.shared_params + sum(res.task_params[t.name] for t in tasks))
    return ScalingCurve(ts, [d] * len(ts), cls, qs, f"d fixed: {why}")


def curve_from_rows(rows) -> ScalingCurve:
    return ScalingCurve([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], "")


class BudgetPanel(QWidget):
    """Counts per block update at once (about a millisecond); the scaling study, which builds torch modules
    for every T, runs in a worker process after edits settle, and results for an older revision are dropped."""

    SCALING_DELAY_MS = 150

    def __init__(self, doc: ExperimentDocument, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.theme = LIGHT
        self.curve: ScalingCurve | None = None
        self.curve_revision = -1  # the document revision the plot shows
        self._asked = -1  # the revision last sent to the worker
        self._in_flight = False  # one request at a time: a slow study must not pile requests up
        self._job = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setAccessibleName("Resource budget")
        self.table.verticalHeader().setDefaultSectionSize(22)
        for i, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(i).setToolTip(tip)
        split.addWidget(self.table)
        plot_box = QWidget()
        pl = QVBoxLayout(plot_box)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.setSpacing(0)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumWidth(240)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "tasks T")
        self.plot.setLabel("left", "head parameters")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setXRange(SCALING_TASKS.start - 0.5, SCALING_TASKS.stop - 0.5, padding=0)
        self.plot.enableAutoRange(x=False, y=True)
        # the title is the legend: a legend box inside the plot would hide the curves it explains
        self.classical_curve = self.plot.plot([], [], symbol="o", symbolSize=5)
        self.quantum_curve = self.plot.plot([], [], symbol="s", symbolSize=5)
        self.now_line = pg.InfiniteLine(angle=90, movable=False)
        self.plot.addItem(self.now_line)
        pl.addWidget(self.plot)
        self.plot_note = QLabel()
        self.plot_note.setWordWrap(True)
        pl.addWidget(self.plot_note)
        split.addWidget(plot_box)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 4)
        split.setSizes([540, 420])
        lay.addWidget(split, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.update_now)
        self._scaling_timer = QTimer(self)
        self._scaling_timer.setSingleShot(True)
        self._scaling_timer.setInterval(self.SCALING_DELAY_MS)
        self._scaling_timer.timeout.connect(self.start_scaling)
        doc.changed.connect(self.schedule)
        self.set_theme(LIGHT)
        self.start_scaling()

    # ------------------------------------------------------------------------------------------- updates
    def schedule(self, *_args) -> None:
        self._timer.start()
        self._scaling_timer.start()

    def scaling_ready(self) -> bool:
        return self.curve_revision == self.doc.revision

    def start_scaling(self) -> None:
        revision = self.doc.revision
        if revision == self._asked or self._in_flight:  # when the answer comes, a newer revision is asked
            return
        self._asked = revision
        self._in_flight = True
        job = self._job = workers().submit("workbench.analysis.background:scaling_rows", owner=self,
                                             spec=self.doc.snapshot())
        job.returned.connect(lambda rows: self.scaling_result(revision, rows, None))
        # a crashed worker: draw the fallback for now (revision None)
        job.errored.connect(lambda err: self.scaling_result(None if err.crashed else revision, None,
                                                            "the scaling worker stopped" if err.crashed
                                                            else err.message))
        self.plot_note.setText("updating the scaling study…" if self.curve is not None
                               else "computing the scaling study…")
        self.plot_note.setStyleSheet(f"color: {self.theme.muted}; font-size: 9pt;")
        self.plot_note.setVisible(True)

    def scaling_result(self, revision: int | None, rows, error: str | None) -> None:
        """An answer of the worker (``revision`` None: the worker died; draw the fallback for now)."""
        self._in_flight = False
        if revision is None:
            revision = self.doc.revision
        elif revision != self.doc.revision:  # the document moved on: this result is stale; ask again
            self.start_scaling()
            return
        if rows is not None:
            curve = curve_from_rows(rows)
        else:
            try:
                curve = fixed_d_curve(self.doc.spec, error or "")
            except Exception as exc:  # noqa: BLE001 - an invalid spec: said under the plot
                curve = exc
        self.curve_revision = revision
        self._show_curve(curve)

    def shutdown(self) -> None:
        self._scaling_timer.stop()
        if self._job is not None:
            self._job.discard()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)
        for curve, color in ((self.classical_curve, theme.classical), (self.quantum_curve, theme.quantum)):
            curve.setPen(pg.mkPen(color, width=2))
            curve.setSymbolBrush(QColor(color))
            curve.setSymbolPen(pg.mkPen(color))
        self.now_line.setPen(pg.mkPen(theme.muted, style=Qt.PenStyle.DashLine))
        self.update_now()
        if self.curve is not None:
            self._show_curve(self.curve)

    def update_now(self) -> None:
        self._timer.stop()
        spec = self.doc.spec
        theme = self.theme
        try:
            res = program_resources(build_program(spec))
        except Exception as exc:  # noqa: BLE001 - an invalid spec mid-edit: show why, never crash
            problem = self.doc.first_problem()
            why = str(problem) if problem is not None else str(exc)
            self.table.setRowCount(0)
            self.summary.setText(f'<span style="color:{theme.error}">⚠ no counts until this is fixed: '
                                 f"{markup(why)}</span>")
            return
        rows = [("Shared encoder", "shared", res.encoder, None, QColor(theme.template_fill))]
        for i, t in enumerate(spec.tasks):
            rows.append((t.name, "task", res.blocks[t.name], res.circuits[t.name], theme.task_color(i)))
        self.table.setRowCount(len(rows) + 1)
        for r, (name, share, block, circuit, color) in enumerate(rows):
            values = [name, block.params, share, block.depth, block.two_qubit,
                      "" if circuit is None else circuit.depth, "" if circuit is None else circuit.two_qubit]
            self._row(r, values)
            self.table.item(r, 0).setIcon(_swatch(color))
        self._row(len(rows), ["Quantum head", res.total_params, "", "", "", res.max_depth, res.total_two_qubit],
                  total=True)
        self.table.resizeColumnsToContents()
        hps = hps_head_params(spec)
        d = spec.backbone.width
        task_total = sum(res.task_params.values())
        classes = " + ".join(str(t.classes) for t in spec.tasks)
        n = len(spec.tasks)
        self.summary.setText(
            f'<b style="color:{theme.quantum}">Quantum head: {res.total_params} trainable</b> '
            f"({res.shared_params} shared + {task_total} task-specific) &nbsp;·&nbsp; "
            f'<b style="color:{theme.classical}">Classical HPS heads: {hps}</b> = ({d}+1)·({classes}) '
            f"for the same {n} task{'s' * (n != 1)} &nbsp;·&nbsp; <b>width {spec.quantum.qubits} qubits</b>"
            + (" (task registers: one per task, the statevector doubles with every qubit)"
               if spec.quantum.layout == "registers" else ""))

    def _row(self, r: int, values: list, total: bool = False) -> None:
        for c, v in enumerate(values):
            item = QTableWidgetItem(str(v))
            if c and c != 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if total:
                f = QFont(self.table.font())
                f.setBold(True)
                item.setFont(f)
                item.setBackground(QBrush(QColor(self.theme.alt_base)))
            self.table.setItem(r, c, item)

    def _show_curve(self, curve) -> None:
        theme = self.theme
        if isinstance(curve, Exception):
            self.curve = None
            self.classical_curve.setData([], [])
            self.quantum_curve.setData([], [])
            problem = self.doc.first_problem()
            self.plot_note.setText("no scaling study until the experiment is fixed" if problem is not None
                                   else f"scaling study unavailable: {curve}")
            self.plot_note.setVisible(True)
            self.plot_note.setStyleSheet(f"color: {theme.error}; font-size: 9pt;")
            return
        self.curve = curve
        self.classical_curve.setData(curve.tasks, curve.classical)
        self.quantum_curve.setData(curve.tasks, curve.quantum)
        self.now_line.setPos(len(self.doc.spec.tasks))
        n = len(self.doc.spec.tasks)
        self.plot.setTitle(f'<span style="color:{theme.classical}">● classical HPS heads</span> &nbsp; '
                           f'<span style="color:{theme.quantum}">■ quantum head</span>', size="9pt")
        d = f"d = {curve.d[0]}" if curve.note else f"d = {self.doc.spec.backbone.width / max(n, 1):g}·T"
        self.plot.setLabel("bottom", f"tasks T ({d}; now {n})")  # short: it must fit a narrow dock
        self.plot.setToolTip(f"Head parameters against the number of tasks T, backbone width {d}; the dashed line "
                             f"is this experiment (T = {n}).")
        self.plot_note.setText(curve.note)
        self.plot_note.setVisible(bool(curve.note))
        self.plot_note.setStyleSheet(f"color: {theme.muted}; font-size: 9pt;")


def _swatch(color: QColor) -> QIcon:
    pm = QPixmap(12, 12)
    pm.fill(color)
    return QIcon(pm)
