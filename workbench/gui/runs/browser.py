"""The runs browser: the run store as a metrics table (sort, filter, tags and notes in place, right-click to
rename, tag, delete to the trash, restore or open a report), the accuracy-versus-head-size scatter, several runs'
curves overlaid, the spec diff of two runs, clone into the composer, resume, CSV and picture exports.

The store is read off the GUI thread: a 1.5 s timer asks the common worker's threads for a snapshot (the
selected runs' metrics likewise); answers land on the GUI thread, and only a changed list is re-drawn. A training
writing to the store never makes the GUI wait.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.common import messages
from workbench.gui.common.plots import export_plot
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.common.worker import Job, workers
from workbench.gui.runs.curves import CurvesPanel
from workbench.gui.runs.diff import diff_html
from workbench.gui.runs.loading import Snapshot, load_metrics, load_snapshot
from workbench.gui.runs.run_actions import RunActions
from workbench.gui.runs.runs_table import RunsTable
from workbench.gui.runs.scatter import TradeoffScatter
from workbench.gui.runs.table_model import ID_ROLE
from workbench.gui.runs.toolbar import BUTTONS, RunsToolbar
from workbench.runs import RunInfo, RunStore
from workbench.runs.metrics_table import MetricsTable
from workbench.runs.spec_facts import SpecFacts

RESUMABLE = ("cancelled", "failed", "paused", "running")
POLL_MS = 1500


class RunsBrowser(QWidget):
    runSelected = Signal(object)  # run id or None
    cloneRequested = Signal(object, str, str)  # spec, run id, head
    resumeRequested = Signal(str)
    reportRequested = Signal(list)
    message = Signal(str, bool)
    refreshed = Signal()  # a changed snapshot is on screen

    def __init__(self, store: RunStore, parent=None, poll_ms: int = POLL_MS):
        super().__init__(parent)
        self.store = store
        self.theme = LIGHT
        self.runs: dict[str, RunInfo] = {}
        self.groups: dict[str, str] = {}
        self.table_data = MetricsTable([], [])
        self._facts = SpecFacts()  # a run's spec never changes: its groups and circuit sizes are worked out once
        self._signature: tuple = ()
        self._list_job: Job | None = None
        self._metrics_job: Job | None = None
        self._metrics_request: tuple = ()
        self._reread = False
        self.busy_run: str | None = None  # the run this window is training (not resumable from here)
        self.actions = RunActions(store, self)
        self.actions.changed.connect(self.reload)
        self.actions.message.connect(self.message)
        self.actions.reportRequested.connect(self.reportRequested)
        self.actions.cloneRequested.connect(self.cloneRequested)
        self._build()
        self.poll = QTimer(self)
        self.poll.setInterval(poll_ms)
        self.poll.timeout.connect(self.refresh)
        self.poll.start()
        self.refresh()

    # ------------------------------------------------------------------------------------------- layout
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = self.toolbar = RunsToolbar(self)
        for attr in ("filter", "status_filter", "view_box", "count_label", *BUTTONS):
            setattr(self, attr, getattr(bar, attr))
        self.filter.textChanged.connect(self._filter_changed)
        self.status_filter.currentIndexChanged.connect(lambda _i: self._filter_changed())
        self.view_box.currentIndexChanged.connect(lambda _i: self.reload())
        for attr, slot in (("diff_btn", self.show_diff), ("clone_btn", self.clone_selected),
                           ("resume_btn", self.resume_selected), ("csv_btn", lambda: self.export_csv()),
                           ("png_btn", lambda: self.export_plot()),
                           ("report_btn", lambda: self.reportRequested.emit(self.selected_ids()))):
            getattr(bar, attr).clicked.connect(slot)
        lay.addWidget(bar)
        split = self.split = QSplitter(Qt.Orientation.Vertical)
        self.table = RunsTable()
        self.model, self.proxy = self.table.runs_model, self.table.proxy
        self.model.itemChanged.connect(self._item_changed)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        split.addWidget(self.table)
        self.bottom = QTabWidget()
        self.curves = CurvesPanel(self.theme)
        self.curves.requestChanged.connect(self._request_metrics)
        self.plot, self.metric_box, self.split_box = self.curves.plot, self.curves.metric_box, self.curves.split_box
        self.group_box = self.curves.group_box
        self.bottom.addTab(self.curves, "Curves")
        self.scatter = TradeoffScatter(self.theme)
        self.scatter.pointClicked.connect(self.select)
        self.bottom.addTab(self.scatter, "Accuracy vs head size")
        self.diff_view = QTextBrowser()
        self.diff_view.setPlaceholderText("Select two runs and press “Diff specs”.")
        self.bottom.addTab(self.diff_view, "Spec diff")
        split.addWidget(self.bottom)
        split.setSizes([260, 420])
        lay.addWidget(split, 1)
        self._update_buttons()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.curves.plot.set_theme(theme)
        self.scatter.set_theme(theme)
        self._fill(force=True)

    @property
    def trash_view(self) -> bool:
        return bool(self.view_box.currentData())

    # ------------------------------------------------------------------------------------------- polling
    def refresh(self) -> None:
        """Ask for a snapshot in the background (skipped while the previous answer is pending)."""
        if self._list_job is None:
            job = self._list_job = workers().run_in_thread(load_snapshot, self.store, self._facts, self.trash_view,
                                                           owner=self)
            job.returned.connect(self._snapshot_ready)
            job.errored.connect(self._snapshot_failed)

    def reload(self) -> None:
        """Read again now: something changed the store here (a rename, a delete) or the view changed."""
        self._signature = ()
        self._reread = self._list_job is not None  # an answer on its way may predate the change
        self.refresh()

    def _snapshot_failed(self, err) -> None:  # a locked or damaged store: say so, keep polling
        self._list_job = None
        self.count_label.setText(f"cannot read the run store: {err}")

    def _snapshot_ready(self, snap: Snapshot) -> None:
        self._list_job = None
        if snap.signature[0] != self.trash_view or self._reread:  # read before the view or the store changed
            self._reread = False
            return self.refresh()
        if snap.signature != self._signature:
            self._signature = snap.signature
            self.groups, self.table_data = snap.groups, snap.table
            self.runs = {r.id: r for r in snap.runs}
            self._fill()
            self._request_metrics()
            self.refreshed.emit()

    def _metrics_ready(self, answer) -> None:
        self._metrics_job = None
        request, rows = answer
        if request == self._metrics_request:
            self.curves.show_rows(rows, self.runs, self.groups)
        else:  # the selection moved on while it was read
            self._request_metrics()

    def _metrics_failed(self, err) -> None:
        self._metrics_job = None
        self.message.emit(f"cannot read metrics: {err}", True)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Tests and screenshots: let pending background reads land."""
        import time

        from PySide6.QtWidgets import QApplication

        end = time.monotonic() + timeout
        while (self._list_job is not None or self._metrics_job is not None) and time.monotonic() < end:
            QApplication.processEvents()
            time.sleep(0.005)

    def shutdown(self) -> None:
        self.poll.stop()
        for job in (self._list_job, self._metrics_job):
            if job is not None:
                job.discard()

    # ------------------------------------------------------------------------------------------- table
    def _fill(self, force: bool = False) -> None:
        if self.table.editing() and not force:
            self._signature = ()  # try again at the next poll
            return
        self.table.fill(self.table_data, self.runs, self.theme, self.filter.text(),
                        self.status_filter.currentData() or "")
        self._filtered()

    def _item_changed(self, item) -> None:
        if self.table.filling:
            return
        info = self.runs.get(item.data(ID_ROLE))
        key = self.model.columns[item.column()].key
        if info is None or key not in ("tags", "note"):
            return
        if key == "note":
            self.actions._do("change the note", lambda: self.store.set_note(info.id, item.text().strip()))
        else:
            self.actions.set_tags(info, item.text())

    def _filter_changed(self, *_a) -> None:
        self.proxy.set_filter(self.filter.text(), self.status_filter.currentData() or "")
        self._filtered()

    def _filtered(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        text = f"{shown} of {total}" if shown != total else f"{total}"
        text += " runs in the trash" if self.trash_view else " runs"
        self.count_label.setText(f"filter: {self.proxy.error}" if self.proxy.error else text)
        visible = set(self.visible_ids())
        self.scatter.show_table(MetricsTable(self.table_data.columns,
                                             [r for r in self.table_data.rows if r["id"] in visible]), self.groups)

    def visible_ids(self) -> list[str]:
        return self.table.visible_ids()

    def selected_ids(self) -> list[str]:
        return self.table.selected_ids()

    def select(self, run_ids: list[str]) -> None:
        self.table.select(run_ids)

    def _selection_changed(self) -> None:
        ids = self.selected_ids()
        self._update_buttons()
        self.runSelected.emit(ids[0] if ids else None)
        self._request_metrics()

    def _update_buttons(self) -> None:
        ids = self.selected_ids()
        info = self.runs.get(ids[0]) if len(ids) == 1 else None
        self.diff_btn.setEnabled(len(ids) == 2)
        self.clone_btn.setEnabled(info is not None)
        self.resume_btn.setEnabled(bool(info and info.kind == "train" and info.status in RESUMABLE
                                        and info.id != self.busy_run and not self.trash_view))
        self.csv_btn.setEnabled(bool(ids))
        self.report_btn.setEnabled(bool(ids))

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        run_id = index.data(ID_ROLE)
        if run_id not in self.selected_ids():  # right-click on an unselected run acts on that run alone
            self.select([run_id])
        infos = [self.runs[i] for i in self.selected_ids() if i in self.runs]
        self.actions.popup(infos, self.trash_view, self.table.viewport().mapToGlobal(pos))

    # ------------------------------------------------------------------------------------------- curves
    def _request_metrics(self) -> None:
        request = (tuple(self.selected_ids()), *self.curves.request(), self._signature)
        self._metrics_request = request
        if self._metrics_job is not None:
            return  # a stale answer asks again
        job = self._metrics_job = workers().run_in_thread(load_metrics, self.store, request, set(self.runs),
                                                          owner=self)
        job.returned.connect(self._metrics_ready)
        job.errored.connect(self._metrics_failed)

    def redraw(self) -> int:
        return self.curves.redraw()

    # ------------------------------------------------------------------------------------------- actions
    def show_diff(self) -> list[str]:
        ids = self.selected_ids()
        if len(ids) != 2:
            return []
        a, b = sorted((self.runs[i] for i in ids), key=lambda r: (r.created, r.id))  # older -> newer
        html, lines = diff_html(self.store, a, b, self.theme)
        self.diff_view.setHtml(html)
        self.bottom.setCurrentWidget(self.diff_view)
        return lines

    def clone_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.actions.clone(self.runs[ids[0]])

    def resume_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.resumeRequested.emit(ids[0])

    def export_csv(self, path: str | None = None) -> int:
        return self.actions.export_csv(self.selected_ids(), path)

    def export_plot(self, path: str | None = None):
        path = path or messages.save_path(self, "runs.png", "Export plot", "PNG image (*.png);;SVG image (*.svg)")
        if not path:
            return None
        shown = self.scatter.plot if self.bottom.currentWidget() is self.scatter else self.curves.plot
        out = export_plot(shown, path)
        self.message.emit(f"exported the plot to {out}", False)
        return out
