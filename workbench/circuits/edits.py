"""Pure edits of an experiment's circuits that the GUI composer's undoable commands apply (placement, template
expansion and regrouping, fresh weights, problems in plain words): no Qt here, tested headless.

A *block key* names a block of the quantum head: ``"encoder"`` (the shared encoder) or a task index.
Every function returns new values; the document only ever changes through undoable commands.
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
from dataclasses import dataclass

from workbench.circuits.templates import expand_ansatz, expand_encoder
from workbench.errors import SpecError
from workbench.spec import vocabulary as V
from workbench.spec.model import BlockSpec, ExperimentSpec, GateSpec, ReadoutSpec, TaskSpec
from workbench.spec.params import parse_param
from workbench.spec.validate import effective_readout, readout_problem, validate, validate_block

BlockKey = str | int
ENCODER = "encoder"


def block_path(key: BlockKey) -> tuple:
    return ("quantum", "encoder") if key == ENCODER else ("tasks", key, "block")


def effective_block(spec: ExperimentSpec, key: BlockKey) -> BlockSpec:
    if key == ENCODER:
        return spec.quantum.encoder
    return spec.block_for(spec.tasks[key])


def block_label(block: BlockSpec) -> str:
    """One line naming a template call, e.g. ``StronglyEntanglingLayers · 2 layers``."""
    t = block.template
    if t == "Custom":
        return f"Custom · {len(block.gates)} gates"
    if t == "AngleEmbedding":
        return f"AngleEmbedding · R{block.rotation}"
    if t in ("AmplitudeEmbedding",):
        return t
    if t == "BasicEntanglerLayers":
        return f"{t} · R{block.rotation} · {block.layers} layer{'s' * (block.layers != 1)}"
    return f"{t} · {block.layers} layer{'s' * (block.layers != 1)}"


# ----------------------------------------------------------------------------------------------- layout

def gate_span(g: GateSpec) -> tuple[int, int]:
    wires = [w for w in g.wires if isinstance(w, int)]
    if not wires:
        return 0, 0
    return min(wires), max(wires)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def gate_columns(gates: list[GateSpec]) -> list[int]:
    """As-soon-as-possible columns: a gate occupies every wire between its lowest and highest wire."""
    level: dict[int, int] = {}
    cols = []
    for g in gates:
        lo, hi = gate_span(g)
        c = max((level.get(w, 0) for w in range(lo, hi + 1)), default=0)
        cols.append(c)
        for w in range(lo, hi + 1):
            level[w] = c + 1
    return cols


def place(remaining: list[GateSpec], cols: list[float], items: list[tuple[GateSpec, float]]) -> list[GateSpec]:
    """Insert ``items`` (gate, target column) among ``remaining`` gates drawn at ``cols``.

    Each new gate goes after every overlapping gate left of its column and before every overlapping gate
    at or right of it. The order of the other gates is kept; only where no such position exists is the
    list re-sorted by column, which keeps the order of gates sharing a wire and so the circuit's meaning.
    """
    entries = list(zip(remaining, cols))
    for gate, col in sorted(items, key=lambda it: it[1]):
        s = gate_span(gate)
        before = [i for i, (g, c) in enumerate(entries) if c < col and _overlap(gate_span(g), s)]
        after = [i for i, (g, c) in enumerate(entries) if c >= col and _overlap(gate_span(g), s)]
        lo = max(before) + 1 if before else 0
        hi = min(after) if after else len(entries)
        if lo <= hi:
            entries.insert(hi, (gate, col - 0.5))
        else:
            entries.append((gate, col - 0.5))
            entries.sort(key=lambda e: e[1])
    return [g for g, _ in entries]


def new_gate(name: str, wire: int, qubits: int, block: BlockSpec | None = None) -> GateSpec:
    """A palette gate dropped on ``wire``: new trainable angles; two-qubit gates take the next wire down."""
    nwires, nparams = V.GATES[name]
    if nwires == 2:
        wires = [wire, wire + 1] if wire + 1 < qubits else [wire - 1, wire]
    else:
        wires = [wire]
    return GateSpec(name, wires, fresh_weights(block, nparams))


def weight_token(p):
    try:
        tok = parse_param(p)
    except ValueError:
        return None
    return tok if tok.kind == "weight" else None


def fresh_weights(block: BlockSpec | None, count: int) -> list[str]:
    """Tokens for ``count`` new trainable angles that share no weight with the block's other angles.

    ``"w"`` takes the index after the largest one seen so far in the list, so in a block that numbers its
    angles (``w7``) a ``"w"`` placed before ``w7`` would silently share it: there, new angles are numbered
    after the block's last weight instead.
    """
    if block is None:
        return ["w"] * count
    explicit = False
    n = 0
    for g in block.gates:
        for p in g.params:
            tok = weight_token(p)
            if tok is None:
                continue
            explicit = explicit or tok.index is not None
            n = max(n, tok.index + 1) if tok.index is not None else n + 1
    return [f"w{n + k}" for k in range(count)] if explicit else ["w"] * count


def with_fresh_weights(gates: list[GateSpec], block: BlockSpec) -> list[GateSpec]:
    """Copies of ``gates`` for ``block`` (pasted, or moved in from another block): new trainable angles."""
    out = []
    scratch = copy.deepcopy(block)
    for g in gates:
        g = copy.deepcopy(g)
        slots = [j for j, p in enumerate(g.params) if weight_token(p) is not None]
        for j, token in zip(slots, fresh_weights(scratch, len(slots))):
            g.params[j] = token
        scratch.gates.append(g)
        out.append(g)
    return out


# ----------------------------------------------------------------------------------------------- templates

def expand_ir(block: BlockSpec, spec: ExperimentSpec, key: BlockKey):
    """The IR block that ``block`` expands to in place ``key`` (the encoder, or task ``key``)."""
    n = spec.quantum.qubits
    if key == ENCODER:
        return expand_encoder(block, n, spec.backbone.width)
    return expand_ansatz(block, n, spec.tasks[key].name)


def expand_block(spec: ExperimentSpec, key: BlockKey) -> BlockSpec:
    """The template of block ``key`` as a Custom block with the same gates and weight layout.

    Raises ValueError with the reason when the template has no gate-by-gate form.
    """
    block = effective_block(spec, key)
    if block.template == "Custom":
        raise ValueError("this block is already made of gates")
    try:
        ir = expand_ir(block, spec, key)
    except (SpecError, ValueError) as exc:
        raise ValueError(f"cannot expand {block.template}: {exc}") from None
    gates = []
    next_w = 0
    for g in ir.gates:
        if g.name not in V.GATES:
            raise ValueError(f"{block.template} uses {g.name}, which is not a composer gate")
        params = []
        for p in g.params:
            if p.kind == "weight" and p.scale == 1.0:
                params.append("w" if p.index == next_w else f"w{p.index}")  # plain "w" while in order
                next_w = max(next_w, p.index + 1)
            elif p.kind == "input" and p.index2 < 0 and p.scale == block.input_scale:
                params.append(f"x{p.index}")
            elif p.kind == "const":
                params.append(p.value)
            else:
                raise ValueError(f"{block.template} feeds {g.name} a product of features, which gate "
                                 f"parameters cannot express")
        gates.append(GateSpec(g.name, list(g.wires), params))
    custom = BlockSpec(template="Custom", gates=gates, input_scale=block.input_scale)
    again = expand_ir(custom, spec, key)
    if again.gates != ir.gates or again.n_weights != ir.n_weights:  # never hand back a different circuit
        raise ValueError(f"{block.template} does not survive expansion unchanged")
    return custom


def template_block(old: BlockSpec, template: str, encoder: bool) -> BlockSpec:
    """A fresh call of ``template`` replacing block ``old``: keeps the options that carry over."""
    block = BlockSpec(template=template, rotation=old.rotation)
    if old.template != "Custom":
        block.layers = old.layers if encoder else max(old.layers, 1)
    if encoder:
        block.input_scale = old.input_scale
    return block


def _canonical(gates) -> list:
    """Gates in a canonical order: by as-soon-as-possible column on their own wires, then by wire."""
    level: dict[int, int] = {}
    keyed = []
    for g in gates:
        c = max((level.get(w, 0) for w in g.wires), default=0)
        for w in g.wires:
            level[w] = c + 1
        keyed.append(((c, min(g.wires, default=0)), g))
    return [g for _, g in sorted(keyed, key=lambda e: e[0])]


def _candidates(block: BlockSpec, encoder: bool, max_layers: int):
    """Template calls that could have produced ``block``'s gates (only gate kinds it holds are tried)."""
    present = {g.gate for g in block.gates}
    layers = range(1, max_layers + 1)
    rotation_sets = [list(p) for k in (1, 2, 3) for p in itertools.permutations(V.ROTATION_GATES, k)
                     if set(p) <= present]
    entanglers = [e for e in V.ENTANGLERS if e in present] or ["CNOT"]
    patterns = [p for p in V.ENTANGLEMENTS if p != "none"] if present & set(V.ENTANGLERS) else ["none"]
    if encoder:
        for rot, tl in itertools.product(V.ROTATION_AXES, range(0, 4)):
            yield BlockSpec(template="AngleEmbedding", rotation=rot, input_scale=block.input_scale,
                            trainable_layers=tl)
        for l, rots, ent, pattern, tl in itertools.product(layers, rotation_sets, entanglers, patterns, range(3)):
            yield BlockSpec(template="ReUploading", layers=l, rotations=rots, entangler=ent, entanglement=pattern,
                            input_scale=block.input_scale, trainable_layers=tl)
        return
    for l in layers:
        yield BlockSpec(template="StronglyEntanglingLayers", layers=l)
        for rot in V.ROTATION_AXES:
            yield BlockSpec(template="BasicEntanglerLayers", layers=l, rotation=rot)
    for l, rots, ent, pattern in itertools.product(layers, rotation_sets, entanglers, patterns):
        yield BlockSpec(template="HardwareEfficient", layers=l, rotations=rots, entangler=ent,
                        entanglement=pattern)


def regroup_block(spec: ExperimentSpec, key: BlockKey) -> BlockSpec:
    """The template call whose gates equal block ``key``'s gates (up to reordering commuting gates)."""
    block = effective_block(spec, key)
    if block.template != "Custom":
        raise ValueError("this block is already a template")
    try:
        mine = expand_ir(block, spec, key)
    except (SpecError, ValueError) as exc:
        raise ValueError(f"the gates do not form a valid block: {exc}") from None
    target = _canonical(mine.gates)
    n = max(spec.quantum.qubits, 1)
    max_layers = max(1, math.ceil(len(mine.gates) / n))
    for cand in _candidates(block, key == ENCODER, max_layers):
        try:
            ir = expand_ir(cand, spec, key)
        except (SpecError, ValueError):
            continue
        if len(ir.gates) == len(mine.gates) and ir.n_weights == mine.n_weights and _canonical(ir.gates) == target:
            return cand
    raise ValueError("these gates are not the expansion of any template (they stay a Custom block)")


# ----------------------------------------------------------------------------------------------- problems

@dataclass(frozen=True)
class Problem:
    """Why part of the document cannot train. ``where``: ("gate", key, i), ("readout", i), ("block", key),
    ("task", i) or ("spec",); ``field`` is the spec's field path as ``validate`` names it."""

    where: tuple
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def gate_problem(gate: GateSpec, qubits: int, encoder: bool) -> str | None:
    """The core's own check of one gate, run on a block holding just that gate (memoised: a circuit
    repeats the same few gates, and this runs for every gate on every edit)."""
    try:
        return _gate_problem(gate.gate, tuple(gate.wires), tuple(gate.params), qubits, encoder)
    except TypeError:  # an unhashable value from a hand-edited file
        return _check_gate(GateSpec(gate.gate, list(gate.wires), list(gate.params)), qubits, encoder)


@functools.lru_cache(maxsize=8192)
def _gate_problem(name, wires: tuple, params: tuple, qubits: int, encoder: bool) -> str | None:
    return _check_gate(GateSpec(name, list(wires), list(params)), qubits, encoder)


def _check_gate(gate: GateSpec, qubits: int, encoder: bool) -> str | None:
    try:
        validate_block(BlockSpec(template="Custom", gates=[gate]), "", qubits, encoder)
    except SpecError as exc:
        return exc.message
    return None


def find_problems(spec: ExperimentSpec) -> list[Problem]:
    """Problems to show in place: per gate, per readout, plus the first error ``validate`` reports."""
    problems: list[Problem] = []
    q = spec.quantum.qubits
    for key in [ENCODER, *range(len(spec.tasks))]:
        block = effective_block(spec, key)
        if block.template != "Custom":
            continue
        prefix = "quantum.encoder" if key == ENCODER else (
            f"tasks[{key}].block" if spec.tasks[key].block is not None else "quantum.default_block")
        for i, g in enumerate(block.gates):
            msg = gate_problem(g, q, key == ENCODER)
            if msg:
                problems.append(Problem(("gate", key, i), f"{prefix}.gates[{i}]", msg))
    for i, t in enumerate(spec.tasks):
        try:
            problem = readout_problem(effective_readout(spec, t), t.classes, q)
        except (TypeError, ValueError) as exc:
            problem = ("", str(exc))
        if problem:
            field, reason = problem
            # validate() names the qubit count when the automatic readout does not fit
            path = f"tasks[{i}].readout.{field}" if t.readout is not None else "quantum.qubits"
            problems.append(Problem(("readout", i), path, reason))
    try:
        validate(spec)
    except SpecError as exc:
        if not any(exc.path == p.field or exc.path.startswith(p.field + ".") for p in problems):
            problems.append(Problem(_where_of(exc.path), exc.path, exc.message))
    except Exception as exc:  # a value of the wrong type typed into a field: report, never crash
        problems.append(Problem(("spec",), "", f"{type(exc).__name__}: {exc}"))
    return problems


def _where_of(path: str) -> tuple:
    """Where in the picture a field's problem belongs: a block band, a task lane or the spec as a whole."""
    if path.startswith("quantum.encoder"):
        return ("block", ENCODER)
    if path.startswith("tasks[") and "]" in path:
        i = int(path[6:path.index("]")])
        return ("block", i) if path[path.index("]") + 1:].startswith(".block") else ("task", i)
    return ("spec",)


# ----------------------------------------------------------------------------------------------- tasks

def unique_task_name(spec: ExperimentSpec, base: str = "task") -> str:
    names = {t.name for t in spec.tasks}
    for i in itertools.count(len(spec.tasks) + 1):
        name = f"{base}{i}"
        if name not in names:
            return name
    raise AssertionError


def task_name_problem(spec: ExperimentSpec, index: int, name: str) -> str | None:
    if not name.strip():
        return "a task name must not be empty"
    if name != name.strip():
        return "a task name must not start or end with spaces"
    if any(t.name == name for j, t in enumerate(spec.tasks) if j != index):
        return f"another task is already called {name!r}"
    return None


def with_classes(task: TaskSpec, classes: int) -> tuple[TaskSpec, str | None]:
    """A copy of ``task`` with ``classes`` classes and its class names kept consistent with that count: fewer
    classes keep the first names; more classes drop the names (the new classes have none to take). The note says
    what happened to the names (None when nothing did)."""
    out = copy.deepcopy(task)
    out.classes = classes
    names = task.class_names
    if names is None or len(names) == classes:
        return out, None
    if classes < len(names):
        out.class_names = tuple(names[:classes])
        return out, f"class names beyond the first {classes} dropped"
    out.class_names = None
    return out, "class names dropped: the new classes would have none"


def new_task(spec: ExperimentSpec) -> TaskSpec:
    return TaskSpec(name=unique_task_name(spec), classes=2)


def parse_wires(text: str) -> list[int]:
    """``"0, 1 2"`` -> [0, 1, 2]; ValueError naming the bad entry otherwise."""
    out = []
    for part in text.replace(",", " ").split():
        try:
            out.append(int(part))
        except ValueError:
            raise ValueError(f"{part!r} is not a wire number") from None
        if out[-1] < 0:
            raise ValueError(f"wire {out[-1]} is negative")
    if not out:
        raise ValueError("name at least one wire")
    return out


def param_problem(token, encoder: bool) -> str | None:
    """Why a gate angle token is refused, in the words of the core's parser."""
    try:
        tok = parse_param(token)
    except ValueError as exc:
        return str(exc)
    if tok.kind == "input" and not encoder:
        return f"{token!r}: input features belong in the shared encoder, not in a task block"
    return None


def readout_for(spec: ExperimentSpec, index: int) -> ReadoutSpec:
    return copy.deepcopy(effective_readout(spec, spec.tasks[index]))
