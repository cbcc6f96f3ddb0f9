"""IR gates -> the gate list every export emits, named as in Qiskit, without importing Qiskit.

This one mapping is shared by the Qiskit/QASM exports and by the noisy engines, so that "a noise channel after
every exported gate" means the same thing in the torch density-matrix engine and in Aer:

==============================  =====================================================================
IR gate                         native gates (Qiskit names)
==============================  =====================================================================
RX, RY, RZ, PhaseShift          rx, ry, rz, p
H, X, Y, Z, S, T                h, x, y, z, s, t
CNOT, CZ, SWAP                  cx, cz, swap
CRX, CRY, CRZ                   crx, cry, crz
Rot(phi, theta, omega)          u(theta, omega, phi) with global phase -(phi + omega) / 2 (exact)
MultiRZ on 1 / 2 wires          rz / rzz
MultiRZ on k >= 3 wires         cx ladder, rz on the last wire, cx ladder back (exact)
AmplitudeEmbedding              state_preparation of the normalised, zero-padded inputs (needs bound inputs)
==============================  =====================================================================

Angles stay IR ``Param`` references (scale * x[i] (* x[j]), scale * w[i] or a constant); ``phase`` holds the
global-phase terms as (coefficient, Param) pairs. Wire w of the IR is qubit w of the export.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.circuits.ir import Gate, Param, QMTLProgram

SIMPLE = {"RX": "rx", "RY": "ry", "RZ": "rz", "PhaseShift": "p", "H": "h", "X": "x", "Y": "y", "Z": "z",
          "S": "s", "T": "t", "CNOT": "cx", "CZ": "cz", "SWAP": "swap", "CRX": "crx", "CRY": "cry", "CRZ": "crz"}
ONE_QUBIT = {"rx", "ry", "rz", "p", "h", "x", "y", "z", "s", "t", "u"}
TWO_QUBIT = {"cx", "cz", "swap", "crx", "cry", "crz", "rzz"}
NATIVE_GATES = ONE_QUBIT | TWO_QUBIT | {"state_preparation"}


@dataclass(frozen=True)
class NativeOp:
    name: str  # a Qiskit gate name
    wires: tuple[int, ...]
    params: tuple[Param, ...] = ()
    phase: tuple[tuple[float, Param], ...] = ()  # global-phase terms: sum of coef * value(param)


def native_ops(gate: Gate) -> list[NativeOp]:
    if gate.name in SIMPLE:
        return [NativeOp(SIMPLE[gate.name], gate.wires, gate.params)]
    if gate.name == "Rot":
        phi, theta, omega = gate.params
        return [NativeOp("u", gate.wires, (theta, omega, phi), ((-0.5, phi), (-0.5, omega)))]
    if gate.name == "MultiRZ":
        w = gate.wires
        if len(w) == 1:
            return [NativeOp("rz", w, gate.params)]
        if len(w) == 2:
            return [NativeOp("rzz", w, gate.params)]
        ladder = [NativeOp("cx", (w[i], w[i + 1])) for i in range(len(w) - 1)]
        return ladder + [NativeOp("rz", (w[-1],), gate.params)] + ladder[::-1]
    if gate.name == "AmplitudeEmbedding":
        return [NativeOp("state_preparation", gate.wires, gate.params)]
    raise ValueError(f"no export for gate {gate.name!r}")


def native_gates(gates: list[Gate]) -> list[NativeOp]:
    return [op for g in gates for op in native_ops(g)]


def offset_weights(ops: list[NativeOp], offset: int) -> list[NativeOp]:
    """Shift weight indices by ``offset``: a task block's w[i] is w[offset + i] of the exported circuit."""
    if not offset:
        return ops

    def shift(p: Param) -> Param:
        return Param(p.kind, p.index + offset, p.index2, p.scale, p.value) if p.kind == "weight" else p

    return [NativeOp(op.name, op.wires, tuple(shift(p) for p in op.params),
                     tuple((c, shift(p)) for c, p in op.phase)) for op in ops]


def task_native_ops(program: QMTLProgram, task: str) -> list[NativeOp]:
    """The native gates of one task circuit (encoder then block), weights in the exported layout:
    w[0 : E] are the encoder's weights, w[E : E + K] the task block's (E, K: their weight counts)."""
    t = program.task(task)
    return native_gates(program.encoder.gates) + offset_weights(native_gates(t.block.gates),
                                                                program.encoder.n_weights)


def has_amplitude(program: QMTLProgram) -> bool:
    return any(g.name == "AmplitudeEmbedding" for g in program.encoder.gates)
