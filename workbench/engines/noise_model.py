"""Noise models for the noisy engines: which channel follows which exported gate, as Pauli transfer matrices.

A ``NoiseSpec`` is either **uniform** (the same channels after every gate) or **calibrated** (strengths read
from a fake backend's calibration snapshot for the physical qubits the transpiler picks).

Uniform syntax, terms joined by ``+``: ``depolarizing:P`` (1q depolarizing P after every one-qubit gate and 2q
depolarizing P after every two-qubit gate; ``depolarizing:P1/P2`` sets them apart), ``amplitude_damping:G``,
``phase_damping:L`` (after every gate, on each of its wires), ``thermal:T1/T2/T`` (thermal relaxation with T1,
T2 and gate time T in any one unit, after every gate on each wire) and ``readout:E`` (each measured bit flips
with probability E). "Every gate" means every gate of the export (``circuits/export_native.py``: Rot is one
``u`` gate, MultiRZ on k >= 3 wires a CNOT ladder around an ``rz``); a state preparation is noiseless. Channel
order after a gate: depolarizing, amplitude damping, phase damping, thermal relaxation. ``to_aer_noise_model``
builds the same channels for Aer, so the two simulators agree to rounding.

Calibrated (``calibrated_noise(backend, program)``): the task circuits are transpiled for the backend (one
layout for all tasks, picked for the first task) and each exported gate gets the channels Aer's
``NoiseModel.from_backend`` attaches to the native gates it would become on those physical qubits: depolarizing
+ T1/T2 relaxation per ``sx`` pulse (rx/ry/u: 2 pulses, h: 1, x/y: one ``x``, rz/p/s/t/z: virtual, no error),
the backend's two-qubit gate channel per CNOT/CZ (x2 for controlled rotations and rzz, x3 for SWAP, x(1+3(d-1))
for qubits d apart on the coupling map, which routing would bridge with SWAPs), and the readout assignment
matrix of the qubit that holds each readout wire at the end of that task's transpiled circuit. This is a model
of the transpiled circuit, not the transpiled circuit itself: its deviation from Aer with the full backend noise
model is measured by ``qmtl bench --noise``.

Pauli transfer matrices (PTM) act on Pauli coefficients a_P = Tr(P rho) ordered I, X, Y, Z per wire (the first
wire of a two-qubit channel is the more significant digit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from workbench.circuits.export_native import ONE_QUBIT, TWO_QUBIT, NativeOp
from workbench.errors import UserError

VIRTUAL = {"rz", "p", "s", "t", "z"}  # frame changes on IBM hardware: no pulse, no error
TERMS = ("depolarizing", "amplitude_damping", "phase_damping", "thermal", "readout")


# ------------------------------------------------------------------------------------------------ PTMs
def depolarizing_ptm(p: float, k: int = 1) -> np.ndarray:
    """Aer's ``depolarizing_error(p, k)``: rho -> (1 - p) rho + p I/2^k."""
    d = np.full(4**k, 1.0 - p)
    d[0] = 1.0
    return np.diag(d)


def amplitude_damping_ptm(g: float) -> np.ndarray:
    s = math.sqrt(1.0 - g)
    return np.array([[1, 0, 0, 0], [0, s, 0, 0], [0, 0, s, 0], [g, 0, 0, 1 - g]], dtype=np.float64)


def phase_damping_ptm(lam: float) -> np.ndarray:
    s = math.sqrt(1.0 - lam)
    return np.diag([1.0, s, s, 1.0])


def thermal_ptm(t1: float, t2: float, t: float) -> np.ndarray:
    """Aer's ``thermal_relaxation_error(t1, t2, t)`` at zero excited-state population (T2 capped at 2 T1)."""
    t2 = min(t2, 2 * t1)
    e1 = math.exp(-t / t1) if t1 > 0 and math.isfinite(t1) else 1.0
    e2 = math.exp(-t / t2) if t2 > 0 and math.isfinite(t2) else 1.0
    return np.array([[1, 0, 0, 0], [0, e2, 0, 0], [0, 0, e2, 0], [1 - e1, 0, 0, e1]], dtype=np.float64)


def average_gate_fidelity(ptm: np.ndarray) -> float:
    d = int(round(math.sqrt(ptm.shape[0])))
    return (np.trace(ptm) / d + 1) / (d + 1)


def device_gate_ptm(error: float | None, relax: np.ndarray | None, k: int) -> np.ndarray:
    """The channel Aer's ``NoiseModel.from_backend`` attaches to a gate: depolarizing, then relaxation, with
    the depolarizing strength chosen so that the whole channel has the reported gate error."""
    relax = np.eye(4**k) if relax is None else relax
    fid = average_gate_fidelity(relax)
    if error is None or error <= 1 - fid:
        return relax
    d = 2**k
    error = min(error, d / (d + 1))
    p = d * (error - (1 - fid)) / (d * fid - 1)
    p = min(p, 4**k / (4**k - 1))
    return relax @ depolarizing_ptm(p, k)


def readout_matrix(p01: float, p10: float | None = None) -> np.ndarray:
    """A[m, b] = P(read m | state b); p01 = P(1 | 0), p10 = P(0 | 1)."""
    p10 = p01 if p10 is None else p10
    return np.array([[1 - p01, p10], [p01, 1 - p10]], dtype=np.float64)


# ------------------------------------------------------------------------------------------- calibrated
@dataclass
class Calibration:
    backend: str
    layout: dict[int, int]  # wire -> physical qubit
    sx: dict[int, np.ndarray]  # wire -> PTM after one sx pulse
    x: dict[int, np.ndarray]  # wire -> PTM after one x pulse
    two: dict[tuple[int, int], np.ndarray]  # (wire a, wire b) -> PTM (16x16, a first) after one native 2q gate
    readout: dict[int, np.ndarray]  # wire -> 2x2 assignment matrix (of its physical qubit in the layout)
    two_qubit_gate: str = "cx"
    # per task: wire -> assignment matrix of the qubit that holds the wire at the end (routing moves wires)
    task_readout: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)
    distance: dict[tuple[int, int], int] = field(default_factory=dict)

    def pair_channel(self, a: int, b: int) -> np.ndarray:
        if (a, b) in self.two:
            return self.two[(a, b)]
        m = self.two[(b, a)]
        return swap_ptm_wires(m)


def swap_ptm_wires(m: np.ndarray) -> np.ndarray:
    return m.reshape(4, 4, 4, 4).transpose(1, 0, 3, 2).reshape(16, 16)


# ------------------------------------------------------------------------------------------------ spec
@dataclass
class NoiseSpec:
    depolarizing1: float = 0.0
    depolarizing2: float = 0.0
    amplitude_damping: float = 0.0
    phase_damping: float = 0.0
    thermal: tuple[float, float, float] | None = None  # (T1, T2, gate time)
    readout: float = 0.0
    label: str = ""
    calibration: Calibration | None = None

    @property
    def is_ideal(self) -> bool:
        return self.calibration is None and not (self.depolarizing1 or self.depolarizing2 or self.amplitude_damping
                                                 or self.phase_damping or self.thermal or self.readout)

    # -- parsing
    @classmethod
    def parse(cls, text: str, where: str = "noise") -> NoiseSpec:
        spec = cls(label=text.strip())
        if text.strip() in ("ideal", "none", ""):
            return spec
        for term in text.split("+"):
            name, sep, value = term.strip().partition(":")
            name = name.strip().lower()
            if name not in TERMS or not sep:
                terms = ", ".join(t + ":P" for t in TERMS)
                raise UserError(f"{where}: {term.strip()!r} is not a noise term (use {terms}, joined by '+')")
            nums = _numbers(value, f"{where}: {term.strip()!r}")
            if name == "depolarizing":
                if len(nums) not in (1, 2):
                    raise UserError(f"{where}: {term.strip()!r}: give P or P1/P2")
                spec.depolarizing1, spec.depolarizing2 = nums[0], nums[-1]
                _check_prob(where, term, nums[0], 4 / 3)
                _check_prob(where, term, nums[-1], 16 / 15)
            elif name == "thermal":
                if len(nums) != 3 or nums[0] <= 0 or nums[1] <= 0 or nums[2] < 0:
                    raise UserError(f"{where}: {term.strip()!r}: give T1/T2/T with T1, T2 > 0")
                spec.thermal = (nums[0], nums[1], nums[2])
            else:
                if len(nums) != 1:
                    raise UserError(f"{where}: {term.strip()!r}: give one probability")
                _check_prob(where, term, nums[0], 1.0)
                setattr(spec, name, nums[0])
        return spec

    # -- channels
    def _one_qubit_ptm(self, gate_1q: bool) -> np.ndarray | None:
        m = np.eye(4)
        if gate_1q and self.depolarizing1:
            m = depolarizing_ptm(self.depolarizing1) @ m
        if self.amplitude_damping:
            m = amplitude_damping_ptm(self.amplitude_damping) @ m
        if self.phase_damping:
            m = phase_damping_ptm(self.phase_damping) @ m
        if self.thermal:
            m = thermal_ptm(*self.thermal) @ m
        return None if np.array_equal(m, np.eye(4)) else m

    def channels_after(self, op: NativeOp) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """The channels that follow one exported gate, in order: (wires, PTM)."""
        if op.name == "state_preparation":
            return []
        if self.calibration is not None:
            return _calibrated_channels(self.calibration, op)
        out: list[tuple[tuple[int, ...], np.ndarray]] = []
        if op.name in ONE_QUBIT:
            m = self._one_qubit_ptm(True)
            if m is not None:
                out.append((op.wires, m))
            return out
        if op.name not in TWO_QUBIT:
            raise ValueError(op.name)
        if self.depolarizing2:
            out.append((op.wires, depolarizing_ptm(self.depolarizing2, 2)))
        m = self._one_qubit_ptm(False)
        if m is not None:
            out += [((w,), m) for w in op.wires]
        return out

    def readout_matrix(self, wire: int, task: str | None = None) -> np.ndarray | None:
        if self.calibration is not None:
            by_task = self.calibration.task_readout.get(task) if task is not None else None
            if by_task is not None and wire in by_task:
                return by_task[wire]
            return self.calibration.readout.get(wire)
        return readout_matrix(self.readout) if self.readout else None

    def describe(self) -> str:
        if self.calibration is not None:
            c = self.calibration
            return f"{c.backend} calibration on physical qubits {[c.layout[w] for w in sorted(c.layout)]}"
        return self.label or "ideal"

    # -- Aer
    def to_aer_noise_model(self):
        """An Aer ``NoiseModel`` with exactly these uniform channels on the exported gate names."""
        if self.calibration is not None:
            raise ValueError("a calibrated NoiseSpec models a backend; use the backend's own noise model in Aer")
        from qiskit_aer.noise import (
            NoiseModel,
            QuantumError,
            ReadoutError,
            amplitude_damping_error,
            depolarizing_error,
            phase_damping_error,
            thermal_relaxation_error,
        )

        def one(gate_1q: bool) -> QuantumError | None:
            parts = []
            if gate_1q and self.depolarizing1:
                parts.append(depolarizing_error(self.depolarizing1, 1))
            if self.amplitude_damping:
                parts.append(amplitude_damping_error(self.amplitude_damping))
            if self.phase_damping:
                parts.append(phase_damping_error(self.phase_damping))
            if self.thermal:
                t1, t2, t = self.thermal
                parts.append(thermal_relaxation_error(t1, min(t2, 2 * t1), t))
            err = None
            for p in parts:
                err = p if err is None else err.compose(p)
            return err

        nm = NoiseModel(basis_gates=sorted(ONE_QUBIT | TWO_QUBIT))
        e1 = one(True)
        if e1 is not None:
            nm.add_all_qubit_quantum_error(e1, sorted(ONE_QUBIT))
        e_wire = one(False)
        e2 = depolarizing_error(self.depolarizing2, 2) if self.depolarizing2 else None
        if e_wire is not None:
            pair = e_wire.tensor(e_wire)
            e2 = pair if e2 is None else e2.compose(pair)
        if e2 is not None:
            nm.add_all_qubit_quantum_error(e2, sorted(TWO_QUBIT))
        if self.readout:
            nm.add_all_qubit_readout_error(ReadoutError(readout_matrix(self.readout).T))
        return nm


def _numbers(text: str, where: str) -> list[float]:
    try:
        return [float(v) for v in text.split("/")]
    except ValueError as exc:
        raise UserError(f"{where}: expected numbers, got {text!r}") from exc


def _check_prob(where: str, term: str, p: float, hi: float) -> None:
    if not 0.0 <= p <= hi:
        raise UserError(f"{where}: {term.strip()!r}: the probability must lie in [0, {hi:g}], got {p:g}")


def _calibrated_channels(c: Calibration, op: NativeOp) -> list[tuple[tuple[int, ...], np.ndarray]]:
    name, w = op.name, op.wires
    if name in VIRTUAL:
        return []
    if name in ("x", "y"):
        return [(w, c.x[w[0]])]
    if name == "h":
        return [(w, c.sx[w[0]])]
    if name in ONE_QUBIT:  # rx, ry, u: rz sx rz sx rz
        return [(w, c.sx[w[0]]), (w, c.sx[w[0]])]
    a, b = w
    native = {"cx": 1, "cz": 1, "swap": 3}.get(name, 2)
    hops = c.distance.get((a, b), c.distance.get((b, a), 1))
    native *= 1 + 3 * (max(hops, 1) - 1)
    out: list[tuple[tuple[int, ...], np.ndarray]] = [((a, b), c.pair_channel(a, b))] * native
    if name in ("cx", "cz"):  # a CNOT on a CZ/ECR device (or a CZ on a CNOT device) needs two Hadamard-like pulses
        dressing = 0 if c.two_qubit_gate == name else 2
    else:  # controlled rotations and rzz: rotations on the target between the two native gates; swap: none
        dressing = 0 if name == "swap" else 2
    out += [((b,), c.sx[b])] * dressing
    return out
