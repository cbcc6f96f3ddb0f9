"""Qiskit Aer engine: the exported task circuits under a fake backend's full noise model (or uniform channels).

Device mode (``AerEngine(program, backend="fake_hanoi")``):
- each task circuit is transpiled once for the backend (``fake_backends.transpile_task``; one layout shared by
  all tasks) and the ISA circuit is cut down to its active physical qubits (those any gate touches), with the
  backend's noise model restricted to those qubits and renumbered;
- exact mode (default): Aer's density-matrix method returns the exact outcome probabilities of the readout
  qubits (``save_probabilities``), and the readout assignment matrices of those qubits are applied to them, so
  the result is the exact expectation of what the device model would measure (no shot noise);
- shots mode (``forward_shots``): the readout qubits are measured, Aer samples ``shots`` per input with the
  readout errors, and standard errors come with the estimates;
- one evaluation is one Aer job per task: all inputs are bound into that job (``parameter_binds``), never one
  job per sample.
Logical mode (``AerEngine(program, noise="depolarizing:0.01")`` or no noise): the untranspiled export under the
uniform channels of ``NoiseSpec.to_aer_noise_model`` (the reference for the torch density-matrix engine).

``forward(x, weights)`` returns raw readouts (B, width) like the other engines; no gradients.
AmplitudeEmbedding specs are exported per input (their state preparation is not a parameter expression), so in
device mode every input is transpiled on its own: correct, but slow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from workbench.circuits.export_native import has_amplitude
from workbench.circuits.export_qiskit import QiskitTaskCircuit, bind_values, to_qiskit
from workbench.circuits.ir import QMTLProgram, Readout
from workbench.engines import fake_backends
from workbench.engines.density_engine import readout_from_counts
from workbench.engines.noise_model import NoiseSpec
from workbench.errors import UserError

MAX_ACTIVE_QUBITS = 13  # density matrices of 4^k complex numbers: 1 GiB at k = 13
_AER_GATES = {"u", "rx", "ry", "rz", "p", "h", "x", "y", "z", "s", "t", "sx", "sxdg", "sdg", "tdg", "cx", "cz",
              "ecr", "swap", "rzz", "id", "measure", "barrier", "delay", "reset"}


@dataclass
class _Prepared:
    qtc: QiskitTaskCircuit
    circuit: object  # reduced circuit with save_probabilities (exact mode)
    measured: object  # reduced circuit with measurements (shots mode)
    readout_qubits: list[int]  # reduced qubit of each readout wire (wires order)
    readout_mats: list[np.ndarray | None]  # A[m, b] per readout wire
    noise_model: object
    active: list[int]  # physical qubits kept (device mode), or the wires (logical mode)
    isa_ops: dict


def _readout_of(error) -> np.ndarray:
    return np.asarray(error.probabilities, dtype=np.float64).T


def restrict_noise_model(nm, active: list[int]):
    """The noise model's errors on ``active`` physical qubits, renumbered 0..k-1 in that order."""
    from qiskit_aer.noise import NoiseModel

    idx = {p: i for i, p in enumerate(active)}
    out = NoiseModel(basis_gates=nm.basis_gates)
    # NoiseModel exposes no public iterator over its local errors; these two dicts are what to_dict() reads
    for name, by_qubits in nm._local_quantum_errors.items():
        for qubits, err in by_qubits.items():
            if all(q in idx for q in qubits):
                out.add_quantum_error(err, name, [idx[q] for q in qubits], warnings=False)
    for name, err in nm._default_quantum_errors.items():
        out.add_all_qubit_quantum_error(err, name, warnings=False)
    for qubits, err in nm._local_readout_errors.items():
        if all(q in idx for q in qubits):
            out.add_readout_error(err, [idx[q] for q in qubits], warnings=False)
    if nm._default_readout_error is not None:
        out.add_all_qubit_readout_error(nm._default_readout_error, warnings=False)
    return out


def _reduce(isa, keep_extra: list[int]) -> tuple[object, list[int]]:
    from qiskit import QuantumCircuit

    used = {isa.find_bit(q).index for inst in isa.data if inst.operation.name not in ("barrier", "delay")
            for q in inst.qubits}
    active = sorted(used | set(keep_extra))
    idx = {p: i for i, p in enumerate(active)}
    red = QuantumCircuit(len(active), global_phase=isa.global_phase, name=isa.name)
    for inst in isa.data:
        if inst.operation.name in ("barrier", "delay"):
            continue
        red.append(inst.operation, [idx[isa.find_bit(q).index] for q in inst.qubits])
    return red, active


def _aer_native(circuit):
    """Gates Aer lacks (controlled rotations, state preparation) as labelled unitaries: their noise (if any) is
    keyed on the label, which is the export's gate name. Needs a bound circuit when such a gate is present."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import UnitaryGate
    from qiskit.quantum_info import Operator

    def native(name: str) -> bool:
        return name in _AER_GATES or name.startswith("save_")

    if all(native(inst.operation.name) for inst in circuit.data):
        return circuit
    out = QuantumCircuit(*circuit.qregs, *circuit.cregs, global_phase=circuit.global_phase)
    for inst in circuit.data:
        op = inst.operation
        if native(op.name):
            out.append(inst)
        else:
            out.append(UnitaryGate(Operator(op), label=op.name), inst.qubits)
    return out


def _with_probabilities(circuit, qubits: list[int]):
    qc = circuit.copy()
    qc.save_probabilities(qubits=list(reversed(qubits)), label="probs")  # index: qubits[0] most significant
    return qc


def _with_measurements(circuit, qubits: list[int]):
    from qiskit import ClassicalRegister

    qc = circuit.copy()
    k = len(qubits)
    creg = ClassicalRegister(k, "meas")
    qc.add_register(creg)
    for i, q in enumerate(qubits):
        qc.measure(q, creg[k - 1 - i])
    return qc


def apply_readout(p: np.ndarray, mats: list[np.ndarray | None]) -> np.ndarray:
    """Joint outcome probabilities (B, 2^k) (bit i <-> readout wire i, most significant first) through per-wire
    assignment matrices."""
    k = len(mats)
    B = p.shape[0]
    t = p.reshape(B, *([2] * k))
    for i, A in enumerate(mats):
        if A is not None:
            t = np.moveaxis(np.tensordot(A, t, axes=([1], [1 + i])), 0, 1 + i)
    return t.reshape(B, 2**k)


def raw_from_outcomes(p: np.ndarray, r: Readout) -> np.ndarray:
    if r.kind == "probs":
        return p
    k = len(r.wires)
    signs = np.array([[1 - 2 * ((m >> (k - 1 - i)) & 1) for i in range(k)] for m in range(2**k)], dtype=np.float64)
    return p @ signs


class AerEngine:
    """``forward(x, weights)`` -> raw readouts (B, width) per task, evaluated by Qiskit Aer."""

    name = "aer"

    def __init__(self, program: QMTLProgram, backend: str | None = None, *, noise: NoiseSpec | str | None = None,
                 optimization_level: int = 1, seed_transpiler: int = 7, precision: str = "double"):
        if backend is not None and noise is not None:
            raise UserError("aer engine: give a backend or a noise spec, not both")
        self.program = program
        self.backend = fake_backends.resolve(backend) if backend else None
        if self.backend:
            fake_backends.require_qubits(self.backend, program.n_qubits)
        self.noise = NoiseSpec.parse(noise) if isinstance(noise, str) else (noise or NoiseSpec())
        if self.noise.calibration is not None:
            raise UserError("aer engine: a calibrated NoiseSpec is the density engine's model; pass backend= instead")
        self.optimization_level = optimization_level
        self.seed_transpiler = seed_transpiler
        self.precision = precision
        self._prepared: dict[str, _Prepared] = {}
        self.amplitude = has_amplitude(program)

    # -- set-up
    def describe(self) -> str:
        return f"Aer, {self.backend} noise model" if self.backend else f"Aer, {self.noise.describe()}"

    def _simulator(self, nm, method: str = "density_matrix"):
        from qiskit_aer import AerSimulator

        return AerSimulator(method=method, noise_model=nm, precision=self.precision, max_parallel_experiments=0,
                            max_parallel_threads=0)

    def _prepare_device(self, task: str, isa, qtc: QiskitTaskCircuit) -> _Prepared:
        n = self.program.n_qubits
        final = fake_backends.final_wires(isa, n)
        red, active = _reduce(isa, [final[w] for w in qtc.measured_wires])
        if len(active) > MAX_ACTIVE_QUBITS:
            raise UserError(f"backend {self.backend}: task {task!r} uses {len(active)} physical qubits after "
                            f"routing; exact density matrices stop at {MAX_ACTIVE_QUBITS}")
        full = fake_backends.noise_model(self.backend)
        nm = restrict_noise_model(full, active)
        idx = {p: i for i, p in enumerate(active)}
        ro = [idx[final[w]] for w in qtc.measured_wires]
        mats = []
        for w in qtc.measured_wires:
            err = full._local_readout_errors.get((final[w],), full._default_readout_error)
            mats.append(None if err is None else _readout_of(err))
        return _Prepared(qtc, _with_probabilities(red, ro), _with_measurements(red, ro), ro, mats, nm, active,
                         dict(isa.count_ops()))

    def prepare(self, task: str) -> _Prepared:
        """Transpile (device mode) and cut down one task circuit; cached."""
        if task in self._prepared:
            return self._prepared[task]
        if self.backend:
            isa, qtc = fake_backends.transpile_program_task(self.backend, self.program, task,
                                                            optimization_level=self.optimization_level,
                                                            seed=self.seed_transpiler)
            prep = self._prepare_device(task, isa, qtc)
        else:
            qtc = to_qiskit(self.program, task) if not self.amplitude else None
            circuit = qtc.circuit if qtc is not None else None
            ro = list(self.program.task(task).readout.wires)
            mats = [self.noise.readout_matrix(w) for w in ro]
            nm = self.noise.to_aer_noise_model() if not self.noise.is_ideal else None
            prep = _Prepared(qtc, circuit, None, ro, mats, nm, list(range(self.program.n_qubits)), {})
        self._prepared[task] = prep
        return prep

    # -- circuits for one evaluation
    def _jobs(self, task: str, X: np.ndarray, weights: dict, shots: int | None):
        """(circuits, parameter_binds or None) for one Aer run covering every input."""
        prep = self.prepare(task)
        if self.amplitude:
            circuits = []
            for row in X:
                qtc = to_qiskit(self.program, task, inputs=row, weights=weights)
                if self.backend:
                    layout = fake_backends.program_layout(self.backend, self.program,
                                                          optimization_level=self.optimization_level,
                                                          seed=self.seed_transpiler)
                    isa = fake_backends.transpile_task(self.backend, qtc.circuit, ("amp", row.tobytes(), task),
                                                       optimization_level=self.optimization_level,
                                                       seed=self.seed_transpiler, initial_layout=layout)
                    one = self._prepare_device(task, isa, qtc)
                    circuits.append(one.measured if shots else one.circuit)
                    prep.readout_mats, prep.noise_model = one.readout_mats, one.noise_model
                else:
                    c = _aer_native(qtc.circuit)
                    circuits.append(_with_measurements(c, prep.readout_qubits) if shots
                                    else _with_probabilities(c, prep.readout_qubits))
            return circuits, None
        base = prep.measured if (shots and self.backend) else prep.circuit
        if not self.backend:
            base = (_with_measurements(prep.qtc.circuit, prep.readout_qubits) if shots
                    else _with_probabilities(prep.qtc.circuit, prep.readout_qubits))
        values = bind_values(prep.qtc, X, weights, parameters=base.parameters)
        needs_binding = any(inst.operation.name not in _AER_GATES and not inst.operation.name.startswith("save_")
                            for inst in base.data)
        if needs_binding:  # gates Aer lacks become unitaries, which need numbers
            return [_aer_native(base.assign_parameters(v)) for v in values], None
        if not base.parameters:
            return [base] * len(X), None
        binds = [{p: values[:, j].tolist() for j, p in enumerate(base.parameters)}]
        return [base], binds

    def _run(self, task: str, X: np.ndarray, weights: dict, shots: int | None, seed: int | None):
        prep = self.prepare(task)
        circuits, binds = self._jobs(task, X, weights, shots)
        sim = self._simulator(prep.noise_model)
        kwargs = {"parameter_binds": binds} if binds else {}
        if shots:
            kwargs.update(shots=shots, seed_simulator=seed)
        result = sim.run(circuits, **kwargs).result()
        if not result.success:
            raise RuntimeError(f"Aer failed on task {task!r}: {result.status}")
        B = len(X)
        k = len(prep.readout_qubits)
        if shots:
            counts = np.zeros((B, 2**k))
            for i in range(B):
                for bits, c in result.get_counts(i).items():
                    counts[i, int(bits.replace(" ", ""), 2)] += c
            return counts
        p = np.stack([np.asarray(result.data(i)["probs"], dtype=np.float64) for i in range(B)])
        return apply_readout(p, prep.readout_mats)

    @staticmethod
    def _np(x) -> np.ndarray:
        if hasattr(x, "detach"):
            x = x.detach().cpu().numpy()
        return np.asarray(x, dtype=np.float64)

    def _weights(self, weights: dict | None) -> dict:
        return {k: self._np(v) for k, v in (weights or {}).items()}

    # -- public
    def outcome_probabilities(self, x, weights) -> dict[str, np.ndarray]:
        X, W = self._np(x), self._weights(weights)
        return {t.name: self._run(t.name, X, W, None, None) for t in self.program.tasks}

    def forward(self, x, weights) -> dict[str, torch.Tensor]:
        X, W = self._np(x), self._weights(weights)
        out = {}
        for t in self.program.tasks:
            p = self._run(t.name, X, W, None, None)
            out[t.name] = torch.as_tensor(raw_from_outcomes(p, t.readout))
        return out

    __call__ = forward

    def outcome_counts(self, x, weights, shots: int, seed: int | None = None) -> dict[str, np.ndarray]:
        """Counts (B, 2^k) of every task's measured readout bits, ``shots`` per input, one Aer job per task."""
        if shots < 1:
            raise UserError(f"--shots: must be >= 1, got {shots}")
        X, W = self._np(x), self._weights(weights)
        return {t.name: self._run(t.name, X, W, shots, None if seed is None else seed + j)
                for j, t in enumerate(self.program.tasks)}

    def forward_shots(self, x, weights, shots: int, seed: int | None = None
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Raw readouts estimated from ``shots`` samples per input (Aer samples, readout errors included) and
        their standard errors."""
        counts = self.outcome_counts(x, weights, shots, seed)
        values, errors = {}, {}
        for t in self.program.tasks:
            values[t.name], errors[t.name] = readout_from_counts(counts[t.name], t.readout)
        return values, errors

    def circuit_report(self) -> dict[str, dict]:
        """Per task: physical qubits used and the ISA gate counts (device mode)."""
        out = {}
        for t in self.program.tasks:
            prep = self.prepare(t.name)
            out[t.name] = {"active_qubits": prep.active, "ops": prep.isa_ops}
        return out
