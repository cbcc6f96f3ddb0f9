"""The code pane through real widgets: composer edits rewrite the QASM, typed QASM applies as one undoable
command, a bad line is marked and changes nothing, and File > Export writes what ``qmtl export`` writes."""

from __future__ import annotations

import copy

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from workbench.circuits.import_qasm import import_task_block, task_qasm
from workbench.circuits.program import build_program
from workbench.cli import main
from workbench.gui.common import messages
from workbench.gui.composer import commands as C
from workbench.spec import dumps
from workbench.spec.examples import EXPERIMENTS


@pytest.fixture
def pane(window, qtbot):
    p = window.code_pane
    window.code_dock.show()
    window.code_dock.raise_()
    qtbot.waitUntil(lambda: p.isVisible(), timeout=5000)
    assert p.current_task() == "digit"
    return p


def _expected(doc, task="digit") -> str:
    return task_qasm(build_program(doc.spec), task, doc.spec.name)


def _type_before_measurements(qtbot, pane, text: str) -> int:
    """Put the cursor at the start of the first measurement line and type ``text`` (one line); its line number."""
    editor = pane.qasm_edit
    lines = editor.toPlainText().splitlines()
    line = next(i for i, t in enumerate(lines) if "= measure" in t)
    editor.setFocus()
    editor.setTextCursor(QTextCursor(editor.document().findBlockByNumber(line)))
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    return line + 1


def test_a_composer_edit_rewrites_the_code(window, pane, qtbot):
    doc = window.doc
    assert pane.qasm_text() == _expected(doc)
    with qtbot.waitSignal(pane.regenerated, timeout=10_000):
        C.add_gate(doc, 0, "RX", 3)
    assert pane.qasm_text() == _expected(doc)
    assert "rx(_w_96_) q[3];" in pane.qasm_text()  # the new trainable angle after the 96 of the template
    assert "qml.RX(w[96], wires=3)" in pane.py_view.toPlainText()
    assert "in step" in pane.state.text() and not pane.is_edited()
    with qtbot.waitSignal(pane.regenerated, timeout=10_000):
        doc.undo_stack.undo()
    assert "rx(_w_96_)" not in pane.qasm_text() and pane.qasm_text() == _expected(doc)


def test_typed_qasm_applies_as_one_undoable_command(window, pane, qtbot):
    doc = window.doc
    before = copy.deepcopy(doc.spec)
    count = doc.undo_stack.count()
    _type_before_measurements(qtbot, pane, "rx(pi/4) q[2];")
    assert pane.is_edited() and "edited — Apply" in pane.state.text()
    typed = pane.qasm_text()
    want = import_task_block(before, "digit", typed).spec
    with qtbot.waitSignal(pane.applied, timeout=10_000) as applied:
        qtbot.keyClick(pane.qasm_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert doc.spec == want
    assert doc.spec.tasks[0].block.template == "Custom" and doc.spec.tasks[0].block.gates[-1].params == ["pi/4"]
    assert doc.undo_stack.count() == count + 1  # one command
    assert "custom block of 65 gates" in applied.args[0]
    assert not pane.is_edited() and pane.qasm_text() == _expected(doc)
    with qtbot.waitSignal(pane.regenerated, timeout=10_000):
        doc.undo_stack.undo()
    assert doc.spec == before
    assert pane.qasm_text() == _expected(doc) and "rx(pi/4)" not in pane.qasm_text()


def test_a_bad_line_is_marked_and_changes_nothing(window, pane, qtbot):
    doc = window.doc
    before = copy.deepcopy(doc.spec)
    count = doc.undo_stack.count()
    line = _type_before_measurements(qtbot, pane, "foo q[1];")
    with qtbot.waitSignal(pane.applyFailed, timeout=10_000):
        qtbot.mouseClick(pane.apply_button, Qt.MouseButton.LeftButton)
    assert pane.error.text().startswith(f"line {line}: unknown gate 'foo'")
    assert pane.error_line() == line
    marked = [s.cursor.blockNumber() + 1 for s in pane.qasm_edit.extraSelections()]
    assert line in marked
    assert pane.qasm_edit.textCursor().blockNumber() + 1 == line  # the cursor went to the line
    assert doc.spec == before and doc.undo_stack.count() == count
    assert pane.is_edited() and "foo q[1];" in pane.qasm_text()  # the user's text stays, to be fixed
    # out of range: the message names the register's size
    cursor = pane.qasm_edit.textCursor()
    cursor.select(QTextCursor.SelectionType.LineUnderCursor)
    pane.qasm_edit.setTextCursor(cursor)
    qtbot.keyClicks(pane.qasm_edit, "rx(0.1) q[9];")
    with qtbot.waitSignal(pane.applyFailed, timeout=10_000):
        qtbot.keyClick(pane.qasm_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert pane.error.text() == f"line {line}: qubit q[9] out of range, the circuit has 8"
    assert doc.spec == before and doc.undo_stack.count() == count


def test_unapplied_edits_are_not_overwritten(window, pane, qtbot):
    doc = window.doc
    _type_before_measurements(qtbot, pane, "h q[0];")
    typed = pane.qasm_text()
    with qtbot.waitSignal(pane.regenerated, timeout=10_000):
        C.add_gate(doc, 1, "RX", 0)  # another task's block
    assert pane.qasm_text() == typed and pane.is_edited()
    with qtbot.waitSignal(pane.regenerated, timeout=10_000):
        C.add_gate(doc, 0, "RZ", 1)  # this task's block: the circuit shown changed
    assert pane.qasm_text() == typed and "changed since" in pane.state.text()
    qtbot.mouseClick(pane.revert_button, Qt.MouseButton.LeftButton)
    assert pane.qasm_text() == _expected(doc) and not pane.is_edited() and "rz(_w_96_) q[1];" in pane.qasm_text()


def test_the_task_chooser_and_the_composer_choose_the_task(window, pane, qtbot, answers):
    with qtbot.waitSignal(pane.regenerated, timeout=10_000):
        pane.task_box.setFocus()
        qtbot.keyClick(pane.task_box, Qt.Key.Key_Down)
    assert pane.current_task() == "parity" and pane.qasm_text() == _expected(window.doc, "parity")
    _type_before_measurements(qtbot, pane, "x q[0];")
    answers.queue.append("Keep Editing")
    window.experiment.taskSelected.emit(2)  # picking a task in the composer asks before dropping the edits
    assert pane.current_task() == "parity" and "x q[0];" in pane.qasm_text()
    answers.queue.append("Discard")
    window.experiment.taskSelected.emit(2)
    assert pane.current_task() == "ge5" and pane.qasm_text() == _expected(window.doc, "ge5")
    assert "Drop the QASM edits" in answers.asked[-1]


def test_export_menu_writes_what_the_cli_writes(window, pane, qtbot, tmp_path, monkeypatch):
    gui_qasm, cli_qasm = tmp_path / "gui.qasm", tmp_path / "cli.qasm"
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(gui_qasm))
    window.act_export_qasm.trigger()
    spec_file = tmp_path / "digits.toml"
    spec_file.write_text(dumps(window.doc.spec), encoding="utf-8")
    assert main(["export", str(spec_file), "--format", "qasm3", "--task", "digit", "--out", str(cli_qasm)]) == 0
    assert gui_qasm.read_bytes() == cli_qasm.read_bytes()
    gui_py, cli_py = tmp_path / "gui.py", tmp_path / "cli.py"
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(gui_py))
    window.act_export_pennylane.trigger()
    assert main(["export", str(EXPERIMENTS / "digits-3task.toml"), "--format", "pennylane", "--out", str(cli_py)]) == 0
    assert gui_py.read_bytes() == cli_py.read_bytes()
    # a Pauli-word readout measured in two bases: the same two files as the CLI's
    window.open_file(EXPERIMENTS / "glue-structure-9task.toml", remember=False)
    qtbot.waitUntil(lambda: "mnli" in [pane.task_box.itemText(i) for i in range(pane.task_box.count())],
                    timeout=10_000)
    pane.set_task("mnli")
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(tmp_path / "g" / "mnli.qasm"))
    (tmp_path / "g").mkdir()
    (tmp_path / "c").mkdir()
    window.act_export_qasm.trigger()
    assert main(["export", "glue-structure-9task", "--format", "qasm3", "--task", "mnli",
                 "--out", str(tmp_path / "c" / "mnli.qasm")]) == 0
    gui = sorted(p.name for p in (tmp_path / "g").iterdir())
    assert gui == sorted(p.name for p in (tmp_path / "c").iterdir()) and len(gui) == 2
    for name in gui:
        assert (tmp_path / "g" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()


def test_export_refuses_a_bad_file_name(window, pane, tmp_path, monkeypatch):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    shown = []
    monkeypatch.setattr(messages, "error", lambda parent, title, text, detail="": shown.append(text))
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(tmp_path / "evil\x1b[2Jname.qasm"))
    window.act_export_qasm.trigger()
    assert shown and "control or invisible characters" in shown[-1] and "\\x1b" in shown[-1]
    assert not list(tmp_path.iterdir())
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(tmp_path / "missing" / "x.qasm"))
    window.act_export_qasm.trigger()
    assert "does not exist" in shown[-1]
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(tmp_path / "plain"))
    window.act_export_qasm.trigger()
    assert (tmp_path / "plain.qasm").read_text().startswith("OPENQASM 3.0;")  # the suffix added


def test_a_hidden_pane_catches_up_when_shown(window, pane, qtbot):
    with qtbot.waitSignal(window.code_dock.visibilityChanged, timeout=5000):
        window.budget_dock.raise_()  # the code dock's tab goes behind
    with qtbot.assertNotEmitted(pane.regenerated, wait=300):  # a seen pane rewrites within 60 ms
        C.add_gate(window.doc, 0, "RX", 3)
    assert "rx(_w_96_)" not in pane.qasm_text()
    with qtbot.waitSignal(pane.regenerated, timeout=10_000):
        window.code_dock.raise_()
    assert pane.qasm_text() == _expected(window.doc) and "rx(_w_96_) q[3];" in pane.qasm_text()
