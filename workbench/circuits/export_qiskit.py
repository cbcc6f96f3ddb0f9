"""Export one task circuit (shared encoder + the task's block + its readout) to a Qiskit ``QuantumCircuit``.

Layout of the exported parameters:

- ``x``: a ``ParameterVector`` of the program's ``n_features`` inputs (h, the backbone's output). An angle
  ``scale * x[i]`` (IQP products: ``scale * x[i] * x[j]``) is a ``ParameterExpression`` in these elements.
- ``w``: a ``ParameterVector`` of the encoder's weights followed by the task block's: ``w[0:E]`` are the
  encoder's (``E = program.encoder.n_weights``), ``w[E:E+K]`` the block's (``K = block.n_weights``), each in the
  order of the IR (PennyLane's template layouts: StronglyEntanglingLayers (L, n, 3) flattened, ...).
  ``weight_layout`` records these slices.

Wire w of the IR is qubit w of the circuit. Qiskit numbers basis states little-endian (qubit 0 is the least
significant bit) while the IR and the torch engine put wire 0 first, so a statevector comparison reverses the bit
order. Measurements (``with_measurements``) write readout wire ``wires[i]`` to clbit ``k-1-i``: the bitstring Qiskit
prints then reads wires[0] first and its integer value is the class index the torch engine uses.

AmplitudeEmbedding cannot be written with symbolic parameters (the state preparation's angles are not a
``ParameterExpression`` of x), so an amplitude-encoded spec exports only with bound inputs (``inputs=`` one row):
the circuit then starts with a ``StatePreparation`` of the normalised, zero-padded row. Every other encoder
exports symbolically, so one transpiled circuit serves a whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit
from qiskit.circuit import Parameter, ParameterVector
from qiskit.circuit.library import StatePreparation
from qiskit.quantum_info import SparsePauliOp, Statevector

from workbench.circuits.export_native import NativeOp, task_native_ops
from workbench.circuits.ir import Param, PauliWord, QMTLProgram, Readout
from workbench.circuits.pauli import BASIS_CHANGE, basis_groups, word_label
from workbench.errors import UserError


@dataclass
class QiskitTaskCircuit:
    task: str
    circuit: QuantumCircuit
    inputs: ParameterVector
    weights: ParameterVector
    readout: Readout
    observables: list[SparsePauliOp]  # expval: Z on each readout wire; pauli: one per word; empty for probs
    measured_wires: tuple[int, ...]  # the readout wires (probs: the wires whose distribution is read)
    weight_layout: dict[str, tuple[int, int]] = field(default_factory=dict)  # block -> [start, stop) in w
    bound_inputs: bool = False  # True when the inputs are numbers in the circuit (amplitude encoding)

    @property
    def n_qubits(self) -> int:
        return self.circuit.num_qubits

    @property
    def n_weights(self) -> int:
        return len(self.weights)


def task_names(program: QMTLProgram) -> list[str]:
    return [t.name for t in program.tasks]


def check_task(program: QMTLProgram, task: str) -> None:
    if task not in task_names(program):
        raise UserError(f"--task: no task {task!r} (tasks: {', '.join(task_names(program))})")


def weight_layout(program: QMTLProgram, task: str) -> dict[str, tuple[int, int]]:
    e = program.encoder.n_weights
    k = program.task(task).block.n_weights
    layout = {}
    if e:
        layout["encoder"] = (0, e)
    if k:
        layout[task] = (e, e + k)
    return layout


def flat_weights(program: QMTLProgram, task: str, weights: dict | np.ndarray | None) -> np.ndarray:
    """The exported ``w`` vector of one task from the engines' weight dict ({"encoder": ..., task: ...})."""
    e = program.encoder.n_weights
    k = program.task(task).block.n_weights
    if weights is None:
        weights = {}
    if not isinstance(weights, dict):
        flat = np.asarray(weights, dtype=np.float64).reshape(-1)
        if flat.size != e + k:
            raise UserError(f"weights: task {task!r} needs {e + k} weights (encoder {e} + block {k}), "
                            f"got {flat.size}")
        return flat
    parts = []
    for name, size in (("encoder", e), (task, k)):
        if not size:
            continue
        if name not in weights:
            raise UserError(f"weights: missing {name!r} ({size} values)")
        v = _numpy(weights[name]).reshape(-1)
        if v.size != size:
            raise UserError(f"weights[{name!r}]: expected {size} values, got {v.size}")
        parts.append(v)
    return np.concatenate(parts) if parts else np.zeros(0)


def _numpy(v) -> np.ndarray:
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    return np.asarray(v, dtype=np.float64)


def amplitude_vector(row: np.ndarray, indices: list[int], n_qubits: int) -> np.ndarray:
    """The normalised, zero-padded amplitude vector of one input row, in the IR's order (wire 0 first)."""
    v = np.zeros(2**n_qubits)
    v[: len(indices)] = np.asarray(row, dtype=np.float64)[indices]
    norm = np.linalg.norm(v)
    if norm < 1e-12:
        raise UserError("inputs: an all-zero row cannot be amplitude-encoded")
    return v / norm


def _little_endian(vec: np.ndarray, n: int) -> np.ndarray:
    """Reorder a 2^n vector from wire-0-first to Qiskit's qubit-0-last bit order (and back: it is an involution)."""
    return vec.reshape((2,) * n).transpose(tuple(range(n - 1, -1, -1))).reshape(-1) if n else vec


class _Angles:
    def __init__(self, x: ParameterVector, w: ParameterVector, x_row, w_flat):
        self.x, self.w, self.x_row, self.w_flat = x, w, x_row, w_flat

    def __call__(self, p: Param):
        if p.kind == "const":
            return float(p.value)
        if p.kind == "weight":
            if self.w_flat is not None:
                return float(p.scale * self.w_flat[p.index])
            e = self.w[p.index]
            return e if p.scale == 1.0 else p.scale * e
        if self.x_row is not None:
            v = p.scale * float(self.x_row[p.index])
            return float(v * self.x_row[p.index2]) if p.index2 >= 0 else float(v)
        e = self.x[p.index]
        if p.index2 >= 0:
            e = e * self.x[p.index2]
        return e if p.scale == 1.0 else p.scale * e


def _append(qc: QuantumCircuit, op: NativeOp, angle: _Angles, n: int) -> None:
    if op.name == "state_preparation":
        if angle.x_row is None:
            raise UserError("quantum.encoder.template: AmplitudeEmbedding cannot be exported with symbolic "
                            "inputs (its state preparation is not a parameter expression); bind one input row "
                            "(qmtl export --inputs v1,v2,...)")
        vec = amplitude_vector(angle.x_row, [p.index for p in op.params], n)
        target = _little_endian(vec, n)
        prep = StatePreparation(target)
        qc.append(prep, list(range(n)))
        # Qiskit's synthesis may leave a global phase (e.g. -1): correct it, so states match exactly
        overlap = np.vdot(Statevector(prep.definition).data, target)
        qc.global_phase += float(np.angle(overlap))
        return
    args = [angle(p) for p in op.params]
    getattr(qc, op.name)(*args, *op.wires)
    for coef, p in op.phase:
        qc.global_phase += coef * angle(p)


def z_observable(wire: int, n: int) -> SparsePauliOp:
    return SparsePauliOp.from_sparse_list([("Z", [wire], 1.0)], num_qubits=n)


def pauli_observable(word: PauliWord, n: int) -> SparsePauliOp:
    """One Pauli word as an observable on n qubits (qubit w of the circuit is wire w)."""
    return SparsePauliOp.from_sparse_list([("".join(op for op, _ in word), [w for _, w in word], 1.0)],
                                          num_qubits=n)


def projector_observables(wires: tuple[int, ...], n: int) -> list[SparsePauliOp]:
    """|b><b| on ``wires`` for every bitstring b, in class order (wires[0] is the most significant bit)."""
    k = len(wires)
    out = []
    for b in range(2**k):
        terms = []
        for mask in range(2**k):  # product over wires of (I + s Z) / 2, expanded
            coef = 1.0 / 2**k
            qubits = []
            for i, w in enumerate(wires):
                if mask >> (k - 1 - i) & 1:
                    qubits.append(w)
                    coef *= -1.0 if (b >> (k - 1 - i)) & 1 else 1.0
            terms.append(("Z" * len(qubits), qubits, coef))
        out.append(SparsePauliOp.from_sparse_list(terms, num_qubits=n).simplify())
    return out


def to_qiskit(program: QMTLProgram, task_name: str, *, inputs=None, weights=None) -> QiskitTaskCircuit:
    """One task's circuit. ``inputs`` (one row of h) and ``weights`` (the engines' dict or the flat ``w``) are
    optional: what is given is written as numbers, the rest stays symbolic."""
    check_task(program, task_name)
    t = program.task(task_name)
    n = program.n_qubits
    x = ParameterVector("x", program.n_features)
    w = ParameterVector("w", program.encoder.n_weights + t.block.n_weights)
    x_row = None if inputs is None else _numpy(inputs).reshape(-1)
    if x_row is not None and x_row.size != program.n_features:
        raise UserError(f"inputs: expected {program.n_features} features, got {x_row.size}")
    w_flat = None if weights is None else flat_weights(program, task_name, weights)
    qc = QuantumCircuit(n, name=task_name)
    angle = _Angles(x, w, x_row, w_flat)
    for op in task_native_ops(program, task_name):
        _append(qc, op, angle, n)
    r = t.readout
    observables = [z_observable(q, n) for q in r.wires] if r.kind == "expval" else \
        [pauli_observable(word, n) for word in r.words] if r.kind == "pauli" else []
    qc.metadata = {"task": task_name, "readout": r.kind, "wires": list(r.wires), "classes": r.classes,
                   "weight_layout": {k: list(v) for k, v in weight_layout(program, task_name).items()}}
    return QiskitTaskCircuit(task_name, qc, x, w, r, observables, tuple(r.wires), weight_layout(program, task_name),
                             bound_inputs=x_row is not None)


def with_measurements(qtc: QiskitTaskCircuit, basis: int = 0) -> QuantumCircuit:
    """The circuit with its readout wires measured: wire ``wires[i]`` -> clbit ``k-1-i`` of register ``meas``.
    A Pauli-word readout is measured in one of its bases (``measurement_bases``): the basis change (H for X,
    S^dagger H for Y) comes before the measurement of the wires that basis reads."""
    qc = qtc.circuit.copy()
    wires = qtc.measured_wires
    if qtc.readout.kind == "pauli":
        bases = measurement_bases(qtc.readout)
        if not 0 <= basis < len(bases):
            raise UserError(f"basis: task {qtc.task!r} is measured in {len(bases)} bases, got {basis}")
        rotation, members, wires = bases[basis]
        for w in wires:
            for gate in BASIS_CHANGE[rotation[w]]:
                getattr(qc, gate)(w)
        qc.metadata = {**(qc.metadata or {}), "basis": basis, "measured_words":
                       [word_label(qtc.readout.words[i]) for i in members], "word_indices": members}
    k = len(wires)
    creg = ClassicalRegister(k, "meas")
    qc.add_register(creg)
    for i, wire in enumerate(wires):
        qc.measure(wire, creg[k - 1 - i])
    return qc


def measurement_bases(r: Readout) -> list[tuple[dict[int, str], list[int], tuple[int, ...]]]:
    """Pauli-word readout: (basis per wire, indices of the words read in it, the wires measured, in readout
    order), one entry per measured circuit."""
    out = []
    for rotation, members in basis_groups(r.words):
        wires = tuple(w for w in r.wires if w in rotation)
        out.append((rotation, members, wires))
    return out


def bind_values(qtc: QiskitTaskCircuit, x=None, weights=None, parameters=None) -> np.ndarray:
    """Parameter values (B, P) in the order of ``parameters`` (default: ``qtc.circuit.parameters``; pass an
    ISA circuit's ``.parameters`` after transpiling) from inputs ``x`` (B, n_features) and the weights (the
    engines' dict {"encoder": ..., task: ...} or the flat ``w`` vector). Works for any subset of x and w
    elements, so unused features and weights are simply absent."""
    params: list[Parameter] = list(qtc.circuit.parameters if parameters is None else parameters)
    X = np.zeros((1, len(qtc.inputs))) if x is None else _numpy(x)
    if X.ndim == 1:
        X = X[None, :]
    B = X.shape[0]
    reads_w = any(getattr(p, "vector", None) is not None and p.vector.name == qtc.weights.name for p in params)
    if not reads_w:
        w_flat = np.zeros(0)
    elif weights is None or isinstance(weights, dict):
        w_flat = _flat_from_dict(qtc, weights or {})
    else:
        w_flat = _numpy(weights).reshape(-1)
    out = np.zeros((B, len(params)))
    for j, p in enumerate(params):
        vec = getattr(p, "vector", None)
        if vec is qtc.inputs or (vec is not None and vec.name == qtc.inputs.name):
            if x is None:
                raise UserError(f"inputs: the circuit reads {p.name} but no inputs were given")
            out[:, j] = X[:, p.index]
        elif vec is qtc.weights or (vec is not None and vec.name == qtc.weights.name):
            if p.index >= w_flat.size:
                raise UserError(f"weights: the circuit reads {p.name} but only {w_flat.size} weights were given")
            out[:, j] = w_flat[p.index]
        else:
            raise UserError(f"unknown circuit parameter {p.name!r}")
    return out


def _flat_from_dict(qtc: QiskitTaskCircuit, weights: dict) -> np.ndarray:
    flat = np.zeros(len(qtc.weights))
    for name, (start, stop) in qtc.weight_layout.items():
        if name not in weights:
            raise UserError(f"weights: missing {name!r} ({stop - start} values)")
        v = _numpy(weights[name]).reshape(-1)
        if v.size != stop - start:
            raise UserError(f"weights[{name!r}]: expected {stop - start} values, got {v.size}")
        flat[start:stop] = v
    return flat


def statevector_wire_order(vec: np.ndarray, n: int) -> np.ndarray:
    """A Qiskit statevector (qubit 0 least significant) in the IR's order (wire 0 most significant)."""
    return _little_endian(np.asarray(vec), n)
