"""GUI tests run offscreen, with settings, autosaves and dialogs kept away from the user's own."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_session(tmp_path, monkeypatch):
    """A temporary QSettings location and autosave folder for every test."""
    from PySide6.QtCore import QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("QMTL_WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path


@pytest.fixture
def answers(monkeypatch):
    """Scripted answers to questions (``messages.ask``); records every question asked."""
    from workbench.gui import messages

    class Answers:
        def __init__(self):
            self.queue: list[str] = []
            self.asked: list[str] = []
            self.default = "Discard"

        def __call__(self, parent, title, text, buttons, default):
            self.asked.append(f"{title}: {text}")
            return self.queue.pop(0) if self.queue else self.default

    a = Answers()
    monkeypatch.setattr(messages, "ask", a)
    return a


@pytest.fixture
def window(qtbot, answers):
    from workbench.gui.mainwindow import MainWindow

    w = MainWindow(theme="light")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.doc.undo_stack.setClean()  # teardown closes the window: nothing to ask


@pytest.fixture
def doc():
    from workbench.gui.document import ExperimentDocument
    from workbench.gui.mainwindow import DEMO_SPEC
    from workbench.spec import load

    return ExperimentDocument(load(DEMO_SPEC), DEMO_SPEC)
