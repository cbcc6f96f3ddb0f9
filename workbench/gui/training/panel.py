"""The training panel: settings, Start / Pause / Resume / Stop, live per-task curves, progress with ETA and
the parameter-scaling plot.

Training runs as a job of the worker pool (``ProcessTrainingSession``: the warm worker process), whose events
are buffered as they arrive. A ~10 Hz ``QTimer`` on the GUI thread drains them into plot buffers and repaints; every
event carries its run id and events of a run that is no longer shown are dropped (orange3 #2184). The
spec trained is a deep copy of the document's current spec, unsaved edits included.
"""

from __future__ import annotations

import copy
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QSplitter,
    QWidget,
)

from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.common.worker import workers
from workbench.gui.composer.document import ExperimentDocument
from workbench.gui.training.controls import TrainControls
from workbench.gui.training.curves import TrainCurves
from workbench.gui.training.progress import Progress, mean_accuracy
from workbench.gui.training.worker import ProcessTrainingSession
from workbench.runs import RunStore
from workbench.textsafe import markup

if TYPE_CHECKING:  # the GUI process does not import torch or the trainer: they run in the worker
    from workbench.training.session import TrainingSession

REPAINT_MS = 100  # ~10 Hz
GUI_SWITCH_INTERVAL = 0.001  # s: how long the trainer thread may hold the GIL before the GUI thread gets it


_warm = False


def warm_up() -> None:
    """Import what the first training step would import in the worker thread (thread mode only), so the GUI
    thread never stalls on long imports that hold the GIL while a run starts: done once, at start-up."""
    global _warm
    if _warm:
        return
    import torch

    from workbench.training.optim import Adam

    Adam([torch.nn.Parameter(torch.zeros(1))])
    _warm = True


class TrainPanel(QWidget):
    message = Signal(str, bool)  # text, is_error: for the log
    runStarted = Signal(str)
    runEnded = Signal(str, str)  # run id, status (finished / cancelled / failed)

    def __init__(self, doc: ExperimentDocument, store: RunStore, base_dir=None, parent=None, mode: str = "process"):
        """``base_dir()`` returns the folder relative data paths of the spec resolve against. ``mode``:
        "process" trains in a worker process (default: the GUI thread never competes for the GIL),
        "thread" in the core's ``TrainingSession`` thread (kept for comparison in ``bench_training``)."""
        super().__init__(parent)
        if mode == "thread":
            warm_up()
        else:
            workers().prewarm()  # by the time Start is pressed, torch and the trainer are imported
        self.doc = doc
        self.store = store
        self.mode = mode
        self.base_dir = base_dir or (lambda: doc.path.parent if doc.path else None)
        self.theme = LIGHT
        self.session: TrainingSession | None = None
        self.run_id: str | None = None
        self._last_step = None  # the newest step event of this frame: the progress bar shows it once per frame
        self.status = "idle"  # idle, running, paused, finished, cancelled, failed
        self.last_error = ""
        self.progress_state = Progress()
        self._retired: list[TrainingSession] = []  # stopped sessions still winding down
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(REPAINT_MS)
        self.timer.timeout.connect(self.tick)
        self.repaints = 0
        doc.validityChanged.connect(lambda _v: self._update_buttons())
        doc.changed.connect(self._doc_changed)
        self.form.sync_from_spec(doc.spec)
        self._update_buttons()

    # ------------------------------------------------------------------------------------------- layout
    def _build(self) -> None:
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        split = QSplitter(Qt.Orientation.Horizontal)
        lay.addWidget(split)
        self.controls = left = TrainControls()
        c = left  # what scripts, tests and the window reach
        self.form, self.why, self.progress, self.eta, self.status_label = c.form, c.why, c.progress, c.eta, c.status
        self.head, self.engine, self.device, self.epochs, self.batch, self.lr, self.seed = self.form.fields()
        self.start_btn, self.pause_btn, self.resume_btn, self.stop_btn = c.buttons
        self.start_btn.clicked.connect(self.start)
        self.pause_btn.clicked.connect(self.pause)
        self.resume_btn.clicked.connect(self.resume)
        self.stop_btn.clicked.connect(lambda: self.stop())
        split.addWidget(left)
        self.tabs = TrainCurves(self.doc, self.theme)
        self.plots, self.scaling = self.tabs.plots, self.tabs.scaling
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 900])

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.tabs.set_theme(theme)
        self._update_buttons()

    # ------------------------------------------------------------------------------------------- settings
    def _doc_changed(self, path) -> None:
        if not path or path[0] in ("training", "quantum"):
            self.form.sync_from_spec(self.doc.spec)

    def set_head(self, key: str) -> None:
        self.form.set_head(key)

    # ------------------------------------------------------------------------------------------- state
    def is_training(self) -> bool:
        return self.session is not None and self.session.running

    def _update_buttons(self) -> None:
        training = self.is_training()
        paused = self.status == "paused"
        trainable = self.doc.is_trainable()
        self.start_btn.setEnabled(trainable and not training)
        self.pause_btn.setEnabled(training and not paused)
        self.resume_btn.setEnabled(training and paused)
        self.stop_btn.setEnabled(training)
        self.form.set_editable(not training)
        if not trainable:
            problem = self.doc.first_problem()
            self.why.setText(f'<span style="color:{self.theme.error}">⚠ Cannot train yet: {markup(problem)}</span>')
            self.start_btn.setToolTip(f"Cannot train yet: {problem}")
        else:
            self.why.setText("" if training else
                             f'<span style="color:{self.theme.muted}">Trains “{markup(self.doc.spec.name)}” as it is '
                             f'in the editor{" (unsaved edits included)" if self.doc.is_modified() else ""}.</span>')
            self.start_btn.setToolTip("Train the experiment as it is now in the editor (unsaved edits included)")

    def settings(self) -> tuple[dict, object]:
        """(trainer kwargs, spec) for the current form: a deep copy of the document's spec with the form's
        batch size and learning rate."""
        spec = copy.deepcopy(self.doc.spec)
        spec.training.batch_size = self.batch.value()
        spec.training.lr = self.lr.value()
        return self.form.trainer_kwargs(self.base_dir()), spec

    # ------------------------------------------------------------------------------------------- control
    def start(self) -> bool:
        if self.is_training():
            return False
        if not self.doc.is_trainable():
            self.message.emit(f"cannot train: {self.doc.first_problem()}", True)
            return False
        kwargs, spec = self.settings()
        try:
            session = self._session(kwargs, spec=spec)
        except Exception as exc:  # noqa: BLE001 - bad settings (e.g. epochs): say why, keep the GUI alive
            self._show_failure(f"{type(exc).__name__}: {exc}")
            return False
        self.plots.reset([t.name for t in spec.tasks])
        self._begin(session, f"training “{spec.name}” with the {kwargs['head']} head on {kwargs['engine']}")
        return True

    def resume_run(self, run_id: str, epochs: int | None = None) -> bool:
        """Continue a cancelled, failed or killed run from its last checkpoint (settings of the run)."""
        if self.is_training():
            self.message.emit("a training is already running; stop it first", True)
            return False
        try:
            session = self._session({"epochs": epochs} if epochs else {}, resume_run=run_id)
        except Exception as exc:  # noqa: BLE001
            self._show_failure(f"cannot resume {run_id}: {type(exc).__name__}: {exc}")
            return False
        info = self.store.get(session.run_id)
        self.form.show_run_settings(info.params, epochs)
        tasks = session.tasks if hasattr(session, "tasks") else [t.name for t in session.trainer.spec.tasks]
        self.plots.load_rows(self.store.metrics(info.id), tasks)
        self.plots.repaint()
        self._begin(session, f"resuming run {info.id} ({info.name})")
        return True

    def _session(self, kwargs: dict, spec=None, resume_run: str | None = None):
        if self.mode == "thread":
            from workbench.training.session import TrainingSession

            return TrainingSession(kwargs, self.store, spec=spec, resume_run=resume_run)
        return ProcessTrainingSession(kwargs, self.store, spec=spec, resume_run=resume_run)

    def _begin(self, session: TrainingSession, text: str) -> None:
        self.session = session
        self.run_id = session.run_id  # None for a new run until its start event names it
        self.status = "running"
        self.last_error = ""
        self.controls.show_state("starting…", markup(text) + "…", 0)
        if self.mode == "thread":
            self._previous_switch = sys.getswitchinterval()
            sys.setswitchinterval(GUI_SWITCH_INTERVAL)
        session.start()
        self.timer.start()
        self.message.emit(text, False)
        self._update_buttons()

    def pause(self) -> None:
        if self.is_training():
            self.session.pause()
            self.progress.setFormat("pausing…")

    def resume(self) -> None:
        if self.is_training():
            self.session.resume()

    def stop(self, wait: float | None = None) -> None:
        """Cancel between steps; with ``wait`` block up to that many seconds for the worker to end."""
        if self.session is None:
            return
        self.session.stop(wait)
        self.progress.setFormat("stopping…")
        if wait is not None:
            self.tick()

    def shutdown(self, wait: float = 10.0) -> bool:
        """Window closing: stop the worker cleanly and wait for it; True when no worker is left."""
        self.tabs.scaling_timer.stop()
        if self.session is not None and self.session.running:
            self.stop(wait)
        for s in self._retired:
            s.stop(wait)
        self.timer.stop()
        alive = (self.session is not None and self.session.running) or any(s.running for s in self._retired)
        return not alive

    # ------------------------------------------------------------------------------------------- events
    def tick(self) -> None:
        """The ~10 Hz timer: drain the worker's events, update buffers and labels, repaint."""
        session = self.session
        if session is None:
            self.timer.stop()
            return
        self._last_step = None
        for ev in session.drain():
            if self.run_id is None and ev.run_id and ev.kind in ("start", "failed"):
                # a run that fails before it starts (its data cannot be read) is named by its failure
                self.run_id = ev.run_id
                self.runStarted.emit(ev.run_id)
            if ev.run_id and ev.run_id != self.run_id:
                continue  # a run no longer shown
            self._handle(ev)
        if self._last_step is not None:  # the bar and its text once per frame, not once per step event
            self._show_progress(self._last_step)
        self.plots.repaint()
        self.repaints += 1
        if not session.running and session is self.session:
            if self.status in ("running", "paused"):  # ended without a final event (should not happen)
                err = session.error
                if err is not None:
                    self._show_failure(f"{type(err).__name__}: {err}")
                    if self.run_id:
                        self.runEnded.emit(self.run_id, "failed")
                else:
                    self.status = session.result.status if session.result else "cancelled"
            self.timer.stop()
            if self.mode == "thread":
                sys.setswitchinterval(getattr(self, "_previous_switch", 0.005))
            self._update_buttons()

    def _handle(self, ev) -> None:
        kind = ev.kind
        if kind not in ("step", "epoch") and self._last_step is not None:  # shown before what ends the steps
            self._show_progress(self._last_step)
            self._last_step = None
        if kind == "start":
            self.progress_state.start(ev)
            self.status_label.setText(f"run <b>{ev.run_id}</b> running" + (" (resumed)" if ev.message else ""))
        elif kind == "step":
            self.progress_state.update(ev)
            self.plots.add_event(ev)
            self._last_step = ev
        elif kind == "epoch":
            self.progress_state.update(ev)
            self.plots.add_event(ev)
            val = ev.metrics.get("val", {})
            if val:
                acc = mean_accuracy(val)
                self.message.emit(f"run {ev.run_id}: epoch {ev.epoch}/{ev.total_epochs}, mean val accuracy "
                                  f"{acc:.3f}", False)
        elif kind == "paused":
            self.status = "paused"
            self.progress.setFormat(f"paused at step {self.progress_state.step}")
            self.message.emit(f"run {ev.run_id} paused", False)
            self._update_buttons()
        elif kind == "resumed":
            self.status = "running"
            self.message.emit(f"run {ev.run_id} resumed", False)
            self._update_buttons()
        elif kind == "cancelled":
            self._end(ev.run_id, "cancelled", f"run <b>{ev.run_id}</b> stopped after epoch {ev.epoch}; "
                                              "resume it from the runs browser")
        elif kind == "finished":
            test = ev.metrics.get("test", {})
            acc = mean_accuracy(test)
            self.progress.setValue(1000)
            self._end(ev.run_id, "finished", f"run <b>{ev.run_id}</b> finished: mean test accuracy {acc:.3f}")
        elif kind == "failed" and self.status != "failed":  # the worker may report a failure twice
            self._show_failure(ev.message)
            self.runEnded.emit(ev.run_id, "failed")

    def _show_progress(self, ev) -> None:
        self.controls.show_progress(ev, self.progress_state)

    def _end(self, run_id: str, status: str, html: str) -> None:
        self.status = status
        self.controls.show_state(status, html)
        self.message.emit(f"run {run_id} {status}", False)
        self.runEnded.emit(run_id, status)
        self._update_buttons()

    def _show_failure(self, text: str) -> None:
        self.status = "failed"
        self.last_error = text
        self.progress.setFormat("failed")
        self.status_label.setText(f'<span style="color:{self.theme.error}"><b>Training failed.</b> {markup(text)}'
                                  "</span><br>The run keeps its data (status failed in the runs browser).")
        self.message.emit(f"training failed: {text}", True)
        self._update_buttons()
