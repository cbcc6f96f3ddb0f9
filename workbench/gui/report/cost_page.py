"""Presentation mode's cost page: "what it costs compared with the classical head". The runs browser's
accuracy-versus-head-size scatter in large type, under one sentence comparing the best quantum configuration with
the best classical (HPS) one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.common.theme import Theme
from workbench.gui.runs.scatter import HEAD_MARKS, TradeoffScatter
from workbench.runs import RunStore
from workbench.runs.metrics_table import metrics_table
from workbench.runs.spec_facts import SpecFacts
from workbench.runs.tradeoff import TradeoffPoint
from workbench.textsafe import markup

TITLE = "What it costs compared with the classical head"


def _best(points: list[TradeoffPoint], heads: tuple[str, ...]) -> TradeoffPoint | None:
    # of equal points the QMTL one speaks (the single-VQC baseline can equal it when the encoder has no weights)
    return max((p for p in points if p.head in heads), key=lambda p: (p.accuracy, -p.params, p.head == "qmtl"),
               default=None)


def comparison(points: list[TradeoffPoint]) -> str:
    """One sentence: the best quantum configuration against the best classical one (HTML)."""
    quantum, classical = _best(points, ("qmtl", "hybrid", "single")), _best(points, ("hps",))
    if quantum is None or classical is None:
        return "Train a quantum head and the classical HPS head on one experiment to compare them here."

    def said(p: TradeoffPoint) -> str:
        spread = f" ± {p.std:.3f}" if p.seeds > 1 else ""
        return f"{markup(HEAD_MARKS.get(p.head, (p.head,))[0].split(' (')[0])} <b>{p.accuracy:.3f}</b>{spread} " \
               f"with <b>{p.params:g}</b> head parameters"

    ratio = classical.params / quantum.params if quantum.params else float("inf")
    return f"{said(quantum)} · {said(classical)} · the classical head is <b>{ratio:.1f}×</b> the size"


class CostPage(QWidget):
    def __init__(self, store: RunStore, theme: Theme, font_pt: int, parent=None):
        super().__init__(parent)
        self.store = store
        self.facts = SpecFacts()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(TITLE)
        self.headline = QLabel()
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        for label, pt, bold in ((self.title, font_pt + 10, True), (self.headline, font_pt, False)):
            f = QFont(self.font())
            f.setPointSize(pt)
            f.setBold(bold)
            label.setFont(f)
            lay.addWidget(label)
        self.scatter = TradeoffScatter(theme, font_pt=font_pt - 4)
        self.scatter.set_font_size(font_pt - 4)
        lay.addWidget(self.scatter, 1)

    def set_theme(self, theme: Theme) -> None:
        self.scatter.set_theme(theme)

    def reload(self) -> None:
        runs = self.store.list_runs(kind="train")
        table = metrics_table(self.store, runs, self.facts)
        self.scatter.show_table(table, {r.id: self.facts(self.store, r).group for r in runs})
        self.headline.setText(comparison(self.scatter.points))
