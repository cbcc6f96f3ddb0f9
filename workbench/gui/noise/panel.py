"""Noise comparison panel: a trained run's per-task test figures, ideal, under noise channels, on fake IBM
backends and on hardware, as a grouped bar plot and a table.

The computation is the one ``qmtl noise RUN`` does (``load_trained`` -> backbone on the test split ->
``analysis.noise.evaluate_noise`` -> ``store_report``), run as a job of the common worker pool in a worker process
(``gui/common/worker.py``, job function ``analysis.background.noise_comparison``: Qiskit and Aer never run in the
GUI process); the job's signals bring progress per backend with ETA and the result. Cancel cancels the job, which
is the evaluation's cancel token: it stops between chunks of inputs, and the backends already done are shown and
stored. A result that arrives after the shown run changed is stored with its own run but not drawn. The view box
picks the figure the bars show (exact accuracy, accuracy under the shot budget with its 95 % interval, loss,
margin, readout contraction, distance from ideal).
Hardware results are read from the run's ``summary["hardware"]`` (written by ``qmtl hardware run`` and the
hardware panel).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import UserError
from workbench.gui.common import messages
from workbench.gui.common.compat import guard_none_refcount
from workbench.gui.common.tables import row_table
from workbench.gui.common.theme import LIGHT, TASK_HUES, Theme
from workbench.gui.common.worker import workers
from workbench.runs.store import RunStore

guard_none_refcount()

CHANNELS = (("depolarizing", "Depolarizing", "p", 0.01),
            ("amplitude_damping", "Amplitude damping", "γ", 0.02),
            ("phase_damping", "Phase damping", "λ", 0.02))
COLUMNS = ["Backend", "Source", "Task", "Accuracy", "Acc. (shots) [95%]", "Macro-F1", "Loss", "Margin", "|<Z>|",
           "TV ideal", "Shots", "Inputs", "Time s"]
FIGURES = ("accuracy", "macro_f1", "loss", "margin", "mean_abs_z", "tv_from_ideal", "shots_accuracy",
           "shots_accuracy_low", "shots_accuracy_high", "shots_macro_f1", "shots_macro_f1_low", "shots_macro_f1_high")
CSV_COLUMNS = ("backend", "source", "engine", "task") + FIGURES + ("shots", "inputs", "seconds")
# the views of the plot: (figure, label, the range the bars start from); "{shots}" is the shot budget
VIEWS = (("accuracy", "Accuracy (exact)"), ("shots_accuracy", "Accuracy ({shots} shots)"),
         ("macro_f1", "Macro-F1 (exact)"), ("shots_macro_f1", "Macro-F1 ({shots} shots)"),
         ("loss", "Test loss (exact)"), ("margin", "Mean margin p1 - p2 (exact)"),
         ("mean_abs_z", "Mean |<Z>| of the readout (exact)"), ("tv_from_ideal", "TV distance from ideal (exact)"))
UNBOUNDED = {"loss"}  # figures not in [0, 1]
IDEAL_COLOR = "#5d6470"


@dataclass
class Row:
    """One bar: a backend's score on one task."""
    backend: str
    source: str  # simulated | hardware
    task: str
    accuracy: float
    macro_f1: float
    figures: dict = field(default_factory=dict)  # FIGURES that this row has (hardware rows: accuracy, macro_f1)
    engine: str = ""
    shots: int | None = None
    inputs: int | None = None
    seconds: float | None = None

    @property
    def series(self) -> str:
        return f"hardware: {self.backend}" if self.source == "hardware" else self.backend

    def figure(self, key: str) -> float | None:
        if key in ("accuracy", "macro_f1"):
            return getattr(self, key)
        if self.source == "hardware" and key in ("shots_accuracy", "shots_macro_f1"):
            return getattr(self, key[6:])  # measured with its shots: that is what the shot view shows
        v = self.figures.get(key)
        return None if v is None else float(v)


# ------------------------------------------------------------------------------------------ Qt-free part
@dataclass
class ComparisonRequest:
    number: int
    run_id: str
    backends: list[str]
    shots: int | None
    engine: str
    limit: int | None
    seed: int
    store: bool
    started: float = field(default_factory=time.monotonic)

    def job_kwargs(self) -> dict:
        """The keyword arguments of ``analysis.background.noise_comparison``."""
        return {"run_id": self.run_id, "backends": list(self.backends), "shots": self.shots, "engine": self.engine,
                "limit": self.limit, "seed": self.seed, "store": self.store}


def rows_from_report(report) -> list[Row]:
    return [Row(r.backend, "simulated", t, s.accuracy, s.macro_f1, s.as_dict(), r.engine, r.shots, r.inputs,
                r.seconds) for r in report.results for t, s in r.tasks.items()]


def rows_from_summary(store: RunStore, run_id: str) -> list[Row]:
    """What is stored with a run: summary["noise"] (details from noise.json where it has them) and
    summary["hardware"]."""
    info = store.get(run_id)
    summary = info.summary or {}
    details = {}
    path = store.run_dir(run_id) / "noise.json"
    if path.exists():
        try:
            details = {r["backend"]: r for r in json.loads(path.read_text(encoding="utf-8")).get("results", [])}
        except (OSError, ValueError, KeyError, TypeError):
            details = {}
    rows = []
    for backend, tasks in (summary.get("noise") or {}).items():
        d = details.get(backend, {})
        for task, m in (tasks or {}).items():
            rows.append(Row(backend, "simulated", task, float(m.get("accuracy", math.nan)),
                            float(m.get("macro_f1", math.nan)), {k: m[k] for k in FIGURES if k in m},
                            d.get("engine", ""), d.get("shots"), d.get("inputs"), d.get("seconds")))
    for backend, entry in (summary.get("hardware") or {}).items():
        if not isinstance(entry, dict):
            continue
        for task, m in (entry.get("accuracy") or {}).items():
            rows.append(Row(backend, "hardware", task, float(m.get("accuracy", math.nan)),
                            float(m.get("macro_f1", math.nan)), engine="local testing mode" if entry.get("local")
                            else "IBM Quantum", shots=entry.get("shots"), inputs=entry.get("samples"),
                            seconds=entry.get("wall_s")))
    return rows


def rows_to_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        values = [r.backend, r.source, r.engine, r.task] + [r.figure(k) if k in ("accuracy", "macro_f1") else
                                                            r.figures.get(k) for k in FIGURES]
        values += [r.shots, r.inputs, None if r.seconds is None else round(r.seconds, 3)]
        w.writerow(["" if v is None else v for v in values])
    return buf.getvalue()


def _series_order(rows: list[Row]) -> list[str]:
    def rank(r: Row) -> tuple:
        kind = 0 if r.backend == "ideal" and r.source != "hardware" else 1 if ":" in r.backend \
            else 3 if r.source == "hardware" else 2
        return kind, r.series

    out: list[str] = []
    for r in sorted(rows, key=rank):
        if r.series not in out:
            out.append(r.series)
    return out


# ---------------------------------------------------------------------------------------------- widget
class NoisePanel(QWidget):
    """Pick backends, compare a run's test accuracy across them, plot, tabulate and export."""

    finished = Signal(str)  # run id whose comparison finished (or was cancelled) and is shown
    progressed = Signal(str, float)  # backend being evaluated, fraction of the whole comparison done
    cancelled = Signal(str)  # run id whose comparison was cancelled (the backends done are shown and stored)

    job_target = "workbench.analysis.background:noise_comparison"  # the job function (tests swap in a slow one)

    def __init__(self, store: RunStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.theme = LIGHT
        self.run_id: str | None = None
        self.n_qubits: int | None = None
        self.task_names: list[str] = []
        self.rows: list[Row] = []
        self.bar_items: dict[str, pg.BarGraphItem] = {}
        self.error_items: dict[str, pg.ErrorBarItem] = {}
        self.last_seconds: float | None = None
        self._request: ComparisonRequest | None = None
        self._numbers = 0
        self._job = None  # the running comparison's Job (workbench.gui.common.worker)
        self._build()
        self.set_theme(LIGHT)
        self.set_run(None)

    # -- layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        outer.addWidget(self.header)

        split = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(split, 1)

        # left: backends and settings
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        sims = QGroupBox("Simulators")
        grid = QGridLayout(sims)
        self.ideal_box = QCheckBox("Ideal (noiseless)")
        self.ideal_box.setChecked(True)
        grid.addWidget(self.ideal_box, 0, 0, 1, 2)
        self.channel_boxes: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        for i, (key, label, sym, default) in enumerate(CHANNELS, start=1):
            box = QCheckBox(f"{label} {sym}")
            spin = QDoubleSpinBox()
            spin.setDecimals(4)
            spin.setRange(0.0001, 1.0)
            spin.setSingleStep(0.005)
            spin.setValue(default)
            spin.setToolTip(f"{label} probability after every gate, on each of its wires ({key}:{sym})")
            box.setChecked(key == "depolarizing")
            grid.addWidget(box, i, 0)
            grid.addWidget(spin, i, 1)
            self.channel_boxes[key] = (box, spin)
        lv.addWidget(sims)

        devs = QGroupBox("Fake IBM backends (calibrated noise)")
        dv = QVBoxLayout(devs)
        self.device_filter = QLineEdit()
        self.device_filter.setPlaceholderText("Filter, e.g. manila")
        self.device_filter.setClearButtonEnabled(True)
        self.device_filter.textChanged.connect(self._filter_devices)
        dv.addWidget(self.device_filter)
        self.device_list = QListWidget()
        self.device_list.setMinimumHeight(90)
        self.device_list.itemChanged.connect(lambda _i: self._clear_error())
        dv.addWidget(self.device_list, 1)
        lv.addWidget(devs, 1)

        more = QFormLayout()
        self.extra = QLineEdit()
        self.extra.setPlaceholderText("e.g. thermal:50/70/0.05, readout:0.02, fake_hanoi")
        self.extra.setToolTip("More backends, comma-separated, as `qmtl noise --backends` takes them")
        self.extra.textChanged.connect(lambda _t: self._clear_error())
        more.addRow("More:", self.extra)
        self.engine = QComboBox()
        self.engine.addItem("Aer, full noise model", "aer")
        self.engine.addItem("Density matrix, calibrated (faster)", "density")
        self.engine.setToolTip("How fake backends are simulated")
        more.addRow("Devices via:", self.engine)
        shots_row = QHBoxLayout()
        self.exact = QCheckBox("Exact only")
        self.exact.setToolTip("Only the exact figures (infinitely many shots); otherwise also the accuracy under "
                              "this shot budget per input, sampled as hardware measures, with a 95% interval")
        self.shots = QSpinBox()
        self.shots.setRange(1, 1_000_000)
        self.shots.setValue(1024)
        self.shots.setSingleStep(256)
        self.exact.toggled.connect(lambda on: self.shots.setEnabled(not on))
        self.exact.setChecked(False)
        shots_row.addWidget(self.exact)
        shots_row.addWidget(self.shots, 1)
        more.addRow("Shots:", shots_row)
        self.limit = QSpinBox()
        self.limit.setRange(0, 1_000_000)
        self.limit.setSpecialValueText("all")
        self.limit.setToolTip("Evaluate only the first N test inputs (all: the whole test split)")
        more.addRow("Test inputs:", self.limit)
        self.store_box = QCheckBox("Store results with the run")
        self.store_box.setChecked(True)
        more.addRow("", self.store_box)
        lv.addLayout(more)

        self.error_label = QLabel()
        self.error_label.setObjectName("noiseError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        lv.addWidget(self.error_label)

        row = QHBoxLayout()
        self.run_button = QPushButton("Compare")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        row.addWidget(self.run_button)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current chunk of inputs; the backends already done are kept")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        row.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        row.addWidget(self.progress, 1)
        lv.addLayout(row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(int(self.status.fontMetrics().height() * 2.4))
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        lv.addWidget(self.status)
        split.addWidget(left)

        # right: plot, legend, table, exports
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("View:"))
        self.metric_box = QComboBox()
        self.metric_box.setToolTip("The figure the bars show")
        self._fill_views(None)
        self.metric_box.currentIndexChanged.connect(lambda _i: self._draw())
        top.addWidget(self.metric_box)
        top.addStretch(1)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the plot and the table (what is stored with the run stays)")
        self.clear_button.clicked.connect(self.clear)
        top.addWidget(self.clear_button)
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.clicked.connect(self._ask_csv)
        self.plot_button = QPushButton("Export plot…")
        self.plot_button.setToolTip("PNG or SVG")
        self.plot_button.clicked.connect(self._ask_plot)
        top.addWidget(self.csv_button)
        top.addWidget(self.plot_button)
        rv.addLayout(top)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(220)
        self.plot.showGrid(y=True, alpha=0.25)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setMinimumHeight(int(self.legend.fontMetrics().height() * 1.8))
        self.figure = QWidget()  # legend + plot: what the plot export draws
        fv = QVBoxLayout(self.figure)
        fv.setContentsMargins(0, 0, 0, 0)
        fv.setSpacing(2)
        fv.addWidget(self.legend)
        fv.addWidget(self.plot, 1)
        rv.addWidget(self.figure, 3)
        self.table = row_table(COLUMNS)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        rv.addWidget(self.table, 2)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 700])

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plot.setBackground(QColor(theme.base))
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(pg.mkPen(theme.muted))
            ax.setTextPen(pg.mkPen(theme.text))
        self.error_label.setStyleSheet(f"color: {theme.error}; background: {theme.error_fill}; padding: 4px; "
                                       "border-radius: 3px;")
        self.status.setStyleSheet(f"color: {theme.muted};")
        self._draw()

    # -- the run
    def set_run(self, run_id: str | None) -> None:
        """Show ``run_id``'s stored comparison (and hardware results); None shows an empty panel."""
        self.run_id = run_id
        self.n_qubits, self.task_names, self.rows = None, [], []
        self._clear_error()
        note = ""
        if run_id is not None:
            try:
                from workbench.spec import loads

                info = self.store.get(run_id)
                text, fmt = self.store.spec(run_id)
                spec = loads(text, fmt, f"run {run_id}")
                self.n_qubits = int(spec.quantum.qubits)
                self.task_names = [t.name for t in spec.tasks]
                self.rows = rows_from_summary(self.store, run_id)
                if info.params.get("head") not in (None, "qmtl"):
                    note = f"this run trained a {info.params.get('head')!r} head: noise needs the QMTL head"
                self.header.setText(f"<b>{html.escape(spec.name)}</b> · run {html.escape(run_id)} · "
                                    f"{self.n_qubits} qubits · tasks {html.escape(', '.join(self.task_names))}")
            except Exception as exc:  # a run without a spec or a broken record: say so in place
                note = one_line(exc)
                self.header.setText(f"run {html.escape(run_id)}")
        else:
            self.header.setText("<i>No run selected: pick a trained run to compare it under noise.</i>")
        self._fill_devices()
        if note:
            self.show_error(note)
        self._update_buttons()
        self._show_rows()
        if self._request is None:
            self.progress.setFormat("idle")
            self.progress.setValue(0)

    def _fill_devices(self) -> None:
        from workbench.engines import fake_backends

        checked = {self.device_list.item(i).data(Qt.ItemDataRole.UserRole)
                   for i in range(self.device_list.count())
                   if self.device_list.item(i).checkState() == Qt.CheckState.Checked}
        self.device_list.blockSignals(True)
        self.device_list.clear()
        need = self.n_qubits or 0
        for b in fake_backends.catalog():
            fits = b.qubits >= need
            qubits = f"{b.qubits} qubit{'s' if b.qubits != 1 else ''}"
            item = QListWidgetItem(f"{b.name}  ·  {qubits}" + ("" if fits else f"  (needs {need})"))
            item.setData(Qt.ItemDataRole.UserRole, b.name)
            flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
            if fits:
                flags |= Qt.ItemFlag.ItemIsEnabled
            item.setFlags(flags)
            item.setCheckState(Qt.CheckState.Checked if fits and b.name in checked else Qt.CheckState.Unchecked)
            item.setToolTip(f"{b.device or b.name}: {b.qubits} qubits, 2q basis {', '.join(b.two_qubit_basis)}"
                            + ("" if fits else f"; the circuit needs {need} qubits"))
            self.device_list.addItem(item)
        self.device_list.blockSignals(False)
        self._filter_devices(self.device_filter.text())

    def _filter_devices(self, text: str) -> None:
        t = text.strip().lower()
        for i in range(self.device_list.count()):
            item = self.device_list.item(i)
            item.setHidden(bool(t) and t not in item.text().lower())

    # -- choices
    def check_device(self, name: str, on: bool = True) -> None:
        for i in range(self.device_list.count()):
            item = self.device_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                return
        raise KeyError(name)

    def backends(self) -> list[str]:
        """The chosen backends as ``qmtl noise --backends`` items."""
        out = ["ideal"] if self.ideal_box.isChecked() else []
        for key, (box, spin) in self.channel_boxes.items():
            if box.isChecked():
                out.append(f"{key}:{spin.value():g}")
        for i in range(self.device_list.count()):
            item = self.device_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        out.extend(s for s in (p.strip() for p in self.extra.text().split(",")) if s and s not in out)
        return out

    # -- running
    @property
    def busy(self) -> bool:
        return self._request is not None

    def start(self) -> bool:
        """Validate the choices (errors in place, one line) and start the comparison as a worker-process job."""
        from workbench.analysis.noise import parse_backends

        self._clear_error()
        if self.busy:
            self.show_error("a comparison is still running; wait for it to finish")
            return False
        if self.run_id is None or self.n_qubits is None:
            self.show_error("pick a trained run first")
            return False
        items = self.backends()
        try:
            parse_backends(items, self.n_qubits, where="backends")
        except UserError as exc:
            self.show_error(one_line(exc))
            return False
        self._numbers += 1
        req = ComparisonRequest(self._numbers, self.run_id, items,
                                None if self.exact.isChecked() else self.shots.value(), self.engine.currentData(),
                                self.limit.value() or None, 0, self.store_box.isChecked())
        self._request = req
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat(f"starting run {req.run_id}…")
        self.status.setText("")
        job = self._job = workers().submit(self.job_target, key=f"noise-{id(self)}", owner=self,
                                           root=str(self.store.root), **req.job_kwargs())
        job.progress.connect(lambda info, req=req: self._on_progress(req, info))
        job.returned.connect(lambda result, req=req: self._on_returned(req, result))
        job.errored.connect(lambda err, req=req: self._on_ended(req, err.message))
        job.aborted.connect(lambda req=req: self._on_ended(req, "stopped"))
        self._update_buttons()
        return True

    def cancel(self) -> None:
        """Stop the running comparison after its current chunk of inputs; the backends done are kept."""
        if self._job is not None and not self._job.done and not self._job.cancel_requested:
            self._job.cancel()
            self.cancel_button.setEnabled(False)
            self.progress.setFormat("cancelling…")

    def clear(self) -> None:
        """Empty the plot and the table (the results stored with the run stay there)."""
        self.rows = []
        self._show_rows()

    def _on_progress(self, req: ComparisonRequest, info: dict) -> None:
        if req.run_id == self.run_id and info.get("event") is not None:
            self._show_progress(info["event"])

    def _on_ended(self, req: ComparisonRequest, error: str | None) -> bool:
        """The job is over: reset the controls; True when its result belongs to the run shown."""
        self._request, self._job = None, None
        self._update_buttons()
        if req.run_id != self.run_id:  # the shown run changed meanwhile: stored with its own run, not drawn here
            self.progress.setFormat("idle")
            self.progress.setValue(0)
            return False
        if error is not None:
            self.progress.setFormat("failed" if error != "stopped" else "stopped")
            if error != "stopped":
                self.show_error(error)
            self.finished.emit(req.run_id)
        return True

    def _on_returned(self, req: ComparisonRequest, result) -> None:
        if not self._on_ended(req, None):
            return
        report, stored = result
        seconds = time.monotonic() - req.started
        self.last_seconds = seconds
        if report.cancelled:
            self.progress.setFormat(f"cancelled: {len(report.results)} of {len(req.backends)} backends kept")
        else:
            self.progress.setValue(self.progress.maximum())
            self.progress.setFormat(f"done in {seconds:.1f} s")
        new = rows_from_report(report)
        done = {r.backend for r in new}
        self.rows = [r for r in self.rows if r.source == "hardware" or r.backend not in done] + new
        mode = f"{report.shots} shots per input" if report.shots else "exact expectation values only"
        times = ", ".join(f"{r.backend} {r.seconds:.1f} s" for r in report.results)
        self.status.setText(f"{report.inputs} test inputs, {mode}"
                            + (f"; stored with run {req.run_id}" if stored else "; not stored")
                            + (f"; time per backend: {times}" if times else ""))
        self._show_rows()
        if report.cancelled:
            self.cancelled.emit(req.run_id)
        self.finished.emit(req.run_id)

    def _show_progress(self, ev) -> None:
        """One ``NoiseProgress``: the bar covers the whole comparison, the text names the backend and its ETA."""
        frac_backend = ev.done / ev.inputs if ev.phase in ("simulate", "done") and ev.inputs else 0.0
        if ev.phase == "plan":
            text = f"{ev.index + 1}/{ev.total} {ev.backend}: planning (transpile, noise model)"
            overall = 0.0
        else:
            rate = ev.done / ev.elapsed if ev.elapsed > 0 else 0.0
            eta = (ev.inputs - ev.done) / rate if rate > 0 else max(ev.est_seconds - ev.elapsed, 0.0)
            text = (f"{ev.index + 1}/{ev.total} {ev.backend}: {frac_backend:.0%} · {ev.elapsed:.1f} s"
                    + ("" if ev.phase == "done" else f" · ETA {int(eta) // 60}:{int(eta) % 60:02d}"))
            overall = (ev.index + frac_backend) / ev.total
        self.progress.setValue(int(1000 * overall))
        self.progress.setFormat(text)
        self.progressed.emit(ev.backend, overall)

    def wait(self, timeout: float = 60.0) -> bool:
        """Scripts: let the job finish and its result be applied (processes events)."""
        from PySide6.QtCore import QCoreApplication

        end = time.monotonic() + timeout
        while self._request is not None and time.monotonic() < end:
            QCoreApplication.processEvents()
            time.sleep(0.01)
        return self._request is None

    def _update_buttons(self) -> None:
        self.run_button.setEnabled(self.run_id is not None and not self.busy)
        self.cancel_button.setEnabled(self._job is not None and not self._job.cancel_requested)
        has = bool(self.rows)
        self.csv_button.setEnabled(has)
        self.plot_button.setEnabled(has)
        self.clear_button.setEnabled(has)

    # -- errors
    def show_error(self, text: str) -> None:
        self.error_label.setText(f"⚠ {text}")
        self.error_label.show()

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    # -- table and plot
    def _show_rows(self) -> None:
        order = _series_order(self.rows)
        tasks = self.task_names or sorted({r.task for r in self.rows})
        rows = sorted(self.rows, key=lambda r: (order.index(r.series), tasks.index(r.task) if r.task in tasks else 99))
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            shot = r.figures.get("shots_accuracy")
            shot_text = "" if shot is None else (f"{_f(shot)} [{_f(r.figures.get('shots_accuracy_low'))}, "
                                                 f"{_f(r.figures.get('shots_accuracy_high'))}]")
            vals = [r.backend, r.source + (f" ({r.engine})" if r.engine else ""), r.task, _f(r.accuracy), shot_text,
                    _f(r.macro_f1), _f(r.figures.get("loss")), _f(r.figures.get("margin")),
                    _f(r.figures.get("mean_abs_z")), _f(r.figures.get("tv_from_ideal"), 4),
                    "exact" if r.shots is None and r.source == "simulated" else _f(r.shots, 0), _f(r.inputs, 0),
                    _f(r.seconds, 1)]
            for j, v in enumerate(vals):
                item = QTableWidgetItem(v)
                if j >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if j == 0:
                    item.setForeground(QBrush(self._color(r.series, order)))
                self.table.setItem(i, j, item)
        self._fill_views(self._shots_of_rows())
        self._update_buttons()
        self._draw()

    def _shots_of_rows(self) -> int | None:
        shots = {r.shots for r in self.rows
                 if r.source == "simulated" and r.shots and r.figures.get("shots_accuracy") is not None}
        return max(shots) if shots else None

    def _fill_views(self, shots: int | None) -> None:
        """The view box's items, the shot views labelled with the budget ("N shots") when there is one."""
        current = self.metric_box.currentData() or "accuracy"
        self.metric_box.blockSignals(True)
        self.metric_box.clear()
        for key, label in VIEWS:
            self.metric_box.addItem(label.format(shots=shots if shots else "N"), key)
        self.metric_box.setCurrentIndex(max(self.metric_box.findData(current), 0))
        self.metric_box.blockSignals(False)

    def set_view(self, key: str) -> None:
        i = self.metric_box.findData(key)
        if i < 0:
            raise KeyError(key)
        self.metric_box.setCurrentIndex(i)

    def _color(self, series: str, order: list[str]) -> QColor:
        if series == "ideal":
            return QColor(IDEAL_COLOR if not self.theme.dark else "#c5cad3")
        others = [s for s in order if s != "ideal"]
        return QColor(TASK_HUES[others.index(series) % len(TASK_HUES)] if series in others else TASK_HUES[0])

    def _draw(self) -> None:
        if not hasattr(self, "plot"):
            return
        self.plot.clear()
        self.bar_items, self.error_items = {}, {}
        key = self.metric_box.currentData() or "accuracy"
        label = self.metric_box.currentText() or key
        tasks = self.task_names or sorted({r.task for r in self.rows})
        order = _series_order(self.rows)
        ax = self.plot.getAxis("bottom")
        ax.setTicks([[(i, t) for i, t in enumerate(tasks)]])
        self.plot.setLabel("left", f"test {label[0].lower()}{label[1:]}" if label.startswith(("Acc", "Mac"))
                           else label)
        values = [r.figure(key) for r in self.rows]
        top = max([v for v in values if v is not None and not math.isnan(v)] or [1.0])
        self.plot.setYRange(0, top * 1.1 if key in UNBOUNDED else 1.05, padding=0)
        self.plot.setXRange(-0.6, max(len(tasks) - 1, 0) + 0.6, padding=0)
        if not self.rows:
            self.legend.setText(f'<span style="color:{self.theme.muted}">No results yet: choose backends and press '
                                "Compare.</span>" if self.run_id else "")
            return
        n = len(order)
        width = 0.8 / max(n, 1)
        legend = []
        for j, series in enumerate(order):
            xs, ys, lows, highs = [], [], [], []
            for r in self.rows:
                v = r.figure(key)
                if r.series != series or r.task not in tasks or v is None:
                    continue
                xs.append(tasks.index(r.task) + (j - (n - 1) / 2) * width)
                ys.append(v)
                lo, hi = r.figures.get(key + "_low"), r.figures.get(key + "_high")
                lows.append(None if lo is None else v - lo)
                highs.append(None if hi is None else hi - v)
            if not xs:
                continue
            color = self._color(series, order)
            pen = pg.mkPen(color.darker(130), width=1)
            if series.startswith("hardware: "):
                brush = pg.mkBrush(color)
                brush.setStyle(Qt.BrushStyle.Dense3Pattern)  # hatched: measured on hardware
                fill = QColor(color)
                fill.setAlpha(90)
                bars = pg.BarGraphItem(x=xs, height=ys, width=width * 0.92, brushes=[brush] * len(xs), pen=pen)
                back = pg.BarGraphItem(x=xs, height=ys, width=width * 0.92, brush=pg.mkBrush(fill), pen=pen)
                self.plot.addItem(back)
            else:
                bars = pg.BarGraphItem(x=xs, height=ys, width=width * 0.92, brush=pg.mkBrush(color), pen=pen)
            self.plot.addItem(bars)
            self.bar_items[series] = bars
            if any(s is not None for s in highs):
                eb = pg.ErrorBarItem(x=np.array(xs), y=np.array(ys), top=np.array([s or 0.0 for s in highs]),
                                     bottom=np.array([s or 0.0 for s in lows]), beam=width * 0.3,
                                     pen=pg.mkPen(self.theme.text, width=1.2))
                self.plot.addItem(eb)
                self.error_items[series] = eb
            swatch = "▨" if series.startswith("hardware: ") else "■"
            legend.append(f'<span style="color:{color.name()}; font-size:13pt">{swatch}</span>&nbsp;'
                          f"{html.escape(series)}")
        shots = self._shots_of_rows()
        if key.startswith("shots_"):
            hint = f" · {shots} shots per input; error bars: 95% interval over repeated samplings"
        else:
            hint = " · exact (infinitely many shots)"
        self.legend.setText("&nbsp;&nbsp; ".join(legend) + f'<span style="color:{self.theme.muted}">{hint}</span>')

    # -- exports
    def export_csv(self, path: str | Path) -> Path:
        p = Path(path)
        p.write_text(rows_to_csv(self.rows), encoding="utf-8")
        return p

    def export_plot(self, path: str | Path, scale: float = 2.0) -> Path:
        """The legend and the plot as PNG (``scale`` x for slides) or SVG (vector, QtSvg), by the suffix."""
        from PySide6.QtCore import QPoint, QRectF, QSize
        from PySide6.QtGui import QImage, QPainter

        p = Path(path)
        if p.suffix.lower() not in (".png", ".svg"):
            p = p.with_suffix(".png")
        fig = self.figure
        if fig.width() < 200 or fig.height() < 150:  # never shown (a docked tab not opened yet): lay it out
            fig.resize(900, 520)
        w, h = fig.width(), fig.height()
        if p.suffix.lower() == ".svg":
            from PySide6.QtSvg import QSvgGenerator

            gen = QSvgGenerator()
            gen.setFileName(str(p))
            gen.setSize(QSize(w, h))
            gen.setViewBox(QRectF(0, 0, w, h))
            gen.setTitle(f"Noise comparison, run {self.run_id}")
            gen.setDescription("Exported by QMTL Workbench")
            painter = QPainter(gen)
            painter.fillRect(QRectF(0, 0, w, h), QColor(self.theme.base))
            fig.render(painter, QPoint(0, 0))
            painter.end()
        else:
            image = QImage(int(w * scale), int(h * scale), QImage.Format.Format_ARGB32)
            image.fill(QColor(self.theme.base))
            painter = QPainter(image)
            painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
            painter.scale(scale, scale)
            fig.render(painter, QPoint(0, 0))
            painter.end()
            if not image.save(str(p), "PNG"):
                raise OSError(f"cannot write {p}")
        if not p.exists():
            raise OSError(f"cannot write {p}")
        return p

    def _ask_csv(self) -> None:
        path = messages.save_path(self, caption="Export noise table", filters="CSV (*.csv);;All files (*)",
                                  directory=f"noise-{self.run_id or 'run'}.csv")
        if path:
            try:
                self.export_csv(path)
            except OSError as exc:
                messages.error(self, "Export failed", f"Cannot write {path}", one_line(exc))

    def _ask_plot(self) -> None:
        path = messages.save_path(self, caption="Export noise plot",
                                  filters="PNG image (*.png);;SVG image (*.svg)",
                                  directory=f"noise-{self.run_id or 'run'}.png")
        if path:
            try:
                self.export_plot(path)
            except Exception as exc:  # exporters raise assorted errors on unwritable paths
                messages.error(self, "Export failed", f"Cannot write {path}", one_line(exc))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.cancel()  # a closed panel's comparison stops; what it finished is still stored
        super().closeEvent(event)


def one_line(exc: BaseException | str) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, BaseException) and not isinstance(exc, UserError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."


def _f(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.{digits}f}" if digits else str(int(v))


# ------------------------------------------------------------------------------------------------ demo
def demo_window(store: RunStore | None = None, run_id: str | None = None) -> NoisePanel:
    """A panel on a run (a tiny synthetic run is trained, with a noise comparison, when none is given)."""
    if store is None or run_id is None:
        store, run_id = _demo_run()
    w = NoisePanel(store)
    w.setWindowTitle("Noise comparison")
    w.resize(1150, 720)
    w.set_run(run_id)
    return w





def _demo_run() -> tuple[RunStore, str]:
    import tempfile

    from workbench.spec.examples import small_synthetic
    from workbench.training import train

    root = Path(tempfile.mkdtemp(prefix="qmtl-noise-demo-"))
    store = RunStore(root / "runs")
    return store, train(small_synthetic(name="noise-demo"), store, base_dir=root).run_id


if __name__ == "__main__":
    import sys

    from PySide6.QtWidgets import QApplication

    from workbench.gui.common.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app, "light")
    win = demo_window()
    win.show()
    sys.exit(app.exec())
