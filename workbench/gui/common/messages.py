"""Every dialog the window opens goes through here, so tests can replace them (monkeypatch) and errors
never block: ``error``/``info`` use the non-blocking ``QMessageBox.open()``; only questions wait."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

SPEC_FILTER = "Experiment (*.toml *.json);;TOML (*.toml);;JSON (*.json);;All files (*)"


def _box(parent: QWidget | None, icon, title: str, text: str, detail: str = "") -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if detail:
        box.setInformativeText(detail)
    box.setObjectName("workbenchMessage")
    box.open()
    return box


def error(parent: QWidget | None, title: str, text: str, detail: str = "") -> QMessageBox:
    return _box(parent, QMessageBox.Icon.Warning, title, text, detail)


def info(parent: QWidget | None, title: str, text: str, detail: str = "") -> QMessageBox:
    return _box(parent, QMessageBox.Icon.Information, title, text, detail)


def ask(parent: QWidget | None, title: str, text: str, buttons: tuple[str, ...], default: str) -> str:
    """Ask a question; returns the chosen button's text (the last button on Escape)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    made = {}
    for b in buttons:
        role = QMessageBox.ButtonRole.RejectRole if b == buttons[-1] else QMessageBox.ButtonRole.AcceptRole
        made[box.addButton(b, role)] = b
    for btn, name in made.items():
        if name == default:
            box.setDefaultButton(btn)
    if "<pre" in text:
        _fit_preformatted(box, text)
    box.exec()
    return made.get(box.clickedButton(), buttons[-1])


def _fit_preformatted(box: QMessageBox, text: str) -> None:
    """A message with a preformatted block (the hardware pre-flight) gets the width of its longest line, up to
    most of the screen, so no line is cut off."""
    import html
    import re

    from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
    from PySide6.QtWidgets import QLabel

    label = box.findChild(QLabel, "qt_msgbox_label")
    if label is None:
        return
    block = " ".join(re.findall(r"<pre[^>]*>(.*?)</pre>", text, flags=re.S))
    lines = html.unescape(block).splitlines() or [""]
    font = QFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    font.setPointSizeF(max(font.pointSizeF() * 0.9, 7.0))
    width = max(QFontMetrics(font).horizontalAdvance(line) for line in lines) + 40
    screen = (box.screen() or label.screen()).availableGeometry()
    label.setMinimumWidth(min(width, int(screen.width() * 0.8)))
    label.setWordWrap(True)


def open_path(parent: QWidget | None, directory: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open experiment", directory, SPEC_FILTER)
    return path or None


def save_path(parent: QWidget | None, directory: str = "", caption: str = "Save experiment as",
              filters: str = SPEC_FILTER) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, caption, directory, filters)
    return path or None
