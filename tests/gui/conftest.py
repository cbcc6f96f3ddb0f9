"""GUI tests run offscreen, with settings, autosaves and dialogs kept away from the user's own."""

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    # Screens of the sizes users have (tests/gui/screens.json): a 1920x1200 desktop first (where windows open),
    # then 1280x800 and 1366x768 laptops and a high-DPI one, for the layout journeys.
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('screens.json')}"

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_session(tmp_path, monkeypatch):
    """A temporary QSettings location and autosave folder for every test."""
    from PySide6.QtCore import QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("QMTL_WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path


@pytest.fixture(autouse=True)
def questions_never_hang(monkeypatch):
    """A question left open (a failed test's window asking to save while pytest-qt closes it) gives up after a
    minute with its last button (Cancel), so one failure cannot hang the whole suite."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.gui.common import messages

    real_ask = messages.ask

    def ask(*args, **kw):
        answered = []

        def give_up():
            box = QApplication.activeModalWidget()
            if not answered and box is not None:
                box.reject()

        QTimer.singleShot(60_000, give_up)
        try:
            return real_ask(*args, **kw)
        finally:
            answered.append(True)

    monkeypatch.setattr(messages, "ask", ask)


@pytest.fixture(autouse=True, scope="session")
def garbage_on_the_gui_thread():
    """As the app does (workbench.gui.common.compat): worker threads must never be the ones that collect Qt garbage."""
    import gc

    old = gc.get_threshold()
    gc.set_threshold(200_000, 50, 100)
    yield
    gc.set_threshold(*old)


@pytest.fixture(autouse=True)
def collect_after_each_test():
    import gc

    yield
    gc.collect()  # here, on the GUI thread, after the test's widgets were closed


@pytest.fixture
def answers(monkeypatch):
    """Scripted answers to questions (``messages.ask``); records every question asked."""
    from workbench.gui.common import messages

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
    from workbench.gui.shell.mainwindow import MainWindow

    w = MainWindow(theme="light")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.doc.undo_stack.setClean()  # teardown closes the window: nothing to ask


@pytest.fixture
def doc():
    from workbench.gui.composer.document import ExperimentDocument
    from workbench.gui.shell.mainwindow import DEMO_SPEC
    from workbench.spec import load

    return ExperimentDocument(load(DEMO_SPEC), DEMO_SPEC)


_exit_status = {"code": 0}


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


def pytest_unconfigure(config):
    """Leave without Python's interpreter teardown: with daemon worker threads (fake-backend loading, store
    polling) still alive, PySide 6.12's object destruction at exit can crash after every test passed. Every
    report is written by now, so exiting here loses nothing and keeps pytest's own exit status."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status["code"])
