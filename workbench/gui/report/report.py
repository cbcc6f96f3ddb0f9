"""The workbench's Report action: the core's HTML report (``workbench.analysis.html_report``, the same as
``qmtl report``) with a picture of each run's circuit drawn by the composer scene, and a preview window."""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from workbench.analysis.html_report import build_report
from workbench.gui.common.export import export_png
from workbench.gui.common.theme import LIGHT
from workbench.gui.composer.document import ExperimentDocument
from workbench.runs import RunStore
from workbench.spec import loads


def circuit_png(spec, scale: float = 1.5) -> bytes:
    """The composer's picture of ``spec`` (light theme, as printed)."""
    from workbench.gui.composer.scene import ComposerScene

    doc = ExperimentDocument(spec)
    scene = ComposerScene(doc, LIGHT)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_png(scene, Path(tmp) / "circuit.png", scale=scale)
        data = path.read_bytes()
    scene.deleteLater()
    doc.deleteLater()
    return data


def run_circuits(store: RunStore, run_ids: list[str]) -> dict[str, tuple[bytes, str]]:
    """A circuit picture per run; runs with the same spec share one rendering."""
    out: dict[str, tuple[bytes, str]] = {}
    done: dict[str, bytes] = {}
    for rid in run_ids:
        text, fmt = store.spec(rid)
        if text not in done:
            try:
                done[text] = circuit_png(loads(text, fmt, f"run {rid}"))
            except Exception:  # noqa: BLE001 - the report still goes out, with the resource table only
                continue
        out[rid] = (done[text], "image/png")
    return out


def write_report(store: RunStore, run_ids: list[str], path: str | Path, title: str | None = None) -> Path:
    path = Path(path)
    html = build_report(store, run_ids, circuits=run_circuits(store, run_ids), title=title)
    path.write_text(html, encoding="utf-8")
    return path


class ReportPreview(QDialog):
    """Shows a written report (Qt's rich text renders its tables and inline images well enough to check it)
    with a button to open it in the web browser."""

    def __init__(self, path: Path, parent=None):
        super().__init__(parent)
        self.path = Path(path)
        self.setWindowTitle(f"Report — {self.path.name}")
        self.resize(1000, 800)
        lay = QVBoxLayout(self)
        self.view = QTextBrowser()
        self.view.setOpenExternalLinks(True)
        self.view.setHtml(self.path.read_text(encoding="utf-8"))
        lay.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        open_btn = buttons.addButton("Open in browser", QDialogButtonBox.ButtonRole.ActionRole)
        open_btn.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path))))
        buttons.rejected.connect(self.close)
        lay.addWidget(buttons)
