"""Lower IR gates to the four primitive kinds the fast engine executes.

- ``dense``: a one-qubit gate with a general 2x2 matrix (RX, RY, Rot, H, Y, ...);
- ``diag``: a diagonal gate, as a phase per basis state (RZ, PhaseShift, MultiRZ, CRZ, Z, S, T, CZ);
- ``perm``: a basis permutation (X, CNOT, SWAP);
- ``amp``: amplitude state preparation (only first).
Controlled rotations are rewritten exactly: CRX = H_t CRZ H_t and CRY = CNOT RY(-t/2) CNOT RY(t/2).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workbench.circuits.ir import Gate, Param

DENSE = {"RX", "RY", "Rot", "H", "Y"}
DIAG = {"RZ", "PhaseShift", "MultiRZ", "CRZ", "Z", "S", "T", "CZ"}
PERM = {"X", "CNOT", "SWAP"}
# gates whose matrices are real, so a circuit made of them can run in real arithmetic
REAL = {"RY", "H", "X", "Z", "CNOT", "CZ", "SWAP", "AmplitudeEmbedding"}


@dataclass(frozen=True)
class Prim:
    kind: str  # dense | diag | perm | amp
    gate: Gate


def _scaled(p: Param, factor: float) -> Param:
    if p.kind == "const":
        return replace(p, value=p.value * factor)
    return replace(p, scale=p.scale * factor)


def lower_gate(g: Gate) -> list[Prim]:
    if g.name == "CRX":
        c, t = g.wires
        return [Prim("dense", Gate("H", (t,))), Prim("diag", Gate("CRZ", g.wires, g.params)),
                Prim("dense", Gate("H", (t,)))]
    if g.name == "CRY":
        c, t = g.wires
        (p,) = g.params
        return [Prim("perm", Gate("CNOT", (c, t))), Prim("dense", Gate("RY", (t,), (_scaled(p, -0.5),))),
                Prim("perm", Gate("CNOT", (c, t))), Prim("dense", Gate("RY", (t,), (_scaled(p, 0.5),)))]
    if g.name in DENSE:
        return [Prim("dense", g)]
    if g.name in DIAG:
        return [Prim("diag", g)]
    if g.name in PERM:
        return [Prim("perm", g)]
    if g.name == "AmplitudeEmbedding":
        return [Prim("amp", g)]
    raise ValueError(f"the torch engine cannot execute gate {g.name!r}")


def lower(gates: list[Gate]) -> list[Prim]:
    return [p for g in gates for p in lower_gate(g)]


def is_real(gates: list[Gate]) -> bool:
    """True when every gate (after lowering CRY) has a real matrix: the state then stays real."""
    for g in gates:
        if g.name == "CRY":
            continue
        if g.name not in REAL:
            return False
    return True
