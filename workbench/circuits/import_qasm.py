"""One task's circuit as editable OpenQASM 3, and that text read back into the task's block.

``task_qasm`` is what the code view shows: the text ``qmtl export --format qasm3 --task T`` writes (the shared
encoder's gates, then the task block's, then the measurements). Where that export needs more than one program
(a Pauli-word readout measured in several bases) or cannot be written with symbolic inputs (AmplitudeEmbedding),
the view leaves out the measurements, or the encoder, and a comment says so.

``import_task_block`` reads such a text back: the encoder's gates must come first, unchanged (the encoder is
shared by every task, so it is edited in the composer, not in one task's code); the gates after them, up to the
measurements, become the task's block, a custom block (a template block becomes one, and a task on the head's
default block gets a block of its own). Weights keep their export names: ``_w_N_`` is the block's weight
``N - E`` (E: the encoder's weight count); any other declared ``input`` is a new trainable angle. Angles are
numbers or constant expressions (``pi/4``); an input feature ``_x_N_`` belongs to the encoder, not to a task
block. Measurements are not imported (the readout is a task setting); a changed one is noted.

Round trip: the gates come back as the exporter's native gates map to the spec's (``u`` -> Rot, ``rzz`` ->
MultiRZ, a CNOT ladder around an ``rz`` -> MultiRZ on its wires), so export then import gives the block's circuit
gate for gate (a MultiRZ on one wire comes back as the RZ it is).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from dataclasses import dataclass

from workbench.circuits.export_native import has_amplitude, native_gates
from workbench.circuits.ir import Block, QMTLProgram
from workbench.circuits.program import build_program
from workbench.circuits.qasm_reader import Angle, GateCall, QasmError, QasmProgram, is_number, read_qasm
from workbench.circuits.templates import expand_ansatz
from workbench.errors import SpecError, UserError
from workbench.spec import bounds as B
from workbench.spec import layout as L
from workbench.spec.model import BlockSpec, ExperimentSpec, GateSpec
from workbench.spec.validate import validate
from workbench.textsafe import shown

__all__ = ["QasmError", "BlockImport", "task_qasm", "encoder_lines", "import_task_block"]

MAX_WEIGHT_INDEX = 8 * B.MAX_GATES  # a block's weights: at most 8 angles per gate

# QASM gate -> (spec gate, qubits, angles, spec angles from the QASM ones)
_SAME = {"rx": "RX", "ry": "RY", "rz": "RZ", "h": "H", "x": "X", "y": "Y", "z": "Z", "s": "S", "t": "T",
         "cx": "CNOT", "CX": "CNOT", "cz": "CZ", "swap": "SWAP", "crx": "CRX", "cry": "CRY", "crz": "CRZ",
         "p": "PhaseShift", "phase": "PhaseShift", "u1": "PhaseShift", "rzz": "MultiRZ"}
_QUBITS = {"rx": 1, "ry": 1, "rz": 1, "h": 1, "x": 1, "y": 1, "z": 1, "s": 1, "t": 1, "p": 1, "phase": 1, "u1": 1,
           "cx": 2, "CX": 2, "cz": 2, "swap": 2, "crx": 2, "cry": 2, "crz": 2, "rzz": 2,
           "U": 1, "u": 1, "u3": 1, "u2": 1, "sdg": 1, "tdg": 1, "id": 1}
_ANGLES = {"rx": 1, "ry": 1, "rz": 1, "p": 1, "phase": 1, "u1": 1, "crx": 1, "cry": 1, "crz": 1, "rzz": 1,
           "U": 3, "u": 3, "u3": 3, "u2": 2}
READ_GATES = ("rx", "ry", "rz", "p", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "U", "u3", "u2", "u1", "cx", "cz",
              "swap", "crx", "cry", "crz", "rzz", "id")  # as the unknown-gate message lists them (also: u, CX, phase)


@dataclass
class BlockImport:
    """The result of reading a task's QASM: the new spec (a copy), the task's new block and what to tell."""

    spec: ExperimentSpec
    task_index: int
    block: BlockSpec
    notes: list[str]
    changed: bool


# ----------------------------------------------------------------------------------------------- the view

def _measured(program: QMTLProgram, task: str) -> bool:
    """Whether the view shows the export's measurements: one program, no basis change before them."""
    r = program.task(task).readout
    if r.kind != "pauli":
        return True
    from workbench.circuits.export_qiskit import measurement_bases

    bases = measurement_bases(r)
    return len(bases) == 1 and all(op == "Z" for op in bases[0][0].values())


def _without_encoder(program: QMTLProgram) -> QMTLProgram:
    empty = Block("encoder", "encoder", [], 0, program.n_features)
    return dataclasses.replace(program, encoder=empty)


def task_qasm(program: QMTLProgram, task: str, title: str = "") -> str:
    """The task's circuit as the code view shows it (and ``import_task_block`` reads back)."""
    from workbench.circuits.export_qasm import to_qasm3

    notes = []
    shown_program = program
    if has_amplitude(program):
        shown_program = _without_encoder(program)
        notes.append("the shared encoder (AmplitudeEmbedding) is left out: OpenQASM cannot write it with symbolic "
                     "inputs (qmtl export --inputs binds one row)")
    measure = _measured(program, task)
    if not measure:
        notes.append("measurements left out: this Pauli-word readout is measured in other bases; File > Export "
                     "writes one program per basis")
    header = "\n".join([title, *notes]) if title or notes else ""
    return to_qasm3(shown_program, task, measure=measure, header=header)


def encoder_lines(program: QMTLProgram, text: str) -> tuple[int, int] | None:
    """The first and last line of the shared encoder's gates in ``task_qasm``'s text (None: none shown)."""
    count = 0 if has_amplitude(program) else len(native_gates(program.encoder.gates))
    if not count:
        return None
    calls = read_qasm(text, max_statements=10**9, max_qubits=B.MAX_QUBITS).calls[:count]
    return (calls[0].line, calls[-1].line) if calls else None


# ----------------------------------------------------------------------------------------------- reading

def _task_index(spec: ExperimentSpec, task: str) -> int:
    for i, t in enumerate(spec.tasks):
        if t.name == task:
            return i
    names = ", ".join(t.name for t in spec.tasks)
    raise UserError(f"--task: no task {shown(task)} (tasks: {names})")


def _program(spec: ExperimentSpec) -> QMTLProgram:
    try:
        validate(spec)
        return build_program(spec)
    except (SpecError, ValueError) as exc:
        raise UserError(f"the experiment has a problem to fix first: {exc}") from None


def import_task_block(spec: ExperimentSpec, task: str, text: str) -> BlockImport:
    """Read ``text`` (the task's circuit in OpenQASM 3) into a copy of ``spec`` whose task ``task`` has the
    gates after the shared encoder as its block. Raises ``QasmError`` (with the line) or ``UserError``."""
    index = _task_index(spec, task)
    program = _program(spec)
    view = task_qasm(program, task)
    encoder_ops = 0 if has_amplitude(program) else len(native_gates(program.encoder.gates))
    expected = read_qasm(view, max_statements=10**9, max_qubits=B.MAX_QUBITS)
    limit = len(expected.calls) + len(expected.measurements) + 4 * B.MAX_GATES + 1000
    prog = read_qasm(text, max_statements=limit, max_qubits=B.MAX_QUBITS)
    if prog.n_qubits is None:
        raise QasmError(1, f"no qubit register: declare the circuit's qubits with qubit[{program.n_qubits}] q;")
    if prog.n_qubits != program.n_qubits:
        raise QasmError(prog.register_line, f"qubit[{prog.n_qubits}] {prog.register}: the experiment has "
                                            f"{program.n_qubits} qubits (change them in the composer)")
    calls = _after_encoder(prog, expected.calls[:encoder_ops])
    _no_gate_after_measuring(prog)
    e = program.encoder.n_weights if encoder_ops else 0
    wires = _block_wires(spec, index)
    gates = _fold_ladders(_to_gates(calls, prog, e, wires))
    if len(gates) > B.MAX_GATES:
        raise QasmError(calls[-1].line, f"{len(gates)} gates in one block (at most {B.MAX_GATES})")
    old = spec.block_for(spec.tasks[index])
    block = dataclasses.replace(copy.deepcopy(old), template="Custom", gates=_tokens(gates, spec.quantum.qubits))
    new = copy.deepcopy(spec)
    new.tasks[index].block = block
    try:
        validate(new)
    except SpecError as exc:
        raise UserError(f"the imported block does not fit the experiment: {exc}") from None
    notes = _notes(spec, index, old, block, prog, expected)
    changed = spec.tasks[index].block != block
    return BlockImport(new, index, block, notes, changed)


def _after_encoder(prog: QasmProgram, encoder: list[GateCall]) -> list[GateCall]:
    """The calls after the encoder's, which must open the program unchanged."""
    calls = prog.calls
    for i, want in enumerate(encoder):
        if i >= len(calls):
            line = calls[-1].line if calls else prog.last_line
            raise QasmError(line, f"the shared encoder's {len(encoder)} gates must open the circuit; only {i} are "
                                  f"here (the encoder is shared by every task: edit it in the composer)")
        got = calls[i]
        if _same_call(got, want):
            continue
        raise QasmError(got.line, f"the shared encoder's gate {i + 1} is {want.source}, here {shown(got.source)}: "
                                  "the encoder is shared by every task, edit it in the composer", got.column)
    return calls[len(encoder):]


def _same_call(got: GateCall, want: GateCall) -> bool:
    if got.name != want.name or got.qubits != want.qubits or len(got.angles) != len(want.angles):
        return False
    for a, b in zip(got.angles, want.angles):
        if a.kind != b.kind:
            return False
        if a.kind == "const" and not math.isclose(a.value, b.value, rel_tol=1e-12, abs_tol=1e-12):
            return False
        if a.kind != "const" and a.text != b.text:
            return False
    return True


def _no_gate_after_measuring(prog: QasmProgram) -> None:
    if prog.measurements:
        first = min(m.line for m in prog.measurements)
        later = [c for c in prog.calls if c.line > first]
        if later:
            raise QasmError(later[0].line, f"{later[0].name} after the measurements: a task block's gates come "
                                           "before them", later[0].column)


def _block_wires(spec: ExperimentSpec, index: int) -> list[int] | None:
    """The wires the task's gates are written relative to (registers, or a block with ``wires``), else None."""
    block = L.effective_block(spec, index)
    return list(block.wires) if block.wires is not None else None


@dataclass
class _Gate:
    gate: str
    wires: list[int]
    params: list  # ("w", index) | ("c", token)
    line: int


def _to_gates(calls: list[GateCall], prog: QasmProgram, e: int, wires: list[int] | None) -> list[_Gate]:
    named: dict[str, int] = {}  # declared inputs other than _w_N_: new weights after the block's own
    top = -1
    for c in calls:
        for a in c.angles:
            n = _weight_number(a)
            if n is not None:
                top = max(top, n - e)
    out = []
    for c in calls:
        if c.name not in _QUBITS:
            raise QasmError(c.line, f"unknown gate {shown(c.name)} (this reads {', '.join(READ_GATES)})", c.column)
        if len(c.qubits) != _QUBITS[c.name]:
            raise QasmError(c.line, f"{c.name} acts on {_QUBITS[c.name]} qubit(s), got {len(c.qubits)}", c.column)
        if len(set(c.qubits)) != len(c.qubits):
            raise QasmError(c.line, f"{c.name} uses {prog.register}[{c.qubits[0]}] twice", c.column)
        want = _ANGLES.get(c.name, 0)
        if len(c.angles) != want:
            raise QasmError(c.line, f"{c.name} takes {want} angle(s), got {len(c.angles)}", c.column)
        params = []
        for a in c.angles:
            params.append(_param(a, prog, e, named, top))
            top = max(top, max(named.values(), default=-1))
        qubits = list(c.qubits)
        if wires is not None:
            outside = [q for q in qubits if q not in wires]
            if outside:
                raise QasmError(c.line, f"{prog.register}[{outside[0]}] is outside the task's wires {wires} "
                                        "(its block acts on those wires only)", c.column)
            qubits = [wires.index(q) for q in qubits]
        gate = _spec_gate(c, params, qubits)
        if gate is not None:
            out.append(gate)
    return out


def _weight_number(a: Angle) -> int | None:
    """N of a ``_w_N_`` name (bounded: a longer number is a weight beyond any block)."""
    m = re.fullmatch(r"_w_([0-9]+)_", a.text) if a.kind == "name" else None
    if m is None:
        return None
    digits = m.group(1)
    return int(digits) if len(digits) <= 7 else 10**8


def _param(a: Angle, prog: QasmProgram, e: int, named: dict[str, int], top: int) -> tuple:
    if a.kind == "const":
        if abs(a.value) > B.MAX_ABS_FLOAT:
            raise QasmError(a.line, f"angle {shown(a.text)} is too large ({a.value:g})", a.column)
        return ("c", a.value if is_number(a.text) or len(a.text) > B.MAX_EXPRESSION_CHARS else a.text)
    if a.kind == "expr":
        raise QasmError(a.line, f"angle {shown(a.text)}: a trainable angle stands alone (_w_3_ or a declared "
                                "input); arithmetic on it is not a gate parameter of the spec", a.column)
    name = a.text
    if name.startswith("_x_") and name.endswith("_") and name[3:-1].isdigit():
        raise QasmError(a.line, f"{name} is input feature {name[3:-1]}: input features belong in the shared "
                                "encoder, not in a task block", a.column)
    n = _weight_number(a)
    if n is not None:
        if n < e:
            raise QasmError(a.line, f"{name} is a weight of the shared encoder (_w_0_.._w_{e - 1}_); this task "
                                    f"block's weights start at _w_{e}_", a.column)
        if n - e > MAX_WEIGHT_INDEX:
            raise QasmError(a.line, f"{shown(name)}: at most {MAX_WEIGHT_INDEX} weights in one block", a.column)
        return ("w", n - e)
    if name in prog.inputs:
        if name not in named:
            named[name] = top + 1
        return ("w", named[name])
    raise QasmError(a.line, f"unknown name {shown(name)} (declare it with input float[64] {name[:40]}; to make "
                            "it a trainable angle, or use a number such as pi/4)", a.column)


def _spec_gate(c: GateCall, params: list, qubits: list[int]) -> _Gate | None:
    if c.name == "id":
        return None
    if c.name in _SAME:
        return _Gate(_SAME[c.name], qubits, params, c.line)
    if c.name in ("sdg", "tdg"):
        return _Gate("PhaseShift", qubits, [("c", "-pi/2" if c.name == "sdg" else "-pi/4")], c.line)
    if c.name == "u2":  # u2(phi, lam) = U(pi/2, phi, lam)
        phi, lam = params
        params = [("c", "pi/2"), phi, lam]
    theta, phi, lam = params  # U(theta, phi, lambda) = Rot(lambda, theta, phi) up to a global phase
    return _Gate("Rot", qubits, [lam, theta, phi], c.line)


def _fold_ladders(gates: list[_Gate]) -> list[_Gate]:
    """``cx(a,b) cx(b,c) .. rz(t) last .. cx(b,c) cx(a,b)`` on 3+ distinct wires is MultiRZ(t) on them: the
    export writes MultiRZ so, and it is the same operator exactly."""
    out, i = [], 0
    while i < len(gates):
        folded = _ladder_at(gates, i)
        if folded is None:
            out.append(gates[i])
            i += 1
        else:
            gate, length = folded
            out.append(gate)
            i += length
    return out


def _ladder_at(gates: list[_Gate], i: int) -> tuple[_Gate, int] | None:
    chain: list[int] = []
    j = i
    while j < len(gates) and gates[j].gate == "CNOT" and (not chain or gates[j].wires[0] == chain[-1]):
        a, b = gates[j].wires
        if not chain:
            chain.append(a)
        if b in chain:
            break
        chain.append(b)
        j += 1
    k = len(chain) - 1  # CNOTs in the ladder
    while k >= 2:  # the longest ladder that closes
        mid = i + k
        if mid < len(gates) and gates[mid].gate == "RZ" and gates[mid].wires == [chain[k]]:
            back = gates[mid + 1:mid + 1 + k]
            if len(back) == k and all(g.gate == "CNOT" and g.wires == [chain[k - 1 - n], chain[k - n]]
                                      for n, g in enumerate(back)):
                return _Gate("MultiRZ", chain[:k + 1], gates[mid].params, gates[i].line), 2 * k + 1
        k -= 1
    return None


def _tokens(gates: list[_Gate], n: int) -> list[GateSpec]:
    """Spec gates: plain ``"w"`` while the weights come in order (as the composer writes them), numbered
    ``"wN"`` otherwise; checked by expanding, with every angle numbered if plain ones would shift."""
    plain, explicit = [], []
    next_w = 0
    for g in gates:
        p_plain, p_explicit = [], []
        for kind, value in g.params:
            if kind == "w":
                p_plain.append("w" if value == next_w else f"w{value}")
                p_explicit.append(f"w{value}")
                next_w = max(next_w, value + 1)
            else:
                p_plain.append(value)
                p_explicit.append(value)
        plain.append(GateSpec(g.gate, list(g.wires), p_plain))
        explicit.append(GateSpec(g.gate, list(g.wires), p_explicit))
    want = [tuple(i for kind, i in g.params if kind == "w") for g in gates]
    try:
        got = expand_ansatz(BlockSpec(template="Custom", gates=plain), n, "check").gates
    except (SpecError, ValueError):
        return explicit
    seen = [tuple(p.index for p in g.params if p.kind == "weight") for g in got]
    return plain if seen == want else explicit


def _notes(spec: ExperimentSpec, index: int, old: BlockSpec, block: BlockSpec, prog: QasmProgram,
           expected: QasmProgram) -> list[str]:
    task = spec.tasks[index]
    notes = []
    if old.template != "Custom":
        count = len(block.gates)
        notes.append(f"the {old.template} block of task {shown(task.name)} is now a custom block of {count} "
                     f"gate{'s' * (count != 1)}")
    if task.block is None:
        notes.append(f"task {shown(task.name)} used the head's default block; it now has a block of its own "
                     "(the other tasks keep the default)")
    if [m.text for m in prog.measurements] != [m.text for m in expected.measurements]:
        notes.append("measurements are not imported: the readout is a task setting (set it in the composer)")
    return notes

