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

import html
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import UserError
from workbench.gui.common.compat import guard_none_refcount
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.common.worker import workers
from workbench.gui.noise.choices import BackendChoices
from workbench.gui.noise.results import NoiseResults
from workbench.gui.noise.rows import (
    ComparisonRequest,
    one_line,
    rows_from_report,
    rows_from_summary,
)
from workbench.runs.store import RunStore

guard_none_refcount()


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
        split.addWidget(self._left())
        self.results = NoiseResults()
        split.addWidget(self.results)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 700])

    def _left(self) -> QWidget:
        """The backends and settings, the error line, Compare / Cancel with the progress, the status."""
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.choices = BackendChoices()
        self.choices.edited.connect(self._clear_error)
        lv.addWidget(self.choices, 1)
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
        return left

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.results.set_theme(theme)
        self.error_label.setStyleSheet(f"color: {theme.error}; background: {theme.error_fill}; padding: 4px; "
                                       "border-radius: 3px;")
        self.status.setStyleSheet(f"color: {theme.muted};")

    # -- the run
    def set_run(self, run_id: str | None) -> None:
        """Show ``run_id``'s stored comparison (and hardware results); None shows an empty panel."""
        self.run_id = run_id
        self.n_qubits, task_names, rows = None, [], []
        self._clear_error()
        note = ""
        if run_id is not None:
            try:
                from workbench.spec import loads

                info = self.store.get(run_id)
                text, fmt_ = self.store.spec(run_id)
                spec = loads(text, fmt_, f"run {run_id}")
                self.n_qubits = int(spec.quantum.qubits)
                task_names = [t.name for t in spec.tasks]
                rows = rows_from_summary(self.store, run_id)
                if info.params.get("head") not in (None, "qmtl"):
                    note = f"this run trained a {info.params.get('head')!r} head: noise needs the QMTL head"
                self.header.setText(f"<b>{html.escape(spec.name)}</b> · run {html.escape(run_id)} · "
                                    f"{self.n_qubits} qubits · tasks {html.escape(', '.join(task_names))}")
            except Exception as exc:  # a run without a spec or a broken record: say so in place
                note = one_line(exc)
                self.header.setText(f"run {html.escape(run_id)}")
        else:
            self.header.setText("<i>No run selected: pick a trained run to compare it under noise.</i>")
        self.choices.fill_devices(self.n_qubits or 0)
        if note:
            self.show_error(note)
        self._update_buttons()
        self.results.show_rows(rows, task_names, run_id)
        if self._request is None:
            self.progress.setFormat("idle")
            self.progress.setValue(0)

    # -- choices and results as scripts and tests reach them
    def check_device(self, name: str, on: bool = True) -> None:
        self.choices.check_device(name, on)

    def backends(self) -> list[str]:
        return self.choices.backends()

    @property
    def bar_items(self) -> dict:
        return self.results.chart.bar_items

    @property
    def error_items(self) -> dict:
        return self.results.chart.error_items

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
        items = self.choices.backends()
        try:
            parse_backends(items, self.n_qubits, where="backends")
        except UserError as exc:
            self.show_error(one_line(exc))
            return False
        self._numbers += 1
        c = self.choices
        req = ComparisonRequest(self._numbers, self.run_id, items, c.shots_or_exact(), c.engine.currentData(),
                                c.limit.value() or None, 0, c.store_box.isChecked())
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
        self.results.clear()

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
            # stopped before a backend was done (Cancel pressed while the job was starting): nothing to show
            self.progress.setFormat("failed" if error != "stopped" else "cancelled before any backend was done")
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
        kept = [r for r in self.results.rows if r.source == "hardware" or r.backend not in done]
        mode = f"{report.shots} shots per input" if report.shots else "exact expectation values only"
        times = ", ".join(f"{r.backend} {r.seconds:.1f} s" for r in report.results)
        self.status.setText(f"{report.inputs} test inputs, {mode}"
                            + (f"; stored with run {req.run_id}" if stored else "; not stored")
                            + (f"; time per backend: {times}" if times else ""))
        self.results.show_rows(kept + new)
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

    # -- errors
    def show_error(self, text: str) -> None:
        self.error_label.setText(f"⚠ {text}")
        self.error_label.show()

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.cancel()  # a closed panel's comparison stops; what it finished is still stored
        super().closeEvent(event)
