"""The gate IR every engine, export and picture reads: gates on wires with parameter references."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.spec.model import BlockSpec


@dataclass(frozen=True)
class Param:
    """Where a gate angle comes from.

    ``input``: ``scale * x[index]`` (times ``x[index2]`` when ``index2 >= 0``, for IQP products);
    ``weight``: ``scale * w[index]`` of the block's own weight vector; ``const``: ``value``.
    """

    kind: str
    index: int = 0
    index2: int = -1
    scale: float = 1.0
    value: float = 0.0

    @staticmethod
    def weight(index: int) -> Param:
        return Param("weight", index)

    @staticmethod
    def input(index: int, scale: float = 1.0, index2: int = -1) -> Param:
        return Param("input", index, index2, scale)

    @staticmethod
    def const(value: float) -> Param:
        return Param("const", value=float(value))


@dataclass(frozen=True)
class Gate:
    name: str
    wires: tuple[int, ...]
    params: tuple[Param, ...] = ()

    @property
    def is_two_qubit(self) -> bool:
        return len(self.wires) >= 2


@dataclass
class Block:
    """A run of gates with its own weight vector: the shared encoder, or one task's ansatz block."""

    name: str
    role: str  # "encoder" | "task"
    gates: list[Gate]
    n_weights: int
    n_inputs: int = 0
    source: BlockSpec | None = None  # the template call it was expanded from

    @property
    def has_inputs(self) -> bool:
        return any(p.kind == "input" for g in self.gates for p in g.params) or \
            any(g.name == "AmplitudeEmbedding" for g in self.gates)


@dataclass(frozen=True)
class Readout:
    kind: str  # "expval" | "probs"
    wires: tuple[int, ...]
    classes: int
    scale: float = 1.0

    @property
    def width(self) -> int:
        """Number of raw values the engine returns for this readout."""
        return len(self.wires) if self.kind == "expval" else 2 ** len(self.wires)


@dataclass
class TaskCircuit:
    name: str
    classes: int
    block: Block
    readout: Readout


@dataclass
class QMTLProgram:
    """The whole quantum head: one shared encoder, then per task its block and readout."""

    n_qubits: int
    n_features: int
    encoder: Block
    tasks: list[TaskCircuit] = field(default_factory=list)

    def task(self, name: str) -> TaskCircuit:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(name)

    def blocks(self) -> list[Block]:
        return [self.encoder] + [t.block for t in self.tasks]
