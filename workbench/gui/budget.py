"""The live resource budget: trainable parameters, depth and two-qubit gates per block and per task circuit,
the classical HPS heads for the same tasks, and the parameter-scaling plot (T = 1..12).

Everything shown comes from the core (``build_program``, ``program_resources``, and
``workbench.analysis.scaling.scaling_table`` where it is installed); the panel only lays it out.
Recomputation is coalesced: many edits in one event-loop turn cost one update, after the canvas repaint.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from workbench.circuits import build_program, program_resources
from workbench.gui.document import ExperimentDocument
from workbench.gui.theme import LIGHT, Theme
from workbench.spec.model import ExperimentSpec

SCALING_TASKS = range(1, 13)
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


def scaling_curve(spec: ExperimentSpec) -> ScalingCurve:
    """Head parameters for T = 1..12 from ``workbench.analysis.scaling.scaling_table`` (capacity-matched,
    d = alpha * T). Where that is missing or refuses the spec (a Custom encoder has a fixed feature count),
    the fallback keeps d fixed: ``P_cls(T) = sum_t (d+1) C_t``, ``P_q(T) = P_enc + sum_t P_block_t`` over
    the spec's tasks, cycled."""
    note = "d fixed: workbench.analysis.scaling is not installed"
    try:
        from workbench.analysis.scaling import scaling_table
    except ImportError:
        scaling_table = None
    if scaling_table is not None:
        try:
            rows = scaling_table(spec, tasks=SCALING_TASKS)
            return ScalingCurve([r.T for r in rows], [r.d for r in rows], [r.classical_params for r in rows],
                                [r.quantum_params for r in rows], "")
        except Exception as exc:  # noqa: BLE001 - the study refuses this spec: say why, draw the fallback
            note = f"d fixed: {exc}"
    res = program_resources(build_program(spec))
    d = spec.backbone.width
    ts, cls, qs = [], [], []
    for T in SCALING_TASKS:
        tasks = [spec.tasks[i % len(spec.tasks)] for i in range(T)]
        ts.append(T)
        cls.append(sum((d + 1) * t.classes for t in tasks))
        qs.append(res.shared_params + sum(res.task_params[t.name] for t in tasks))
    return ScalingCurve(ts, [d] * len(ts), cls, qs, note)


class BudgetPanel(QWidget):
    """Counts per block update at once (about a millisecond); the scaling study, which builds torch modules
    for every T, runs on a worker thread after edits settle, and results for an older revision are dropped."""

    SCALING_DELAY_MS = 150

    def __init__(self, doc: ExperimentDocument, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.theme = LIGHT
        self.updates = 0  # how many times the counts were recomputed (tests and the benchmark read it)
        self.curve: ScalingCurve | None = None
        self.curve_revision = -1  # the document revision the plot shows
        self._job: tuple[int, Future] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qmtl-scaling")
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
        self.legend = self.plot.addLegend(offset=(6, 2))
        self.classical_curve = self.plot.plot([], [], name="classical HPS heads", symbol="o", symbolSize=5)
        self.quantum_curve = self.plot.plot([], [], name="quantum head", symbol="s", symbolSize=5)
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
        self._scaling_timer.timeout.connect(self._start_scaling)
        self._poll = QTimer(self)
        self._poll.setInterval(30)
        self._poll.timeout.connect(self._collect_scaling)
        doc.changed.connect(self.schedule)
        self.set_theme(LIGHT)
        self._start_scaling()

    # ------------------------------------------------------------------------------------------- updates
    def schedule(self, *_args) -> None:
        self._timer.start()
        self._scaling_timer.start()

    def scaling_ready(self) -> bool:
        return self.curve_revision == self.doc.revision

    def _start_scaling(self) -> None:
        if self._job is not None:  # one at a time; the poll starts the next when this one is stale
            return
        revision = self.doc.revision
        self._job = (revision, self._executor.submit(_safe_curve, self.doc.snapshot()))
        self._poll.start()

    def _collect_scaling(self) -> None:
        if self._job is None or not self._job[1].done():
            return
        revision, future = self._job
        self._job = None
        self._poll.stop()
        if revision != self.doc.revision:  # the document moved on: this result is stale
            self._start_scaling()
            return
        self.curve_revision = revision
        self._show_curve(future.result())

    def shutdown(self) -> None:
        self._poll.stop()
        self._scaling_timer.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plot.setBackground(QColor(theme.base))
        for axis in ("left", "bottom"):
            ax = self.plot.getAxis(axis)
            ax.setPen(pg.mkPen(theme.muted))
            ax.setTextPen(pg.mkPen(theme.text))
        for curve, color in ((self.classical_curve, theme.classical), (self.quantum_curve, theme.quantum)):
            curve.setPen(pg.mkPen(color, width=2))
            curve.setSymbolBrush(QColor(color))
            curve.setSymbolPen(pg.mkPen(color))
        self.now_line.setPen(pg.mkPen(theme.muted, style=Qt.PenStyle.DashLine))
        self.legend.setLabelTextColor(QColor(theme.text))
        self.legend.setBrush(QColor(theme.base))
        self.update_now()
        if self.curve is not None:
            self._show_curve(self.curve)

    def update_now(self) -> None:
        self._timer.stop()
        self.updates += 1
        spec = self.doc.spec
        theme = self.theme
        try:
            res = program_resources(build_program(spec))
        except Exception as exc:  # noqa: BLE001 - an invalid spec mid-edit: show why, never crash
            problem = self.doc.first_problem()
            why = str(problem) if problem is not None else str(exc)
            self.table.setRowCount(0)
            self.summary.setText(f'<span style="color:{theme.error}">⚠ no counts until this is fixed: '
                                 f"{_esc(why)}</span>")
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
            f"for the same {n} task{'s' * (n != 1)}")

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
        if curve.note:
            title = f"head parameters vs T (d = {curve.d[0]}; dashed: T = {n})"
        else:
            alpha = self.doc.spec.backbone.width / max(n, 1)
            title = f"head parameters vs T (d = {alpha:g}·T; dashed: T = {n})"
        self.plot.setTitle(title, color=theme.text, size="9pt")
        self.plot_note.setText(curve.note)
        self.plot_note.setVisible(bool(curve.note))
        self.plot_note.setStyleSheet(f"color: {theme.muted}; font-size: 9pt;")


def _safe_curve(spec: ExperimentSpec):
    try:
        return scaling_curve(spec)
    except Exception as exc:  # noqa: BLE001 - shown under the plot
        return exc


def _esc(value) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _swatch(color: QColor) -> QIcon:
    pm = QPixmap(12, 12)
    pm.fill(color)
    return QIcon(pm)
