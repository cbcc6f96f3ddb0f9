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
Executors of the exact mode: ``executor="aer"`` runs the reduced ISA circuit in Aer's density-matrix simulator;
``executor="ptm"`` (default) evaluates the very same reduced ISA circuit under the very same (restricted) Aer
noise model, each Aer ``QuantumError`` turned into its Pauli transfer matrix, with the torch density-matrix
simulator (``density_engine.PTMCircuit``): the input-reading part that all task circuits share (same layout) runs
once per input, the weight-only rest once per call in the Heisenberg picture, which makes it much faster than
Aer on these circuits. The two agree to
~1e-12 (tests/core/test_aer_engine.py); circuits with gates or errors the PTM path does not know fall back to Aer.

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
    depth: int = 0  # of the ISA circuit (device mode)
    ptm: object = None  # PTMCircuit of the reduced circuit (executor "ptm"), built on first use
    ptm_error: str = ""  # why the PTM path does not apply, if it does not


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


class _Unsupported(Exception):
    pass


_CHANNELS: dict = {}  # (backend, active qubits) -> {(gate, wires): channels}: the tasks of a program share them


class _AerChannels:
    """``channels_after(op)`` for a reduced ISA circuit: the noise model's error on that gate as a PTM."""

    def __init__(self, nm, key=None):
        self.nm = nm
        self._cache: dict = _CHANNELS.setdefault(key, {}) if key is not None else {}

    def channels_after(self, op) -> list:
        key = (op.name, op.wires)
        if key not in self._cache:
            err = self.nm._local_quantum_errors.get(op.name, {}).get(op.wires)
            if err is None:
                err = self.nm._default_quantum_errors.get(op.name)
            if err is None:
                self._cache[key] = []
            else:
                from qiskit.quantum_info import PTM

                from workbench.engines.noise_model import swap_ptm_wires

                m = np.asarray(PTM(err.to_quantumchannel()).data).real
                if err.num_qubits == 2:
                    m = swap_ptm_wires(m)  # qiskit's first qubit is the least significant digit; ours the most
                elif err.num_qubits != 1:
                    raise _Unsupported(f"a {err.num_qubits}-qubit error on {op.name}")
                self._cache[key] = [(op.wires, m)]
        return self._cache[key]


def _expr_param(value):
    """An ISA gate angle as an IR constant or an ``ExprParam`` of the exported x / w vectors."""
    from workbench.circuits.ir import Param
    from workbench.engines.density_engine import ExprParam

    params = getattr(value, "parameters", None)
    if not params:
        return Param.const(float(value))
    import sympy

    expr = value.sympify()
    symbols = sorted(expr.free_symbols, key=str)
    refs = []
    by_name = {str(p): p for p in params}
    for sym in symbols:
        p = by_name.get(str(sym))
        vec = getattr(p, "vector", None)
        if p is None or vec is None or vec.name not in ("x", "w"):
            raise _Unsupported(f"angle {value}")
        refs.append((vec.name, p.index))
    fn = sympy.lambdify(symbols, expr, modules="numpy")

    def evaluate(x, w):
        return fn(*[x[:, i] if name == "x" else w[i] for name, i in refs])

    return ExprParam(evaluate, any(name == "x" for name, _ in refs), any(name == "w" for name, _ in refs))


_PTM_GATES = {"rz", "rx", "ry", "p", "u", "rzz", "crx", "cry", "crz", "sx", "sxdg", "x", "y", "z", "h", "s", "sdg",
              "t", "tdg", "id", "cx", "cz", "ecr", "swap"}


def _ptm_circuit(prep: _Prepared, backend: str, precision: str = "double"):
    from workbench.circuits.export_native import NativeOp
    from workbench.engines.density_engine import PTMCircuit

    circuit = prep.circuit
    natives, signature = [], []
    for inst in circuit.data:
        name = inst.operation.name
        if name.startswith("save_") or name in ("barrier", "delay"):
            continue
        if name not in _PTM_GATES:
            raise _Unsupported(f"gate {name}")
        wires = tuple(circuit.find_bit(q).index for q in inst.qubits)
        natives.append(NativeOp(name, wires, tuple(_expr_param(v) for v in inst.operation.params)))
        signature.append((name, wires, tuple(str(v) for v in inst.operation.params)))
    return PTMCircuit(natives, circuit.num_qubits, _AerChannels(prep.noise_model, (backend, tuple(prep.active))),
                      prep.readout_qubits,
                      prep.readout_mats, signature=signature, noise_key=(backend, tuple(prep.active)),
                      dtype=torch.float32 if precision == "single" else torch.float64)


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
                 optimization_level: int = 1, seed_transpiler: int = 7, precision: str = "double",
                 executor: str = "ptm"):
        if executor not in ("ptm", "aer"):
            raise UserError(f"aer engine: executor must be 'ptm' or 'aer', got {executor!r}")
        self.executor = executor
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
        full = fake_backends.noise_model_on(self.backend, active)
        nm = restrict_noise_model(full, active)
        idx = {p: i for i, p in enumerate(active)}
        ro = [idx[final[w]] for w in qtc.measured_wires]
        mats = []
        for w in qtc.measured_wires:
            err = full._local_readout_errors.get((final[w],), full._default_readout_error)
            mats.append(None if err is None else _readout_of(err))
        return _Prepared(qtc, _with_probabilities(red, ro), _with_measurements(red, ro), ro, mats, nm, active,
                         dict(isa.count_ops()), isa.depth())

    def prepare(self, task: str, check: bool = True) -> _Prepared:
        """Transpile (device mode) and cut down one task circuit; cached. ``check``: refuse a circuit whose
        routed form touches more physical qubits than an exact density matrix can hold."""
        if task not in self._prepared:
            self._prepared[task] = self._prepare(task)
        prep = self._prepared[task]
        if check and len(prep.active) > MAX_ACTIVE_QUBITS:
            raise UserError(f"backend {self.backend}: task {task!r} uses {len(prep.active)} physical qubits after "
                            f"routing; exact density matrices stop at {MAX_ACTIVE_QUBITS}")
        return prep

    def _prepare(self, task: str) -> _Prepared:
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

    def _ptm(self, task: str, prep: _Prepared):
        """The PTM evaluation of the reduced circuit, or None (with the reason kept) where it does not apply."""
        if self.executor != "ptm" or not self.backend or self.amplitude or prep.ptm_error:
            return None
        if prep.ptm is None:
            try:
                prep.ptm = _ptm_circuit(prep, self.backend, self.precision)
            except _Unsupported as exc:
                prep.ptm_error = str(exc)
                return None
        return prep.ptm

    def executor_used(self, task: str) -> str:
        return "ptm" if self._ptm(task, self.prepare(task)) is not None else "aer"

    def _run(self, task: str, X: np.ndarray, weights: dict, shots: int | None, seed: int | None):
        prep = self.prepare(task)
        ptm = None if shots else self._ptm(task, prep)
        if ptm is not None:
            from workbench.circuits.export_qiskit import flat_weights

            w = flat_weights(self.program, task, weights)
            with torch.no_grad():
                return ptm.outcome_probabilities(torch.as_tensor(X), torch.as_tensor(w)).double().numpy()
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
    def outcome_probabilities(self, x, weights, tick=None) -> dict[str, np.ndarray]:
        """Exact joint probabilities (B, 2^k) of every task's measured readout bits, readout errors included.
        ``tick(rows)``: called around each chunk of inputs (progress; it may raise to cancel)."""
        X, W = self._np(x), self._weights(weights)
        out: dict[str, np.ndarray] = {}
        ptm = {t.name: c for t in self.program.tasks if (c := self._ptm(t.name, self.prepare(t.name))) is not None}
        if ptm:  # the PTM executor: tasks that share their input-reading part compute it once
            from workbench.circuits.export_qiskit import flat_weights

            names = list(ptm)
            ws = [torch.as_tensor(flat_weights(self.program, name, W)) for name in names]
            with torch.no_grad():
                probs = ptm[names[0]].evaluate_many([ptm[k] for k in names], torch.as_tensor(X), ws, tick)
            out.update({k: p.double().numpy() for k, p in zip(names, probs)})
        for t in self.program.tasks:
            if t.name not in out:
                if tick is not None:
                    tick(0)
                out[t.name] = self._run(t.name, X, W, None, None)
                if tick is not None:
                    tick(len(X) / len(self.program.tasks))
        return {t.name: out[t.name] for t in self.program.tasks}

    def forward(self, x, weights) -> dict[str, torch.Tensor]:
        probs = self.outcome_probabilities(x, weights)
        return {t.name: torch.as_tensor(raw_from_outcomes(probs[t.name], t.readout)) for t in self.program.tasks}

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
