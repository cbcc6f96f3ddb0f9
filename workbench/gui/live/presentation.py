"""Presentation mode's prediction page: "this is what the trained circuit predicts for this sample", each task's
bars in large type, for a run's trained weights and a sample of its test split."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.analysis.live_results import LiveOutputs, WeightsSource
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.live.bars import BarsGrid
from workbench.gui.live.inputs import InputChooser
from workbench.gui.live.requests import LiveRequester, OutputsView
from workbench.textsafe import markup


class PredictionPage(OutputsView, QWidget):
    outputsShown = Signal(object)

    def __init__(self, theme: Theme = LIGHT, font_pt: int = 20, parent=None):
        super().__init__(parent)
        self.theme = theme
        self.spec = None
        self.source: WeightsSource | None = None
        self.outputs: LiveOutputs | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 8, 0, 0)
        self.chooser = InputChooser(parent=self)
        self.chooser.mode_box.setVisible(False)  # a trained model on its data: samples only
        self.chooser.inputChanged.connect(lambda _s: self.request())
        lay.addWidget(self.chooser)
        self.headline = QLabel()
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        f = QFont(self.font())
        f.setPointSize(font_pt)
        self.headline.setFont(f)
        lay.addWidget(self.headline)
        self.grid = BarsGrid(theme, point_size=font_pt - 4, column_width=200)
        lay.addWidget(self.grid)
        lay.addStretch(1)
        self.requester = LiveRequester(self)
        self.requester.answered.connect(self._answered)
        self.requester.failed.connect(lambda msg: self.headline.setText(
            f"<span style='color:{self.theme.error}'>{markup(msg)}</span>"))

    def set_run(self, store, run_id: str) -> None:
        """Show what ``run_id``'s trained weights predict for samples of its experiment's data."""
        from workbench.spec import loads

        text, fmt = store.spec(run_id)
        info = store.get(run_id)
        self.spec = loads(text, fmt, f"run {run_id}")
        self.source = WeightsSource(int(info.params.get("seed", 0)), run_id, str(store.root))
        self.outputs = None
        self.grid.clear()
        self.headline.setText("computing…")
        self.chooser.set_spec(self.spec, info.params.get("spec_dir"))
        self.request()

    def request(self) -> None:
        sample = self.chooser.current()
        if self.spec is None or sample is None:
            if self.chooser.data_error:
                self.headline.setText(f"<span style='color:{self.theme.error}'>{markup(self.chooser.data_error)}"
                                      "</span>")
            return
        self.requester.ask(self.spec, self.source, sample)

    def _answered(self, out: LiveOutputs) -> None:
        self.outputs = out
        self.grid.set_outputs(out, self.theme)
        classified = [t for t in out.tasks if t.correct is not None]
        right = sum(1 for t in classified if t.correct)
        predicted = ", ".join(f"{markup(t.name)} <b>{markup(t.predicted_text())}</b>" for t in out.tasks)
        score = f" · <b>{right} of {len(classified)}</b> right" if classified else ""
        self.headline.setText(f"{markup(out.input)}: predicted {predicted}{score}<br>"
                              f"<span style='color:{self.theme.muted}'>{markup(out.weights)}</span>")
        self.outputsShown.emit(out)

