"""The runs browser: the run store as a table (filter, sort, tags, notes), several runs' curves overlaid,
seeds of the same spec and head as mean ± std bands, the spec diff of two runs, clone into the composer,
resume a stopped run, CSV and picture exports.

The store is read off the GUI thread: a 1.5 s timer asks a one-thread executor for the run list (and the
selected runs' metrics); the answers are picked up by the GUI thread when ready, and only a changed list is
re-drawn. A training writing to the store never makes the GUI wait.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.common import messages
from workbench.gui.common.plots import OverlayPlot, SmoothingControl, export_plot
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.common.worker import Job, workers
from workbench.runs import RunInfo, RunStore, export_metrics_csv, spec_diff

COLUMNS = ["Run", "Name", "Status", "Head", "Engine", "Seed", "Epochs", "Test acc.", "Tags", "Note", "Created"]
COL = {name: i for i, name in enumerate(COLUMNS)}
RESUMABLE = ("cancelled", "failed", "paused", "running")
POLL_MS = 1500
STATUS_COLORS = {"finished": "ok", "failed": "error", "cancelled": "muted", "running": "highlight",
                 "paused": "muted"}
ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


def group_key(store: RunStore, info: RunInfo) -> str:
    """Runs that differ only in their seed share this key: the spec without its seed, the head, the engine."""
    try:
        from workbench.spec import dumps, loads

        text, fmt = store.spec(info.id)
        spec = loads(text, fmt, info.id)
        spec.training.seed = 0
        text = dumps(spec)
    except Exception:  # noqa: BLE001 - an unreadable spec groups by its text only
        text = ""
    p = info.params
    raw = f"{text}\n{p.get('head')}\n{p.get('engine')}\n{p.get('epochs')}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def group_label(info: RunInfo) -> str:
    return f"{info.name} · {info.params.get('engine', '?')}"


@dataclass
class Snapshot:
    runs: list[RunInfo]
    signature: tuple
    groups: dict[str, str]  # run id -> group key


# Background reads: plain functions of the store (never of the widget, which the GUI thread may delete).
def load_snapshot(store: RunStore, group_cache: dict[str, str]) -> Snapshot:
    runs = store.list_runs()
    groups = {}
    for r in runs:
        if r.id not in group_cache:
            group_cache[r.id] = group_key(store, r)
        groups[r.id] = group_cache[r.id]
    sig = tuple((r.id, r.status, r.updated, r.note, tuple(r.tags)) for r in runs)
    return Snapshot(runs, sig, groups)


def load_metrics(store: RunStore, request: tuple, known: set[str]) -> tuple[tuple, dict]:
    ids = request[0]
    return request, {i: store.metrics(i) for i in ids if i in known}


class RunsBrowser(QWidget):
    runSelected = Signal(object)  # run id or None
    cloneRequested = Signal(object, str, str)  # spec, run id, head
    resumeRequested = Signal(str)
    reportRequested = Signal(list)
    message = Signal(str, bool)

    def __init__(self, store: RunStore, parent=None, poll_ms: int = POLL_MS):
        super().__init__(parent)
        self.store = store
        self.theme = LIGHT
        self.runs: dict[str, RunInfo] = {}
        self.groups: dict[str, str] = {}
        self._group_cache: dict[str, str] = {}
        self._signature: tuple = ()
        self._list_job: Job | None = None  # SQLite reads: light, in a thread of the worker abstraction
        self._metrics_job: Job | None = None
        self._metrics_request: tuple = ()
        self._filling = False
        self.busy_run: str | None = None  # the run this window is training (not resumable from here)
        self.metric_rows: dict[str, list] = {}
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
        top = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter runs (id, name, status, head, tag, note)…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.status_filter = QComboBox()
        self.status_filter.addItem("any status", "")
        for s in ("finished", "running", "paused", "cancelled", "failed"):
            self.status_filter.addItem(s, s)
        self.status_filter.currentIndexChanged.connect(lambda _i: self._filter_changed())
        top.addWidget(self.filter, 1)
        top.addWidget(self.status_filter)
        self.count_label = QLabel()
        top.addWidget(self.count_label)
        lay.addLayout(top)
        actions = QHBoxLayout()
        self.diff_btn = QPushButton("Diff specs")
        self.diff_btn.setToolTip("Show how the specs of the two selected runs differ")
        self.clone_btn = QPushButton("Clone into composer")
        self.clone_btn.setToolTip("Open the selected run's spec in the composer as a new, untitled experiment")
        self.resume_btn = QPushButton("Resume")
        self.resume_btn.setToolTip("Continue a stopped, failed or killed run from its last epoch checkpoint")
        self.csv_btn = QPushButton("Export CSV…")
        self.csv_btn.setToolTip("Every metric row of the selected runs in one CSV file")
        self.png_btn = QPushButton("Export plot…")
        self.png_btn.setToolTip("The plot as PNG or SVG")
        self.report_btn = QPushButton("HTML report…")
        self.report_btn.setToolTip("A self-contained HTML report of the selected runs")
        for b in (self.diff_btn, self.clone_btn, self.resume_btn, self.csv_btn, self.png_btn, self.report_btn):
            actions.addWidget(b)
        actions.addStretch(1)
        self.diff_btn.clicked.connect(self.show_diff)
        self.clone_btn.clicked.connect(self.clone_selected)
        self.resume_btn.clicked.connect(self.resume_selected)
        self.csv_btn.clicked.connect(lambda: self.export_csv())
        self.png_btn.clicked.connect(lambda: self.export_plot())
        self.report_btn.clicked.connect(lambda: self.reportRequested.emit(self.selected_ids()))
        lay.addLayout(actions)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(COLUMNS)
        self.model.itemChanged.connect(self._item_changed)
        self.proxy = RunFilter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL["Created"], Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(COL["Note"], QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Runs")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        split.addWidget(self.table)
        bottom = QTabWidget()
        plot_box = QWidget()
        pl = QVBoxLayout(plot_box)
        pl.setContentsMargins(0, 0, 0, 0)
        opts = QHBoxLayout()
        self.metric_box = QComboBox()
        self.metric_box.addItems(["mean_accuracy", "loss"])
        self.metric_box.setToolTip("Metric to overlay")
        self.split_box = QComboBox()
        self.split_box.addItems(["val", "train", "step"])
        self.split_box.setToolTip("val/train: per epoch; step: the training loss of every batch")
        self.group_box = QCheckBox("Group seeds (mean ± std)")
        self.group_box.setToolTip("Runs of the same spec, head and engine that differ only in their seed")
        self.smoothing = SmoothingControl(0.0)
        for w in (QLabel("Metric"), self.metric_box, QLabel("Split"), self.split_box, self.group_box, self.smoothing):
            opts.addWidget(w)
        opts.addStretch(1)
        self.metric_box.currentIndexChanged.connect(lambda _i: self._request_metrics())
        self.split_box.currentIndexChanged.connect(lambda _i: self._request_metrics())
        self.group_box.toggled.connect(lambda _b: self.redraw())
        self.smoothing.changed.connect(lambda _w: self.redraw())
        pl.addLayout(opts)
        self.plot = OverlayPlot(self.theme)
        pl.addWidget(self.plot, 1)
        bottom.addTab(plot_box, "Curves")
        self.diff_view = QTextBrowser()
        self.diff_view.setPlaceholderText("Select two runs and press “Diff specs”.")
        bottom.addTab(self.diff_view, "Spec diff")
        self.bottom = bottom
        split.addWidget(bottom)
        split.setSizes([260, 420])
        lay.addWidget(split, 1)
        self._update_buttons()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plot.set_theme(theme)
        self._fill(list(self.runs.values()), force=True)

    # ------------------------------------------------------------------------------------------- polling
    def refresh(self) -> None:
        """Ask for the run list in the background (skipped while the previous answer is pending)."""
        if self._list_job is None:
            job = self._list_job = workers().run_in_thread(load_snapshot, self.store, self._group_cache,
                                                                    owner=self)
            job.returned.connect(self._snapshot_ready)
            job.errored.connect(self._snapshot_failed)

    def _snapshot_failed(self, err) -> None:  # a locked or damaged store: say so, keep polling
        self._list_job = None
        self.count_label.setText(f"cannot read the run store: {err}")

    def _snapshot_ready(self, snap: Snapshot) -> None:
        self._list_job = None
        if snap.signature != self._signature:
            self._signature = snap.signature
            self.groups = snap.groups
            self._fill(snap.runs)
            self._request_metrics()

    def _metrics_ready(self, answer) -> None:
        self._metrics_job = None
        request, rows = answer
        if request == self._metrics_request:
            self.metric_rows = rows
            self.redraw()
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
    def _fill(self, runs: list[RunInfo], force: bool = False) -> None:
        if self.table.state() == QAbstractItemView.State.EditingState and not force:
            self._signature = ()  # try again at the next poll
            return
        selected = self.selected_ids()
        self.runs = {r.id: r for r in runs}
        self._filling = True
        self.table.setSortingEnabled(False)
        self.model.setRowCount(0)
        for r in runs:
            self.model.appendRow(self._row(r))
        self.table.setSortingEnabled(True)
        self._filling = False
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(COL["Note"], QHeaderView.ResizeMode.Stretch)
        if selected:
            self.select(selected)
        self._update_count()

    def _row(self, r: RunInfo) -> list[QStandardItem]:
        p = r.params
        acc = r.summary.get("mean_test_accuracy")
        # A failed run has no accuracy; its reason goes in that cell, where the eye looks for the result.
        result = f"{acc:.3f}" if acc is not None else (r.error.splitlines()[0] if r.error and
                                                          r.status == "failed" else "")
        values = [r.id, r.name, r.status, p.get("head", ""), p.get("engine", ""), p.get("seed", ""),
                  p.get("epochs", ""), result, ", ".join(r.tags), r.note,
                  r.created[:19].replace("T", " ")]
        sort_values = list(values)
        sort_values[COL["Test acc."]] = -1.0 if acc is None else float(acc)
        items = []
        for c, (v, s) in enumerate(zip(values, sort_values)):
            it = QStandardItem(str(v))
            it.setData(r.id, ID_ROLE)
            it.setData(s if not isinstance(s, str) else str(s).lower(), SORT_ROLE)
            editable = c in (COL["Tags"], COL["Note"])
            it.setEditable(editable)
            if editable:
                it.setToolTip("Double-click to edit" + (" (comma-separated)" if c == COL["Tags"] else ""))
            if c in (COL["Seed"], COL["Epochs"], COL["Test acc."]):
                it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(it)
        color = STATUS_COLORS.get(r.status)
        if color:
            items[COL["Status"]].setForeground(QColor(getattr(self.theme, color)))
        if r.error:
            items[COL["Status"]].setToolTip(r.error)
            if acc is None:
                items[COL["Test acc."]].setToolTip(r.error)
                items[COL["Test acc."]].setForeground(QColor(self.theme.error))
                items[COL["Test acc."]].setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return items

    def _item_changed(self, item: QStandardItem) -> None:
        if self._filling:
            return
        run_id = item.data(ID_ROLE)
        info = self.runs.get(run_id)
        if info is None:
            return
        text = item.text().strip()
        try:
            if item.column() == COL["Note"]:
                self.store.set_note(run_id, text)
                info.note = text
            elif item.column() == COL["Tags"]:
                new = [t.strip() for t in text.split(",") if t.strip()]
                for t in set(info.tags) - set(new):
                    self.store.remove_tag(run_id, t)
                if new:
                    self.store.add_tags(run_id, *new)
                info.tags = sorted(set(new))
        except Exception as exc:  # noqa: BLE001 - e.g. an invalid tag: say why
            self.message.emit(f"cannot change run {run_id}: {exc}", True)
            messages.error(self, "Cannot change the run", str(exc))
        self._signature = ()  # re-read at the next poll

    def _filter_changed(self, *_a) -> None:
        self.proxy.set_filter(self.filter.text(), self.status_filter.currentData() or "")
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{shown} of {total} runs" if shown != total else f"{total} runs")

    def visible_ids(self) -> list[str]:
        return [self.proxy.index(r, 0).data(ID_ROLE) for r in range(self.proxy.rowCount())]

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.proxy.index(r, 0).data(ID_ROLE) for r in rows]

    def select(self, run_ids: list[str]) -> None:
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        sel = QItemSelection()
        for r in range(self.proxy.rowCount()):
            idx = self.proxy.index(r, 0)
            if idx.data(ID_ROLE) in run_ids:
                sel.select(idx, self.proxy.index(r, len(COLUMNS) - 1))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(sel, flags)

    def _selection_changed(self) -> None:
        ids = self.selected_ids()
        self._update_buttons()
        self.runSelected.emit(ids[0] if len(ids) == 1 else (ids[0] if ids else None))
        self._request_metrics()

    def _update_buttons(self) -> None:
        ids = self.selected_ids()
        one = len(ids) == 1
        self.diff_btn.setEnabled(len(ids) == 2)
        self.clone_btn.setEnabled(one)
        info = self.runs.get(ids[0]) if one else None
        self.resume_btn.setEnabled(bool(info and info.kind == "train" and info.status in RESUMABLE
                                        and info.id != self.busy_run))
        self.csv_btn.setEnabled(bool(ids))
        self.report_btn.setEnabled(bool(ids))

    # ------------------------------------------------------------------------------------------- curves
    def _request_metrics(self) -> None:
        ids = tuple(self.selected_ids())
        split = self.split_box.currentText()
        request = (ids, self.metric_box.currentText(), split, self._signature)
        self._metrics_request = request
        if self._metrics_job is not None:
            return  # a stale answer asks again
        job = self._metrics_job = workers().run_in_thread(load_metrics, self.store, request, set(self.runs),
                                                                   owner=self)
        job.returned.connect(self._metrics_ready)
        job.errored.connect(self._metrics_failed)

    def metric_keys(self) -> list[str]:
        keys: list[str] = []
        for rows in self.metric_rows.values():
            for r in rows:
                if r.split in ("train", "val") and r.key not in keys:
                    keys.append(r.key)
        return keys

    def series(self) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
        key = self.metric_box.currentText()
        split = self.split_box.currentText()
        if split == "step":
            key = "loss"
        out = []
        for run_id, rows in self.metric_rows.items():
            info = self.runs.get(run_id)
            if info is None:
                continue
            sel = [r for r in rows if r.split == split and r.key == key]
            x = np.array([r.step if split == "step" else r.epoch for r in sel], dtype=float)
            y = np.array([r.value for r in sel], dtype=float)
            label = f"{run_id} {info.name} s{info.params.get('seed', '?')}"
            g = self.groups.get(run_id, run_id)
            out.append((label, x, y, g))
        return out

    def redraw(self) -> int:
        keys = self.metric_keys()
        current = self.metric_box.currentText()
        if keys and [self.metric_box.itemText(i) for i in range(self.metric_box.count())] != keys:
            self.metric_box.blockSignals(True)
            self.metric_box.clear()
            self.metric_box.addItems(keys)
            self.metric_box.setCurrentIndex(max(0, keys.index(current) if current in keys else
                                            (keys.index("mean_accuracy") if "mean_accuracy" in keys else 0)))
            self.metric_box.blockSignals(False)
        series = self.series()
        group = self.group_box.isChecked()
        labels = {}
        if group:  # name the groups after a member
            for run_id in self.metric_rows:
                info = self.runs.get(run_id)
                if info is not None:
                    labels.setdefault(self.groups.get(run_id, run_id), group_label(info))
            series = [(lab, x, y, labels.get(g, g)) for lab, x, y, g in series]
        split = self.split_box.currentText()
        return self.plot.show_series(series, group, self.smoothing.value,
                                     ylabel=f"{split} {self.metric_box.currentText() if split != 'step' else 'loss'}",
                                     xlabel="step" if split == "step" else "epoch")

    # ------------------------------------------------------------------------------------------- actions
    def show_diff(self) -> list[str]:
        ids = self.selected_ids()
        if len(ids) != 2:
            return []
        a, b = sorted(ids, key=lambda i: (self.runs[i].created, i))  # older -> newer
        lines = spec_diff(self.store, a, b)
        pa, pb = self.runs[a].params, self.runs[b].params
        param_lines = [f"{k}: {pa.get(k)!r} → {pb.get(k)!r}" for k in sorted(set(pa) | set(pb))
                       if pa.get(k) != pb.get(k) and k != "spec_dir"]
        t = self.theme
        html = [f"<h3>{a} → {b}</h3>", "<b>Run settings that differ</b><pre>"]
        html += [_esc(s) for s in param_lines] or ["(none)"]
        html.append("</pre><b>Spec diff</b><pre>")
        if not lines:
            html.append("the two specs are identical")
        for line in lines:
            color = t.ok if line.startswith("+") else t.error if line.startswith("-") else \
                t.highlight if line.startswith("@@") else t.text
            html.append(f'<span style="color:{color}">{_esc(line)}</span>')
        html.append("</pre>")
        self.diff_view.setHtml("\n".join(html))
        self.bottom.setCurrentWidget(self.diff_view)
        return param_lines + lines

    def clone_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        from workbench.spec import loads

        text, fmt = self.store.spec(ids[0])
        try:
            spec = loads(text, fmt, f"run {ids[0]}")
        except Exception as exc:  # noqa: BLE001
            messages.error(self, "Cannot clone", f"The spec of run {ids[0]} cannot be read.", str(exc))
            return
        self.cloneRequested.emit(spec, ids[0], str(self.runs[ids[0]].params.get("head", "qmtl")))

    def resume_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.resumeRequested.emit(ids[0])

    def export_csv(self, path: str | None = None) -> int:
        ids = self.selected_ids()
        if not ids:
            return 0
        path = path or messages.save_path(self, "metrics.csv", "Export metrics as CSV", "CSV (*.csv)")
        if not path:
            return 0
        n = export_metrics_csv(self.store, ids, path)
        self.message.emit(f"wrote {n} metric rows of {len(ids)} run(s) to {path}", False)
        return n

    def export_plot(self, path: str | None = None):
        path = path or messages.save_path(self, "runs.png", "Export plot", "PNG image (*.png);;SVG image (*.svg)")
        if not path:
            return None
        out = export_plot(self.plot, path)
        self.message.emit(f"exported the plot to {out}", False)
        return out


class RunFilter(QSortFilterProxyModel):
    """Case-insensitive text filter over every column, plus an exact status filter."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.text = ""
        self.status = ""

    def set_filter(self, text: str, status: str) -> None:
        self.text = text.strip().lower()
        self.status = status
        self.invalidate()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802 - Qt's name
        m = self.sourceModel()
        if self.status and m.index(row, COL["Status"], parent).data() != self.status:
            return False
        if not self.text:
            return True
        hay = " ".join(str(m.index(row, c, parent).data() or "") for c in range(m.columnCount())).lower()
        return all(word in hay for word in self.text.split())


def _esc(value) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
