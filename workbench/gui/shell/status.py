"""The status bar (ready to train or the first problem, engine, device, saved) and the window's log lines."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from workbench.textsafe import markup


class StatusBar(QObject):
    def __init__(self, window):
        super().__init__(window)  # a QObject: its slots die with the window, not after it
        self.w = window
        self._last_index = 0

    def build(self) -> None:
        window = self.w
        self.doc = window.doc
        sb = window.statusBar()
        self.valid, self.engine, self.device, self.dirty = QLabel(), QLabel(), QLabel(), QLabel()
        for label in (self.valid, self.engine, self.device, self.dirty):
            label.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(label)
        self.valid.setMaximumWidth(640)
        # Wide enough for either short verdict, so the bar does not jump as "checking…" turns into "ready".
        fm = self.valid.fontMetrics()
        self.valid.setMinimumWidth(max(fm.horizontalAdvance(t) for t in ("⚠ checking the data…",
                                                                        "✔ ready to train")) + 20)
        doc = self.doc
        doc.changed.connect(lambda _p: self.update())
        doc.problemsChanged.connect(self.update)
        doc.modifiedChanged.connect(lambda _m: (self.update_title(), self.update()))
        doc.fileChanged.connect(lambda _p: self.update_title())
        doc.undo_stack.indexChanged.connect(self._log_command)

    def report(self, text: str, error: bool = False) -> None:
        self.w.statusBar().showMessage(("⚠ " if error else "") + text, 8000)
        self.w.log_panel.log(text, error)

    def _log_command(self, index: int) -> None:
        stack = self.doc.undo_stack
        try:
            if index > self._last_index and index > 0:
                self.w.log_panel.log(stack.text(index - 1))
            elif index < self._last_index:
                self.w.log_panel.log(f"undo: {stack.text(index)}")
        except RuntimeError:  # a dying window's undo stack clears itself: nothing left to log
            return
        self._last_index = index

    def update_title(self) -> None:
        name = self.doc.path.name if self.doc.path else "untitled"
        self.w.setWindowTitle(f"{self.doc.spec.name} — {name}[*] — QMTL Workbench")
        self.w.setWindowModified(self.doc.is_modified())

    def update(self) -> None:
        doc, t = self.doc, self.w.theme
        problem = doc.first_problem()
        if problem is None and doc.data_state == "checking":
            self.valid.setText(f'<span style="color:{t.muted}">checking the data…</span>')
            self.valid.setToolTip("The experiment is being checked against its data")
        elif problem is None:
            self.valid.setText(f'<span style="color:{t.ok}">✔ ready to train</span>')
            self.valid.setToolTip(f"The core validates this experiment and it fits its data"
                                  f"{': ' + doc.data_summary if doc.data_summary else ''}")
        else:
            more = len(doc.problems()) - 1
            text = str(problem) + (f" (+{more} more)" if more else "")
            self.valid.setText(f'<span style="color:{t.error}">⚠ {markup(text)}</span>')
            self.valid.setToolTip("\n".join(str(p) for p in doc.problems()))
        self.engine.setText(f"engine: {doc.spec.quantum.engine}")
        self.device.setText(f"device: {doc.spec.training.device}")
        self.dirty.setText("● modified" if doc.is_modified() else "saved")
        self.w.setWindowModified(doc.is_modified())
