"""Resource counts of blocks and task circuits: trainable parameters, depth, one- and two-qubit gates."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from workbench.circuits.ir import Block, Gate, QMTLProgram


@dataclass(frozen=True)
class Resources:
    params: int
    depth: int
    one_qubit: int
    two_qubit: int

    def as_dict(self) -> dict:
        return asdict(self)


def _gate_cost(g: Gate, n: int) -> tuple[int, int, int]:
    """(one-qubit gates, two-qubit gates, depth) of one IR gate in a standard gate set."""
    if g.name == "AmplitudeEmbedding":
        # Mottonen state preparation: 2^n - 1 RY/RZ pairs and 2^n - 2 CNOTs, all sequential.
        return 2 * (2**n - 1), max(2**n - 2, 0), 2 * (2**n - 1) + max(2**n - 2, 0)
    if g.name == "MultiRZ" and len(g.wires) > 1:
        k = len(g.wires)  # CNOT ladder, RZ, ladder back
        return 1, 2 * (k - 1), 2 * (k - 1) + 1
    if g.name in ("CRX", "CRY", "CRZ"):
        return 2, 2, 4  # two rotations and two CNOTs
    if g.name == "SWAP":
        return 0, 3, 3
    return (0, 1, 1) if len(g.wires) == 2 else (1, 0, 1)


def count_gates(gates: list[Gate], n: int, n_weights: int = 0) -> Resources:
    level = [0] * n
    ones = twos = 0
    for g in gates:
        one, two, depth = _gate_cost(g, n)
        ones += one
        twos += two
        start = max(level[w] for w in g.wires)
        for w in g.wires:
            level[w] = start + depth
    return Resources(n_weights, max(level) if level else 0, ones, twos)


def block_resources(block: Block, n: int) -> Resources:
    return count_gates(block.gates, n, block.n_weights)


def task_circuit_resources(program: QMTLProgram, task: str) -> Resources:
    """One task's executable circuit: the shared encoder followed by the task's block."""
    t = program.task(task)
    gates = program.encoder.gates + t.block.gates
    return count_gates(gates, program.n_qubits, program.encoder.n_weights + t.block.n_weights)


@dataclass(frozen=True)
class ProgramResources:
    shared_params: int
    task_params: dict[str, int]
    encoder: Resources
    blocks: dict[str, Resources]
    circuits: dict[str, Resources]  # encoder + block, per task

    @property
    def total_params(self) -> int:
        return self.shared_params + sum(self.task_params.values())

    @property
    def max_depth(self) -> int:
        return max((r.depth for r in self.circuits.values()), default=self.encoder.depth)

    @property
    def total_two_qubit(self) -> int:
        """Two-qubit gates executed on hardware, where every task circuit re-runs the shared encoder."""
        return sum(r.two_qubit for r in self.circuits.values())


def program_resources(program: QMTLProgram) -> ProgramResources:
    n = program.n_qubits
    return ProgramResources(
        shared_params=program.encoder.n_weights,
        task_params={t.name: t.block.n_weights for t in program.tasks},
        encoder=block_resources(program.encoder, n),
        blocks={t.name: block_resources(t.block, n) for t in program.tasks},
        circuits={t.name: task_circuit_resources(program, t.name) for t in program.tasks},
    )
