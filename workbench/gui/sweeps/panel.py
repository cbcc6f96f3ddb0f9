"""The Sweep panel: the composer's current experiment trained over axes, live trials, accuracy vs head parameters.

The panel adapts the core's sweep engine (``workbench.sweeps``), the same one ``qmtl sweep`` runs: axes are
the CLI's ``--grid`` texts, the driver runs as a job of the GUI's worker pool
(``workbench.sweeps.background.sweep_job``) and the trials train in the executor's own worker processes (or on
Ray). The job's yielded events update the trials table and the scatter. Starting the same axes on the same
experiment again resumes the sweep.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
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
from workbench.gui.common.tables import row_table
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.common.worker import JobError, workers
from workbench.gui.sweeps.axes import AxesEditor
from workbench.gui.sweeps.scatter import SweepScatter, finished
from workbench.runs import RunStore

TRIAL_COLUMNS = ("trial", "point", "status", "mean acc", "head params", "time s", "run")


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m:d}:{s:02d}"


class SweepPanel(QWidget):
    runOpened = Signal(str)  # a point of the scatter (or a trial row) was activated
    sweepStarted = Signal(str)
    sweepEnded = Signal(str, str)  # sweep id, "complete" | "stopped" | "cancelled" | "failed"
    message = Signal(str, bool)

    def __init__(self, doc, store: RunStore, base_dir: Callable[[], Path | None] | None = None, parent=None,
                 theme: Theme = LIGHT):
        super().__init__(parent)
        self.doc = doc
        self.store = store
        self.base_dir = base_dir or (lambda: None)
        self.theme = theme
        self.job = None
        self.sweep_id: str | None = None
        self.rows: dict[int, dict] = {}
        self.state = "idle"  # idle | running | stopping | complete | stopped | cancelled | failed
        self._build()
        self._update_buttons()

    # ----------------------------------------------------------------------------------------------- ui
    def _build(self) -> None:
        self.axes_editor = AxesEditor()
        self.axes = self.axes_editor.table
        self.executor = QComboBox()
        self.executor.addItems(["local", "ray"])
        self.executor.setToolTip("local: worker processes on this machine; ray: Ray tasks (a local Ray, or the "
                                 "cluster at the address)")
        self.address = QComboBox()
        self.address.setEditable(True)
        self.address.addItem("")
        self.address.setToolTip("Ray cluster address (empty: start a local Ray for the sweep)")
        self.parallel = QSpinBox()
        self.parallel.setRange(1, 256)
        self.parallel.setValue(os.cpu_count() or 1)
        self.parallel.setToolTip("trials at once")
        self.start_btn = QPushButton("Start sweep")
        self.start_btn.clicked.connect(self.start)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setToolTip("no new trials; the running ones finish")
        self.stop_btn.clicked.connect(self.stop)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("stop the running trials too (they run again when the sweep is resumed)")
        self.cancel_btn.clicked.connect(self.cancel)
        self.status = QLabel("Axes of the experiment in the editor; each combination is one run.")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("executor", self.executor)
        form.addRow("Ray address", self.address)
        form.addRow("at once", self.parallel)
        run_buttons = QHBoxLayout()
        for b in (self.start_btn, self.stop_btn, self.cancel_btn):
            run_buttons.addWidget(b)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.axes_editor)
        lv.addLayout(form)
        lv.addLayout(run_buttons)
        lv.addWidget(self.status)

        self.trials = row_table(TRIAL_COLUMNS)
        self.trials.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.trials.cellDoubleClicked.connect(self._row_activated)

        self.plot = SweepScatter(self.theme)
        self.plot.runClicked.connect(self.runOpened)
        self.scatter, self.front = self.plot.scatter, self.plot.front

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.trials)
        split.addWidget(self.plot)
        split.setSizes([300, 420, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plot.set_theme(theme)

    def add_axis(self, name: str, values: str) -> None:
        self.axes_editor.add_axis(name, values)

    def axis_texts(self) -> list[str]:
        return self.axes_editor.axis_texts()

    def is_running(self) -> bool:
        return self.job is not None and not self.job.done

    def _update_buttons(self) -> None:
        running = self.is_running()
        self.start_btn.setEnabled(not running)
        self.stop_btn.setEnabled(running and self.state == "running")
        self.cancel_btn.setEnabled(running)
        for w in (self.axes_editor, self.executor, self.address, self.parallel):
            w.setEnabled(not running)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {self.theme.error}" if error else "")
        self.message.emit(text, error)

    # ------------------------------------------------------------------------------------------ control
    def start(self) -> bool:
        """Start (or resume) the sweep of the editor's experiment over the axes; False with the reason shown."""
        from workbench.sweeps import define_trials, open_sweep

        if self.is_running():
            return False
        if not self.doc.is_trainable():
            self._say(f"cannot sweep: {self.doc.first_problem()}", True)
            return False
        spec = copy.deepcopy(self.doc.spec)
        executor_name = self.executor.currentText()
        address = self.address.currentText().strip() or None
        try:
            points, tasks, axes = define_trials(spec, grid=self.axis_texts(), base_dir=self.base_dir())
            if executor_name == "ray":
                from workbench.sweeps.executors import import_ray

                import_ray()
            sweep_id, resumed = open_sweep(self.store, spec, points, tasks, axes=axes,
                                           settings={"grid": self.axis_texts(), "from": "workbench"})
        except UserError as exc:
            self._say(str(exc), True)
            return False
        self.sweep_id = sweep_id
        self._load_rows(sweep_id)
        self.state = "running"
        self.job = workers().submit("workbench.sweeps.background:sweep_job", key=f"sweep-{id(self)}", owner=self,
                                    root=str(self.store.root), sweep_id=sweep_id, executor=executor_name,
                                    max_parallel=self.parallel.value(),
                                    address=address if executor_name == "ray" else None)
        self.job.yielded.connect(self._handle)
        self.job.returned.connect(self._returned)
        self.job.errored.connect(self._errored)
        self.job.aborted.connect(lambda: self._returned(None))
        self._update_buttons()
        self._say(f"sweep {sweep_id}: {len(tasks)} trials{' (resuming)' if resumed else ''} on {executor_name}")
        self.sweepStarted.emit(sweep_id)
        return True

    def stop(self) -> None:
        """No new trials; the running ones finish."""
        if self.is_running():
            self.job.send("stop")
            self.state = "stopping"
            self._update_buttons()

    def cancel(self) -> None:
        """Stop the running trials too; they stay pending for a resume."""
        if self.is_running():
            self.job.cancel()
            self.state = "stopping"
            self._update_buttons()

    def shutdown(self, wait: float = 10.0) -> bool:
        """Cancel a running sweep and wait for its driver; True when nothing is left running."""
        if not self.is_running():
            return True
        self.job.cancel()
        return self.job.wait(wait)

    # ------------------------------------------------------------------------------------------- events
    def _load_rows(self, sweep_id: str) -> None:
        from workbench.sweeps import trial_rows
        from workbench.sweeps.plan import point_label

        self.rows = {}
        for r in trial_rows(self.store, sweep_id):
            self.rows[r["trial"]] = {"trial": r["trial"], "point": point_label(
                {k: v for k, v in r.items() if k in self._axis_names(sweep_id)}), "head": r["head"],
                "status": r["status"], "mean_test_accuracy": r["mean_test_accuracy"],
                "head_params": r["head_params"], "wall_time_s": r["wall_time_s"], "run_id": r["run_id"]}
        self.trials.setRowCount(len(self.rows))
        for idx in self.rows:
            self._paint_row(idx)
        self.redraw()

    def _axis_names(self, sweep_id: str) -> set[str]:
        from workbench.runs.sweeps import SweepRecords

        return {k for t in SweepRecords(self.store).trials(sweep_id)[:1] for k in t.point}

    def _handle(self, ev) -> bool:
        c = ev.counts
        self.status.setText(f"{c['done']}/{c['total']} done, {c['running']} running, {c['failed']} failed; "
                            f"elapsed {_clock(ev.elapsed_s)}, ETA {_clock(ev.eta_s)}"
                            + (" — stopping: the running trials finish" if self.state == "stopping" else ""))
        row = self.rows.get(ev.idx) if ev.idx is not None else None
        if row is None:
            return False
        row["status"] = {"started": "running", "retrying": "retrying"}.get(ev.kind, ev.kind)
        if ev.kind == "finished":
            row.update(status="finished", run_id=ev.run_id, mean_test_accuracy=ev.result.get("mean_test_accuracy"),
                       head_params=ev.result.get("head_params"), wall_time_s=ev.result.get("wall_time_s"))
        self._paint_row(ev.idx)
        if ev.kind == "finished":
            self.redraw()
        return ev.kind == "finished"

    def _returned(self, result: dict | None) -> None:
        """The driver's last word: every trial's final status (cancelled ones stay pending for a resume)."""
        if result is None:  # aborted before the driver started
            self.state = "cancelled"
            self._say(f"sweep {self.sweep_id} cancelled")
        else:
            statuses = {int(k): v for k, v in result["statuses"].items()}
            self.state = "complete" if result["complete"] else "cancelled" if result["cancelled"] else \
                "stopped" if result["stopped"] else "failed"
            failed = sum(1 for v in statuses.values() if v == "failed")
            done = sum(1 for v in statuses.values() if v == "finished")
            self._say(f"sweep {self.sweep_id} {self.state}: {done}/{len(statuses)} trials finished"
                      + (f", {failed} failed (start again to retry them)" if failed else ""), failed > 0)
            for idx, status in statuses.items():
                if idx in self.rows and self.rows[idx]["status"] != status:
                    self.rows[idx]["status"] = status
                    self._paint_row(idx)
        self._end()

    def _errored(self, err: JobError) -> None:
        self.state = "failed"
        self._say(f"sweep {self.sweep_id} failed: {err.message}", True)
        self._end()

    def _end(self) -> None:
        self.job = None
        self._update_buttons()
        self.sweepEnded.emit(self.sweep_id or "", self.state)

    def _paint_row(self, idx: int) -> None:
        r = self.rows[idx]
        acc = r["mean_test_accuracy"]
        values = [str(idx), r["point"], r["status"], f"{acc:.3f}" if acc is not None else "",
                  "" if r["head_params"] is None else str(r["head_params"]),
                  "" if r["wall_time_s"] is None else f"{r['wall_time_s']:.1f}", r["run_id"] or ""]
        for col, text in enumerate(values):
            item = self.trials.item(idx, col)
            if item is None:
                item = QTableWidgetItem()
                self.trials.setItem(idx, col, item)
            item.setText(text)
            if col in (0, 3, 4, 5):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def redraw(self) -> int:
        return self.plot.show_rows(self.rows.values())

    def pareto_runs(self) -> list[str]:
        from workbench.sweeps import pareto_front

        return [r["run_id"] for r in pareto_front(finished(self.rows.values()))]

    def _row_activated(self, row: int, _col: int) -> None:
        run_id = self.rows.get(row, {}).get("run_id")
        if run_id:
            self.runOpened.emit(run_id)
