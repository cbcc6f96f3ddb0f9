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
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
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
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.common.worker import Job, JobError, workers
from workbench.gui.hardware.account_dialog import AccountDialog, one_line_of
from workbench.hardware.background import JobView
from workbench.runs.store import RunStore

guard_none_refcount()

JOB_COLUMNS = ["Job id", "Run", "Backend", "Status", "Queue", "Elapsed", "Note", ""]
BACKEND_COLUMNS = ["Backend", "Qubits", "Queue", "Status"]
STATUS_TEXT = {"DONE": "done", "ERROR": "failed", "CANCELLED": "cancelled", "QUEUED": "queued",
               "RUNNING": "running", "INITIALIZING": "initializing", "VALIDATING": "validating"}
POLL_MS = 100  # queue drain
JOB_POLL_S = 1.0  # status poll while jobs are pending


def _elapsed(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(max(seconds, 0))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


# ---------------------------------------------------------------------------------------------- dialog
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
        self.account_store = account_store or AccountStore()
        self.theme = LIGHT
        self.run_id: str | None = None
        self.n_qubits: int | None = None
        self.account_public: dict | None = None
        # "module:callable" run in the worker instead of a named device / IBM's service (tests inject faults)
        self.backend_factory: str | None = None
        self.service_factory = service_factory
        self.backends_info: list = []
        self.job_views: list[JobView] = []
        self.notes: dict[str, str] = {}
        self.last_preflight = ""
        self.account = None  # the saved Account, handed to the worker (which connects); never shown
        self._busy: set[str] = set()
        self._jobs: dict[str, Job] = {}
        self._last_poll = 0.0
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.set_theme(LIGHT)
        self._load_account()
        self.set_run(None)
        self.refresh_backends()
        # an app restart: bring every recorded job up to date
        self._submit("reattach", "reattach_all", root=str(self.store.root), **self._service())

    # -- layout
    def _build(self) -> None:
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
        acc = QGroupBox("IBM Quantum account")
        av = QVBoxLayout(acc)
        self.account_label = QLabel()
        self.account_label.setWordWrap(True)
        self.account_label.setTextFormat(Qt.TextFormat.RichText)
        self.account_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        av.addWidget(self.account_label)
        row = QHBoxLayout()
        self.set_account_button = QPushButton("Set account…")
        self.set_account_button.clicked.connect(self.open_account_dialog)
        self.delete_account_button = QPushButton("Delete")
        self.delete_account_button.clicked.connect(self.delete_account)
        row.addWidget(self.set_account_button)
        row.addWidget(self.delete_account_button)
        row.addStretch(1)
        av.addLayout(row)
        self.local_box = QCheckBox("Local testing mode (fake backends, Aer)")
        self.local_box.setToolTip("Run on qiskit-ibm-runtime's fake backends in this process; nothing is sent "
                                  "to IBM")
        self.local_box.toggled.connect(lambda _on: self.refresh_backends())
        av.addWidget(self.local_box)
        av.addStretch(1)
        th.addWidget(acc, 2)

        bk = QGroupBox("Backend")
        bv = QVBoxLayout(bk)
        self.backend_table = row_table(BACKEND_COLUMNS)
        self.backend_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.backend_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.backend_table.horizontalHeader().setStretchLastSection(True)
        self.backend_table.itemSelectionChanged.connect(self._update_buttons)
        self.backend_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        bv.addWidget(self.backend_table, 1)
        self.backend_note = QLabel()
        self.backend_note.setWordWrap(True)
        bv.addWidget(self.backend_note)
        th.addWidget(bk, 3)

        st = QGroupBox("Run settings")
        sf = QFormLayout(st)
        self.shots = QSpinBox()
        self.shots.setRange(1, 1_000_000)
        self.shots.setValue(1024)
        self.shots.setSingleStep(256)
        sf.addRow("Shots:", self.shots)
        self.samples = QSpinBox()
        self.samples.setRange(1, 100_000)
        self.samples.setValue(64)
        self.samples.setToolTip("Test rows evaluated on the backend")
        sf.addRow("Test samples:", self.samples)
        self.mode = QComboBox()
        self.mode.addItems(["job", "batch", "session"])
        sf.addRow("Mode:", self.mode)
        self.resilience = QComboBox()
        self.resilience.addItem("service default (1)", None)
        for lvl in (0, 1, 2):
            self.resilience.addItem(str(lvl), lvl)
        sf.addRow("Resilience:", self.resilience)
        self.dd = QCheckBox("Dynamical decoupling")
        sf.addRow("", self.dd)
        self.submit_button = QPushButton("Pre-flight and submit…")
        self.submit_button.setToolTip("Estimates depth, two-qubit gates, shots and QPU time, and asks before "
                                      "submitting anything")
        self.submit_button.clicked.connect(self.submit)
        sf.addRow(self.submit_button)
        th.addWidget(st, 2)
        split.addWidget(top)

        jobs = QGroupBox("Jobs (all runs; reattached from the run store)")
        jv = QVBoxLayout(jobs)
        self.job_table = row_table(JOB_COLUMNS)
        self.job_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 14)
        hh = self.job_table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(JOB_COLUMNS.index("Note"), QHeaderView.ResizeMode.Stretch)
        jv.addWidget(self.job_table, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        jv.addWidget(self.status)
        split.addWidget(jobs)
        split.setSizes([260, 300])

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.backend_note.setStyleSheet(f"color: {theme.muted};")
        self._render_jobs()

    # -- account
    def _load_account(self) -> None:
        try:
            account = self.account_store.load()
        except UserError as exc:
            account = None
            self.set_status(one_line_of(exc), error=True)
        self.account = account
        self.account_public = account.public() if account else None
        self._show_account()

    def _show_account(self) -> None:
        a = self.account_public
        if a is None:
            self.account_label.setText("<i>No account set.</i> Backends are local testing mode's fake devices.")
            self.local_box.blockSignals(True)
            self.local_box.setChecked(True)
            self.local_box.blockSignals(False)
            self.local_box.setEnabled(False)
            self.delete_account_button.setEnabled(False)
            return
        where = "OS keyring" if a["storage"] == "keyring" else \
            "account file (mode 0600)" if a["storage"] == "file" else a["storage"]
        self.account_label.setText(
            f"Channel <b>{html.escape(a['channel'])}</b>, instance {html.escape(a['instance'] or '–')}"
            f"{', region ' + html.escape(a['region']) if a['region'] else ''}<br>"
            f"API key: {html.escape(a['token'])}, stored in the <b>{where}</b><br>"
            f"<span style='color:{self.theme.muted}'>{html.escape(a['location'])}</span>")
        self.local_box.setEnabled(True)
        self.delete_account_button.setEnabled(a["storage"] != "environment")

    def open_account_dialog(self) -> AccountDialog:
        dlg = AccountDialog(self.account_store, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.saved.connect(self._account_saved)
        dlg.open()  # not exec(): never blocks a test
        self._dialog = dlg
        return dlg

    def _account_saved(self, public: dict) -> None:
        try:
            self.account = self.account_store.load()
        except UserError:
            self.account = None
        self.account_public = public
        self._show_account()
        self.local_box.blockSignals(True)
        self.local_box.setChecked(False)
        self.local_box.blockSignals(False)
        self.set_status(f"account saved in the {'OS keyring' if public['storage'] == 'keyring' else 'account file'}"
                        f": {public['location']}")
        self.refresh_backends()

    def delete_account(self) -> None:
        if messages.ask(self, "Delete account", "Remove the IBM Quantum account from this computer?",
                        ("Delete", "Keep"), "Keep") != "Delete":
            return
        removed = self.account_store.delete()
        self.account = None
        self.account_public = None
        self._show_account()
        self.set_status("removed: " + "; ".join(removed) if removed else "no account was saved")
        self.refresh_backends()

    @property
    def local(self) -> bool:
        return self.account_public is None or self.local_box.isChecked()

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
        self._render_backends()
        self._update_buttons()

    # -- backends
    def refresh_backends(self) -> None:
        local = self.local
        self.backend_note.setText("loading backends…")
        self._submit("backends", "list_backends", tag=local, local=local, **self._service())

    def _render_backends(self) -> None:
        selected = self.selected_backend()
        t = self.backend_table
        t.setRowCount(len(self.backends_info))
        need = self.n_qubits or 0
        for i, b in enumerate(self.backends_info):
            queue_txt = "–" if b.pending_jobs is None else str(b.pending_jobs)
            state = "" if b.operational is None else ("online" if b.operational else "offline")
            fits = b.num_qubits >= need
            for j, v in enumerate([b.name, str(b.num_qubits), queue_txt, state + ("" if fits else
                                                                                     f" · needs {need} qubits")]):
                item = QTableWidgetItem(v)
                item.setData(Qt.ItemDataRole.UserRole, b.name)
                if j in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if not fits:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(b.status_msg or "")
                t.setItem(i, j, item)
        if selected:
            self.select_backend(selected, quiet=True)

    def select_backend(self, name: str, quiet: bool = False) -> bool:
        for i in range(self.backend_table.rowCount()):
            item = self.backend_table.item(i, 0)
            if item.data(Qt.ItemDataRole.UserRole) == name and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                self.backend_table.selectRow(i)
                self.backend_table.scrollToItem(item, QAbstractItemView.ScrollHint.PositionAtCenter)
                return True
        if not quiet:
            self.set_status(f"backend {name!r} is not in the list", error=True)
        return False

    def selected_backend(self) -> str | None:
        rows = self.backend_table.selectionModel().selectedRows() if self.backend_table.selectionModel() else []
        if not rows:
            return None
        return self.backend_table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    # -- submit
    def settings(self):
        from workbench.hardware.mitigation import Mitigation
        from workbench.hardware.qmtl import HardwareSettings

        mitigation = Mitigation(resilience_level=self.resilience.currentData(), dd=self.dd.isChecked()).check()
        return HardwareSettings(self.selected_backend() or "", mode=self.mode.currentText(),
                                shots=self.shots.value(), samples=self.samples.value(),
                                mitigation=mitigation).check()

    def submit(self) -> bool:
        """Pre-flight in a worker; the confirmation (with the estimate) then comes up on the GUI thread."""
        if self.run_id is None:
            self.set_status("pick a trained run first", error=True)
            return False
        if not self.selected_backend():
            self.set_status("pick a backend first", error=True)
            return False
        if {"plan", "execute"} & self._busy:
            self.set_status("a hardware run is being prepared or is running; wait for it", error=True)
            return False
        try:
            settings = self.settings()
        except UserError as exc:
            self.set_status(one_line_of(exc), error=True)
            return False
        self.set_status(f"pre-flight: transpiling run {self.run_id} for {settings.backend}…")
        self._submit("plan", "preflight_and_run", tag=self.run_id, root=str(self.store.root), run_id=self.run_id,
                     settings=settings, local=self.local, backend_factory=self.backend_factory, **self._service())
        return True

    def _preflight_ready(self, job: Job, summary: dict) -> None:
        """The pre-flight came back: confirm on the GUI thread, then tell the waiting job to submit or not."""
        self._busy.discard("plan")
        if summary["run_id"] != self.run_id:
            job.send("abort")
            self.set_status("the run changed during the pre-flight: nothing submitted")
            self._update_buttons()
            return
        self.last_preflight = summary["preflight"]
        where = "local testing mode (nothing is sent to IBM)" if summary["local"] else "IBM Quantum"
        text = (f"<p>Submit run <b>{html.escape(summary['run_id'])}</b> to <b>{html.escape(summary['backend'])}</b> "
                f"({where})? Estimated QPU time <b>{summary['total_qpu_s']:.1f} s</b>.</p>"
                f"<pre style='font-size:9pt'>{html.escape(self.last_preflight)}</pre>")
        if messages.ask(self, "Submit to hardware", text, ("Submit", "Cancel"), "Cancel") != "Submit":
            job.send("abort")
            self.set_status("not submitted")
            self._update_buttons()
            return
        job.send("submit")
        self._busy.add("execute")
        self._jobs["execute"] = job
        self.set_status(f"submitting to {summary['backend']}…")
        self._update_buttons()

    # -- jobs
    def cancel(self, job_id: str) -> None:
        if messages.ask(self, "Cancel job", f"Cancel job {job_id}?", ("Cancel job", "Keep running"),
                        "Keep running") != "Cancel job":
            return
        row = next((v for v in self.job_views if v.job_id == job_id), None)
        running = self._jobs.get("execute")
        if row is not None and row.local and running is not None and not running.done:
            running.send(f"cancel-job:{job_id}")  # only the process that runs a local job can cancel it
            return
        remote = row is not None and not row.local and self.account is not None
        self._submit(f"cancel:{job_id}", "cancel", root=str(self.store.root), job_id=job_id,
                     **(self._service() if remote else {}))

    def _poll(self) -> None:
        self._submit("poll", "poll", root=str(self.store.root), local=self.local, notes=dict(self.notes),
                     **self._service())

    def _render_jobs(self) -> None:
        if not hasattr(self, "job_table"):
            return
        t = self.job_table
        views = sorted(self.job_views, key=lambda v: (not v.pending, v.job_id))
        t.setRowCount(len(views))
        colors = {"DONE": self.theme.ok, "ERROR": self.theme.error, "CANCELLED": self.theme.muted}
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        for i, v in enumerate(views):
            label = STATUS_TEXT.get(v.status, v.status.lower())
            vals = [v.job_id, v.run_id, v.backend + (" (local)" if v.local else ""), label,
                    "–" if v.queue is None else str(v.queue), _elapsed(v.elapsed_s), v.note]
            for j, val in enumerate(vals):
                item = QTableWidgetItem(val)
                if j == 0:
                    item.setFont(mono)
                if j == 3:
                    item.setForeground(QBrush(QColor(colors.get(v.status, self.theme.highlight))))
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                    item.setToolTip(f"IBM status {v.status}")
                if j == 6:
                    item.setToolTip(v.note)
                t.setItem(i, j, item)
            if v.pending:
                button = QPushButton("Cancel")
                button.setToolTip("Cancel this job")
                button.clicked.connect(lambda _c=False, jid=v.job_id: self.cancel(jid))
                t.setCellWidget(i, len(JOB_COLUMNS) - 1, button)
            else:
                t.removeCellWidget(i, len(JOB_COLUMNS) - 1)
                t.setItem(i, len(JOB_COLUMNS) - 1, QTableWidgetItem(""))

    def job_row(self, job_id: str) -> dict[str, str] | None:
        """A monitor row as shown (tests, scripts): column name -> text."""
        for i in range(self.job_table.rowCount()):
            if self.job_table.item(i, 0).text() == job_id:
                return {c: self.job_table.item(i, j).text() for j, c in enumerate(JOB_COLUMNS[:-1])}
        return None

    # -- worker plumbing
    def _service(self) -> dict:
        return {"account": None if self.local else self.account, "service_factory": self.service_factory}

    def _submit(self, kind: str, function: str, tag=None, **kwargs) -> Job:
        """Run ``workbench.hardware.background.<function>`` in the worker pool; its answer comes to ``_handle``.
        A newer job of the same kind supersedes an older one still running (its answer is never seen)."""
        self._busy.add(kind)
        self._update_buttons()
        key = None if kind == "plan" else f"hardware-{id(self)}-{kind}"
        job = workers().submit(f"workbench.hardware.background:{function}", key=key, owner=self, **kwargs)
        self._jobs[kind] = job
        job.returned.connect(lambda result: self._job_done(job, kind, tag, result))
        job.errored.connect(lambda err: self._job_done(job, kind, tag, err))
        job.aborted.connect(lambda: self._job_done(job, kind, tag, None))
        if kind == "plan":
            job.yielded.connect(lambda summary: self._preflight_ready(job, summary))
            job.progress.connect(lambda p: self.set_status(p["message"], error=bool(p.get("error"))))
        return job

    def _job_done(self, job: Job, kind: str, tag, result) -> None:
        if kind == "plan" and self._jobs.get("execute") is job:  # confirmed: it ran the plan
            kind = "execute"
        elif kind == "plan" and isinstance(result, dict) and not result.get("submitted", True):
            self._jobs.pop("plan", None)
            self._busy.discard("plan")  # not confirmed: the status says so already
            self._update_buttons()
            return
        if self._jobs.get(kind) is job:
            del self._jobs[kind]
        self._handle(kind, tag, result)

    def _tick(self) -> None:
        pending = any(v.pending for v in self.job_views) or "execute" in self._busy
        if "poll" not in self._busy and "reattach" not in self._busy and \
                time.monotonic() - self._last_poll > (JOB_POLL_S if pending else 5 * JOB_POLL_S):
            self._last_poll = time.monotonic()
            self._poll()

    def _handle(self, kind: str, tag, result) -> None:
        self._busy.discard(kind)
        self._update_buttons()
        if result is None:  # cancelled
            return
        failed = isinstance(result, JobError)
        if kind == "backends":
            if failed:
                self.backends_info = []
                self.backend_note.setText(f"⚠ {one_line_of(result)}")
                self.backend_note.setStyleSheet(f"color: {self.theme.error};")
            else:
                local, infos = tag, result
                if local != self.local:  # an older request (the mode changed since): its answer is stale
                    return
                self.backends_info = infos
                self.backend_note.setStyleSheet(f"color: {self.theme.muted};")
                self.backend_note.setText(f"{len(infos)} backends, " + (
                    "local testing mode: fake devices with real calibrations, queues are empty" if local
                    else f"IBM Quantum ({self.account_public['channel'] if self.account_public else ''})"))
            self._render_backends()
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
            self._last_poll = 0.0
            self.submitted.emit(tag)
        elif kind == "reattach":
            if failed:
                self.set_status(f"reattach: {one_line_of(result)}", error=True)
            else:
                found, why = result
                self.notes.update(found)
                if why:
                    self.set_status(f"reattach: {why}", error=True)
            self._last_poll = 0.0
        elif kind == "poll":
            if failed:
                self.set_status(f"job status: {one_line_of(result)}", error=True)
            else:
                self.job_views = result
                self._render_jobs()
        elif kind.startswith("cancel:"):
            self.set_status(one_line_of(result) if failed else result, error=failed)
            self._last_poll = 0.0

    def _update_buttons(self) -> None:
        if not hasattr(self, "submit_button"):
            return
        busy = bool({"plan", "execute"} & self._busy)
        self.submit_button.setEnabled(self.run_id is not None and self.selected_backend() is not None and not busy)
        self.submit_button.setText("Running…" if "execute" in self._busy else
                                   "Pre-flight…" if "plan" in self._busy else "Pre-flight and submit…")

    def set_status(self, text: str, error: bool = False) -> None:
        from workbench.hardware.redact import redact

        self.status.setText(("⚠ " if error else "") + redact(text))
        self.status.setStyleSheet(f"color: {self.theme.error if error else self.theme.text};")

    def idle(self) -> bool:
        return not (self._busy - {"poll"})

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
