"""Parameter and resource scaling with the number of tasks under the capacity-matched rule d = alpha * T.

Counts come from the instantiated torch modules; depth and two-qubit gates from the expanded circuits.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from workbench.circuits.program import build_program
from workbench.circuits.resources import count_gates, program_resources
from workbench.errors import UserError
from workbench.spec.model import ExperimentSpec, TaskSpec


@dataclass(frozen=True)
class ScalingRow:
    T: int
    d: int
    classical_params: int  # HPS heads
    quantum_params: int  # QMTL head
    depth: int  # deepest task circuit (shared encoder + block)
    two_qubit: int  # two-qubit gates over all task circuits, as executed on hardware
    encoder_layers: int
    qubits: int = 0  # circuit width: fixed in the shared layout, the sum of the task registers otherwise
    statevector_bytes: int = 0  # one complex64 statevector of that width (doubles with every qubit)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def tasks_for(spec: ExperimentSpec, T: int) -> list[TaskSpec]:
    """T tasks cycling through the spec's own tasks (their classes, blocks and readouts)."""
    base = spec.tasks
    out = []
    for k in range(T):
        t = base[k % len(base)]
        name = t.name if k < len(base) else f"{t.name}_{k // len(base) + 1}"
        out.append(dataclasses.replace(t, name=name))
    return out


def spec_for(spec: ExperimentSpec, T: int, alpha: float, classes: int | None = None,
             layout: str | None = None) -> tuple[ExperimentSpec, list[str]]:
    """The spec with T tasks and d = alpha * T; an encoder that cannot hold d features becomes ReUploading.
    ``classes`` gives every task that many classes (C_t = C, the closed form's case). ``layout`` = "registers"
    (or a registers spec) sizes the circuit by the tasks' registers instead."""
    if (layout or spec.quantum.layout) == "registers":
        return _registers_spec_for(spec, T, alpha, classes)
    d = max(1, round(alpha * T))
    notes = []
    tasks = tasks_for(spec, T)
    if classes is not None:
        from workbench.spec.validate import readout_problem

        tasks = [dataclasses.replace(t, classes=classes) for t in tasks]
        for t in tasks:
            if t.readout is not None and readout_problem(t.readout, classes, spec.quantum.qubits):
                t.readout = None  # its own readout cannot express C classes: use the automatic one
    q = spec.quantum
    encoder = q.encoder
    n = q.qubits
    if (encoder.template in ("AngleEmbedding", "IQPEmbedding") and d > n) or \
            (encoder.template == "AmplitudeEmbedding" and d > 2**n):
        encoder = dataclasses.replace(encoder, template="ReUploading")
        notes.append(f"T={T}: {q.encoder.template} cannot load d={d} features into {n} qubits; "
                     f"ReUploading over {math.ceil(d / n)} layers used")
    if encoder.template == "Custom":
        raise UserError("quantum.encoder.template: a Custom encoder has a fixed feature count, so the scaling study "
                        "cannot vary d; pick a template encoder")
    new = dataclasses.replace(spec, tasks=tasks,
                              backbone=dataclasses.replace(spec.backbone, width=d),
                              quantum=dataclasses.replace(q, encoder=encoder))
    return new, notes


def _registers_spec_for(spec: ExperimentSpec, T: int, alpha: float, classes: int | None
                        ) -> tuple[ExperimentSpec, list[str]]:
    """Task registers: the width is the sum of the registers and the encoder loads 3 x width features in 3
    re-uploading layers. The shared vector is that wide (d = 3 x width, as the authors' backbone projects to it),
    unless the spec has a ``quantum.projection``: then d = alpha * T and a Linear(d, 3 x width) is part of the head."""
    from workbench.spec.layout import REGISTER_ENCODING_LAYERS, registers_width

    d = max(1, round(alpha * T))
    tasks = tasks_for(spec, T)
    if classes is not None:
        tasks = [dataclasses.replace(t, classes=classes, kind="classification", target_range=None) for t in tasks]
    converting = spec.quantum.layout != "registers"
    out = []
    for t in tasks:
        readout = t.readout if (t.readout is not None and t.readout.kind == "pauli" and t.readout.relative
                                and not converting and classes is None) else None
        block = dataclasses.replace(t.block, wires=None) if t.block is not None and t.block.template != "Custom" \
            else None
        out.append(dataclasses.replace(t, readout=readout, block=block))
    n = registers_width(out)
    width = REGISTER_ENCODING_LAYERS * n
    q = spec.quantum
    encoder = q.encoder
    if encoder.template != "ReUploading" or encoder.layers != REGISTER_ENCODING_LAYERS:
        encoder = dataclasses.replace(encoder, template="ReUploading", layers=REGISTER_ENCODING_LAYERS,
                                      gates=[], trainable_layers=0)
    default_block = dataclasses.replace(q.default_block, ranges=None, wires=None)
    if default_block.template == "Custom":
        default_block = dataclasses.replace(default_block, template="StronglyEntanglingLayers", gates=[])
    if spec.quantum.projection is None:
        d = width
    notes = [f"T={T}: task registers give {n} qubits; the encoder loads {width} features"
             + (f" through a projection from d={d}" if d != width else f" (d = {width})")]
    new = dataclasses.replace(spec, tasks=out, backbone=dataclasses.replace(spec.backbone, width=d),
                              quantum=dataclasses.replace(q, layout="registers", qubits=n, encoder=encoder,
                                                          default_block=default_block,
                                                          projection=None if d == width else width))
    return new, notes


def default_alpha(spec: ExperimentSpec) -> float:
    return spec.backbone.width / len(spec.tasks)


def scaling_table(spec: ExperimentSpec, tasks=range(1, 13), alpha: float | None = None,
                  notes: list[str] | None = None, classes: int | None = None,
                  layout: str | None = None) -> list[ScalingRow]:
    from workbench.models.heads import HPSHeads, QMTLHead  # torch only when the table is asked for
    from workbench.spec.validate import effective_readout, readout_problem

    alpha = default_alpha(spec) if alpha is None else alpha
    if not alpha > 0:
        raise UserError(f"alpha: must be > 0, got {alpha}")
    rows = []
    for T in tasks:
        if T < 1:
            raise UserError(f"tasks: T must be >= 1, got {T}")
        spec_t, why = spec_for(spec, T, alpha, classes, layout)
        if notes is not None:
            notes.extend(why)
        d = spec_t.backbone.width
        for t in spec_t.tasks:  # e.g. --classes beyond what the qubits' basis states can tell apart
            problem = readout_problem(effective_readout(spec_t, t), t.classes, spec_t.quantum.qubits)
            if problem:
                raise UserError(f"--classes: {t.classes} classes need a readout the {spec_t.quantum.qubits} qubits "
                                f"cannot give ({problem[1]})")
        program = build_program(spec_t, d)
        projection = d if spec_t.quantum.projection is not None else None
        if program.n_qubits <= MODULE_QUBITS:
            quantum_params = sum(p.numel() for p in QMTLHead(program, "torch", spec_t.quantum.dtype,
                                                              projection=projection).parameters())
        else:  # registers grow the width with T: count what the module would hold, without its 2^n engine
            quantum_params = sum(b.n_weights for b in program.blocks()) + \
                ((projection + 1) * program.n_features if projection else 0)
        classical = HPSHeads(d, [(t.name, t.classes) for t in spec_t.tasks])
        res = program_resources(program)
        depth, two_qubit = res.max_depth, res.total_two_qubit
        if spec_t.quantum.layout == "registers":  # one circuit: the encoder and every block, all tasks read from it
            one = count_gates(program.encoder.gates + [g for t in program.tasks for g in t.block.gates],
                              program.n_qubits)
            depth, two_qubit = one.depth, one.two_qubit
        rows.append(ScalingRow(
            T=T, d=d,
            classical_params=sum(p.numel() for p in classical.parameters()),
            quantum_params=quantum_params,
            depth=depth, two_qubit=two_qubit,
            encoder_layers=_encoder_layers(spec_t, program.n_features),
            qubits=program.n_qubits, statevector_bytes=8 * 2**program.n_qubits,
        ))
    return rows


def _encoder_layers(spec: ExperimentSpec, d: int) -> int:
    enc = spec.quantum.encoder
    if enc.template == "ReUploading":
        return max(enc.layers, math.ceil(d / spec.quantum.qubits))
    return max(enc.layers, 1)


MODULE_QUBITS = 10  # up to this width the quantum head's parameters are counted from an instantiated module


def growth_exponent(ts, values) -> float:
    """Slope of log(value) against log(T): 2 for quadratic growth, 1 for linear."""
    ts, values = np.asarray(ts, float), np.asarray(values, float)
    keep = values > 0
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(ts[keep]), np.log(values[keep]), 1)[0])


COLUMNS = ("classical_params", "quantum_params", "depth", "two_qubit")


def exponents(rows: list[ScalingRow]) -> dict[str, float]:
    ts = [r.T for r in rows]
    return {c: growth_exponent(ts, [getattr(r, c) for r in rows]) for c in COLUMNS}


def upper_half(rows: list[ScalingRow]) -> list[ScalingRow]:
    """The rows with T at or above the middle of the range: where constant offsets stop hiding the growth."""
    if len(rows) < 4:
        return rows
    mid = rows[len(rows) // 2 - 1].T
    return [r for r in rows if r.T >= mid]


MAX_TASK_COUNT = 64


def parse_task_range(text: str) -> list[int]:
    """``"1-12"``, ``"1,2,4"`` or ``"3"`` -> list of task counts."""
    from workbench.textsafe import shown

    out: set[int] = set()
    bad = UserError(f"--tasks: expected a range such as 1-12 or a list such as 1,2,4; got {shown(text)}")
    if len(text) > 400:
        raise bad
    try:
        for part in text.split(","):
            part = part.strip()
            if len(part) > 40:
                raise ValueError
            if "-" in part[1:]:
                a, b = (int(v) for v in part.split("-", 1))
                if b < a:
                    raise ValueError
                bounds = (a, b)
            else:
                bounds = (int(part), int(part))
            # bounds before the range is built: 1-100000000000 is refused, not enumerated
            if bounds[0] < 1:
                raise UserError(f"--tasks: task counts must be >= 1, got {shown(text)}")
            if bounds[1] > MAX_TASK_COUNT:
                raise UserError(f"--tasks: at most {MAX_TASK_COUNT} tasks, got {bounds[1]}")
            out.update(range(bounds[0], bounds[1] + 1))
    except UserError:
        raise
    except ValueError:
        raise bad from None
    if not out:
        raise bad
    return sorted(out)
