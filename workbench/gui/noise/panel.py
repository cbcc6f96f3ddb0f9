"""Noise comparison panel: a trained run's test accuracy per task, ideal, under noise channels, on fake IBM
backends and on hardware, as a grouped bar plot and a table.

The computation is the one ``qmtl noise RUN`` does (``load_trained`` -> backbone on the test split ->
``analysis.noise.evaluate_noise`` -> ``store_report``), run in a Python thread; a 10 Hz ``QTimer`` on the GUI
thread drains the thread's queue. Every message carries the run id it belongs to and a request number, so a
result that arrives after the shown run changed is stored with its own run but not drawn. Hardware results are
read from the run's ``summary["hardware"]`` (written by ``qmtl hardware run`` and the hardware panel).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
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
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import UserError
from workbench.gui.common import messages
from workbench.gui.common.compat import guard_none_refcount
from workbench.gui.common.theme import LIGHT, TASK_HUES, Theme
from workbench.runs.store import RunStore

guard_none_refcount()

CHANNELS = (("depolarizing", "Depolarizing", "p", 0.01),
            ("amplitude_damping", "Amplitude damping", "γ", 0.02),
            ("phase_damping", "Phase damping", "λ", 0.02))
COLUMNS = ["Backend", "Source", "Task", "Accuracy", "± (shots)", "Macro-F1", "± (shots)", "Shots", "Inputs",
           "Time s"]
CSV_COLUMNS = ("backend", "source", "engine", "task", "accuracy", "accuracy_se", "macro_f1", "macro_f1_se", "shots",
               "inputs", "seconds")
METRICS = (("accuracy", "Accuracy"), ("macro_f1", "Macro-F1"))
IDEAL_COLOR = "#5d6470"


@dataclass
class Row:
    """One bar: a backend's score on one task."""
    backend: str
    source: str  # simulated | hardware
    task: str
    accuracy: float
    macro_f1: float
    accuracy_se: float | None = None
    macro_f1_se: float | None = None
    engine: str = ""
    shots: int | None = None
    inputs: int | None = None
    seconds: float | None = None

    @property
    def series(self) -> str:
        return f"hardware: {self.backend}" if self.source == "hardware" else self.backend


@dataclass
class _Request:
    number: int
    run_id: str
    backends: list[str]
    shots: int | None
    engine: str
    limit: int | None
    seed: int
    store: bool
    started: float = field(default_factory=time.monotonic)


# ------------------------------------------------------------------------------------------ Qt-free part
def noise_inputs(store: RunStore, run_id: str, limit: int | None = None):
    """What ``qmtl noise RUN`` evaluates: (program, weights, h of the test split, labels, title)."""
    import torch

    from workbench.training import load_trained

    trained = load_trained(store, run_id)
    if trained.head_kind != "qmtl":
        raise UserError(f"run {trained.run_id} trained a {trained.head_kind!r} head; noise evaluation needs the "
                        "QMTL quantum head (head = qmtl)")
    model, data = trained.model, trained.data
    X, Y = data.X_test, data.Y_test
    if limit is not None:
        X, Y = X[:limit], Y[:limit]
    if len(X) == 0:
        raise UserError("the test split is empty: nothing to evaluate")
    model.eval()
    with torch.no_grad():
        h = model.backbone(torch.as_tensor(np.asarray(X, dtype=np.float32)))
    weights = {k: v.detach() for k, v in model.head.weights.items()}
    return model.head.program, weights, h, Y, f"{trained.spec.name} (run {trained.run_id})"


def run_comparison(store: RunStore, req: _Request, say) -> tuple:
    """The CLI's path, in the worker thread: evaluate, then store with the run (summary "noise", CSV, JSON)."""
    from workbench.analysis.noise import evaluate_noise, parse_backends, store_report

    program, weights, h, labels, title = noise_inputs(store, req.run_id, req.limit)
    choices = parse_backends(req.backends, program.n_qubits, where="backends")
    report = evaluate_noise(program, weights, h, labels, choices, shots=req.shots, engine=req.engine, seed=req.seed,
                            progress=say)
    report.title = title
    stored = store_report(store, req.run_id, report) if req.store else []
    return report, stored


def rows_from_report(report) -> list[Row]:
    return [Row(r.backend, "simulated", t, s.accuracy, s.macro_f1, s.accuracy_se, s.macro_f1_se, r.engine, r.shots,
                r.inputs, r.seconds) for r in report.results for t, s in r.tasks.items()]


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
                            float(m.get("macro_f1", math.nan)), m.get("accuracy_se"), m.get("macro_f1_se"),
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
        w.writerow(["" if v is None else v for v in (r.backend, r.source, r.engine, r.task, r.accuracy,
                                                      r.accuracy_se, r.macro_f1, r.macro_f1_se, r.shots, r.inputs,
                                                      None if r.seconds is None else round(r.seconds, 3))])
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

    finished = Signal(str)  # run id whose comparison finished and is shown

    POLL_MS = 100

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
        self._queue: queue.Queue = queue.Queue()
        self._request: _Request | None = None
        self._numbers = 0
        self._thread: threading.Thread | None = None
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(self.POLL_MS)
        self._timer.timeout.connect(self._drain)
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
        self.exact = QCheckBox("Exact")
        self.exact.setToolTip("Exact expectation values (infinitely many shots): no shot error bars")
        self.shots = QSpinBox()
        self.shots.setRange(1, 1_000_000)
        self.shots.setValue(1024)
        self.shots.setSingleStep(256)
        self.exact.toggled.connect(lambda on: self.shots.setEnabled(not on))
        self.exact.setChecked(True)
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
        top.addWidget(QLabel("Metric:"))
        self.metric_box = QComboBox()
        for key, label in METRICS:
            self.metric_box.addItem(label, key)
        self.metric_box.currentIndexChanged.connect(lambda _i: self._draw())
        top.addWidget(self.metric_box)
        top.addStretch(1)
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
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
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
                note = _one_line(exc)
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
        """Validate the choices (errors in place, one line) and start the comparison in a worker thread."""
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
            self.show_error(_one_line(exc))
            return False
        self._numbers += 1
        req = _Request(self._numbers, self.run_id, items, None if self.exact.isChecked() else self.shots.value(),
                       self.engine.currentData(), self.limit.value() or None, 0, self.store_box.isChecked())
        self._request = req
        self.progress.setRange(0, len(items))
        self.progress.setValue(0)
        self.progress.setFormat(f"loading run {req.run_id}…")
        self.status.setText("")
        self._thread = threading.Thread(target=self._work, args=(req,), name=f"noise-{req.number}", daemon=True)
        self._thread.start()
        self._timer.start()
        self._update_buttons()
        return True

    def _work(self, req: _Request) -> None:
        """Worker thread: never touches a widget, only the queue."""
        put = self._queue.put
        try:
            report, stored = run_comparison(self.store, req, lambda msg: put(("progress", req, msg)))
        except Exception as exc:  # every failure comes back as a one-line message
            put(("error", req, _one_line(exc)))
        else:
            put(("done", req, (report, stored)))

    def _drain(self) -> None:
        while True:
            try:
                kind, req, payload = self._queue.get_nowait()
            except queue.Empty:
                break
            current = req.run_id == self.run_id
            if kind == "progress":
                if current:
                    step = min(self.progress.value() + 1, self.progress.maximum())
                    self.progress.setValue(step)
                    self.progress.setFormat(f"{step}/{self.progress.maximum()}  {payload}")
                continue
            self._request = None
            self._timer.stop()
            seconds = time.monotonic() - req.started
            self._update_buttons()
            if not current:  # the shown run changed meanwhile: stored with its own run, not drawn here
                self.progress.setFormat("idle")
                self.progress.setValue(0)
                continue
            if kind == "error":
                self.progress.setFormat("failed")
                self.show_error(payload)
                continue
            report, stored = payload
            self.last_seconds = seconds
            self.progress.setValue(self.progress.maximum())
            self.progress.setFormat(f"done in {seconds:.1f} s")
            new = rows_from_report(report)
            done = {r.backend for r in new}
            self.rows = [r for r in self.rows if r.source == "hardware" or r.backend not in done] + new
            mode = f"{report.shots} shots per input" if report.shots else "exact expectation values"
            self.status.setText(f"{report.inputs} test inputs, {mode}"
                                + (f"; stored with run {req.run_id}" if stored else "; not stored"))
            self._show_rows()
            self.finished.emit(req.run_id)

    def wait(self, timeout: float = 60.0) -> bool:
        """Tests and scripts: let the worker finish and its result be applied (processes events)."""
        from PySide6.QtCore import QCoreApplication

        end = time.monotonic() + timeout
        while self._request is not None and time.monotonic() < end:
            QCoreApplication.processEvents()
            time.sleep(0.01)
            self._drain()
        return self._request is None

    def _update_buttons(self) -> None:
        self.run_button.setEnabled(self.run_id is not None and not self.busy)
        has = bool(self.rows)
        self.csv_button.setEnabled(has)
        self.plot_button.setEnabled(has)

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
            vals = [r.backend, r.source + (f" ({r.engine})" if r.engine else ""), r.task, _f(r.accuracy),
                    _f(r.accuracy_se), _f(r.macro_f1), _f(r.macro_f1_se), "exact" if r.shots is None and
                    r.source == "simulated" else _f(r.shots, 0), _f(r.inputs, 0), _f(r.seconds, 1)]
            for j, v in enumerate(vals):
                item = QTableWidgetItem(v)
                if j >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if j == 0:
                    item.setForeground(QBrush(self._color(r.series, order)))
                self.table.setItem(i, j, item)
        self._update_buttons()
        self._draw()

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
        label = dict(METRICS)[key]
        tasks = self.task_names or sorted({r.task for r in self.rows})
        order = _series_order(self.rows)
        ax = self.plot.getAxis("bottom")
        ax.setTicks([[(i, t) for i, t in enumerate(tasks)]])
        self.plot.setLabel("left", f"test {label.lower()}")
        self.plot.setYRange(0, 1.05, padding=0)
        self.plot.setXRange(-0.6, max(len(tasks) - 1, 0) + 0.6, padding=0)
        if not self.rows:
            self.legend.setText(f'<span style="color:{self.theme.muted}">No results yet: choose backends and press '
                                "Compare.</span>" if self.run_id else "")
            return
        n = len(order)
        width = 0.8 / max(n, 1)
        legend = []
        for j, series in enumerate(order):
            xs, ys, ses = [], [], []
            for r in self.rows:
                if r.series != series or r.task not in tasks:
                    continue
                xs.append(tasks.index(r.task) + (j - (n - 1) / 2) * width)
                ys.append(getattr(r, key))
                ses.append(getattr(r, key + "_se"))
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
            if any(s is not None for s in ses):
                err = [s or 0.0 for s in ses]
                eb = pg.ErrorBarItem(x=np.array(xs), y=np.array(ys), top=np.array(err),
                                     bottom=np.array(err), beam=width * 0.3,
                                     pen=pg.mkPen(self.theme.text, width=1.2))
                self.plot.addItem(eb)
                self.error_items[series] = eb
            swatch = "▨" if series.startswith("hardware: ") else "■"
            legend.append(f'<span style="color:{color.name()}; font-size:13pt">{swatch}</span>&nbsp;'
                          f"{html.escape(series)}")
        shots = any(r.accuracy_se is not None for r in self.rows)
        hint = " · error bars: ±1 s.d. of shot noise (bootstrap)" if shots else ""
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
                messages.error(self, "Export failed", f"Cannot write {path}", _one_line(exc))

    def _ask_plot(self) -> None:
        path = messages.save_path(self, caption="Export noise plot",
                                  filters="PNG image (*.png);;SVG image (*.svg)",
                                  directory=f"noise-{self.run_id or 'run'}.png")
        if path:
            try:
                self.export_plot(path)
            except Exception as exc:  # exporters raise assorted errors on unwritable paths
                messages.error(self, "Export failed", f"Cannot write {path}", _one_line(exc))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._timer.stop()
        super().closeEvent(event)


def _f(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.{digits}f}" if digits else str(int(v))


def _one_line(exc: BaseException | str) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, BaseException) and not isinstance(exc, UserError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."


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
