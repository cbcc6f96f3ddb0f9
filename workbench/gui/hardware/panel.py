"""Hardware panel: the IBM Quantum account, a backend picker, pre-flight + confirmation, and a job monitor.

Everything goes through the hardware core the CLI (``qmtl hardware``) drives: ``AccountStore`` (keyring or a
0600 file), ``service.connect`` with the CLI's injectable ``SERVICE_FACTORY``, ``Provider.backends``,
``qmtl.make_plan`` (its pre-flight is shown in a confirmation dialog before anything is submitted),
``qmtl.execute_plan`` (job ids go to the run store at once), ``execute.cancel_job`` and ``qmtl.reattach_run``
(the monitor reattaches to every recorded job when the widget is created, i.e. after an app restart).

Slow work (opening the service, listing backends, transpiling, waiting for jobs, polling statuses) runs as jobs
of the GUI's worker pool in a worker process (``workbench.hardware.background``): Qiskit is never imported or
run in a thread of the GUI process, and a crash there is a failed job, not a dead workbench. The
token is typed into a masked field, handed to ``AccountStore.save`` (which registers it with the redactor) and
cleared; the panel shows only ``Account.public()``: where it is kept and how long it is, never the token.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import UserError
from workbench.gui.common import messages
from workbench.gui.common.compat import guard_none_refcount
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.common.worker import Job, JobError
from workbench.gui.hardware.account_box import AccountBox
from workbench.gui.hardware.account_dialog import AccountDialog, one_line_of
from workbench.gui.hardware.backends import BackendPicker
from workbench.gui.hardware.jobs import HardwareJobs
from workbench.gui.hardware.monitor import JobMonitor
from workbench.gui.hardware.settings import RunSettings
from workbench.runs.store import RunStore

guard_none_refcount()

POLL_MS = 100  # queue drain


class HardwarePanel(QWidget):
    """Account, backends, pre-flight + submit, and the job monitor for the shown run."""

    submitted = Signal(str)  # run id whose hardware run ended (finished or failed)

    def __init__(self, store: RunStore, parent: QWidget | None = None, *, account_store=None,
                 service_factory: str | None = None):
        super().__init__(parent)
        from workbench.hardware.account import AccountStore
        from workbench.hardware.redact import install_log_redaction

        install_log_redaction()
        self.store = store
        self.theme = LIGHT
        self.run_id: str | None = None
        self.n_qubits: int | None = None
        # "module:callable" run in the worker instead of a named device / IBM's service (tests inject faults)
        self.backend_factory: str | None = None
        self.service_factory = service_factory
        self.notes: dict[str, str] = {}
        self.last_preflight = ""
        self.jobs = HardwareJobs(self)
        self.jobs.ended.connect(self._handle)
        self.jobs.preflight.connect(self._preflight_ready)
        self.jobs.progress.connect(self.set_status)
        self.jobs.busyChanged.connect(self._update_buttons)
        self._build(account_store or AccountStore())
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.set_theme(LIGHT)
        self.account_box.load()
        self.set_run(None)
        self.refresh_backends()
        # an app restart: bring every recorded job up to date
        self.jobs.submit("reattach", "reattach_all", root=str(self.store.root), **self._service())

    # -- layout
    def _build(self, account_store) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.header)
        split = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(split, 1)
        top = QWidget()
        th = QHBoxLayout(top)
        th.setContentsMargins(0, 0, 0, 0)
        self.account_box = AccountBox(account_store)
        self.account_box.changed.connect(self.refresh_backends)
        self.account_box.status.connect(self.set_status)
        th.addWidget(self.account_box, 2)
        self.picker = BackendPicker()
        self.picker.selectionChanged.connect(self._update_buttons)
        th.addWidget(self.picker, 3)
        self.run_settings = RunSettings()
        self.run_settings.submit_button.clicked.connect(self.submit)
        th.addWidget(self.run_settings, 2)
        split.addWidget(top)
        self.monitor = JobMonitor()
        self.monitor.cancelRequested.connect(self.cancel)
        split.addWidget(self.monitor)
        split.setSizes([260, 300])
        self.status = self.monitor.status
        self.backend_table, self.job_table = self.picker.table, self.monitor.table
        rs = self.run_settings  # what scripts and tests set
        self.shots, self.samples, self.submit_button = rs.shots, rs.samples, rs.submit_button

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.account_box.set_theme(theme)
        self.picker.set_theme(theme)
        self.monitor.set_theme(theme)

    # -- account and backends
    @property
    def local(self) -> bool:
        return self.account_box.local

    @property
    def backends_info(self) -> list:
        return self.picker.infos

    def open_account_dialog(self) -> AccountDialog:
        return self.account_box.open_dialog()

    def refresh_backends(self) -> None:
        local = self.local
        self.picker.set_note("loading backends…")
        self.jobs.submit("backends", "list_backends", tag=local, local=local, **self._service())

    def select_backend(self, name: str, quiet: bool = False) -> bool:
        if self.picker.select(name):
            return True
        if not quiet:
            self.set_status(f"backend {name!r} is not in the list", error=True)
        return False

    def selected_backend(self) -> str | None:
        return self.picker.selected()

    # -- the run
    def set_run(self, run_id: str | None) -> None:
        self.run_id, self.n_qubits = run_id, None
        if run_id is None:
            self.header.setText("<i>No run selected: pick a trained QMTL run to run it on a backend.</i>")
        else:
            try:
                from workbench.spec import loads

                text, fmt = self.store.spec(run_id)
                spec = loads(text, fmt, f"run {run_id}")
                self.n_qubits = int(spec.quantum.qubits)
                self.header.setText(f"<b>{html.escape(spec.name)}</b> · run {html.escape(run_id)} · "
                                    f"{self.n_qubits} qubits")
            except Exception as exc:  # no spec recorded: say so, keep the monitor working
                self.header.setText(f"run {html.escape(run_id)}: {html.escape(one_line_of(exc))}")
        self.picker.show_backends(need=self.n_qubits or 0)
        self._update_buttons()

    # -- submit
    def settings(self):
        return self.run_settings.settings(self.selected_backend() or "")

    def submit(self) -> bool:
        """Pre-flight in a worker; the confirmation (with the estimate) then comes up on the GUI thread."""
        if self.run_id is None:
            self.set_status("pick a trained run first", error=True)
            return False
        if not self.selected_backend():
            self.set_status("pick a backend first", error=True)
            return False
        if {"plan", "execute"} & self.jobs.busy:
            self.set_status("a hardware run is being prepared or is running; wait for it", error=True)
            return False
        try:
            settings = self.settings()
        except UserError as exc:
            self.set_status(one_line_of(exc), error=True)
            return False
        self.set_status(f"pre-flight: transpiling run {self.run_id} for {settings.backend}…")
        self.jobs.submit("plan", "preflight_and_run", tag=self.run_id, root=str(self.store.root), run_id=self.run_id,
                     settings=settings, local=self.local, backend_factory=self.backend_factory, **self._service())
        return True

    def _preflight_ready(self, job: Job, summary: dict) -> None:
        """The pre-flight came back: confirm on the GUI thread, then tell the waiting job to submit or not."""
        if summary["run_id"] != self.run_id:
            job.send("abort")
            self.set_status("the run changed during the pre-flight: nothing submitted")
            return
        self.last_preflight = summary["preflight"]
        where = "local testing mode (nothing is sent to IBM)" if summary["local"] else "IBM Quantum"
        text = (f"<p>Submit run <b>{html.escape(summary['run_id'])}</b> to <b>{html.escape(summary['backend'])}</b> "
                f"({where})? Estimated QPU time <b>{summary['total_qpu_s']:.1f} s</b>.</p>"
                f"<pre style='font-size:9pt'>{html.escape(self.last_preflight)}</pre>")
        if messages.ask(self, "Submit to hardware", text, ("Submit", "Cancel"), "Cancel") != "Submit":
            job.send("abort")
            self.set_status("not submitted")
            return
        self.jobs.confirmed(job)
        self.set_status(f"submitting to {summary['backend']}…")

    # -- jobs
    def cancel(self, job_id: str) -> None:
        if messages.ask(self, "Cancel job", f"Cancel job {job_id}?", ("Cancel job", "Keep running"),
                        "Keep running") != "Cancel job":
            return
        row = next((v for v in self.monitor.views if v.job_id == job_id), None)
        running = self.jobs.running("execute")
        if row is not None and row.local and running is not None:
            running.send(f"cancel-job:{job_id}")  # only the process that runs a local job can cancel it
            return
        remote = row is not None and not row.local and self.account_box.account is not None
        self.jobs.submit(f"cancel:{job_id}", "cancel", root=str(self.store.root), job_id=job_id,
                     **(self._service() if remote else {}))

    def _poll(self) -> None:
        self.jobs.submit("poll", "poll", root=str(self.store.root), local=self.local, notes=dict(self.notes),
                     **self._service())

    def job_row(self, job_id: str) -> dict[str, str] | None:
        """A monitor row as shown (tests, scripts): column name -> text."""
        return self.monitor.job_row(job_id)

    # -- worker plumbing
    def _service(self) -> dict:
        return {"account": None if self.local else self.account_box.account, "service_factory": self.service_factory}

    def _tick(self) -> None:
        if self.jobs.poll_due(any(v.pending for v in self.monitor.views) or "execute" in self.jobs.busy):
            self._poll()

    def _handle(self, kind: str, tag, result) -> None:  # noqa: C901 - one branch per kind of job
        if result is None:  # cancelled
            return
        failed = isinstance(result, JobError)
        if kind == "backends":
            if failed:
                self.picker.set_note(one_line_of(result), error=True)
                self.picker.show_backends([])
                return
            local, infos = tag, result
            if local != self.local:  # an older request (the mode changed since): its answer is stale
                return
            public = self.account_box.account_public
            self.picker.set_note(f"{len(infos)} backends, " + (
                "local testing mode: fake devices with real calibrations, queues are empty" if local
                else f"IBM Quantum ({public['channel'] if public else ''})"))
            self.picker.show_backends(infos)
        elif kind == "plan":
            if failed:
                self.set_status(f"pre-flight failed: {one_line_of(result)}", error=True)
        elif kind == "execute":
            if failed:
                self.set_status(f"hardware run of {tag} {one_line_of(result)}", error=True)
            else:
                accs = ", ".join(f"{t} {m['accuracy']:.3f}" for t, m in result["accuracy"].items())
                self.set_status(f"run {result['run_id']} on {result['backend']}: {result['status']}; "
                                f"accuracy {accs}")
            self.jobs.poll_soon()
            self.submitted.emit(tag)
        elif kind == "reattach":
            if failed:
                self.set_status(f"reattach: {one_line_of(result)}", error=True)
            else:
                found, why = result
                self.notes.update(found)
                if why:
                    self.set_status(f"reattach: {why}", error=True)
            self.jobs.poll_soon()
        elif kind == "poll":
            if failed:
                self.set_status(f"job status: {one_line_of(result)}", error=True)
            else:
                self.monitor.show_jobs(result)
        elif kind.startswith("cancel:"):
            self.set_status(one_line_of(result) if failed else result, error=failed)
            self.jobs.poll_soon()

    def _update_buttons(self) -> None:
        if not hasattr(self, "submit_button"):
            return
        busy = bool({"plan", "execute"} & self.jobs.busy)
        self.submit_button.setEnabled(self.run_id is not None and self.selected_backend() is not None and not busy)
        self.submit_button.setText("Running…" if "execute" in self.jobs.busy else
                                   "Pre-flight…" if "plan" in self.jobs.busy else "Pre-flight and submit…")

    def set_status(self, text: str, error: bool = False) -> None:
        self.monitor.set_status(text, error)

    def idle(self) -> bool:
        return self.jobs.idle()

    def wait(self, timeout: float = 60.0, until: Callable[[], bool] | None = None) -> bool:
        """Tests and scripts: process events until nothing is running (or ``until()`` holds)."""
        from PySide6.QtCore import QCoreApplication

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            QCoreApplication.processEvents()
            self._tick()
            if (until() if until else self.idle()):
                return True
            time.sleep(0.02)
        return False

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._timer.stop()
        super().closeEvent(event)
