"""Several runs' curves of one metric overlaid, against epoch, step or wall-clock time, on linear or log axes;
seeds of one configuration as a mean line in a ±std band."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.gui.common.plots import OverlayPlot, SmoothingControl
from workbench.gui.common.theme import Theme
from workbench.runs import RunInfo
from workbench.runs.naming import run_label

X_AXES = {"epoch": "epoch", "step": "step", "wall clock": "wall-clock time since the run started (s)"}


class CurvesPanel(QWidget):
    requestChanged = Signal()  # the metric or split changed: the browser reads the rows again

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        self.metric_rows: dict[str, list] = {}
        self.runs: dict[str, RunInfo] = {}
        self.groups: dict[str, str] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        opts = QHBoxLayout()
        self.metric_box = QComboBox()
        self.metric_box.addItems(["mean_accuracy", "loss"])
        self.metric_box.setToolTip("Metric to overlay")
        self.split_box = QComboBox()
        self.split_box.addItems(["val", "train", "step"])
        self.split_box.setToolTip("val/train: per epoch; step: the training loss of every batch")
        self.x_box = QComboBox()
        self.x_box.addItems(list(X_AXES))
        self.x_box.setToolTip("Horizontal axis: epoch, optimiser step, or seconds since the run started "
                              "(compares runs that differ in speed)")
        self.logx_box = QCheckBox("log x")
        self.logy_box = QCheckBox("log y")
        self.logy_box.setToolTip("Logarithmic vertical axis (losses over orders of magnitude)")
        self.group_box = QCheckBox("Group seeds (mean ± std)")
        self.group_box.setToolTip("Runs of the same spec, head and engine that differ only in their seed")
        self.smoothing = SmoothingControl(0.0)
        # two rows, so the browser still fits a 1280-pixel laptop screen beside the composer
        more = QHBoxLayout()
        for row, widgets in ((opts, (QLabel("Metric"), self.metric_box, QLabel("Split"), self.split_box,
                                     QLabel("x"), self.x_box, self.logx_box, self.logy_box)),
                             (more, (self.group_box, self.smoothing))):
            for w in widgets:
                row.addWidget(w)
            row.addStretch(1)
        self.metric_box.currentIndexChanged.connect(lambda _i: self.requestChanged.emit())
        self.split_box.currentIndexChanged.connect(lambda _i: self.requestChanged.emit())
        for box in (self.group_box, self.logx_box, self.logy_box):
            box.toggled.connect(lambda _b: self.redraw())
        self.x_box.currentIndexChanged.connect(lambda _i: self.redraw())
        self.smoothing.changed.connect(lambda _w: self.redraw())
        lay.addLayout(opts)
        lay.addLayout(more)
        self.plot = OverlayPlot(theme)
        lay.addWidget(self.plot, 1)

    def request(self) -> tuple[str, str]:
        return self.metric_box.currentText(), self.split_box.currentText()

    def show_rows(self, metric_rows: dict, runs: dict[str, RunInfo], groups: dict[str, str]) -> int:
        self.metric_rows, self.runs, self.groups = metric_rows, runs, groups
        return self.redraw()

    def metric_keys(self) -> list[str]:
        keys: list[str] = []
        for rows in self.metric_rows.values():
            keys.extend(r.key for r in rows if r.split in ("train", "val") and r.key not in keys)
        return list(dict.fromkeys(keys))

    def series(self) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
        split = self.split_box.currentText()
        key = "loss" if split == "step" else self.metric_box.currentText()
        axis = self.x_box.currentText()
        out = []
        for run_id, rows in self.metric_rows.items():
            info = self.runs.get(run_id)
            if info is None:
                continue
            sel = [r for r in rows if r.split == split and r.key == key]
            start = min((r.time for r in rows), default=0.0)
            x = np.array([r.time - start if axis == "wall clock" else r.step if axis == "step" or split == "step"
                          else r.epoch for r in sel], dtype=float)
            y = np.array([r.value for r in sel], dtype=float)
            if self.logx_box.isChecked() or self.logy_box.isChecked():  # log axes cannot place 0 or below
                keep = (x > 0 if self.logx_box.isChecked() else True) & (y > 0 if self.logy_box.isChecked() else True)
                x, y = x[keep], y[keep]
            out.append((run_label(info), x, y, self.groups.get(run_id, run_id)))
        return out

    def redraw(self) -> int:
        keys = self.metric_keys()
        current = self.metric_box.currentText()
        if keys and [self.metric_box.itemText(i) for i in range(self.metric_box.count())] != keys:
            self.metric_box.blockSignals(True)
            self.metric_box.clear()
            self.metric_box.addItems(keys)
            self.metric_box.setCurrentIndex(keys.index(current) if current in keys else
                                            keys.index("mean_accuracy") if "mean_accuracy" in keys else 0)
            self.metric_box.blockSignals(False)
        series = self.series()
        group = self.group_box.isChecked()
        if group:  # name each group after a member, without its seed
            names = {}
            for run_id in self.metric_rows:
                if run_id in self.runs:
                    label = run_label(self.runs[run_id]).rsplit(" · seed ", 1)[0]
                    names.setdefault(self.groups.get(run_id, run_id), label)
            series = [(lab, x, y, names.get(g, g)) for lab, x, y, g in series]
        split = self.split_box.currentText()
        self.plot.setLogMode(x=self.logx_box.isChecked(), y=self.logy_box.isChecked())
        axis = self.x_box.currentText()
        xlabel = X_AXES[axis] if axis != "epoch" or split != "step" else "step"
        return self.plot.show_series(series, group, self.smoothing.value,
                                     ylabel=f"{split} {self.metric_box.currentText() if split != 'step' else 'loss'}",
                                     xlabel=xlabel)
