"""The composer's pure circuit edits (``workbench.circuits.edits``, no Qt): placement keeps the circuit's
meaning, templates expand and regroup without changing gates or weights."""

from __future__ import annotations

import copy

import pytest

from workbench.circuits import build_program, edits
from workbench.spec import BlockSpec, GateSpec, load
from workbench.spec.examples import EXPERIMENTS

DEMO_SPEC = EXPERIMENTS / "digits-3task.toml"

G = GateSpec


def _wire_order(gates):
    """Per wire, the sequence of gates touching it: what the circuit means, whatever the list order."""
    out = {}
    for g in gates:
        for w in g.wires:
            out.setdefault(w, []).append((g.gate, tuple(g.wires), tuple(g.params)))
    return out


def test_columns_use_the_span_of_two_qubit_gates():
    gates = [G("H", [0]), G("CNOT", [0, 2]), G("X", [1]), G("RZ", [3], ["w"])]
    assert edits.gate_columns(gates) == [0, 1, 2, 0]


def test_place_inserts_at_the_column_and_keeps_the_other_gates_order():
    gates = [G("H", [0]), G("X", [0]), G("Z", [1])]
    cols = edits.gate_columns(gates)
    new = edits.place(gates, cols, [(G("RY", [0], ["w"]), 1)])
    assert [g.gate for g in new] == ["H", "RY", "X", "Z"]
    new = edits.place(gates, cols, [(G("CNOT", [0, 1]), 0)])
    assert new[0].gate == "CNOT"  # before everything on wires 0 and 1


def test_place_falls_back_to_a_column_sort_that_keeps_each_wire_in_order():
    # wire 1: G0 (col 0), G1 (col 1); wire 0: G2 (col 0). Listed so that no single insertion index works.
    gates = [G("H", [1]), G("X", [1]), G("Z", [0])]
    cols = edits.gate_columns(gates)
    new_gate = G("CZ", [0, 1])
    placed = edits.place(gates, cols, [(new_gate, 1)])
    order = _wire_order(placed)
    assert [g[0] for g in order[1]] == ["H", "CZ", "X"]
    assert [g[0] for g in order[0]] == ["Z", "CZ"]


@pytest.mark.parametrize("key", [edits.ENCODER, 0, 1])
def test_expand_keeps_gates_and_weights_and_regroup_restores_the_template(key):
    spec = load(DEMO_SPEC)
    before = build_program(spec)
    custom = edits.expand_block(spec, key)
    assert custom.template == "Custom"
    expanded = copy.deepcopy(spec)
    if key == edits.ENCODER:
        expanded.quantum.encoder = custom
    else:
        expanded.tasks[key].block = custom
    after = build_program(expanded)
    for b0, b1 in zip(before.blocks(), after.blocks()):
        assert b0.gates == b1.gates and b0.n_weights == b1.n_weights
    regrouped = edits.regroup_block(expanded, key)
    assert regrouped.template == edits.effective_block(spec, key).template
    again = copy.deepcopy(expanded)
    if key == edits.ENCODER:
        again.quantum.encoder = regrouped
    else:
        again.tasks[key].block = regrouped
    assert [b.gates for b in build_program(again).blocks()] == [b.gates for b in before.blocks()]


@pytest.mark.parametrize("block", [
    BlockSpec(template="BasicEntanglerLayers", layers=3, rotation="X"),
    BlockSpec(template="HardwareEfficient", layers=2, rotations=["RZ", "RY"], entangler="CZ", entanglement="ring"),
])
def test_regroup_finds_other_families(block):
    spec = load(DEMO_SPEC)
    spec.tasks[0].block = block
    spec.tasks[0].block = edits.expand_block(spec, 0)
    found = edits.regroup_block(spec, 0)
    for field in ("template", "layers", "rotation" if block.template == "BasicEntanglerLayers" else "rotations"):
        assert getattr(found, field) == getattr(block, field)


def test_new_and_copied_gates_get_angles_of_their_own():
    from workbench.circuits import program_resources

    spec = load(DEMO_SPEC)
    spec.tasks[0].block = edits.expand_block(spec, 0)
    assert all(p == "w" for g in spec.tasks[0].block.gates for p in g.params)  # in order: plain "w"
    numbered = copy.deepcopy(spec.tasks[0].block)
    k = 0
    for g in numbered.gates:  # the same block, numbered by hand as a file may hold it
        for j in range(len(g.params)):
            g.params[j] = f"w{k}"
            k += 1
    for block in (spec.tasks[0].block, numbered):
        spec.tasks[0].block = copy.deepcopy(block)
        gate = edits.new_gate("RX", 2, 8, block)
        spec.tasks[0].block.gates.insert(1, gate)  # early in the list, before the numbered angles
        assert program_resources(build_program(spec)).task_params["digit"] == 97  # 96 in the demo block, one more
        pasted = edits.with_fresh_weights(block.gates[:2], spec.tasks[0].block)
        spec.tasks[0].block.gates += pasted
        assert program_resources(build_program(spec)).task_params["digit"] == 97 + 6


def test_templates_without_a_gate_form_refuse_to_expand():
    spec = load(DEMO_SPEC)
    spec.quantum.encoder = BlockSpec(template="IQPEmbedding", layers=1)
    spec.backbone.width = 4
    with pytest.raises(ValueError, match="product of features"):
        edits.expand_block(spec, edits.ENCODER)
    spec.quantum.encoder = BlockSpec(template="AmplitudeEmbedding")
    with pytest.raises(ValueError, match="not a composer gate"):
        edits.expand_block(spec, edits.ENCODER)


def test_problems_name_the_gate_and_the_readout():
    spec = load(DEMO_SPEC)
    spec.tasks[1].block = edits.expand_block(spec, 1)
    spec.quantum.qubits = 4
    problems = edits.find_problems(spec)
    wheres = {p.where[0] for p in problems}
    assert {"gate", "readout"} <= wheres
    assert any(p.where == ("readout", 1) and "wire 4 does not exist" in p.message for p in problems)
    assert edits.find_problems(load(DEMO_SPEC)) == []


def test_the_class_count_keeps_the_class_names_consistent():
    from workbench.spec import validate
    from workbench.spec.model import TaskSpec

    task = TaskSpec("kind", 3, class_names=("cat", "dog", "eel"))
    fewer, note = edits.with_classes(task, 2)
    assert (fewer.classes, fewer.class_names, note) == (2, ("cat", "dog"), "class names beyond the first 2 dropped")
    more, note = edits.with_classes(task, 5)
    assert (more.classes, more.class_names) == (5, None)
    assert note == "class names dropped: the new classes would have none"
    same, note = edits.with_classes(task, 3)
    assert same == task and note is None
    unnamed, note = edits.with_classes(TaskSpec("t", 2), 4)
    assert (unnamed.classes, unnamed.class_names, note) == (4, None, None)
    assert task.classes == 3 and task.class_names == ("cat", "dog", "eel")  # the task itself is left alone
    spec = load(DEMO_SPEC)
    spec.tasks[0].class_names = tuple(f"d{k}" for k in range(spec.tasks[0].classes))
    for classes in (4, 12):
        edited = copy.deepcopy(spec)
        edited.tasks[0], _ = edits.with_classes(spec.tasks[0], classes)
        validate(edited)  # a plain count edit (names left at 10) is what validation refuses
    spec.tasks[0].classes = 4
    with pytest.raises(Exception, match="class_names"):
        validate(spec)
