"""Batched, differentiable torch density-matrix simulation of a QMTL program with noise channels.

The density matrix of n qubits is held by its 4^n real Pauli coefficients a_P = Tr(P rho) (the Pauli transfer
picture): every gate and every channel is then a real matrix acting on the coefficients of the one or two wires
it touches (4x4 or 16x16), so a gate and the channels after it fold into one small matrix product, and noise
costs nothing extra. It is exact, equivalent to rho -> sum_k K_k rho K_k^dagger, and agrees with Aer's
density-matrix method to rounding (tests/core/test_density_engine.py).

What makes it fast:
- one-qubit gates and channels are folded into the neighbouring two-qubit gate's 16x16 matrix, so a layer of
  rotations + a CNOT chain costs one small matrix product per CNOT;
- the encoder's leading one-qubit gates act on a product state (per-wire Bloch vectors, no 4^n work);
- the shared encoder runs once per batch; each task block then runs in the Heisenberg picture: its readout
  observables (K of them: the readout wires, or the 2^k outcomes of a probs readout) are propagated backwards
  through the block once per call, whatever the batch size, and a readout is one (B, 4^n) x (4^n, K) product.
  A block that reads the inputs runs forward per sample instead.
Readout errors act on the measured bits (an assignment matrix per wire), folded into the observables.

``forward(x, weights)`` returns each task's raw readout (B, width) like the torch engine: <Z> per readout wire
(expval) or outcome probabilities (probs), including readout errors. ``forward_shots`` samples finite shots from
the exact outcome distribution and returns standard errors. Gradients flow to x and the weights (noise-aware
training). Wire 0 is the most significant wire, as in the torch engine.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from workbench.circuits.export_native import NativeOp, native_gates
from workbench.circuits.ir import Param, QMTLProgram, Readout
from workbench.engines.noise_model import NoiseSpec, swap_ptm_wires
from workbench.errors import UserError

MAX_QUBITS = 12
CHUNK_BYTES = 1 << 24
_REAL_OF = {torch.complex64: torch.float32, torch.complex128: torch.float64}

_P = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=np.complex128)
_P2 = np.einsum("iab,jcd->ijacbd", _P, _P).reshape(16, 4, 4)
_CONST_1Q = {
    "h": np.array([[1, 1], [1, -1]]) / math.sqrt(2), "x": np.array([[0, 1], [1, 0]]),
    "y": np.array([[0, -1j], [1j, 0]]), "z": np.diag([1, -1]), "s": np.diag([1, 1j]),
    "t": np.diag([1, np.exp(1j * math.pi / 4)]),
}
_CONST_1Q.update({
    "sx": np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2,
    "sxdg": np.array([[1 - 1j, 1 + 1j], [1 + 1j, 1 - 1j]]) / 2,
    "sdg": np.diag([1, -1j]), "tdg": np.diag([1, np.exp(-1j * math.pi / 4)]), "id": np.eye(2),
})
# Qiskit's ECR matrix is written little-endian (its first qubit is the least significant): reorder to ours
_ECR_LE = np.array([[0, 1, 0, 1j], [1, 0, -1j, 0], [0, 1j, 0, 1], [-1j, 0, 1, 0]]) / math.sqrt(2)
_CONST_2Q = {
    "cx": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
    "cz": np.diag([1, 1, 1, -1]),
    "swap": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
    "ecr": _ECR_LE.reshape(2, 2, 2, 2).transpose(1, 0, 3, 2).reshape(4, 4),
}


def ptm_of_unitary(U: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """PTM R_ij = Re Tr(P_i U P_j U^dagger) / d of a (batched) 1- or 2-qubit unitary."""
    d = U.shape[-1]
    paulis = _P if d == 2 else _P2
    k = paulis.shape[0]
    if isinstance(U, np.ndarray):
        m = U[..., None, :, :] @ paulis @ np.conj(np.swapaxes(U, -1, -2))[..., None, :, :]  # U P_j U^dagger
        r = m.reshape(*m.shape[:-2], d * d) @ paulis.transpose(0, 2, 1).reshape(k, d * d).T  # [.., j, i]
        return (np.swapaxes(r, -1, -2).real / d).astype(np.float64)
    P = torch.as_tensor(paulis, dtype=U.dtype, device=U.device)
    m = U[..., None, :, :] @ P @ U.conj().transpose(-1, -2)[..., None, :, :]
    r = m.reshape(*m.shape[:-2], d * d) @ P.transpose(-1, -2).reshape(k, d * d).T
    return r.transpose(-1, -2).real / d


def _rot(axis: str, theta: torch.Tensor) -> torch.Tensor:
    """(..., 2, 2) complex of RX/RY/RZ(theta)."""
    c, s = torch.cos(theta / 2), torch.sin(theta / 2)
    z = torch.zeros_like(c)
    if axis == "x":
        re, im = torch.stack((c, z, z, c), -1), torch.stack((z, -s, -s, z), -1)
    elif axis == "y":
        re, im = torch.stack((c, -s, s, c), -1), torch.stack((z, z, z, z), -1)
    else:
        re, im = torch.stack((c, z, z, c), -1), torch.stack((-s, z, z, s), -1)
    return torch.complex(re, im).unflatten(-1, (2, 2))


def _rot_ptm(axis: str, theta: torch.Tensor) -> torch.Tensor:
    """(..., 4, 4) real PTM of RX/RY/RZ(theta): a rotation of the Bloch vector (I, X, Y, Z)."""
    c, s = torch.cos(theta), torch.sin(theta)
    one, zero = torch.ones_like(c), torch.zeros_like(c)
    if axis == "x":
        rows = (one, zero, zero, zero, zero, one, zero, zero, zero, zero, c, -s, zero, zero, s, c)
    elif axis == "y":
        rows = (one, zero, zero, zero, zero, c, zero, s, zero, zero, one, zero, zero, -s, zero, c)
    else:
        rows = (one, zero, zero, zero, zero, c, -s, zero, zero, s, c, zero, zero, zero, zero, one)
    return torch.stack(rows, -1).unflatten(-1, (4, 4))


def gate_ptm(name: str, a: torch.Tensor) -> torch.Tensor:
    """PTM of a parametrised native gate from its real angles a (..., n_params)."""
    if name in ("rx", "ry", "rz", "p"):
        return _rot_ptm("z" if name == "p" else name[1], a[..., 0])
    if name == "u":  # RZ(phi) RY(theta) RZ(lambda)
        return _rot_ptm("z", a[..., 1]) @ _rot_ptm("y", a[..., 0]) @ _rot_ptm("z", a[..., 2])
    return ptm_of_unitary(_gate_unitary(name, a))


def _gate_unitary(name: str, a: torch.Tensor) -> torch.Tensor:
    """Unitary (..., d, d) of a parametrised native gate from its angles a (..., n_params)."""
    if name in ("rx", "ry", "rz"):
        return _rot(name[1], a[..., 0])
    if name == "p":
        return _rot("z", a[..., 0])  # equal up to a global phase
    if name == "u":  # RZ(phi) RY(theta) RZ(lambda), up to a global phase
        return _rot("z", a[..., 1]) @ _rot("y", a[..., 0]) @ _rot("z", a[..., 2])
    if name == "rzz":
        e = torch.polar(torch.ones_like(a[..., 0]), -a[..., 0] / 2)
        diag = torch.stack((e, e.conj(), e.conj(), e), -1)
        return torch.diag_embed(diag)
    if name in ("crx", "cry", "crz"):
        r = _rot(name[2], a[..., 0])
        out = torch.zeros(*r.shape[:-2], 4, 4, dtype=r.dtype, device=r.device)
        out[..., 0, 0] = 1
        out[..., 1, 1] = 1
        out[..., 2:, 2:] = r
        return out
    raise ValueError(name)


# --------------------------------------------------------------------------------------------- compile
@dataclass
class _Factor:
    kind: str  # "const" (matrix) | "gate" (parametrised native gate)
    wires: tuple[int, ...]  # in the factor's own order
    matrix: np.ndarray | None = None
    name: str = ""
    params: tuple[Param, ...] = ()


@dataclass
class _Op:
    wires: tuple[int, ...]  # sorted
    factors: list[_Factor] = field(default_factory=list)
    prefix: bool = False  # first op on its wire, one-qubit: can act on the product state
    stages: list = field(default_factory=list)  # factors lifted to the op's wires, runs of constants multiplied

    @property
    def reads_inputs(self) -> bool:
        return any(_reads_inputs(p) for f in self.factors for p in f.params)


def _factor_of(op: NativeOp) -> _Factor:
    if op.name in _CONST_1Q:
        return _Factor("const", op.wires, ptm_of_unitary(_CONST_1Q[op.name].astype(np.complex128)))
    if op.name in _CONST_2Q:
        return _Factor("const", op.wires, ptm_of_unitary(_CONST_2Q[op.name].astype(np.complex128)))
    return _Factor("gate", op.wires, name=op.name, params=op.params)


@dataclass
class _Compiled:
    ops: list[_Op]
    amplitude: NativeOp | None = None

    @property
    def reads_inputs(self) -> bool:
        return self.amplitude is not None or any(op.reads_inputs for op in self.ops)


def compile_ops(natives: list[NativeOp], noise: NoiseSpec, start_from_zero: bool) -> _Compiled:
    """Gates and their channels as a list of 1- and 2-wire ops, merged where they commute."""
    ops: list[_Op | None] = []
    last: dict[int, int] = {}
    amplitude = None
    items: list[_Factor] = []
    for k, nop in enumerate(natives):
        if nop.name == "state_preparation":
            if k or not start_from_zero:
                raise ValueError("a state preparation must be the first gate of the encoder")
            amplitude = nop
            for w in nop.wires:
                last[w] = -1
            continue
        items.append(_factor_of(nop))
        items += [_Factor("const", w, m) for w, m in noise.channels_after(nop)]
    for f in items:
        if len(f.wires) == 1:
            q = f.wires[0]
            j = last.get(q)
            if j is not None and j >= 0:
                ops[j].factors.append(f)
            else:
                ops.append(_Op((q,), [f], prefix=start_from_zero and j is None))
                last[q] = len(ops) - 1
            continue
        a, b = sorted(f.wires)
        ja, jb = last.get(a), last.get(b)
        if ja is not None and ja == jb and ja >= 0 and ops[ja].wires == (a, b):
            ops[ja].factors.append(f)
            continue
        op = _Op((a, b))
        for j in (ja, jb):  # absorb a trailing one-qubit op on either wire (nothing after it touches the wire)
            if j is not None and j >= 0 and len(ops[j].wires) == 1 and not ops[j].prefix:
                op.factors += ops[j].factors
                ops[j] = None
        op.factors.append(f)
        ops.append(op)
        last[a] = last[b] = len(ops) - 1
    kept = [op for op in ops if op is not None]
    for op in kept:
        op.stages = _stages(op)
    return _Compiled(kept, amplitude)


def _lift_np(m: np.ndarray, f_wires: tuple[int, ...], op_wires: tuple[int, ...]) -> np.ndarray:
    if len(op_wires) == 1:
        return m
    if len(f_wires) == 2:
        return m if f_wires == op_wires else swap_ptm_wires(m)
    return np.kron(m, np.eye(4)) if f_wires[0] == op_wires[0] else np.kron(np.eye(4), m)


def _stages(op: _Op) -> list:
    """The op's factors in circuit order: constant runs as one lifted matrix, gates kept for run time."""
    out: list = []
    for f in op.factors:
        if f.kind == "const":
            m = _lift_np(f.matrix, f.wires, op.wires)
            if out and isinstance(out[-1], np.ndarray):
                out[-1] = m @ out[-1]
            else:
                out.append(m)
        else:
            out.append(f)
    return out


# ------------------------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class ExprParam:
    """An angle given by a function of the inputs x (N, d) and the flat weights w: for circuits whose angles are
    expressions (transpiled ISA circuits), in place of an IR ``Param``."""

    fn: object  # (x, w) -> tensor (N,) or scalar
    reads_inputs: bool
    reads_weights: bool = True
    kind: str = "expr"


def _reads_inputs(p) -> bool:
    return p.kind == "input" or (p.kind == "expr" and p.reads_inputs)


class _Params:
    def __init__(self, x: torch.Tensor | None, w: torch.Tensor | None):
        self.x, self.w = x, w

    def value(self, p: Param, like: torch.Tensor) -> torch.Tensor:
        if p.kind == "expr":
            v = torch.as_tensor(p.fn(self.x, self.w), dtype=like.dtype, device=like.device)
            return v.reshape(-1)
        if p.kind == "const":
            return torch.full((1,), p.value, dtype=like.dtype, device=like.device)
        if p.kind == "weight":
            return (self.w[p.index] * p.scale).reshape(1)
        if self.x is None:
            raise ValueError("this block reads inputs")
        v = self.x[:, p.index] * p.scale
        return v * self.x[:, p.index2] if p.index2 >= 0 else v


def _lift(m: torch.Tensor, f_wires: tuple[int, ...], op_wires: tuple[int, ...]) -> torch.Tensor:
    """A factor's matrix on the op's wires (sorted): 1-wire factors get an identity on the other wire."""
    if len(op_wires) == 1:
        return m
    if len(f_wires) == 2:
        return m if f_wires == op_wires else _swap_wires(m)
    eye = torch.eye(4, dtype=m.dtype, device=m.device)
    if f_wires[0] == op_wires[0]:
        out = torch.einsum("...ij,kl->...ikjl", m, eye)
    else:
        out = torch.einsum("ij,...kl->...ikjl", eye, m)
    return out.reshape(*out.shape[:-4], 16, 16)


def _swap_wires(m: torch.Tensor) -> torch.Tensor:
    return m.reshape(*m.shape[:-2], 4, 4, 4, 4).transpose(-4, -3).transpose(-2, -1).reshape(*m.shape[:-2], 16, 16)


def _op_matrix(op: _Op, params: _Params, like: torch.Tensor, cache: dict) -> torch.Tensor:
    """(Nm, d, d) with Nm = 1 (no inputs) or the batch; the product of the factors in circuit order."""
    if len(op.stages) == 1 and isinstance(op.stages[0], np.ndarray):
        key = (id(op), like.dtype)
        if key not in cache:
            cache[key] = torch.as_tensor(op.stages[0], dtype=like.dtype, device=like.device)[None]
        return cache[key]
    m = None
    for st in op.stages:
        if isinstance(st, np.ndarray):
            key = (id(st), like.dtype)
            if key not in cache:
                cache[key] = torch.as_tensor(st, dtype=like.dtype, device=like.device)
            fm = cache[key]
        else:
            angles = torch.stack(torch.broadcast_tensors(*[params.value(p, like) for p in st.params]), -1)
            fm = _lift(gate_ptm(st.name, angles).to(like.dtype), st.wires, op.wires)
        m = fm if m is None else fm @ m
    return m if m.dim() == 3 else m[None]


def _apply(a: torch.Tensor, m: torch.Tensor, wires: tuple[int, ...], n: int) -> torch.Tensor:
    """a (N, 4^n) -> the op's matrix applied on ``wires`` (m: (1 or N, d, d))."""
    N = a.shape[0]
    if len(wires) == 1 or wires[1] == wires[0] + 1:
        q, d = wires[0], 4 ** len(wires)
        A, C = 4**q, 4 ** (n - q - len(wires))
        # the fastest form differs with the shapes (measured on CPU): one matrix product when the matrix is
        # shared and the trailing axis is long, einsum otherwise
        if m.shape[0] == 1 and C == 1:
            out = a.reshape(N * A, d) @ m[0].T
        elif m.shape[0] == 1 and C >= 16:
            out = torch.matmul(m[0], a.reshape(N * A, d, C))
        elif m.shape[0] == 1:
            out = torch.einsum("ij,bjc->bic", m[0], a.reshape(N * A, d, C))
        else:
            out = torch.einsum("nij,najc->naic", m, a.reshape(N, A, d, C))
        return out.reshape(N, -1)
    qa, qb = wires
    v = a.reshape(N, 4**qa, 4, 4 ** (qb - qa - 1), 4, 4 ** (n - qb - 1))
    m4 = m.view(m.shape[0], 4, 4, 4, 4)
    if m.shape[0] == 1:
        out = torch.einsum("ijkl,nAkBlC->nAiBjC", m4[0], v)
    else:
        out = torch.einsum("nijkl,nAkBlC->nAiBjC", m4, v)
    return out.reshape(N, -1)


def run_from_zero(compiled: _Compiled, params: _Params, x: torch.Tensor, n: int, cache: dict) -> torch.Tensor:
    """Pauli coefficients (N, 4^n) after ``compiled`` from |0...0> (or its amplitude state preparation)."""
    N = x.shape[0]
    rdtype = x.dtype
    if compiled.amplitude is not None:
        idx = [p.index for p in compiled.amplitude.params]
        v = torch.nn.functional.pad(x[:, idx], (0, 2**n - len(idx)))
        v = v / torch.linalg.vector_norm(v, dim=1, keepdim=True).clamp_min(1e-12)
        v = v.to(torch.complex128 if rdtype == torch.float64 else torch.complex64)
        a = density_to_pauli(v[:, :, None] * v[:, None, :].conj(), n)
        ops = compiled.ops
    else:  # the leading one-qubit ops act on a product state: per-wire Bloch vectors, no 4^n work
        vecs = [torch.tensor([[1.0, 0.0, 0.0, 1.0]], dtype=rdtype, device=x.device) for _ in range(n)]
        ops = []
        for op in compiled.ops:
            if op.prefix:
                m = _op_matrix(op, params, x, cache)
                vecs[op.wires[0]] = torch.matmul(m, vecs[op.wires[0]][..., None])[..., 0]
            else:
                ops.append(op)
        a = vecs[0]
        for v in vecs[1:]:
            a = (a[:, :, None] * v[:, None, :]).flatten(1)
        a = a.expand(N, -1) if a.shape[0] == 1 else a
    for op in ops:
        a = _apply(a, _op_matrix(op, params, x, cache), op.wires, n)
    return a


def propagate_observables(compiled: _Compiled, o: torch.Tensor, params: _Params, n: int, cache: dict) -> torch.Tensor:
    """Observables (K, 4^n) through ``compiled`` backwards (Heisenberg picture); ``compiled`` must not read x."""
    for op in reversed(compiled.ops):
        o = _apply(o, _op_matrix(op, params, o, cache).transpose(-1, -2), op.wires, n)
    return o


# ----------------------------------------------------------------------------------- basis conversions
def _axis_transform(a: torch.Tensor, T: torch.Tensor, n: int) -> torch.Tensor:
    """Apply the 4x4 ``T`` on every wire's axis of (N, 4^n)."""
    N = a.shape[0]
    for q in range(n):
        a = torch.matmul(T, a.reshape(N * 4**q, 4, 4 ** (n - q - 1)))
    return a.reshape(N, -1)


def density_to_pauli(rho: torch.Tensor, n: int) -> torch.Tensor:
    """(N, 2^n, 2^n) complex (wire 0 most significant) -> (N, 4^n) real Pauli coefficients Tr(P rho)."""
    N = rho.shape[0]
    perm = [0] + [v for q in range(n) for v in (1 + q, 1 + n + q)]
    r = rho.reshape(N, *([2] * (2 * n))).permute(perm).reshape(N, 4**n)
    T = torch.as_tensor(_P.transpose(0, 2, 1).reshape(4, 4), dtype=rho.dtype, device=rho.device)  # P_p[c, r]
    return _axis_transform(r, T, n).real


def pauli_to_density(a: torch.Tensor, n: int) -> torch.Tensor:
    N = a.shape[0]
    cdt = torch.complex128 if a.dtype == torch.float64 else torch.complex64
    T = torch.as_tensor(_P.reshape(4, 4).T / 2, dtype=cdt, device=a.device)  # [(r, c), p] = P_p[r, c] / 2
    r = _axis_transform(a.to(cdt), T, n).reshape(N, *([2] * (2 * n)))
    perm = [0] + [1 + 2 * q for q in range(n)] + [2 + 2 * q for q in range(n)]
    return r.permute(perm).reshape(N, 2**n, 2**n)


# -------------------------------------------------------------------------------------------- readout
def _z_index(wires, n: int) -> int:
    return sum(3 * 4 ** (n - 1 - w) for w in wires)


def _outcome_coefficients(wires: tuple[int, ...], mats: list[np.ndarray | None], outcomes: bool) -> np.ndarray:
    """G (K, 2^k): readout value k = sum_S G[k, S] a_{Z_S}, S a subset of the readout wires (bit i <-> wires[i],
    most significant first). ``outcomes``: K = 2^k outcome probabilities; else K = k values <(-1)^m_i>."""
    k = len(wires)
    ab = []  # per wire, per measured bit m: (alpha, beta) with P(m) = alpha <I> + beta <Z>
    for A in mats:
        A = np.eye(2) if A is None else A
        ab.append([((A[m, 0] + A[m, 1]) / 2, (A[m, 0] - A[m, 1]) / 2) for m in (0, 1)])
    subsets = range(2**k)
    if outcomes:
        G = np.ones((2**k, 2**k))
        for m in range(2**k):
            for S in subsets:
                for i in range(k):
                    bit = (m >> (k - 1 - i)) & 1
                    G[m, S] *= ab[i][bit][1] if (S >> (k - 1 - i)) & 1 else ab[i][bit][0]
        return G
    G = np.zeros((k, 2**k))
    for i in range(k):
        (a0, b0), (a1, b1) = ab[i]
        G[i, 0] = a0 - a1
        G[i, 1 << (k - 1 - i)] = b0 - b1
    return G


_PAULI_CODE = {"X": 1, "Y": 2, "Z": 3}


def pauli_coefficients(words, mats: dict, n: int) -> tuple[np.ndarray, list[int]]:
    """G (K, m) and the m Pauli-coefficient indices it reads: word k's measured value is sum_j G[k, j] a_j.
    A readout error on a wire (assignment matrix A) turns the measured sign into alpha + beta * P on that wire,
    so a word becomes a sum over its sub-words (exact for independent per-wire readout errors)."""
    columns: dict[int, int] = {}
    rows = []
    for word in words:
        terms = {0: 1.0}  # Pauli index -> coefficient
        for op, w in word:
            A = mats.get(w)
            A = np.eye(2) if A is None else A
            (a0, b0), (a1, b1) = [((A[m, 0] + A[m, 1]) / 2, (A[m, 0] - A[m, 1]) / 2) for m in (0, 1)]
            alpha, beta = a0 - a1, b0 - b1
            code = _PAULI_CODE[op] * 4 ** (n - 1 - w)
            new: dict[int, float] = {}
            for idx, c in terms.items():
                if alpha:
                    new[idx] = new.get(idx, 0.0) + c * alpha
                new[idx + code] = new.get(idx + code, 0.0) + c * beta
            terms = new
        for idx in terms:
            columns.setdefault(idx, len(columns))
        rows.append(terms)
    G = np.zeros((len(words), len(columns)))
    for k, terms in enumerate(rows):
        for idx, c in terms.items():
            G[k, columns[idx]] = c
    return G, list(columns)


def _subset_indices(wires: tuple[int, ...], n: int) -> list[int]:
    k = len(wires)
    return [_z_index([w for i, w in enumerate(wires) if (S >> (k - 1 - i)) & 1], n) for S in range(2**k)]


# ------------------------------------------------------------------------------------------------ engine
@dataclass
class _Task:
    name: str
    readout: Readout
    block: _Compiled
    n_weights: int
    G: np.ndarray  # raw readout from the Z-subset coefficients
    G_outcomes: np.ndarray | None  # joint outcome probabilities (for shots)
    subsets: list[int]


class DensityEngine:
    """``forward(x, weights)`` -> raw readouts (B, width) of every task under ``noise``."""

    name = "density"

    def __init__(self, program: QMTLProgram, noise: NoiseSpec | str | None = None, *,
                 dtype: str | torch.dtype = "complex128", device: str | torch.device = "cpu",
                 workers: int | None = None):
        n = program.n_qubits
        self.workers = workers  # evaluation threads (default: torch's thread count)
        if n > MAX_QUBITS:
            raise UserError(f"quantum.qubits: the density-matrix engine simulates at most {MAX_QUBITS} qubits "
                            f"(4^n coefficients per sample), got {n}")
        self.program = program
        self.n = n
        self.noise = NoiseSpec.parse(noise) if isinstance(noise, str) else (noise or NoiseSpec())
        cdtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        self.rdtype = _REAL_OF[cdtype]
        self.device = torch.device(device)
        self.encoder = compile_ops(native_gates(program.encoder.gates), self.noise, start_from_zero=True)
        self.tasks: list[_Task] = []
        for t in program.tasks:
            block = compile_ops(native_gates(t.block.gates), self.noise, start_from_zero=False)
            r = t.readout
            mats = [self.noise.readout_matrix(w, t.name) for w in r.wires]
            if r.kind == "pauli":  # measured after a basis change: the same bit flips act on every factor
                G, subsets = pauli_coefficients(r.words, dict(zip(r.wires, mats)), n)
                self.tasks.append(_Task(t.name, r, block, t.block.n_weights, G, None, subsets))
                continue
            G = _outcome_coefficients(r.wires, mats, outcomes=r.kind == "probs")
            Go = _outcome_coefficients(r.wires, mats, outcomes=True)
            self.tasks.append(_Task(t.name, r, block, t.block.n_weights, G, Go, _subset_indices(r.wires, n)))
        self._cache: dict = {}

    # -- states
    def _weights(self, weights: dict | None, name: str, size: int) -> torch.Tensor | None:
        if not size:
            return None
        if not weights or name not in weights:
            raise ValueError(f"missing weights for block {name!r} ({size} expected)")
        return torch.as_tensor(weights[name]).to(device=self.device, dtype=self.rdtype).reshape(-1)

    def encode(self, x: torch.Tensor, weights: dict | None = None) -> torch.Tensor:
        """Pauli coefficients (B, 4^n) of the shared encoder's (noisy) output state."""
        x = torch.as_tensor(x).to(device=self.device, dtype=self.rdtype)
        w = self._weights(weights, "encoder", self.program.encoder.n_weights)
        return run_from_zero(self.encoder, _Params(x, w), x, self.n, self._cache)

    def _block_forward(self, task: _Task, a: torch.Tensor, x, weights) -> torch.Tensor:
        w = self._weights(weights, task.name, task.n_weights)
        params = _Params(x, w)
        for op in task.block.ops:
            a = _apply(a, _op_matrix(op, params, a, self._cache), op.wires, self.n)
        return a

    def pauli_states(self, x, weights) -> dict[str, torch.Tensor]:
        """Each task's state after its block, as Pauli coefficients (B, 4^n)."""
        x = torch.as_tensor(x).to(device=self.device, dtype=self.rdtype)
        enc = self.encode(x, weights)
        return {t.name: self._block_forward(t, enc, x, weights) for t in self.tasks}

    def density_matrices(self, x, weights) -> dict[str, torch.Tensor]:
        """Each task's density matrix (B, 2^n, 2^n), wire 0 most significant: for checks against Aer."""
        return {k: pauli_to_density(v, self.n) for k, v in self.pauli_states(x, weights).items()}

    # -- readouts
    def _observables(self, task: _Task, G: np.ndarray, weights) -> torch.Tensor:
        """The readout observables propagated backwards through the block: (K, 4^n)."""
        o = torch.zeros(G.shape[0], 4**self.n, dtype=self.rdtype, device=self.device)
        o[:, task.subsets] = torch.as_tensor(G, dtype=self.rdtype, device=self.device)
        w = self._weights(weights, task.name, task.n_weights)
        return propagate_observables(task.block, o, _Params(None, w), self.n, self._cache)

    def _run_readouts(self, x, weights, outcomes: bool, tick=None) -> dict[str, torch.Tensor]:
        """Each task's readout coefficients applied to its state: the raw readouts, or (``outcomes``) the joint
        outcome distribution of the measured bits, except for Pauli-word tasks, which have only their words."""
        x = torch.as_tensor(x).to(device=self.device, dtype=self.rdtype)
        B = x.shape[0]
        G = {t.name: t.G_outcomes if outcomes and t.G_outcomes is not None else t.G for t in self.tasks}
        # Heisenberg picture where it pays: the block's observables once per call, whatever the batch
        obs = {t.name: self._observables(t, G[t.name], weights) for t in self.tasks
               if not t.block.reads_inputs and G[t.name].shape[0] <= B}
        step = self._chunks(B)

        def work(i: int) -> dict[str, torch.Tensor]:
            xc = x[i:i + step]
            enc = self.encode(xc, weights)
            out = {}
            for t in self.tasks:
                if t.name in obs:
                    out[t.name] = enc @ obs[t.name].T
                else:
                    a = self._block_forward(t, enc, xc, weights)
                    out[t.name] = a[:, t.subsets] @ torch.as_tensor(G[t.name], dtype=a.dtype, device=a.device).T
            return out

        # evaluation: chunks in parallel threads, each op single-threaded. The ops are small (16 MiB), so torch's
        # own intra-op threading mostly synchronises; measured 1.5-3x faster on 2 cores
        results = _in_threads(work, list(range(0, B, step)), self.workers or torch.get_num_threads(), self.device,
                              tick)
        return {t.name: torch.cat([r[t.name] for r in results]) for t in self.tasks}

    def _chunks(self, B: int) -> int:
        # ~16 MiB per state tensor: small enough for the allocator to reuse memory (no page faults per op) and
        # for the working set to stay in cache; measured 2-3x faster than whole-batch tensors at n = 8
        return max(1, min(B, CHUNK_BYTES // (4**self.n * (8 if self.rdtype == torch.float64 else 4))))

    def forward(self, x: torch.Tensor, weights: dict) -> dict[str, torch.Tensor]:
        return self._run_readouts(x, weights, outcomes=False)

    __call__ = forward

    def outcome_probabilities(self, x, weights, tick=None) -> dict[str, torch.Tensor]:
        """Joint distribution of every task's measured readout bits (B, 2^k), readout errors included.
        ``tick``: see ``_in_threads`` (progress and cancellation between chunks of inputs)."""
        pauli = [t.name for t in self.tasks if t.G_outcomes is None]
        if pauli:
            raise UserError(f"task {pauli[0]!r}: outcome distributions (shots) are not available for Pauli-word "
                            "readouts here; use exact expectations")
        return {k: v.clamp_min(0) for k, v in self._run_readouts(x, weights, outcomes=True, tick=tick).items()}

    def measured(self, x, weights, tick=None) -> dict[str, torch.Tensor]:
        """What an exact comparison of the tasks needs, in one pass over the inputs: the joint outcome
        distribution of the measured bits (B, 2^k) of a computational-basis readout, the exact expectation of
        each word (B, words) of a Pauli-word readout, readout errors included in both."""
        out = self._run_readouts(x, weights, outcomes=True, tick=tick)
        return {t.name: out[t.name].clamp_min(0) if t.G_outcomes is not None else out[t.name].clamp(-1, 1)
                for t in self.tasks}

    def forward_shots(self, x, weights, shots: int, seed: int | None = None
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Raw readouts estimated from ``shots`` measurements per input, and their standard errors."""
        if shots < 1:
            raise UserError(f"--shots: must be >= 1, got {shots}")
        rng = np.random.default_rng(seed)
        with torch.no_grad():
            probs = self.outcome_probabilities(x, weights)
        values, errors = {}, {}
        for t in self.tasks:
            p = probs[t.name].double().cpu().numpy()
            p = p / p.sum(axis=1, keepdims=True)
            counts = np.stack([rng.multinomial(shots, row) for row in p])
            values[t.name], errors[t.name] = readout_from_counts(counts, t.readout)
        return values, errors


def readout_from_counts(counts: np.ndarray, r: Readout) -> tuple[np.ndarray, np.ndarray]:
    """Raw readout estimates and standard errors from outcome counts (B, 2^k) (bit i <-> wires[i], MSB first)."""
    shots = counts.sum(axis=1, keepdims=True)
    p = counts / shots
    if r.kind == "probs":
        return p, np.sqrt(p * (1 - p) / shots)
    k = len(r.wires)
    signs = np.array([[1 - 2 * ((m >> (k - 1 - i)) & 1) for i in range(k)] for m in range(2**k)], dtype=np.float64)
    z = p @ signs
    return z, np.sqrt(np.clip(1 - z**2, 0, None) / shots)


def _in_threads(work, starts: list[int], workers: int, device: torch.device, tick=None) -> list:
    """``work(start)`` for every chunk start. ``tick(rows)``, if given, is called before each chunk (rows = 0; it
    may raise to stop: cancellation) and after it (rows = the chunk's size, for progress)."""
    if tick is not None:
        inner = work

        def work(start: int):
            tick(0)
            out = inner(start)
            tick(len(next(iter(out.values()))) if out else 0)
            return out
    workers = min(workers, len(starts))
    if workers > 1 and not torch.is_grad_enabled() and device.type == "cpu":
        prev = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(workers) as pool:
                return list(pool.map(work, starts))
        finally:
            torch.set_num_threads(prev)
    return [work(i) for i in starts]


class PTMCircuit:
    """One circuit of native gates (IR ``Param`` or ``ExprParam`` angles) with the channels ``noise`` attaches to
    each gate, from |0...0>, read out as outcome probabilities of ``readout_wires`` (through their assignment
    matrices). Used by the Aer engine to evaluate Aer's own noise model on transpiled circuits (tests compare the
    two simulators).

    The gates are split along the circuit's dependencies into three parts run in this order: ``shared``, the gates
    that no weight-reading gate precedes on their wires (the encoder: run per sample, and once for all circuits with
    the same shared gates and noise); ``middle``, gates after a weight-reading gate that still feed an
    input-reading gate (per sample); ``tail``, everything that no input-reading gate follows (run once per call,
    backwards on the readout observables: the Heisenberg picture)."""

    def __init__(self, natives: list[NativeOp], n: int, noise, readout_wires: list[int],
                 readout_mats: list[np.ndarray | None], *, dtype: torch.dtype = torch.float64,
                 workers: int | None = None, signature: list | None = None, noise_key=None):
        if n > MAX_QUBITS:
            raise UserError(f"circuit: the density-matrix simulation stops at {MAX_QUBITS} qubits, got {n}")
        if any(op.name == "state_preparation" for op in natives):
            raise ValueError("PTMCircuit takes gate circuits only (no state preparation)")

        def reads_w(op) -> bool:
            return any(p.kind == "weight" or (p.kind == "expr" and p.reads_weights) for p in op.params)

        def reads_x(op) -> bool:
            return any(_reads_inputs(p) for p in op.params)

        w_before, tainted = [], [False] * n
        for op in natives:
            t = reads_w(op) or any(tainted[q] for q in op.wires)
            for q in op.wires:
                tainted[q] = t
            w_before.append(t)
        x_after, tainted = [False] * len(natives), [False] * n
        for i in range(len(natives) - 1, -1, -1):
            op = natives[i]
            t = reads_x(op) or any(tainted[q] for q in op.wires)
            for q in op.wires:
                tainted[q] = t
            x_after[i] = t
        shared = [i for i in range(len(natives)) if not w_before[i]]
        middle = [i for i in range(len(natives)) if w_before[i] and x_after[i]]
        tail = [i for i in range(len(natives)) if w_before[i] and not x_after[i]]
        self.n, self.rdtype, self.workers = n, dtype, workers
        self.shared = compile_ops([natives[i] for i in shared], noise, start_from_zero=True)
        self.middle = compile_ops([natives[i] for i in middle], noise, start_from_zero=False)
        self.tail = compile_ops([natives[i] for i in tail], noise, start_from_zero=False)
        self.G = _outcome_coefficients(tuple(readout_wires), readout_mats, outcomes=True)
        self.subsets = _subset_indices(tuple(readout_wires), n)
        self._cache: dict = {}
        self.shared_key = None if signature is None or noise_key is None else \
            (n, noise_key, tuple(signature[i] for i in shared))

    def _observables(self, w: torch.Tensor) -> torch.Tensor:
        o = torch.zeros(self.G.shape[0], 4**self.n, dtype=self.rdtype)
        o[:, self.subsets] = torch.as_tensor(self.G, dtype=self.rdtype)
        return propagate_observables(self.tail, o, _Params(None, w), self.n, self._cache)

    def outcome_probabilities(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """(B, 2^k) for inputs x (B, d) and the flat weight vector w."""
        return PTMCircuit.evaluate_many([self], x, [w])[0]

    @staticmethod
    def evaluate_many(circuits: list[PTMCircuit], x: torch.Tensor, ws: list[torch.Tensor], tick=None
                      ) -> list[torch.Tensor]:
        """Outcome probabilities of several circuits on the same inputs; circuits with equal ``shared_key`` (the
        task circuits of one program transpiled on one layout) compute their shared part once per sample."""
        first = circuits[0]
        x = torch.as_tensor(x).to(dtype=first.rdtype)
        ws = [torch.as_tensor(w).to(dtype=first.rdtype) for w in ws]
        B = x.shape[0]
        groups: dict = {}
        for i, c in enumerate(circuits):
            groups.setdefault(c.shared_key if c.shared_key is not None else ("own", i), []).append(i)
        obs = [c._observables(w) for c, w in zip(circuits, ws)]
        n = first.n
        step = max(1, min(B, CHUNK_BYTES // (4**n * (8 if first.rdtype == torch.float64 else 4))))

        def work(start: int) -> dict[int, torch.Tensor]:
            xc = x[start:start + step]
            out = {}
            for members in groups.values():
                lead = circuits[members[0]]
                shared = run_from_zero(lead.shared, _Params(xc, ws[members[0]]), xc, lead.n, lead._cache)
                for i in members:
                    c = circuits[i]
                    a = shared
                    params = _Params(xc, ws[i])
                    for op in c.middle.ops:
                        a = _apply(a, _op_matrix(op, params, xc, c._cache), op.wires, c.n)
                    out[i] = a @ obs[i].T
            return out

        results = _in_threads(work, list(range(0, B, step)), first.workers or torch.get_num_threads(),
                              torch.device("cpu"), tick)
        return [torch.cat([r[i] for r in results]).clamp_min(0) for i in range(len(circuits))]
