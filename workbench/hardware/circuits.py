"""Generic hardware work items: a parametrised circuit, its observables (or measurements), its value arrays.

The execution layer never sees a QMTL program: it takes ``CircuitTask``s, which anything can build (the
QMTL path builds them with ``workbench.circuits.export_qiskit.to_qiskit``). Each task is transpiled ONCE to
the backend's ISA with ``generate_preset_pass_manager``; its observables follow the layout with
``apply_layout``; parameter-value arrays are re-ordered from the logical circuit's ``parameters`` order to the
ISA circuit's by parameter name, so callers never depend on how the transpiler orders or drops parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from workbench.hardware.errors import HardwareError


@dataclass
class CircuitTask:
    """One task's circuit and all its inputs: estimator work with ``observables``, sampler work without.

    ``values``: (B, P) (or (..., P)) parameter values in ``circuit.parameters`` order. A sampler circuit must
    measure the wires it reads (its first classical register is decoded).
    """

    name: str
    circuit: QuantumCircuit
    values: np.ndarray
    observables: list[SparsePauliOp] | None = None
    trainable: tuple[str, ...] = ()  # names of the parameters hardware fine-tuning may change (the weights)
    meta: dict = field(default_factory=dict)

    @property
    def primitive(self) -> str:
        return "estimator" if self.observables is not None else "sampler"

    def check(self) -> None:
        P = self.circuit.num_parameters
        v = np.asarray(self.values, dtype=float)
        if v.ndim < 1 or v.shape[-1] != P:
            raise HardwareError("input", f"task {self.name}: values have shape {v.shape}, the circuit has {P} "
                                         "parameters (last axis)")
        if not np.all(np.isfinite(v)):
            raise HardwareError("input", f"task {self.name}: values contain NaN or infinity")
        if self.observables is not None:
            if not self.observables:
                raise HardwareError("input", f"task {self.name}: no observables")
            for o in self.observables:
                if o.num_qubits != self.circuit.num_qubits:
                    raise HardwareError("input", f"task {self.name}: an observable acts on {o.num_qubits} qubits, "
                                                 f"the circuit has {self.circuit.num_qubits}")
        elif not self.circuit.cregs or not any(i.operation.name == "measure" for i in self.circuit.data):
            raise HardwareError("input", f"task {self.name}: a sampler circuit needs measurements")


@dataclass
class IsaTask:
    """A task transpiled for one backend: the ISA circuit, laid-out observables, values in ISA order."""

    task: CircuitTask
    isa: QuantumCircuit
    observables: list[SparsePauliOp] | None
    columns: np.ndarray  # ISA parameter j takes logical column columns[j]
    optimization_level: int
    transpile_s: float = 0.0

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def primitive(self) -> str:
        return self.task.primitive

    def isa_values(self, values: np.ndarray | None = None) -> np.ndarray:
        """Logical-order values (..., P) -> ISA-order values (..., P_isa)."""
        v = np.asarray(self.task.values if values is None else values, dtype=float)
        return v[..., self.columns]

    @property
    def bindings(self) -> int:
        v = np.asarray(self.task.values)
        return int(np.prod(v.shape[:-1])) if v.ndim > 1 else 1

    def pub(self, values: np.ndarray | None = None, shots: int | None = None):
        """The PUB of this task: all its bindings at once (estimator: observables broadcast over them)."""
        vals = self.isa_values(values)
        if self.observables is not None:
            batch_dims = vals.ndim - 1
            obs = np.empty((len(self.observables),) + (1,) * batch_dims, dtype=object)
            for i, o in enumerate(self.observables):
                obs[(i,) + (0,) * batch_dims] = o
            return (self.isa, obs, vals)
        return (self.isa, vals, shots)


def logical_two_qubit_gates(circuit: QuantumCircuit) -> int:
    return sum(1 for i in circuit.data if i.operation.num_qubits == 2 and i.operation.name != "barrier")


def transpile_task(task: CircuitTask, backend, *, optimization_level: int = 2,
                   seed_transpiler: int | None = 7) -> IsaTask:
    import time

    from qiskit.transpiler import generate_preset_pass_manager

    task.check()
    if optimization_level not in (0, 1, 2, 3):
        raise HardwareError("input", f"--optimization-level: must be 0..3, got {optimization_level}")
    if task.circuit.num_qubits > backend.num_qubits:
        raise HardwareError("backend", f"--backend: {backend.name} has {backend.num_qubits} qubits, task "
                                       f"{task.name} needs {task.circuit.num_qubits}")
    t0 = time.perf_counter()
    pm = generate_preset_pass_manager(optimization_level=optimization_level, backend=backend,
                                      seed_transpiler=seed_transpiler)
    try:
        isa = pm.run(task.circuit)
    except Exception as exc:
        raise HardwareError("backend", f"task {task.name}: cannot transpile for {backend.name} "
                                       f"({type(exc).__name__}: {exc})") from None
    observables = None
    if task.observables is not None:
        observables = [o.apply_layout(isa.layout) for o in task.observables]
    logical = {p.name: j for j, p in enumerate(task.circuit.parameters)}
    missing = [p.name for p in isa.parameters if p.name not in logical]
    if missing:
        raise HardwareError("backend", f"task {task.name}: the transpiled circuit has unknown parameters {missing}")
    columns = np.array([logical[p.name] for p in isa.parameters], dtype=int)
    return IsaTask(task, isa, observables, columns, optimization_level, time.perf_counter() - t0)


def transpile_tasks(tasks: list[CircuitTask], backend, **kw) -> list[IsaTask]:
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise HardwareError("input", f"tasks: names repeat ({names})")
    return [transpile_task(t, backend, **kw) for t in tasks]


def decode(pub_result, primitive: str, creg: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw readout values of one PUB, shaped (*binding dims, width): <O_i> for estimator work (and their
    standard errors), basis-state probabilities (index = the register's integer value) for sampler work."""
    if primitive == "estimator":
        evs = np.asarray(pub_result.data.evs, dtype=float)
        stds = np.asarray(pub_result.data.stds, dtype=float)
        return np.moveaxis(evs, 0, -1), np.moveaxis(stds, 0, -1)
    bits = getattr(pub_result.data, creg) if creg else next(iter(pub_result.data.values()))
    width = 2 ** bits.num_bits
    shape = tuple(bits.shape)
    probs = np.zeros(shape + (width,))
    for idx in np.ndindex(*shape):
        counts = bits.get_int_counts(idx) if shape else bits.get_int_counts()
        total = sum(counts.values())
        for k, c in counts.items():
            probs[idx + (int(k),)] = c / total
    return probs, None


def creg_name(task: CircuitTask) -> str | None:
    return task.circuit.cregs[0].name if task.primitive == "sampler" and task.circuit.cregs else None
