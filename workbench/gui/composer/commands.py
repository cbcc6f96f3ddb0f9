"""Undoable edits of the document. Every change of the spec is one of these on the document's QUndoStack.

``SetValue`` replaces one subtree of the spec (a field, a block, the task list) and remembers the old
value: undo is exact, and a multi-item edit is a macro of several of them (one step on the stack).
The functions below turn user intents (drop a gate, move a selection, rename a task) into commands;
they raise ``EditRefused`` with the reason when the intent cannot be honoured.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from PySide6.QtGui import QUndoCommand

from workbench.circuits import edits as ops
from workbench.circuits.edits import ENCODER, BlockKey
from workbench.gui.composer.document import ExperimentDocument, SpecPath
from workbench.spec import vocabulary as V
from workbench.spec.model import BlockSpec, GateSpec, ReadoutSpec

_MERGE_ID = 0x51A7


class EditRefused(ValueError):
    """An edit that would make no sense; the message says why (shown where the user made it)."""


class SetValue(QUndoCommand):
    """Replace the value at ``path``. Both values are kept pickled: a private copy that cannot be changed by
    accident, and one object for the garbage collector instead of a tree (a long undo history of deep
    copies made its full collections stall edits)."""

    def __init__(self, doc: ExperimentDocument, path: SpecPath, value, text: str, merge: bool = False):
        super().__init__(text)
        self.doc = doc
        self.path = tuple(path)
        self.old = pickle.dumps(doc.get(self.path), pickle.HIGHEST_PROTOCOL)
        self.new = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        self.merge = merge

    def redo(self) -> None:
        self.doc.set_value(self.path, pickle.loads(self.new))

    def undo(self) -> None:
        self.doc.set_value(self.path, pickle.loads(self.old))

    def id(self) -> int:
        return _MERGE_ID if self.merge else -1

    def mergeWith(self, other) -> bool:  # typing in one field: one undo step
        if not isinstance(other, SetValue) or other.path != self.path or not other.merge:
            return False
        self.new = other.new
        self.setText(other.text())  # the last edit's words (its note) name the merged step
        return True


@contextmanager
def macro(doc: ExperimentDocument, text: str):
    doc.undo_stack.beginMacro(text)
    try:
        yield
    finally:
        doc.undo_stack.endMacro()


def set_value(doc: ExperimentDocument, path: SpecPath, value, text: str, merge: bool = False) -> bool:
    """Push a SetValue unless the value is unchanged. Returns whether anything was pushed."""
    if doc.get(path) == value:
        return False
    doc.undo_stack.push(SetValue(doc, path, value, text, merge))
    return True


# ----------------------------------------------------------------------------------------------- blocks

def _editable_gates(doc: ExperimentDocument, key: BlockKey) -> tuple[BlockSpec, str]:
    """The block's gates as a Custom block (expanding a template first). Returns (block, note)."""
    block = ops.effective_block(doc.spec, key)
    if block.template == "Custom":
        return copy.deepcopy(block), ""
    try:
        return ops.expand_block(doc.spec, key), f"{block.template} expanded to gates"
    except ValueError as exc:
        raise EditRefused(f"{exc}; this block cannot take single gates") from None


def set_block(doc: ExperimentDocument, key: BlockKey, block: BlockSpec, text: str) -> None:
    set_value(doc, ops.block_path(key), block, text)


def add_gate(doc: ExperimentDocument, key: BlockKey, name: str, wire: int, col: float | None = None) -> str:
    """Drop palette gate ``name`` on ``wire`` at column ``col`` (None: at the end). Returns a note."""
    if name not in V.GATES:
        raise EditRefused(f"unknown gate {name!r}")
    q = doc.spec.quantum.qubits
    nwires = V.GATES[name][0]
    if not 0 <= wire < q:
        raise EditRefused(f"wire {wire} does not exist (the circuit has wires 0..{q - 1})")
    if nwires == 2 and q < 2:
        raise EditRefused(f"{name} needs two wires; the circuit has one")
    block, note = _editable_gates(doc, key)
    cols = ops.gate_columns(block.gates)
    if col is None:
        col = max(cols, default=-1) + 1
    gate = ops.new_gate(name, wire, q, block)
    block.gates = ops.place(block.gates, cols, [(gate, col)])
    set_block(doc, key, block, f"Add {name} on wire {wire}")
    return note


def set_template(doc: ExperimentDocument, key: BlockKey, template: str) -> None:
    """Drop an encoder or ansatz template on a band: the block becomes that template call."""
    encoder = key == ENCODER
    allowed = V.ENCODERS if encoder else V.ANSATZE
    if template not in allowed:
        where = "the shared encoder" if encoder else "a task block"
        kind = "an encoder" if template in V.ENCODERS else "an ansatz"
        raise EditRefused(f"{template} is {kind}; {where} takes {' / '.join(t for t in allowed if t != 'Custom')}")
    block = ops.template_block(ops.effective_block(doc.spec, key), template, encoder)
    set_block(doc, key, block, f"Use {template}")


def expand(doc: ExperimentDocument, key: BlockKey) -> None:
    block = ops.effective_block(doc.spec, key)
    try:
        custom = ops.expand_block(doc.spec, key)
    except ValueError as exc:
        raise EditRefused(str(exc)) from None
    set_block(doc, key, custom, f"Expand {block.template}")


def regroup(doc: ExperimentDocument, key: BlockKey) -> str:
    try:
        block = ops.regroup_block(doc.spec, key)
    except ValueError as exc:
        raise EditRefused(str(exc)) from None
    set_block(doc, key, block, f"Regroup as {block.template}")
    return ops.block_label(block)


GateRef = tuple  # (block key, gate index)


def _group(refs: Iterable[GateRef]) -> dict[BlockKey, list[int]]:
    out: dict[BlockKey, list[int]] = {}
    for key, i in refs:
        out.setdefault(key, []).append(i)
    return out


def delete_gates(doc: ExperimentDocument, refs: Sequence[GateRef]) -> None:
    if not refs:
        return
    groups = _group(refs)
    with macro(doc, f"Delete {len(refs)} gate{'s' * (len(refs) != 1)}"):
        for key, idx in groups.items():
            block = copy.deepcopy(ops.effective_block(doc.spec, key))
            drop = set(idx)
            block.gates = [g for i, g in enumerate(block.gates) if i not in drop]
            set_block(doc, key, block, "Delete gates")


def move_gates(doc: ExperimentDocument, refs: Sequence[GateRef], target: BlockKey, wire_delta: int,
               col_of: dict[GateRef, float]) -> list[GateRef]:
    """Move gates (one drag): out of their blocks, into ``target`` with wires shifted by ``wire_delta``,
    each at its new column ``col_of[ref]`` (in the target block's current drawing). Returns where the moved
    gates are now, so the selection can follow them."""
    if not refs:
        return []
    q = doc.spec.quantum.qubits
    moved = []
    for key, i in refs:
        g = copy.deepcopy(ops.effective_block(doc.spec, key).gates[i])
        g.wires = [w + wire_delta for w in g.wires]
        bad = [w for w in g.wires if not 0 <= w < q]
        if bad:
            raise EditRefused(f"wire {bad[0]} does not exist (the circuit has wires 0..{q - 1})")
        if target != ENCODER:
            for p in g.params:
                problem = ops.param_problem(p, encoder=False)
                if problem:
                    raise EditRefused(f"{g.gate} cannot move into a task block: {problem}")
        moved.append(((key, i), g))
    groups = _group(refs)
    text = f"Move {len(refs)} gate{'s' * (len(refs) != 1)}"
    with macro(doc, text):
        target_block, _ = _editable_gates(doc, target)
        target_cols = ops.gate_columns(target_block.gates)
        for key, idx in groups.items():
            if key == target:
                continue
            block = copy.deepcopy(ops.effective_block(doc.spec, key))
            drop = set(idx)
            block.gates = [g for i, g in enumerate(block.gates) if i not in drop]
            set_block(doc, key, block, text)
        drop = set(groups.get(target, []))
        remaining = [(g, c) for i, (g, c) in enumerate(zip(target_block.gates, target_cols)) if i not in drop]
        incoming = [g for ref, g in moved if ref[0] != target]  # angles of another block: new weights here
        renewed = iter(ops.with_fresh_weights(incoming, target_block))
        items = [(g if ref[0] == target else next(renewed), col_of[ref]) for ref, g in moved]
        target_block.gates = ops.place([g for g, _ in remaining], [c for _, c in remaining], items)
        set_block(doc, target, target_block, text)
    placed = {id(g) for g, _ in items}
    return [(target, i) for i, g in enumerate(target_block.gates) if id(g) in placed]


def paste_gates(doc: ExperimentDocument, target: BlockKey, gates: list[dict]) -> int:
    """Append copied gates (dicts with gate, wires, params, col) after the last column of ``target``."""
    if not gates:
        return 0
    q = doc.spec.quantum.qubits
    items = []
    for g in gates:
        spec = GateSpec(str(g["gate"]), [int(w) for w in g["wires"]], list(g.get("params", [])))
        if spec.gate not in V.GATES:
            raise EditRefused(f"unknown gate {spec.gate!r} on the clipboard")
        bad = [w for w in spec.wires if not 0 <= w < q]
        if bad:
            raise EditRefused(f"the copied {spec.gate} sits on wire {bad[0]}, which this circuit lacks")
        for p in spec.params:
            problem = ops.param_problem(p, encoder=target == ENCODER)
            if problem:
                raise EditRefused(f"cannot paste {spec.gate} here: {problem}")
        items.append((spec, float(g.get("col", 0))))
    block, _ = _editable_gates(doc, target)
    cols = ops.gate_columns(block.gates)
    start = max(cols, default=-1) + 1
    copies = ops.with_fresh_weights([g for g, _ in items], block)  # a copy gets angles of its own
    block.gates = ops.place(block.gates, cols, [(g, start + c) for g, (_, c) in zip(copies, items)])
    set_block(doc, target, block, f"Paste {len(items)} gate{'s' * (len(items) != 1)}")
    return len(items)


def set_gate(doc: ExperimentDocument, ref: GateRef, gate: GateSpec, text: str, merge: bool = False) -> None:
    key, i = ref
    block, _ = _editable_gates(doc, key)
    block.gates[i] = copy.deepcopy(gate)
    set_value(doc, ops.block_path(key), block, text, merge)


def set_param(doc: ExperimentDocument, ref: GateRef, j: int, token) -> None:
    """Set angle ``j`` of a gate: "w"/"w3" (trainable), "x2" (input feature) or an expression."""
    key, i = ref
    problem = ops.param_problem(token, encoder=key == ENCODER)
    if problem:
        raise EditRefused(problem)
    block = ops.effective_block(doc.spec, key)
    gate = copy.deepcopy(block.gates[i])
    if token == "w":  # a new trainable angle, never one the block already has
        token = ops.fresh_weights(block, 1)[0]
    gate.params[j] = token
    set_gate(doc, ref, gate, f"Set {gate.gate} angle {j + 1} to {token}")


def set_gate_wires(doc: ExperimentDocument, ref: GateRef, wires: list[int]) -> None:
    key, i = ref
    gate = copy.deepcopy(ops.effective_block(doc.spec, key).gates[i])
    nwires = V.GATES.get(gate.gate, (None, 0))[0]
    if nwires is not None and len(wires) != nwires:
        raise EditRefused(f"{gate.gate} acts on {nwires} wire(s), got {len(wires)}")
    if len(set(wires)) != len(wires):
        raise EditRefused(f"a gate cannot act twice on one wire: {wires}")
    q = doc.spec.quantum.qubits
    bad = [w for w in wires if not 0 <= w < q]
    if bad:
        raise EditRefused(f"wire {bad[0]} does not exist (the circuit has wires 0..{q - 1})")
    gate.wires = list(wires)
    set_gate(doc, ref, gate, f"Move {gate.gate} to wires {wires}")


# ----------------------------------------------------------------------------------------------- tasks

def add_task(doc: ExperimentDocument) -> int:
    tasks = copy.deepcopy(doc.spec.tasks)
    task = ops.new_task(doc.spec)
    tasks.append(task)
    set_value(doc, ("tasks",), tasks, f"Add task {task.name}")
    return len(tasks) - 1


def remove_task(doc: ExperimentDocument, index: int) -> None:
    if len(doc.spec.tasks) <= 1:
        raise EditRefused("an experiment needs at least one task")
    tasks = copy.deepcopy(doc.spec.tasks)
    task = tasks.pop(index)
    set_value(doc, ("tasks",), tasks, f"Remove task {task.name}")


def rename_task(doc: ExperimentDocument, index: int, name: str) -> None:
    problem = ops.task_name_problem(doc.spec, index, name)
    if problem:
        raise EditRefused(problem)
    old = doc.spec.tasks[index].name
    set_value(doc, ("tasks", index, "name"), name, f"Rename task {old} to {name}")


def move_task(doc: ExperimentDocument, index: int, to: int) -> int:
    n = len(doc.spec.tasks)
    to = max(0, min(n - 1, to))
    if to == index:
        return index
    tasks = copy.deepcopy(doc.spec.tasks)
    task = tasks.pop(index)
    tasks.insert(to, task)
    set_value(doc, ("tasks",), tasks, f"Move task {task.name}")
    return to


def set_classes(doc: ExperimentDocument, index: int, classes: int, merge: bool = False) -> str | None:
    """The task's class count, its class names kept consistent, as one step; the note on the names, if any.

    Steps merged into one (a spin box's arrows) count from the task before the first of them, so the note and the
    names are those of the whole step: 10 named classes stepped down to 8 and back up to 10 keep all ten names."""
    path = ("tasks", index)
    stack = doc.undo_stack
    top = stack.command(stack.index() - 1) if stack.index() == stack.count() else None
    before = doc.spec.tasks[index]
    if merge and isinstance(top, SetValue) and top.merge and top.path == path:
        before = pickle.loads(top.old)
    task, note = ops.with_classes(before, classes)
    set_value(doc, path, task, f"{task.name}: {classes} classes" + (f" ({note})" if note else ""), merge)
    return note


def set_readout(doc: ExperimentDocument, index: int, readout: ReadoutSpec | None) -> None:
    name = doc.spec.tasks[index].name
    set_value(doc, ("tasks", index, "readout"), readout,
              f"Readout of {name}: " + ("automatic" if readout is None else f"{readout.kind} {readout.wires}"))
