"""Build the QMTL program (shared encoder + per-task blocks and readouts) from an experiment spec."""

from __future__ import annotations

from workbench.circuits.ir import QMTLProgram, Readout, TaskCircuit
from workbench.circuits.templates import expand_ansatz, expand_encoder
from workbench.errors import SpecError
from workbench.spec import layout as L
from workbench.spec.model import ExperimentSpec, ReadoutSpec, TaskSpec
from workbench.spec.validate import effective_readout


def build_program(spec: ExperimentSpec, n_features: int | None = None) -> QMTLProgram:
    """Expand every template. ``n_features`` is the width of h (the backbone's output) unless given; a
    ``quantum.projection`` replaces it with the projection's width."""
    n = spec.quantum.qubits
    d = L.encoder_width(spec, n_features)
    if d < 1:
        raise SpecError("backbone.width", f"must be > 0, got {d}")
    encoder = expand_encoder(spec.quantum.encoder, n, d)
    tasks = []
    for i, task in enumerate(spec.tasks):
        block = expand_ansatz(L.effective_block(spec, i), n, task.name)
        r = effective_readout(spec, task)
        tasks.append(TaskCircuit(task.name, task.classes, block, make_readout(r, task, L.task_wires(spec, i))))
    return QMTLProgram(n, d, encoder, tasks)


def make_readout(r: ReadoutSpec, task: TaskSpec, wires: list[int]) -> Readout:
    """The IR readout of a validated readout spec; ``wires`` is the task's register (for relative words)."""
    lo, hi = task.target_range if task.target_range is not None else (0.0, 1.0)
    common = dict(single_logit=r.binary == "single-logit", tanh=r.mapping == "tanh",
                  target_range=(float(lo), float(hi)))
    if r.kind != "pauli":
        return Readout(r.kind, tuple(r.wires), task.classes, r.scale, **common)
    words = tuple(L.absolute_words(r, wires))
    touched = tuple(dict.fromkeys(w for word in words for _, w in word))
    scales = tuple(float(v) for v in r.scales) if r.scales is not None else ()
    return Readout("pauli", touched, task.classes, r.scale, words, scales, **common)
