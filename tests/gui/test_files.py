"""Files: save/reopen, damaged and too-new files, the close prompt, autosave recovery, recent files,
remembered layout, picture export and ``--screenshot``."""

from __future__ import annotations

import copy
import subprocess
import sys

import shiboken6
from PySide6.QtWidgets import QMessageBox

from workbench.gui.common import messages
from workbench.gui.composer import commands as C
from workbench.gui.shell import session
from workbench.gui.shell.mainwindow import DEMO_SPEC, MainWindow
from workbench.spec import load


def _edit(doc):
    C.expand(doc, 0)
    C.add_gate(doc, 0, "CRZ", 1, 2)
    C.set_param(doc, (0, 0), 2, "-pi/8")
    C.add_task(doc)


def test_save_and_reopen_gives_the_same_document(window, tmp_path, monkeypatch):
    _edit(window.doc)
    edited = copy.deepcopy(window.doc.spec)
    target = tmp_path / "mine.toml"
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(target))
    assert window.save()  # the demo is never overwritten: Save asks where
    assert target.exists() and not window.doc.is_modified()
    assert load(target) == edited  # the very file the CLI reads
    assert load(DEMO_SPEC) != edited
    other = MainWindow(target, autosave=False)
    try:
        assert other.doc.spec == edited and other.doc.path == target
    finally:
        other.close()
    assert session.recent_files()[0] == str(target.resolve())
    json_target = tmp_path / "mine.json"
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(json_target))
    assert window.save_as()
    assert json_target.read_text().lstrip().startswith("{") and load(json_target) == edited


def _message_boxes(window):
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_damaged_file_shows_the_problem_and_stays_untouched(window, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_SPEC.read_text().replace("classes = 10", 'classes = "ten"'))
    before_bytes = bad.read_bytes()
    spec_before = copy.deepcopy(window.doc.spec)
    assert not window.open_file(bad)
    boxes = _message_boxes(window)
    assert boxes, "a dialog names the problem"
    text = boxes[-1].text() + boxes[-1].informativeText()
    assert "bad.toml" in text and "tasks[0].classes" in text and "expected an integer" in text
    assert "not changed" in text
    assert bad.read_bytes() == before_bytes
    assert window.doc.spec == spec_before and window.doc.path == DEMO_SPEC
    boxes[-1].close()
    broken = tmp_path / "broken.toml"
    broken.write_text("name = 'x'\n[[tasks]\n")
    assert not window.open_file(broken)
    assert "does not parse as TOML" in _message_boxes(window)[-1].informativeText()


def test_newer_version_file_is_refused_with_the_reason(window, tmp_path):
    newer = tmp_path / "future.toml"
    newer.write_text(DEMO_SPEC.read_text().replace("version = 1", "version = 7"))
    before = newer.read_bytes()
    assert not window.open_file(newer)
    info = _message_boxes(window)[-1].informativeText()
    assert "newer than this workbench understands" in info
    assert newer.read_bytes() == before


def test_close_asks_about_unsaved_changes(window, answers, tmp_path, monkeypatch):
    C.add_task(window.doc)
    answers.queue = ["Cancel"]
    assert not window.close()
    assert answers.asked and "Save the changes" in answers.asked[-1]
    target = tmp_path / "kept.toml"
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(target))
    answers.queue = ["Save"]
    assert window.close()
    assert load(target).tasks[-1].name == "task4"


def test_invalid_document_is_not_saved(window, tmp_path, monkeypatch):
    C.set_value(window.doc, ("quantum", "qubits"), 3, "3 qubits")
    target = tmp_path / "nope.toml"
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(target))
    assert not window.save()
    assert not target.exists()
    assert "Cannot save yet" in _message_boxes(window)[-1].windowTitle()


def test_autosave_then_recovery_after_a_crash(qtbot, answers, isolated_session):
    w = MainWindow(autosave=True)
    qtbot.addWidget(w)
    _edit(w.doc)
    edited = copy.deepcopy(w.doc.spec)
    qtbot.waitUntil(lambda: w.autosaver.spec_file.exists(), timeout=5000)  # debounced save after the edit
    assert load(w.autosaver.spec_file) == edited
    assert str(w.autosaver.spec_file).startswith(str(isolated_session / "data"))
    assert session.pending_recoveries() == []  # its session still holds the lock
    saver, w.autosaver = w.autosaver, None
    saver.lock.unlock()  # what a crash leaves: the files, and nobody holding the lock
    shiboken6.delete(saver)  # and nothing that would clean up after it
    w.doc.undo_stack.setClean()
    w.close()
    assert len(session.pending_recoveries()) == 1
    answers.queue = ["Recover"]
    w2 = MainWindow(autosave=True)
    qtbot.addWidget(w2)
    assert w2.offer_recovery()
    assert "did not close cleanly" in answers.asked[-1]
    assert w2.doc.spec == edited and w2.doc.is_modified()
    assert session.pending_recoveries() == []
    w2.doc.undo_stack.setClean()


def test_layout_and_theme_are_remembered(qtbot, answers):
    w = MainWindow(autosave=False)
    qtbot.addWidget(w)
    w.show()
    w.log_dock.hide()
    w.set_theme("dark")
    w.close()
    w2 = MainWindow(autosave=False)
    qtbot.addWidget(w2)
    w2.show()
    assert w2.theme.name == "dark" and w2.act_dark.isChecked()
    assert not w2.log_dock.isVisible() and w2.budget_dock.isVisible()
    w2.reset_layout()
    assert w2.log_dock.isVisible()
    w2.set_theme("light")


def test_export_png_and_svg(window, tmp_path, monkeypatch):
    for fmt in ("png", "svg"):
        target = tmp_path / f"circuit.{fmt}"
        monkeypatch.setattr(messages, "save_path", lambda *a, t=target, **k: str(t))
        assert window.export_image(fmt)
        data = target.read_bytes()
        assert len(data) > 1000
        if fmt == "png":
            assert data.startswith(b"\x89PNG")
        else:
            assert b"<svg" in data and b"<image" not in data  # vectors and text, not bitmaps
            assert b"StronglyEntanglingLayers" in data and b"digit" in data


def test_screenshot_in_process(tmp_path, qapp):
    from workbench.gui.shell.app import main

    out = tmp_path / "shot.png"
    assert main(["--screenshot", str(out), "--size", "1200x800"]) == 0
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000


def test_screenshot_command_line(tmp_path):
    out = tmp_path / "cli.png"
    env = {"QT_QPA_PLATFORM": "offscreen", "QMTL_WORKBENCH_DATA_DIR": str(tmp_path / "data"),
           "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "workbench", "--screenshot", str(out), str(DEMO_SPEC)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"\x89PNG") and out.stat().st_size > 20_000
    bad = tmp_path / "bad.toml"
    bad.write_text("version = 99\n")
    r = subprocess.run([sys.executable, "-m", "workbench", "--screenshot", str(out), str(bad)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "cannot open" in r.stderr
