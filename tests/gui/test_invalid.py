"""Invalid states are shown in place with the reason, refused input never reaches the document, and
nothing crashes; ``is_trainable()`` and ``validityChanged`` tell the training panel to wait."""

from __future__ import annotations

import copy

from workbench.gui.composer import commands as C
from workbench.gui.composer.ops import ENCODER
from workbench.gui.composer.scene import GateItem, ReadoutItem


def _readout_item(window, key):
    return next(it for it in window.scene.bands[key].childItems() if isinstance(it, ReadoutItem))


def test_gate_on_a_missing_wire_is_marked_and_blocks_training(window, qtbot):
    doc = window.doc
    C.expand(doc, 0)
    assert doc.is_trainable()
    with qtbot.waitSignal(doc.validityChanged) as blocker:
        C.set_value(doc, ("quantum", "qubits"), 6, "6 qubits")
    assert blocker.args == [False]
    assert not doc.is_trainable()
    bad = [it for it in window.scene.gate_items() if it.problem]
    assert bad and all(max(it.gate.wires) >= 6 for it in bad)
    assert "wire 6 does not exist (the circuit has wires 0..5)" in {it.problem for it in bad}
    band = window.scene.bands[0]
    assert any("does not exist" in line for line in band._problem_lines)
    assert window.scene.n_drawn_wires == 8  # the missing wires are drawn, dashed, so the gates stay visible
    assert "does not exist" in window.status_valid.text()
    parity_readout = _readout_item(window, 1)  # parity reads wire 4, which still exists
    assert parity_readout.problem is None
    with qtbot.waitSignal(doc.validityChanged) as blocker:
        doc.undo_stack.undo()
    assert blocker.args == [True] and doc.is_trainable()
    assert not any(it.problem for it in window.scene.gate_items())


def test_readout_problems_are_shown_at_the_readout_and_in_the_editor(window):
    doc = window.doc
    window.scene.set_current_band(2)
    window.inspector.set_band(2)
    insp = window.inspector
    insp.readout_wires.setText("9")
    insp.readout_wires.editingFinished.emit()
    assert doc.spec.tasks[2].readout.wires == [9]
    item = _readout_item(window, 2)
    assert item.problem and "wire 9 does not exist" in item.problem
    assert not insp.readout_problem.isHidden() and "wire 9 does not exist" in insp.readout_problem.text()
    assert window.scene.n_drawn_wires == 10
    insp.readout_wires.setText("0")
    insp.readout_wires.editingFinished.emit()
    insp.readout_kind.setCurrentIndex(1)
    insp.readout_kind.activated.emit(1)
    insp.classes.setValue(5)  # probs of one wire: 2 basis states for 5 classes
    assert doc.spec.tasks[2].classes == 5
    assert "fewer than 5 classes; use at least 3 wires" in insp.readout_problem.text()
    assert "fewer than 5 classes" in _readout_item(window, 2).problem
    assert not doc.is_trainable()


def test_refused_input_is_explained_in_place_and_changes_nothing(window):
    doc = window.doc
    C.expand(doc, ENCODER)
    window.scene.select_refs([(ENCODER, 0)])
    insp = window.inspector
    assert insp.ref == (ENCODER, 0)
    before = copy.deepcopy(doc.spec)
    row = insp.param_rows[0]
    for text, reason in (("pi/0", "divides by zero"), ("foo", "unknown name 'foo'"), ("1+", "is not an expression")):
        row.token.setText(text)
        row.token.editingFinished.emit()
        assert not row.error.isHidden() and reason in row.error.text(), text
        assert doc.spec == before
    row.token.setText("pi/4")
    row.token.editingFinished.emit()
    assert row.error.isHidden()
    assert doc.spec.quantum.encoder.gates[0].params == ["pi/4"]
    assert row.info.text() == "= π/4"
    # an input feature in a task block is refused with the reason
    C.expand(doc, 1)
    window.scene.select_refs([(1, 0)])
    row = insp.param_rows[0]
    row.token.setText("x2")
    row.token.editingFinished.emit()
    assert "input features belong in the shared encoder" in row.error.text()
    # wires: text that is no wire list, and a wire that does not exist
    insp.gate_wires.setText("1, a")
    insp.gate_wires.editingFinished.emit()
    assert "'a' is not a wire number" in insp.gate_wires_error.text()
    insp.gate_wires.setText("12")
    insp.gate_wires.editingFinished.emit()
    assert "wire 12 does not exist" in insp.gate_wires_error.text()
    # a duplicate task name
    window.inspector.set_band(1)
    insp.task_name.setText("digit")
    insp.task_name.editingFinished.emit()
    assert "another task is already called 'digit'" in insp.task_name_error.text()
    assert [t.name for t in doc.spec.tasks] == ["digit", "parity", "ge5"]


def test_bad_values_never_crash_the_canvas(window):
    doc = window.doc
    C.expand(doc, 0)
    block = copy.deepcopy(doc.spec.tasks[0].block)
    block.gates[0].params[0] = "not an angle"  # as a hand-edited file could hold, via a command
    cnot = next(i for i, g in enumerate(block.gates) if g.gate == "CNOT")
    block.gates[cnot].wires = [1, 1]
    block.gates.append(copy.deepcopy(block.gates[2]))
    block.gates[-1].gate = "Toffoli"
    C.set_block(doc, 0, block, "bad gates")
    problems = {p.where: p.message for p in doc.problems()}
    assert "'not an angle' is not an expression" in problems[("gate", 0, 0)]
    assert "repeats a wire" in problems[("gate", 0, cnot)]
    assert "unknown value 'Toffoli'" in problems[("gate", 0, len(block.gates) - 1)]
    items = [it for it in window.scene.bands[0].childItems() if isinstance(it, GateItem)]
    assert len(items) == len(block.gates)
    window.budget.update_now()
    assert "no counts until this is fixed" in window.budget.summary.text()
    window.view.viewport().repaint()
