"""Build the QMTL program (shared encoder + per-task blocks and readouts) from an experiment spec."""

from __future__ import annotations

from workbench.circuits.ir import QMTLProgram, Readout, TaskCircuit
from workbench.circuits.templates import expand_ansatz, expand_encoder
from workbench.errors import SpecError
from workbench.spec.model import ExperimentSpec
from workbench.spec.validate import effective_readout


def build_program(spec: ExperimentSpec, n_features: int | None = None) -> QMTLProgram:
    """Expand every template. ``n_features`` is the width of h (the backbone's output) unless given."""
    n = spec.quantum.qubits
    d = spec.backbone.width if n_features is None else n_features
    if d < 1:
        raise SpecError("backbone.width", f"must be > 0, got {d}")
    encoder = expand_encoder(spec.quantum.encoder, n, d)
    tasks = []
    for task in spec.tasks:
        block = expand_ansatz(spec.block_for(task), n, task.name)
        r = effective_readout(spec, task)
        tasks.append(TaskCircuit(task.name, task.classes, block,
                                 Readout(r.kind, tuple(r.wires), task.classes, r.scale)))
    return QMTLProgram(n, d, encoder, tasks)
