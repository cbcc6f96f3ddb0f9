"""The composer on the task-register layout: each lane's block is drawn on its own register, the readout editor
edits Pauli words, and the budget shows the circuit width."""

from __future__ import annotations

from workbench.gui.composer.scene import ReadoutItem, TemplateItem, wire_y
from workbench.spec import load
from workbench.spec.examples import EXPERIMENTS


def _item(window, key, cls):
    return next(it for it in window.scene.bands[key].childItems() if isinstance(it, cls))


def test_lanes_on_registers_and_pauli_word_editor(window, qtbot):
    path = EXPERIMENTS / "glue-structure-9task.toml"
    window.doc.replace(load(path), path)
    qtbot.waitUntil(lambda: len(window.scene.bands) == 10, timeout=5000)
    # mnli owns wires 5 and 6: its template box starts on wire 5 and spans two wires, not all ten
    box = _item(window, 5, TemplateItem)
    cola = _item(window, 0, TemplateItem)
    assert box.pos().y() - cola.pos().y() == wire_y(5) - wire_y(0)
    assert box.h < cola.h + 2 * (wire_y(1) - wire_y(0))
    assert _item(window, 5, ReadoutItem).wires == [5, 6]
    assert "X5 X6" in _item(window, 5, ReadoutItem).toolTip()
    insp = window.inspector
    window.scene.set_current_band(5)
    insp.set_band(5)
    insp.auto_readout.setChecked(False)  # take the automatic readout as the task's own
    assert window.doc.spec.tasks[5].readout.words == ["Z0", "Z1", "X0 X1"]
    assert not insp.readout_words.isHidden() and insp.readout_wires.isHidden()
    insp.readout_words.setText("Z0, Y1, X0 Y1")
    insp.readout_words.editingFinished.emit()
    assert window.doc.spec.tasks[5].readout.words == ["Z0", "Y1", "X0 Y1"]
    qtbot.waitUntil(lambda: "X5 Y6" in _item(window, 5, ReadoutItem).toolTip(), timeout=5000)
    insp.readout_words.setText("Z0, Q1")
    insp.readout_words.editingFinished.emit()
    assert "not a Pauli factor" in insp.readout_error.text()
    assert window.doc.spec.tasks[5].readout.words == ["Z0", "Y1", "X0 Y1"]  # refused input never lands
    insp.readout_words.setText("Z0, Z3, X0 X1")
    insp.readout_words.editingFinished.emit()
    assert "relative wire 3" in insp.readout_problem.text()
    assert not window.doc.is_trainable()
    window.doc.undo_stack.undo()
    insp.set_band(3)  # stsb, the regression task: no class count to edit
    assert not insp.classes.isEnabled() and window.doc.spec.tasks[3].classes == 1
    window.budget.update_now()
    assert "width 10 qubits" in window.budget.summary.text()
    assert "task registers" in window.budget.summary.text()
    # the scaling study of this 10-qubit layout runs in the shared worker: let it finish here, not in a later test
    qtbot.waitUntil(window.budget.scaling_ready, timeout=90_000)
