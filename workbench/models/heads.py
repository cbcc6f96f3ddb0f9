"""Prediction heads on the shared representation h: the QMTL quantum head and the baselines.

Every head maps h (B, d) to a dict of per-task logits and reports its parameters split into a shared part
and per-task parts, counted from the module's own tensors.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from workbench.circuits.ir import QMTLProgram, Readout, TaskCircuit
from workbench.circuits.program import build_program
from workbench.circuits.templates import expand_ansatz
from workbench.engines.registry import make_engine
from workbench.models.readout import readout_logits
from workbench.spec.model import ExperimentSpec

HEADS = ("qmtl", "hps", "hybrid", "single")


def _init_weights(n: int, generator: torch.Generator | None) -> nn.Parameter:
    # PennyLane TorchLayer's default: uniform in [0, 2 pi)
    return nn.Parameter(torch.rand(n, generator=generator, dtype=torch.float32) * (2 * math.pi))


class QuantumCircuitHead(nn.Module):
    """Runs one QMTL program: shared encoder weights (if any) and one weight vector per task block.
    With ``projection`` = d (``quantum.projection``: the map from the backbone's width to the encoder's input), a
    trainable Linear(d, program.n_features) comes first; its parameters count as the head's shared part."""

    def __init__(self, program: QMTLProgram, engine: str = "torch", dtype: str = "complex64", device: str = "cpu",
                 generator: torch.Generator | None = None, noise: str | None = None, projection: int | None = None):
        super().__init__()
        self.projection = nn.Linear(projection, program.n_features) if projection else None
        self.program = program
        self.engine_name = engine
        self.engine = make_engine(engine, program, dtype=dtype, device=device, noise=noise)
        self.weights = nn.ParameterDict()
        for block in program.blocks():
            if block.n_weights:
                self.weights[block.name] = _init_weights(block.n_weights, generator)

    def raw(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.projection is not None:
            h = self.projection(h)
        return self.engine(h, dict(self.weights.items()))

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        raw = self.raw(h)
        return {t.name: readout_logits(raw[t.name], t.readout).to(h.dtype) for t in self.program.tasks}

    def shared_count(self) -> int:
        extra = sum(p.numel() for p in self.projection.parameters()) if self.projection is not None else 0
        return (self.weights["encoder"].numel() if "encoder" in self.weights else 0) + extra

    def task_counts(self) -> dict[str, int]:
        return {t.name: (self.weights[t.name].numel() if t.name in self.weights else 0) for t in self.program.tasks}


class QMTLHead(QuantumCircuitHead):
    """The paper's head: one VQC with a shared encoding stage and one ansatz block + readout per task."""

    kind = "qmtl"


class HPSHeads(nn.Module):
    """Classical hard parameter sharing: one linear layer d -> C_t per task."""

    kind = "hps"

    def __init__(self, d: int, tasks: list[tuple[str, int]]):
        super().__init__()
        self.heads = nn.ModuleDict({name: nn.Linear(d, classes) for name, classes in tasks})

    def forward(self, h):
        return {name: layer(h) for name, layer in self.heads.items()}

    def shared_count(self) -> int:
        return 0

    def task_counts(self) -> dict[str, int]:
        return {name: sum(p.numel() for p in layer.parameters()) for name, layer in self.heads.items()}


class HybridHead(nn.Module):
    """The prior hybrid quantum MTL baseline: one shared VQC, <Z> on every qubit, then a dense layer per task."""

    kind = "hybrid"

    def __init__(self, spec: ExperimentSpec, d: int, engine="torch", dtype="complex64", device="cpu", generator=None):
        super().__init__()
        base = build_program(spec, d)
        n = base.n_qubits
        block = expand_ansatz(spec.quantum.default_block, n, "shared")
        program = QMTLProgram(n, d, base.encoder,
                              [TaskCircuit("shared", n, block, Readout("expval", tuple(range(n)), n))])
        self.vqc = QuantumCircuitHead(program, engine, dtype, device, generator, spec.quantum.noise,
                                      projection=_projection(spec, d))
        self.heads = nn.ModuleDict({t.name: nn.Linear(n, t.classes) for t in spec.tasks})

    def forward(self, h):
        z = self.vqc.raw(h)["shared"].to(h.dtype)
        return {name: layer(z) for name, layer in self.heads.items()}

    def shared_count(self) -> int:
        return sum(p.numel() for p in self.vqc.parameters())

    def task_counts(self) -> dict[str, int]:
        return {name: sum(p.numel() for p in layer.parameters()) for name, layer in self.heads.items()}


class SingleVQCHeads(nn.Module):
    """One complete VQC per task (own encoder copy, own block): no sharing inside the quantum head."""

    kind = "single"

    def __init__(self, spec: ExperimentSpec, d: int, engine="torch", dtype="complex64", device="cpu",
                 generator=None):
        super().__init__()
        full = build_program(spec, d)
        self.circuits = nn.ModuleDict()
        for t in full.tasks:
            program = QMTLProgram(full.n_qubits, d, build_program(spec, d).encoder, [t])
            self.circuits[t.name] = QuantumCircuitHead(program, engine, dtype, device, generator, spec.quantum.noise,
                                                       projection=_projection(spec, d))

    def forward(self, h):
        out = {}
        for head in self.circuits.values():
            out.update(head(h))
        return out

    def shared_count(self) -> int:
        return 0

    def task_counts(self) -> dict[str, int]:
        return {name: sum(p.numel() for p in head.parameters()) for name, head in self.circuits.items()}


def _projection(spec: ExperimentSpec, d: int) -> int | None:
    return d if spec.quantum.projection is not None else None


def make_head(kind: str, spec: ExperimentSpec, d: int, *, engine: str | None = None, device: str = "cpu",
              generator: torch.Generator | None = None) -> nn.Module:
    from workbench.errors import UserError

    engine = engine or spec.quantum.engine
    dtype = spec.quantum.dtype
    if kind == "qmtl":
        return QMTLHead(build_program(spec, d), engine, dtype, device, generator, spec.quantum.noise,
                        projection=_projection(spec, d))
    if kind == "hps":
        return HPSHeads(d, [(t.name, t.classes) for t in spec.tasks])
    if kind == "hybrid":
        return HybridHead(spec, d, engine, dtype, device, generator)
    if kind == "single":
        return SingleVQCHeads(spec, d, engine, dtype, device, generator)
    raise UserError(f"unknown head {kind!r} (valid: {', '.join(HEADS)})")
