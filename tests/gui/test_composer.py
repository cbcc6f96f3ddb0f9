"""The composer through real events: palette drags, gate drags, tasks, undo of everything."""

from __future__ import annotations

import copy

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDrag

from tests.gui.gui_helpers import band_point, drop_mime, mouse_drag
from workbench.circuits.edits import ENCODER
from workbench.gui.composer import commands as C
from workbench.gui.composer.scene import GateItem, TemplateItem
from workbench.spec import GateSpec, ReadoutSpec, dumps


def palette_drag_mime(window, monkeypatch, name):
    """Start the palette's real drag for ``name`` and capture the QDrag's mime data (exec cannot run
    offscreen, so it is replaced by a stub that records what would be dragged)."""
    captured = {}

    def fake_exec(drag, *args, **kwargs):
        captured["mime"] = drag.mimeData()
        return Qt.DropAction.CopyAction

    monkeypatch.setattr(QDrag, "exec", fake_exec)
    item = window.palette.item_for(name)
    window.palette.setCurrentItem(item)
    window.palette.startDrag(Qt.DropAction.CopyAction)
    return captured["mime"]


def test_drag_gate_from_palette_onto_a_wire(window, monkeypatch, qtbot, answers):
    doc = window.doc
    before = copy.deepcopy(doc.spec)
    mime = palette_drag_mime(window, monkeypatch, "RX")
    # Cancel first: the template stays as it was
    answers.queue.append("Cancel")
    moved, dropped = drop_mime(window, mime, band_point(window, 1, wire=3))
    assert moved and not dropped and doc.spec == before and "Expand the template?" in answers.asked[-1]
    answers.queue.append("Expand and Add")
    moved, dropped = drop_mime(window, mime, band_point(window, 1, wire=3))
    assert moved and dropped
    block = doc.spec.tasks[1].block
    assert block is not None and block.template == "Custom"  # the template expanded to take the gate
    assert GateSpec("RX", [3], ["w"]) in block.gates
    assert len(block.gates) == 33
    assert window.budget.table.item(2, 1).text() == "48"  # before the counts refresh
    qtbot.waitUntil(lambda: window.budget.table.item(2, 1).text() == "49", timeout=2000)  # a new angle
    assert doc.spec.tasks[0] == before.tasks[0] and doc.spec.quantum == before.quantum
    assert doc.undo_stack.count() == 1  # one drop = one command
    items = [it for it in window.scene.bands[1].childItems() if isinstance(it, GateItem)]
    assert len(items) == 33 and any(it.gate.gate == "RX" and it.gate.wires == [3] for it in items)
    doc.undo_stack.undo()
    assert doc.spec == before


def test_refused_drops_say_why_and_change_nothing(window, monkeypatch):
    doc = window.doc
    before = copy.deepcopy(doc.spec)
    messages = []
    window.editor.message.connect(lambda text, err: messages.append((text, err)))
    mime = palette_drag_mime(window, monkeypatch, "StronglyEntanglingLayers")
    moved, dropped = drop_mime(window, mime, band_point(window, ENCODER, wire=2))
    assert not moved and not dropped
    assert window.scene.indicator.text.startswith("StronglyEntanglingLayers is an ansatz")
    assert doc.spec == before and doc.undo_stack.count() == 0
    # the drop handler itself refuses too (a drop without a preceding move)
    assert not window.editor.drop_palette({"kind": "ansatz", "name": "BasicEntanglerLayers"}, ENCODER, 0)
    assert messages and messages[-1][1] and "drop it on a task lane" in messages[-1][0]


def test_template_drop_replaces_the_block(window, monkeypatch):
    mime = palette_drag_mime(window, monkeypatch, "BasicEntanglerLayers")
    _, dropped = drop_mime(window, mime, band_point(window, 2, wire=0))
    assert dropped
    assert window.doc.spec.tasks[2].block.template == "BasicEntanglerLayers"
    assert window.doc.spec.tasks[2].block.layers == 2
    mime = palette_drag_mime(window, monkeypatch, "AngleEmbedding")
    _, dropped = drop_mime(window, mime, band_point(window, ENCODER, wire=0))
    assert dropped and window.doc.spec.quantum.encoder.template == "AngleEmbedding"
    assert not window.doc.is_trainable()  # 24 features do not fit one per qubit on 8 qubits: shown, not hidden
    assert "AngleEmbedding loads one feature per qubit" in str(window.doc.first_problem())


def test_mouse_drag_moves_a_gate_as_one_command(window, qtbot):
    doc = window.doc
    C.expand(doc, 0)
    C.add_gate(doc, 0, "H", 5, None)
    block = doc.spec.tasks[0].block
    i = block.gates.index(GateSpec("H", [5], []))
    item = next(it for it in window.scene.gate_items() if it.ref == (0, i))
    start = item.mapToScene(0, 0)
    index = doc.undo_stack.index()
    mouse_drag(window, start, start + (band_point(window, 0, 7) - band_point(window, 0, 5)))
    gates = doc.spec.tasks[0].block.gates
    assert GateSpec("H", [7], []) in gates and GateSpec("H", [5], []) not in gates
    assert doc.undo_stack.index() == index + 1  # one drag = one command
    # the selection (and the inspector) follow the dragged gate to where it landed
    (ref,) = window.scene.selected_refs()
    assert doc.spec.tasks[0].block.gates[ref[1]] == GateSpec("H", [7], [])
    assert window.inspector.ref == ref and not window.inspector_dock.visibleRegion().isEmpty()
    doc.undo_stack.undo()
    assert GateSpec("H", [5], []) in doc.spec.tasks[0].block.gates
    # dragging below the last wire is refused and snaps back
    item = next(it for it in window.scene.gate_items() if it.gate == GateSpec("H", [5], []))
    start = item.mapToScene(0, 0)
    mouse_drag(window, start, start + (band_point(window, 0, 9) - band_point(window, 0, 5)))
    assert GateSpec("H", [5], []) in doc.spec.tasks[0].block.gates
    assert doc.undo_stack.index() == index
    assert all(it.pos() == it.home for it in window.scene.gate_items())  # snapped back


def test_select_copy_paste_delete(window):
    doc = window.doc
    C.expand(doc, 1)
    window.scene.select_refs([(1, 0), (1, 1)])
    assert window.editor.copy_selection() == 2
    window.scene.set_current_band(2)
    window.scene.clearSelection()
    assert window.editor.paste()
    block = doc.spec.tasks[2].block
    assert block.template == "Custom" and len(block.gates) == 34
    window.scene.select_refs([(2, 0), (2, 1), (2, 2)])
    window.act_delete.trigger()
    assert len(doc.spec.tasks[2].block.gates) == 31
    doc.undo_stack.undo()
    assert len(doc.spec.tasks[2].block.gates) == 34


def test_expand_and_regroup_templates(window):
    doc = window.doc
    original = copy.deepcopy(doc.spec.tasks[0])
    item = next(it for it in window.scene.bands[0].childItems() if isinstance(it, TemplateItem))
    window.scene.expandRequested.emit(0)  # what double-clicking the box does
    assert item.scene() is None  # the band was redrawn with gates
    assert doc.spec.tasks[0].block.template == "Custom"
    assert window.editor.regroup(0)
    assert doc.spec.tasks[0].block.template == "StronglyEntanglingLayers"
    assert doc.spec.tasks[0].block.layers == 4  # the demo gives digit a 4-layer block of its own
    # an edited block is not a template any more, and says so
    C.expand(doc, 0)
    C.add_gate(doc, 0, "H", 0, None)
    msgs = []
    window.editor.message.connect(lambda t, e: msgs.append(t))
    assert not window.editor.regroup(0)
    assert "not the expansion of any template" in msgs[-1]
    doc.undo_stack.setIndex(0)
    assert doc.spec.tasks[0] == original


def test_tasks_add_rename_reorder_remove(window):
    doc = window.doc
    window.act_add_task.trigger()
    assert [t.name for t in doc.spec.tasks] == ["digit", "parity", "ge5", "task4"]
    assert 3 in window.scene.bands
    C.rename_task(doc, 3, "odd")
    with pytest.raises(C.EditRefused, match="already called"):
        C.rename_task(doc, 3, "digit")
    window.scene.set_current_band(3)
    window.act_task_left.trigger()
    assert [t.name for t in doc.spec.tasks] == ["digit", "parity", "odd", "ge5"]
    assert window.scene.bands[2].model.title == "odd"
    window.experiment.select_task(2)
    window.experiment.remove_task()
    assert [t.name for t in doc.spec.tasks] == ["digit", "parity", "ge5"]
    assert sorted(k for k in window.scene.bands if k != ENCODER) == [0, 1, 2]


def test_undo_everything_returns_the_original(window):
    doc = window.doc
    original = copy.deepcopy(doc.spec)
    original_text = dumps(original)
    C.add_task(doc)
    C.rename_task(doc, 3, "colour")
    C.move_task(doc, 3, 0)
    C.expand(doc, 1)
    C.add_gate(doc, 1, "CNOT", 2, 1)
    C.add_gate(doc, ENCODER, "RZ", 4, None)
    C.set_param(doc, (1, 0), 1, "pi/4")
    C.move_gates(doc, [(1, 0), (1, 1)], 2, 1, {(1, 0): 0, (1, 1): 0})
    C.delete_gates(doc, [(2, 0), (2, 3)])
    C.set_readout(doc, 0, ReadoutSpec("probs", [0, 1], 1.0))
    C.set_value(doc, ("quantum", "qubits"), 6, "6 qubits")
    C.set_template(doc, 3, "HardwareEfficient")
    C.paste_gates(doc, 3, [{"gate": "RY", "wires": [1], "params": ["w"], "col": 0}])
    C.remove_task(doc, 2)
    edited = copy.deepcopy(doc.spec)
    assert edited != original
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.spec == original
    assert dumps(doc.spec) == original_text
    assert not doc.is_modified()
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert doc.spec == edited


def test_budget_follows_every_edit(window, qtbot):
    doc = window.doc
    budget = window.budget
    qtbot.waitUntil(budget.scaling_ready, timeout=90_000)
    assert budget.table.item(4, 1).text() == "192"
    assert budget.curve is not None and budget.curve.tasks == list(range(1, 13))
    assert budget.curve.classical[2] == 350 and budget.curve.quantum[2] == 192
    C.set_value(doc, ("quantum", "default_block", "layers"), 3, "3 layers")
    qtbot.waitUntil(lambda: budget.table.item(4, 1).text() == "240", timeout=2000)
    assert "Classical HPS heads: 350" in budget.summary.text()
    qtbot.waitUntil(budget.scaling_ready, timeout=90_000)
    assert budget.curve.quantum[2] == 240


def test_keyboard_shortcuts_drive_the_editor(window, qtbot):
    doc = window.doc
    window.activateWindow()
    window.view.setFocus()
    qtbot.waitUntil(lambda: window.view.hasFocus(), timeout=2000)
    qtbot.keyClick(window.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # expand the current band
    assert doc.spec.tasks[0].block is not None and doc.spec.tasks[0].block.template == "Custom"
    window.scene.select_refs([(0, 0), (0, 1)])
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert len(doc.spec.tasks[0].block.gates) == 62
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(doc.spec.tasks[0].block.gates) == 64
    qtbot.keyClick(window.view, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert len(doc.spec.tasks) == 4
    keys = {a.text().replace("&", ""): a.shortcut().toString() for a in window.actions() if not a.shortcut().isEmpty()}
    assert len(set(keys.values())) == len(keys), "no two actions share a shortcut"


def test_delete_in_a_text_field_edits_the_text_not_the_circuit(window, qtbot):
    C.expand(window.doc, 0)
    window.scene.select_refs([(0, 0)])
    window.activateWindow()
    field = window.inspector.task_name
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=2000)
    field.setCursorPosition(0)
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    assert field.text() == "igit"
    assert len(window.doc.spec.tasks[0].block.gates) == 64


def test_the_class_count_spin_box_keeps_the_class_names_in_one_undo_step(qtbot, doc):
    from workbench.gui.composer.panels import InspectorPanel

    names = tuple(f"d{k}" for k in range(doc.spec.tasks[0].classes))
    doc.set_value(("tasks", 0, "class_names"), names)
    doc.undo_stack.clear()
    insp = InspectorPanel(doc)
    qtbot.addWidget(insp)
    insp.show()
    insp.set_band(0)
    assert insp.classes.value() == 10 and insp.classes_note.isHidden()
    insp.classes.setFocus()
    qtbot.keyClick(insp.classes, Qt.Key.Key_Down)  # 9 classes
    qtbot.keyClick(insp.classes, Qt.Key.Key_Down)  # 8
    task = doc.spec.tasks[0]
    assert task.classes == 8 and task.class_names == names[:8]
    assert doc.first_spec_problem() is None
    assert insp.classes_note.isVisible() and insp.classes_note.text() == "Class names beyond the first 8 dropped."
    for _ in range(3):
        qtbot.keyClick(insp.classes, Qt.Key.Key_Up)  # 11: more classes than names
    task = doc.spec.tasks[0]
    assert task.classes == 11 and task.class_names is None and doc.first_spec_problem() is None
    assert insp.classes_note.text() == "Class names dropped: the new classes would have none."
    assert doc.undo_stack.count() == 1  # typing in one field: one step, names included
    undo_text = f"{task.name}: 11 classes (class names dropped: the new classes would have none)"
    assert doc.undo_stack.undoText() == undo_text
    qtbot.keyClick(insp.classes, Qt.Key.Key_Down)  # back to 10 in the same step: the names come back whole
    assert doc.spec.tasks[0].class_names == names and insp.classes_note.isHidden()
    qtbot.keyClick(insp.classes, Qt.Key.Key_Down)  # 9
    assert doc.spec.tasks[0].class_names == names[:9] and doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.spec.tasks[0].classes == 10 and doc.spec.tasks[0].class_names == names
