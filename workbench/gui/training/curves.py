"""The train panel's plots: live per-task curves with smoothing, and the parameter-scaling study of the
experiment in the editor (asked for only while its tab is shown, once the edits settle)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QTabWidget, QVBoxLayout, QWidget

from workbench.gui.common.plots import ScalingPlot, SmoothingControl, TrainingPlots
from workbench.gui.common.theme import Theme
from workbench.gui.composer.document import ExperimentDocument


class TrainCurves(QTabWidget):
    def __init__(self, doc: ExperimentDocument, theme: Theme, parent=None):
        super().__init__(parent)
        self.doc = doc
        curves = QWidget()
        cl = QVBoxLayout(curves)
        cl.setContentsMargins(0, 0, 0, 0)
        self.smoothing = SmoothingControl(0.8)
        top = QHBoxLayout()
        top.addWidget(self.smoothing)
        top.addStretch(1)
        cl.addLayout(top)
        self.plots = TrainingPlots(theme)
        self.plots.set_smoothing(self.smoothing.value)
        self.smoothing.changed.connect(self._smoothing_changed)
        cl.addWidget(self.plots, 1)
        self.addTab(curves, "Training curves")
        self.scaling = ScalingPlot(theme)
        self.addTab(self.scaling, "Parameter scaling")
        self.currentChanged.connect(lambda _i: self.maybe_scaling())
        self._scaling_revision = -1
        self.scaling_timer = QTimer(self)
        self.scaling_timer.setSingleShot(True)
        self.scaling_timer.setInterval(800)
        self.scaling_timer.timeout.connect(self.maybe_scaling)
        doc.changed.connect(self._doc_changed)

    def set_theme(self, theme: Theme) -> None:
        self.plots.set_theme(theme)
        self.scaling.set_theme(theme)

    def _doc_changed(self, _path) -> None:
        if self.currentWidget() is self.scaling:
            self.scaling_timer.start()

    def _smoothing_changed(self, w: float) -> None:
        self.plots.set_smoothing(w)
        self.plots.repaint()

    def maybe_scaling(self) -> None:
        if self.currentWidget() is not self.scaling or not self.doc.is_trainable():
            return
        if self._scaling_revision != self.doc.revision:
            self._scaling_revision = self.doc.revision
            self.scaling.request(self.doc.snapshot())
