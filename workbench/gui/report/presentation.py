"""Presentation mode: one run's curves full-window in large type, and a replay that animates a finished run's
training from its stored metrics (epoch by epoch), for showing stakeholders what happened."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.gui.common.plots import TrainingPlots
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.live.presentation import PredictionPage
from workbench.gui.report.cost_page import CostPage
from workbench.runs import RunStore
from workbench.textsafe import markup

FONT_PT = 20
FRAME_MS = 350  # one epoch per frame
COST = "cost vs classical head"


class PresentationView(QWidget):
    closed = Signal()

    def __init__(self, store: RunStore, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.setWindowTitle("QMTL Workbench — presentation")
        self.store = store
        self.theme = theme
        self.run_id: str | None = None
        self.rows: list = []
        self.tasks: list[str] = []
        self.epochs = 0
        self.frame = 0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 16, 24, 16)
        bar = QHBoxLayout()
        self.run_box = QComboBox()
        self.run_box.setMinimumWidth(360)
        self.run_box.currentIndexChanged.connect(lambda _i: self.show_run(self.run_box.currentData()))
        self.metric_box = QComboBox()
        self.metric_box.addItems(["accuracy", "loss", "prediction", COST])
        self.metric_box.currentTextChanged.connect(self._metric_changed)
        self.play_btn = QPushButton("▶ Replay")
        self.play_btn.clicked.connect(self.toggle_replay)
        self.exit_btn = QPushButton("Exit (Esc)")
        self.exit_btn.clicked.connect(self.close)
        for w in (QLabel("Run"), self.run_box, QLabel("Show"), self.metric_box, self.play_btn):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.exit_btn)
        lay.addLayout(bar)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.headline = QLabel()
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        for lab, pt, bold in ((self.title, FONT_PT + 10, True), (self.headline, FONT_PT, False)):
            f = QFont(self.font())
            f.setPointSize(pt)
            f.setBold(bold)
            lab.setFont(f)
        lay.addWidget(self.title)
        lay.addWidget(self.headline)
        self.plots = TrainingPlots(theme, font_pt=FONT_PT - 4)
        self.plots.set_smoothing(0.0)
        self.plots.set_font_size(FONT_PT - 4)
        for p in self.plots.plots():
            p.setLabel("bottom", "step")
        lay.addWidget(self.plots, 1)
        self.prediction = PredictionPage(theme, FONT_PT)  # "this is what it predicts for this sample"
        self.prediction.setVisible(False)
        lay.addWidget(self.prediction, 1)
        self.cost = CostPage(store, theme, FONT_PT)  # the scatter across runs, in place of one run's curves
        self.cost.hide()
        lay.addWidget(self.cost, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._advance)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.close)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, activated=self.toggle_replay)
        QShortcut(QKeySequence(Qt.Key.Key_F11), self, activated=self._toggle_full)
        self.set_theme(theme)
        self._metric_changed(self.metric_box.currentText())
        self.reload_runs()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plots.set_theme(theme)
        self.prediction.set_theme(theme)
        self.cost.set_theme(theme)
        self.setStyleSheet(f"background: {theme.base}; color: {theme.text};")

    def _toggle_full(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def reload_runs(self, select: str | None = None) -> None:
        runs = [r for r in self.store.list_runs(kind="train") if r.status in ("finished", "cancelled", "failed")]
        self.run_box.blockSignals(True)
        self.run_box.clear()
        for r in runs:
            acc = r.summary.get("mean_test_accuracy")
            self.run_box.addItem(f"{r.name} · {r.id}" + (f" · test {acc:.3f}" if acc is not None else ""), r.id)
        self.run_box.blockSignals(False)
        if runs:
            i = max(0, self.run_box.findData(select)) if select else 0
            self.run_box.setCurrentIndex(i)
            self.show_run(self.run_box.itemData(i))

    def _metric_changed(self, metric: str) -> None:
        cost, predict = metric == COST, metric == "prediction"
        for w in (self.title, self.headline, self.play_btn):
            w.setVisible(not cost)
        self.cost.setVisible(cost)
        if cost:
            self.timer.stop()
            self.cost.reload()
        self.plots.acc_plot.setVisible(metric == "accuracy")
        self.plots.loss_plot.setVisible(metric == "loss")
        self.plots.setVisible(not (cost or predict))
        self.prediction.setVisible(predict)
        if predict and self.run_id and (self.prediction.source is None
                                        or self.prediction.source.run_id != self.run_id):
            self.prediction.set_run(self.store, self.run_id)

    # ------------------------------------------------------------------------------------------- content
    def show_run(self, run_id: str | None, upto_epoch: int | None = None) -> None:
        if not run_id:
            return
        self.timer.stop()
        self.play_btn.setText("▶ Replay")
        info = self.store.get(run_id)
        self.run_id = run_id
        if self.metric_box.currentText() == "prediction":
            self.prediction.set_run(self.store, run_id)
        self.rows = self.store.metrics(run_id)
        self.tasks = list(dict.fromkeys(r.key.rsplit(".", 1)[0] for r in self.rows
                                        if r.split in ("train", "val") and "." in r.key))
        self.epochs = max((r.epoch for r in self.rows if r.split == "val"), default=0)
        p = info.params
        self.title.setText(f"{markup(info.name)} <span style='color:{self.theme.muted}'>· {p.get('head', '')} on "
                           f"{p.get('engine', '')} · seed {p.get('seed', '')}</span>")
        self._draw(self.epochs if upto_epoch is None else upto_epoch)

    def _draw(self, epoch: int) -> None:
        self.frame = epoch
        self.plots.load_rows(self.rows, self.tasks, upto_epoch=epoch)
        for p in self.plots.plots():
            p.enableAutoRange(x=False)
        last = max((r.step for r in self.rows if r.split in ("train", "val")), default=1)
        for p in self.plots.plots():
            p.setXRange(0, last, padding=0.02)
        self.plots.loss_plot.enableAutoRange(y=True)
        self.plots.repaint()
        vals = [r.value for r in self.rows if r.split == "val" and r.key == "mean_accuracy" and r.epoch == epoch]
        acc = f" · mean validation accuracy <b>{vals[0]:.3f}</b>" if vals else ""
        self.headline.setText(f"epoch <b>{epoch}</b> of {self.epochs}{acc}")

    def toggle_replay(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play_btn.setText("▶ Replay")
            return
        if not self.rows:
            return
        self._draw(0)
        self.play_btn.setText("‖ Pause")
        self.timer.start()

    def _advance(self) -> None:
        if self.frame >= self.epochs:
            self.timer.stop()
            self.play_btn.setText("▶ Replay")
            return
        self._draw(self.frame + 1)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.timer.stop()
        self.prediction.shutdown()
        self.closed.emit()
        super().closeEvent(event)
