"""The experiment document: plain dataclasses, no torch, Qt or qiskit.

One spec describes the data, the tasks, the backbone, the quantum head (qubits, shared encoder, one
ansatz block and one readout per task), the classical baselines and the training settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SPEC_VERSION = 1


@dataclass
class DatasetSpec:
    source: str = "digits-3task"
    path: str | None = None
    features: list[str] | str | None = None
    labels: list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    seed: int = 0
    pca: int | None = None
    standardize: bool = True
    max_samples: int | None = None


@dataclass
class GateSpec:
    """One gate of a custom block. ``params`` entries: a number, an expression such as ``"pi/4"``,
    ``"w"`` (a new trainable angle), ``"w3"`` (trainable angle 3 of the block), or ``"x2"`` (input feature 2)."""

    gate: str
    wires: list[int]
    params: list[Any] = field(default_factory=list)


@dataclass
class BlockSpec:
    """A template call: an ansatz family or an encoder, with its options."""

    template: str = "StronglyEntanglingLayers"
    layers: int = 2
    rotation: str = "Y"  # BasicEntanglerLayers / AngleEmbedding
    rotations: list[str] = field(default_factory=lambda: ["RY", "RZ"])  # HardwareEfficient / ReUploading
    entangler: str = "CNOT"  # HardwareEfficient / ReUploading
    entanglement: str = "linear"  # linear | ring | full | none
    ranges: list[int] | None = None  # StronglyEntanglingLayers
    gates: list[GateSpec] = field(default_factory=list)  # Custom
    input_scale: float = 1.0  # encoders: angle = input_scale * feature
    trainable_layers: int = 0  # encoders: trainable shared layers after each upload layer
    wires: list[int] | None = None  # task blocks: act on these wires only (None: every wire, or the register)


@dataclass
class ReadoutSpec:
    kind: str = "expval"  # expval: <Z> per wire; probs: basis-state probabilities of the wires
    wires: list[int] = field(default_factory=lambda: [0])
    scale: float = 1.0  # logits = scale * <Z> (expval); ignored for probs (log-probabilities)
    # kind = "pauli": one Pauli word per output, e.g. "Z0", "Z0 Z1", "X0 X1", "Y2"
    words: list[str] = field(default_factory=list)
    relative: bool = True  # pauli words: wires counted within the task's register (true) or absolute (false)
    scales: list[float] | None = None  # pauli words: one scale per word (default: ``scale`` for every word)
    binary: str = "two-logit"  # two classes from one value: "two-logit" (softmax) or "single-logit" (BCE)
    mapping: str = "linear"  # regression tasks: "linear" or "tanh" (0.5 + 0.5 tanh(.) onto the target range)


@dataclass
class TaskSpec:
    name: str
    classes: int = 0  # classification: the class count; a regression task has one output (classes = 1)
    block: BlockSpec | None = None  # None: the head's default block
    readout: ReadoutSpec | None = None  # None: the automatic readout for ``classes``
    label: str | None = None  # data column / task name in the dataset, when it differs
    weight: float = 1.0  # loss weight
    kind: str = "classification"  # classification | regression (MSE on one continuous output)
    qubits: int | None = None  # registers layout: the size of this task's register (default: by its outputs)
    target_range: list[float] | None = None  # regression: [low, high] the readout maps onto (default [0, 1])
    # classification: the data's label values in class order (class k is class_names[k]), for people to read
    class_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind == "regression" and self.classes == 0:
            self.classes = 1  # one continuous output
        if isinstance(self.class_names, list):  # as a file or an edit hands it over
            self.class_names = tuple(self.class_names)

    @property
    def is_regression(self) -> bool:
        return self.kind == "regression"


@dataclass
class BackboneSpec:
    kind: str = "mlp"  # mlp | identity
    hidden: list[int] = field(default_factory=lambda: [32])
    width: int = 8  # d, the shared representation fed to the heads
    activation: str = "tanh"  # tanh keeps h in a range that suits angle encoding


@dataclass
class QuantumSpec:
    qubits: int = 4
    # "shared": every task block acts on all qubits; "registers": each task owns a register of qubits sized by
    # its outputs, and qubits must equal the sum of the registers
    layout: str = "shared"
    projection: int | None = None  # a trainable Linear from backbone.width to this many encoder inputs
    encoder: BlockSpec = field(default_factory=lambda: BlockSpec(template="AngleEmbedding"))
    default_block: BlockSpec = field(default_factory=BlockSpec)
    engine: str = "torch"
    dtype: str = "complex64"
    # channels for the density engine (noise-aware training), e.g. "depolarizing:0.01+readout:0.02"
    noise: str | None = None


@dataclass
class TrainingSpec:
    optimizer: str = "adam"  # adam | adamw | sgd
    lr: float = 0.01
    weight_decay: float = 0.0
    schedule: str = "none"  # none | cosine | step
    epochs: int = 20
    batch_size: int = 64
    seed: int = 0
    loss_weighting: str = "fixed"  # fixed | uncertainty
    patience: int = 0  # early stopping on validation loss; 0 = off
    device: str = "cpu"


@dataclass
class ExperimentSpec:
    name: str = "experiment"
    version: int = SPEC_VERSION
    description: str = ""
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    tasks: list[TaskSpec] = field(default_factory=list)
    backbone: BackboneSpec = field(default_factory=BackboneSpec)
    quantum: QuantumSpec = field(default_factory=QuantumSpec)
    baselines: list[str] = field(default_factory=lambda: ["hps"])
    training: TrainingSpec = field(default_factory=TrainingSpec)

    def task(self, name: str) -> TaskSpec:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(name)

    def block_for(self, task: TaskSpec) -> BlockSpec:
        return task.block if task.block is not None else self.quantum.default_block
