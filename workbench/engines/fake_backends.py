"""The fake IBM backends that qiskit-ibm-runtime ships (offline calibration snapshots), made cheap to use.

- ``catalog()`` reads each backend's small ``conf_*.json`` (qubits, basis gates) without importing
  qiskit-ibm-runtime or building a backend: listing all 68 takes ~0.1 s, once per process.
- ``get_backend(name)`` builds a backend the first time it is asked for; ``noise_model(name)`` builds Aer's
  ``NoiseModel.from_backend`` once (seconds for 100+ qubit devices); ``transpile_task`` transpiles a task circuit
  once per (backend, circuit, options) with ``generate_preset_pass_manager``. All are cached for the process.
- One layout serves every task of a program: the first task's circuit picks it, the others are transpiled onto the
  same physical qubits (``program_layout``), as one would run a multi-task head on hardware.
- ``calibrated_noise(name, program)`` turns the calibration of those physical qubits into the density-matrix
  engine's ``NoiseSpec`` (see ``engines/noise_model.py`` for what it models).
"""

from __future__ import annotations

import difflib
import json
import threading
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from workbench.errors import UserError

TWO_QUBIT_GATES = {"cx", "cz", "ecr", "rzz", "cy", "swap", "iswap", "cp"}
_IGNORED = {"id", "reset", "measure", "delay", "measure_2", "reset_2", "for_loop", "if_else", "switch_case",
            "while_loop", "barrier"}
_LOCK = threading.RLock()


@dataclass(frozen=True)
class BackendInfo:
    name: str  # fake_hanoi
    qubits: int
    two_qubit_basis: tuple[str, ...]
    one_qubit_basis: tuple[str, ...]
    device: str  # the device the snapshot was taken from (ibm_hanoi)

    def as_dict(self) -> dict:
        return asdict(self)


def _backends_dir() -> Path | None:
    spec = find_spec("qiskit_ibm_runtime")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "fake_provider" / "backends"


@lru_cache(maxsize=1)
def catalog() -> tuple[BackendInfo, ...]:
    """Every fake backend, fewest qubits first (read from the shipped JSON; no backend is built)."""
    root = _backends_dir()
    if root is None or not root.is_dir():
        return ()
    out = []
    for conf in sorted(root.glob("*/conf_*.json")):
        try:
            data = json.loads(conf.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        basis = [g for g in data.get("basis_gates", []) if g not in _IGNORED]
        out.append(BackendInfo(
            name=f"fake_{conf.parent.name}", qubits=int(data.get("n_qubits", 0)),
            two_qubit_basis=tuple(g for g in basis if g in TWO_QUBIT_GATES),
            one_qubit_basis=tuple(g for g in basis if g not in TWO_QUBIT_GATES),
            device=str(data.get("backend_name", "")),
        ))
    return tuple(sorted(out, key=lambda b: (b.qubits, b.name)))


def names() -> list[str]:
    return [b.name for b in catalog()]


def info(name: str) -> BackendInfo:
    canonical = resolve(name)
    return next(b for b in catalog() if b.name == canonical)


def resolve(name: str, where: str = "backend") -> str:
    """``fake_hanoi``, ``hanoi``, ``FakeHanoiV2`` -> ``fake_hanoi``; unknown names are a UserError."""
    key = name.strip().lower().replace("-", "_")
    if key.startswith("fake") and not key.startswith("fake_"):
        key = "fake_" + key[4:]
    if key.endswith("v2"):
        key = key[:-2]
    key = key if key.startswith("fake_") else "fake_" + key
    known = names()
    if key in known:
        return key
    close = difflib.get_close_matches(key, known, n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise UserError(f"{where}: unknown backend {name!r} ({hint}known: ideal, a noise spec such as depolarizing:0.01, "
                    f"or a fake backend: {', '.join(known)})")


def require_qubits(name: str, n: int, where: str = "backend") -> None:
    b = info(name)
    if b.qubits < n:
        fits = [x.name for x in catalog() if x.qubits >= n]
        raise UserError(f"{where}: {b.name} has {b.qubits} qubits but the circuit needs {n} "
                        f"(backends that fit: {', '.join(fits[:12])}{', ...' if len(fits) > 12 else ''})")


def get_backend(name: str):
    """A fake backend instance (built on first use, then cached)."""
    return _backend(resolve(name))


@cache
def _backend(canonical: str):
    import qiskit_ibm_runtime.fake_provider as fp
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    for attr in dir(fp):
        cls = getattr(fp, attr)
        if isinstance(cls, type) and issubclass(cls, FakeBackendV2) and getattr(cls, "backend_name", None) == canonical:
            return cls()
    raise UserError(f"backend: {canonical} is listed but qiskit-ibm-runtime has no class for it")


def noise_model(name: str):
    """Aer's ``NoiseModel.from_backend`` of the backend (built once per process)."""
    return _noise_model(resolve(name))


@cache
def _noise_model(name: str):
    import warnings

    from qiskit_aer.noise import NoiseModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NoiseModel.from_backend(get_backend(name))


class _TargetOn:
    """The parts of a backend's ``Target`` that Aer's device-model functions read, limited to some qubits."""

    def __init__(self, target, qubits):
        self._target, self._qubits = target, set(qubits)
        self.num_qubits = target.num_qubits
        self.qubit_properties = target.qubit_properties

    def _on(self, props):
        if props is None:
            return None
        return {q: p for q, p in props.items() if q is not None and self._qubits.issuperset(q)}

    def items(self):
        return [(name, self._on(props)) for name, props in self._target.items()]

    def get(self, name, default=None):
        props = self._target.get(name, default)
        return props if props is default else self._on(props)

    def operation_from_name(self, name):
        return self._target.operation_from_name(name)


def noise_model_on(name: str, qubits) -> object:
    """``NoiseModel.from_backend`` limited to the errors on ``qubits`` (same functions, same numbers, physical
    qubit numbering kept): building the whole model of a 133-qubit device takes seconds that a circuit on 8 of its
    qubits does not need."""
    return _noise_model_on(resolve(name), tuple(sorted(qubits)))


@lru_cache(maxsize=32)
def _noise_model_on(name: str, qubits: tuple[int, ...]):
    import warnings

    from qiskit_aer.noise import NoiseModel
    from qiskit_aer.noise.device.models import basic_device_gate_errors, basic_device_readout_errors

    backend = get_backend(name)
    view = _TargetOn(backend.target, qubits)
    nm = NoiseModel(basis_gates=backend.operation_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for q, err in basic_device_readout_errors(target=view):
            nm.add_readout_error(err, q, warnings=False)
        for gate, q, err in basic_device_gate_errors(target=view):
            nm.add_quantum_error(err, gate, q, warnings=False)
    return nm


# --------------------------------------------------------------------------------------------- transpile
_TRANSPILED: dict = {}


def circuit_key(program, task: str) -> tuple:
    """A hashable fingerprint of one task circuit (its exported gates and readout)."""
    from workbench.circuits.export_native import task_native_ops

    t = program.task(task)
    return (program.n_qubits, tuple(task_native_ops(program, task)), t.readout)


def transpile_task(name: str, circuit, key: tuple, *, optimization_level: int = 1, seed: int = 7,
                   initial_layout: tuple[int, ...] | None = None):
    """The ISA circuit for ``circuit`` (parameters left unbound), cached per (backend, key, options)."""
    canonical = resolve(name)
    cache_key = (canonical, key, optimization_level, seed, initial_layout)
    with _LOCK:
        if cache_key in _TRANSPILED:
            return _TRANSPILED[cache_key]
    from qiskit.transpiler import generate_preset_pass_manager

    pm = generate_preset_pass_manager(optimization_level=optimization_level, backend=get_backend(canonical),
                                      seed_transpiler=seed,
                                      initial_layout=list(initial_layout) if initial_layout else None)
    if getattr(circuit.global_phase, "parameters", None):
        # a symbolic global phase (Rot = u up to a phase) changes no measurement but makes the basis translation
        # crawl on CZ devices (17 s instead of 0.4 s for the digits demo on fake_torino): drop it
        circuit = circuit.copy()
        circuit.global_phase = 0
    isa = pm.run(_symbolic_u_as_zyz(circuit))
    with _LOCK:
        _TRANSPILED[cache_key] = isa
    return isa


def _symbolic_u_as_zyz(circuit):
    """``u(theta, phi, lam)`` gates with symbolic angles written as ``rz(lam) ry(theta) rz(phi)`` (equal up to a
    global phase, which no measurement sees).

    Qiskit's basis translator is pathological on symbolic ``u`` gates in longer circuits on CZ devices: it spends
    its time formatting ever-growing parameter expressions (profiled: ``symbol_expr::Symbol::repr``), and the
    time grows exponentially with the number of gates (the digits demo's 8-qubit task circuit on fake_torino:
    40 gates 0.3 s, 50 gates 1 s, 60 gates 15 s, the whole circuit did not finish in 15 minutes). The same circuit
    with ``u`` as rz-ry-rz transpiles in 0.1 s to the same unitary."""
    from qiskit import QuantumCircuit

    if not any(inst.operation.name == "u" and inst.operation.is_parameterized() for inst in circuit.data):
        return circuit
    out = QuantumCircuit(*circuit.qregs, *circuit.cregs, global_phase=circuit.global_phase, name=circuit.name)
    for inst in circuit.data:
        op = inst.operation
        if op.name == "u" and op.is_parameterized():
            theta, phi, lam = op.params
            out.rz(lam, inst.qubits[0])
            out.ry(theta, inst.qubits[0])
            out.rz(phi, inst.qubits[0])
        else:
            out.append(inst)
    return out


def initial_wires(isa, n: int) -> list[int]:
    """Physical qubit of each logical wire at the start of the ISA circuit."""
    layout = isa.layout.initial_index_layout(filter_ancillas=True)
    return [int(layout[w]) for w in range(n)]


def final_wires(isa, n: int) -> list[int]:
    """Physical qubit holding each logical wire at the end (after routing's permutations)."""
    layout = isa.layout.final_index_layout(filter_ancillas=True)
    return [int(layout[w]) for w in range(n)]


def program_layout(name: str, program, *, optimization_level: int = 1, seed: int = 7) -> tuple[int, ...]:
    """The physical qubits every task circuit of ``program`` runs on: those the first task's transpile picks."""
    from workbench.circuits.export_qiskit import to_qiskit

    require_qubits(name, program.n_qubits)
    first = program.tasks[0].name
    isa = transpile_task(name, to_qiskit(program, first).circuit, circuit_key(program, first),
                         optimization_level=optimization_level, seed=seed)
    return tuple(initial_wires(isa, program.n_qubits))


def transpile_program_task(name: str, program, task: str, *, optimization_level: int = 1, seed: int = 7):
    """One task's ISA circuit on the program's shared layout, and its QiskitTaskCircuit."""
    from workbench.circuits.export_qiskit import to_qiskit

    layout = program_layout(name, program, optimization_level=optimization_level, seed=seed)
    qtc = to_qiskit(program, task)
    isa = transpile_task(name, qtc.circuit, circuit_key(program, task), optimization_level=optimization_level,
                         seed=seed, initial_layout=layout)
    return isa, qtc


# ------------------------------------------------------------------------------------------- calibration
def _props(target, gate_names: tuple[str, ...], qargs: tuple[int, ...]):
    for g in gate_names:
        if g in target.operation_names:
            p = target[g].get(qargs)
            if p is not None:
                return p
    return None


def _readout(target, qubit: int) -> np.ndarray | None:
    """Aer's readout error of one qubit (``basic_device_readout_errors``) as A[m, b] = P(read m | state b)."""
    from workbench.engines.noise_model import readout_matrix

    props = _props(target, ("measure",), (qubit,))
    if props is None:
        return None
    p01 = getattr(props, "prob_meas1_prep0", None)
    p10 = getattr(props, "prob_meas0_prep1", None)
    err = props.error or 0.0
    return readout_matrix(err if p01 is None else p01, err if p10 is None else p10)


def calibrated_noise(name: str, program, *, optimization_level: int = 1, seed: int = 7):
    """The density-matrix engine's NoiseSpec for ``program`` on the backend's physical qubits (shared layout)."""
    from workbench.circuits.export_native import NativeOp, native_gates
    from workbench.engines.noise_model import Calibration, NoiseSpec, device_gate_ptm, thermal_ptm

    canonical = resolve(name)
    layout = program_layout(canonical, program, optimization_level=optimization_level, seed=seed)
    backend = get_backend(canonical)
    target = backend.target
    n = program.n_qubits

    def t12(p: int) -> tuple[float, float]:
        qp = target.qubit_properties[p] if target.qubit_properties else None
        t1 = getattr(qp, "t1", None) or float("inf")
        t2 = getattr(qp, "t2", None) or float("inf")
        return t1, t2

    def one_qubit(p: int, gates: tuple[str, ...]) -> np.ndarray:
        props = _props(target, gates, (p,))
        if props is None:
            return np.eye(4)
        relax = thermal_ptm(*t12(p), props.duration) if props.duration else None
        return device_gate_ptm(props.error, relax, 1)

    two_names = tuple(g for g in info(canonical).two_qubit_basis) or ("cx",)
    coupling = backend.coupling_map

    def edge(pa: int, pb: int):
        props = _props(target, two_names, (pa, pb)) or _props(target, two_names, (pb, pa))
        return props

    def two_qubit(wa: int, wb: int) -> tuple[np.ndarray, int]:
        pa, pb = layout[wa], layout[wb]
        props = edge(pa, pb)
        hops = 1
        if props is None:  # not coupled: the average of the edges on a shortest path, bridged by routing
            path = coupling.shortest_undirected_path(pa, pb)
            edges = [edge(u, v) for u, v in zip(path, path[1:])]
            edges = [e for e in edges if e is not None]
            hops = max(len(path) - 1, 1)
            err = float(np.mean([e.error or 0.0 for e in edges])) if edges else 0.0
            dur = float(np.mean([e.duration or 0.0 for e in edges])) if edges else 0.0
        else:
            err, dur = props.error or 0.0, props.duration or 0.0
        relax = np.kron(thermal_ptm(*t12(pa), dur), thermal_ptm(*t12(pb), dur)) if dur else None
        return device_gate_ptm(err, relax, 2), hops

    pairs = set()
    natives: list[NativeOp] = native_gates(program.encoder.gates)
    for t in program.tasks:
        natives += native_gates(t.block.gates)
    for op in natives:
        if len(op.wires) == 2:
            pairs.add(tuple(op.wires))
    two, distance = {}, {}
    for a, b in pairs:
        two[(a, b)], distance[(a, b)] = two_qubit(a, b)
    readout = {w: m for w in range(n) if (m := _readout(target, layout[w])) is not None}
    task_readout = {}
    for t in program.tasks:
        isa, _ = transpile_program_task(canonical, program, t.name, optimization_level=optimization_level, seed=seed)
        final = final_wires(isa, n)
        task_readout[t.name] = {w: m for w in t.readout.wires if (m := _readout(target, final[w])) is not None}
    cal = Calibration(
        backend=canonical, layout={w: layout[w] for w in range(n)},
        sx={w: one_qubit(layout[w], ("sx", "u2")) for w in range(n)},
        x={w: one_qubit(layout[w], ("x", "u3")) for w in range(n)},
        two=two, readout=readout, two_qubit_gate=two_names[0], distance=distance, task_readout=task_readout,
    )
    return NoiseSpec(label=canonical, calibration=cal)
