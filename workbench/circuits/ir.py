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
    wires: tuple[int, ...] | None = None  # the wires a task block's template spans (None: every wire)

    @property
    def has_inputs(self) -> bool:
        return any(p.kind == "input" for g in self.gates for p in g.params) or \
            any(g.name == "AmplitudeEmbedding" for g in self.gates)


PauliWord = tuple[tuple[str, int], ...]  # (("Z", 0), ("X", 3)): Z on wire 0 times X on wire 3


@dataclass(frozen=True)
class Readout:
    """``expval``: <Z> per wire; ``probs``: basis-state probabilities of the wires; ``pauli``: one expectation
    per Pauli word (absolute wires), ``wires`` then being the wires the words touch, in order."""

    kind: str  # "expval" | "probs" | "pauli"
    wires: tuple[int, ...]
    classes: int  # 1: a regression task
    scale: float = 1.0
    words: tuple[PauliWord, ...] = ()
    scales: tuple[float, ...] = ()  # pauli: one scale per word (empty: ``scale`` for each)
    single_logit: bool = False  # two classes from one value, trained with binary cross-entropy on it
    tanh: bool = False  # regression: 0.5 + 0.5 tanh(scale * value) onto the target range, else linear
    target_range: tuple[float, float] = (0.0, 1.0)  # regression

    @property
    def width(self) -> int:
        """Number of raw values the engine returns for this readout."""
        if self.kind == "pauli":
            return len(self.words)
        return len(self.wires) if self.kind == "expval" else 2 ** len(self.wires)

    @property
    def regression(self) -> bool:
        return self.classes == 1

    def word_list(self) -> tuple[PauliWord, ...]:
        """The readout as Pauli words: expval wires become single-Z words (probs has none)."""
        if self.kind == "pauli":
            return self.words
        if self.kind == "expval":
            return tuple(((("Z", w),)) for w in self.wires)
        raise ValueError("a probs readout is not a list of Pauli words")


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
