"""The fast engine: batched torch statevector simulation of a QMTL program, differentiable by backprop.

What makes it fast, in order of effect:
- the shared encoding runs once per batch; every task block starts from that same state tensor;
- tasks whose blocks have the same structure run together, stacked on a leading group axis;
- a one-qubit-only prefix of the encoder (AngleEmbedding, first upload layer) is a closed-form product state;
- runs of permutation gates (CNOT rings) become one gather, runs of diagonal gates one phase multiply;
- a task block is fused into one 2^n x 2^n matrix when the batch is large against 2^n (built by running the
  block on the identity), so the batch costs one matrix product;
- circuits made of real gates (RY, CNOT, CZ, H, ...) run in real arithmetic.
Wire 0 is the most significant bit of a basis index, as in PennyLane and in Qiskit's printed bitstrings
reversed (exports take care of Qiskit's order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from workbench.circuits.ir import Block, Gate, Param, QMTLProgram, Readout
from workbench.engines.lowering import Prim, is_real, lower

_REAL_OF = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def _bits(n: int, device) -> torch.Tensor:
    """(2^n, n) 0/1 matrix: bit of wire w in basis index k (wire 0 most significant)."""
    k = torch.arange(2**n, device=device)
    shifts = torch.arange(n - 1, -1, -1, device=device)
    return (k[:, None] >> shifts[None, :]) & 1


# ----------------------------------------------------------------------------------------------- angles
class _Angles:
    """Evaluate a list of parameter references to a tensor of shape (Ga, Ba, m), vectorised where possible."""

    def __init__(self, params: list[Param], rdtype, device):
        self.params = params
        self.m = len(params)
        kinds = {p.kind for p in params}
        self.mode = "mixed"
        if not params:
            self.mode = "empty"
        elif kinds == {"weight"}:
            self.mode = "weight"
        elif kinds == {"input"} and all(p.index2 < 0 for p in params):
            self.mode = "input"
        elif kinds == {"const"}:
            self.mode = "const"
        self.idx = torch.tensor([p.index for p in params], dtype=torch.long, device=device)
        self.scale = torch.tensor([p.scale for p in params], dtype=rdtype, device=device)
        self.const = torch.tensor([p.value for p in params], dtype=rdtype, device=device)
        self.rdtype = rdtype

    @staticmethod
    def _one(p: Param, x, w, rdtype, device) -> torch.Tensor:
        if p.kind == "weight":
            return (w[:, p.index] * p.scale)[:, None]  # (G, 1)
        if p.kind == "input":
            v = x[:, p.index] * p.scale
            if p.index2 >= 0:
                v = v * x[:, p.index2]
            return v[None, :]  # (1, B)
        return torch.full((1, 1), p.value, dtype=rdtype, device=device)

    def __call__(self, x, w) -> torch.Tensor:
        if self.mode == "weight":
            return (w[:, self.idx] * self.scale)[:, None, :]
        if self.mode == "input":
            return (x[:, self.idx] * self.scale)[None, :, :]
        if self.mode in ("const", "empty"):
            return self.const[None, None, :]
        vals = [self._one(p, x, w, self.rdtype, self.idx.device) for p in self.params]
        return torch.stack(torch.broadcast_tensors(*vals), dim=-1)


# --------------------------------------------------------------------------------------------- matrices
def _matrices(name: str, a: torch.Tensor, complex_mode: bool, cdtype) -> torch.Tensor:
    """Gate matrices (..., 2, 2) for angles ``a`` of shape (..., n_params)."""
    if name == "RY":
        c, s = torch.cos(a[..., 0] / 2), torch.sin(a[..., 0] / 2)
        m = torch.stack((c, -s, s, c), dim=-1).unflatten(-1, (2, 2))
        return m.to(cdtype) if complex_mode else m
    if name == "RX":
        c, s = torch.cos(a[..., 0] / 2), torch.sin(a[..., 0] / 2)
        z = torch.zeros_like(c)
        return torch.complex(torch.stack((c, z, z, c), -1), torch.stack((z, -s, -s, z), -1)).unflatten(-1, (2, 2))
    if name == "Rot":
        phi, theta, omega = a[..., 0], a[..., 1], a[..., 2]
        c, s = torch.cos(theta / 2), torch.sin(theta / 2)
        p, q = (phi + omega) / 2, (phi - omega) / 2
        cp, sp, cq, sq = torch.cos(p), torch.sin(p), torch.cos(q), torch.sin(q)
        re = torch.stack((c * cp, -s * cq, s * cq, c * cp), -1)
        im = torch.stack((-c * sp, -s * sq, -s * sq, c * sp), -1)
        return torch.complex(re, im).unflatten(-1, (2, 2))
    raise ValueError(name)


_CONST = {
    "H": [[1 / math.sqrt(2), 1 / math.sqrt(2)], [1 / math.sqrt(2), -1 / math.sqrt(2)]],
    "Y": [[0, -1j], [1j, 0]],
}
_NPARAMS = {"RX": 1, "RY": 1, "Rot": 3}


# ------------------------------------------------------------------------------------------------ steps
class _Dense:
    """A run of one-qubit gates with general matrices, applied one by one (angles evaluated together)."""

    def __init__(self, gates: list[Gate], n, complex_mode, cdtype, rdtype, device):
        self.n = n
        self.gates = gates
        self.complex_mode, self.cdtype = complex_mode, cdtype
        self.by_type: dict[str, tuple[list[int], _Angles]] = {}
        self.const: dict[int, torch.Tensor] = {}
        for name in {g.name for g in gates}:
            pos = [i for i, g in enumerate(gates) if g.name == name]
            if name in _CONST:
                m = torch.tensor(_CONST[name], dtype=cdtype if complex_mode else rdtype, device=device)
                for i in pos:
                    self.const[i] = m[None, None]
            else:
                params = [p for i in pos for p in gates[i].params]
                self.by_type[name] = (pos, _Angles(params, rdtype, device))

    def matrices(self, x, w) -> list[torch.Tensor]:
        mats: list[torch.Tensor | None] = [None] * len(self.gates)
        for i, m in self.const.items():
            mats[i] = m
        for name, (pos, angles) in self.by_type.items():
            a = angles(x, w)  # (Ga, Ba, k * np)
            a = a.unflatten(-1, (len(pos), _NPARAMS[name]))
            m = _matrices(name, a, self.complex_mode, self.cdtype)  # (Ga, Ba, k, 2, 2)
            for j, i in enumerate(pos):
                mats[i] = m[:, :, j]
        return mats

    def __call__(self, s, x, w):
        n = self.n
        for g, U in zip(self.gates, self.matrices(x, w)):
            q = g.wires[0]
            G, B, D = s.shape
            v = s.reshape(G, B, 2**q, 2, 2 ** (n - q - 1))
            s = torch.matmul(U[:, :, None], v)
            s = s.reshape(s.shape[0], s.shape[1], D)
        return s


class _Perm:
    def __init__(self, gates: list[Gate], n, device):
        k = torch.arange(2**n, device=device)
        perm = k.clone()
        for g in gates:
            if g.name == "X":
                p = k ^ (1 << (n - 1 - g.wires[0]))
            elif g.name == "CNOT":
                c, t = g.wires
                p = k ^ (((k >> (n - 1 - c)) & 1) << (n - 1 - t))
            elif g.name == "SWAP":
                a, b = g.wires
                ba, bb = (k >> (n - 1 - a)) & 1, (k >> (n - 1 - b)) & 1
                p = k ^ ((ba ^ bb) << (n - 1 - a)) ^ ((ba ^ bb) << (n - 1 - b))
            else:
                raise ValueError(g.name)
            perm = perm[p]  # apply ``perm`` first, then ``p``
        self.perm = perm

    def __call__(self, s, x, w):
        return s.index_select(-1, self.perm)


class _Diag:
    """A run of diagonal gates: state *= exp(i * (const + angles @ coefficients))."""

    def __init__(self, gates: list[Gate], n, complex_mode, rdtype, device):
        bits = _bits(n, device).to(rdtype)  # (D, n)
        z = 1 - 2 * bits
        const = torch.zeros(2**n, dtype=rdtype, device=device)
        params, coefs = [], []
        fixed = {"Z": math.pi, "S": math.pi / 2, "T": math.pi / 4}
        for g in gates:
            w = g.wires
            if g.name in fixed:
                const = const + fixed[g.name] * bits[:, w[0]]
            elif g.name == "CZ":
                const = const + math.pi * bits[:, w[0]] * bits[:, w[1]]
            elif g.name == "RZ":
                params.append(g.params[0])
                coefs.append(-0.5 * z[:, w[0]])
            elif g.name == "PhaseShift":
                params.append(g.params[0])
                coefs.append(bits[:, w[0]])
            elif g.name == "MultiRZ":
                params.append(g.params[0])
                coefs.append(-0.5 * torch.prod(z[:, list(w)], dim=1))
            elif g.name == "CRZ":
                params.append(g.params[0])
                coefs.append(-0.5 * z[:, w[1]] * bits[:, w[0]])
            else:
                raise ValueError(g.name)
        self.angles = _Angles(params, rdtype, device) if params else None
        self.coef = torch.stack(coefs) if coefs else None  # (m, D)
        if complex_mode:
            self.phase_const = const
        else:  # only Z/CZ reach here in real mode: phases are 0 or pi
            self.sign = torch.cos(const)

    def __call__(self, s, x, w):
        if self.angles is None:
            if not s.is_complex():
                return s * self.sign
            return s * torch.polar(torch.ones_like(self.phase_const), self.phase_const)
        phase = self.phase_const + self.angles(x, w) @ self.coef  # (Ga, Ba, D)
        return s * torch.polar(torch.ones_like(phase), phase)


class _Amplitude:
    def __init__(self, gate: Gate, n, device):
        self.idx = torch.tensor([p.index for p in gate.params], dtype=torch.long, device=device)
        self.D = 2**n

    def __call__(self, s, x, w):
        v = x[:, self.idx]
        v = torch.nn.functional.pad(v, (0, self.D - v.shape[1]))
        v = v / torch.linalg.vector_norm(v, dim=1, keepdim=True).clamp_min(1e-12)
        return v[None].to(s.dtype)


def _segments(prims: list[Prim], n, complex_mode, cdtype, rdtype, device) -> list:
    steps, i = [], 0
    while i < len(prims):
        kind = prims[i].kind
        j = i
        while j < len(prims) and prims[j].kind == kind and kind != "amp":
            j += 1
        if kind == "amp":
            steps.append(_Amplitude(prims[i].gate, n, device))
            i += 1
            continue
        gates = [p.gate for p in prims[i:j]]
        if kind == "dense":
            steps.append(_Dense(gates, n, complex_mode, cdtype, rdtype, device))
        elif kind == "perm":
            steps.append(_Perm(gates, n, device))
        else:
            steps.append(_Diag(gates, n, complex_mode, rdtype, device))
        i = j
    return steps


# --------------------------------------------------------------------------------------------- encoder
class _ProductPrefix:
    """Leading one-qubit gates of the encoder, evaluated as a product state without touching 2^n amplitudes."""

    def __init__(self, gates: list[Gate], n, complex_mode, cdtype, rdtype, device):
        self.n = n
        self.wire_gates = [[i for i, g in enumerate(gates) if g.wires[0] == q] for q in range(n)]
        # the 2x2 of every gate, through the same code as the dense steps (diagonals written densely)
        dense = [g if g.name not in ("RZ", "PhaseShift", "Z", "S", "T", "X") else g for g in gates]
        self.gates = dense
        self.complex_mode = complex_mode
        self.cdtype, self.rdtype, self.device = cdtype, rdtype, device
        self.dense = _Dense([g for g in gates if g.name in ("RX", "RY", "Rot", "H", "Y")], n, complex_mode,
                            cdtype, rdtype, device)
        self.dense_pos = [i for i, g in enumerate(gates) if g.name in ("RX", "RY", "Rot", "H", "Y")]
        other = [g for g in gates if g.name not in ("RX", "RY", "Rot", "H", "Y")]
        self.other_pos = [i for i, g in enumerate(gates) if g.name not in ("RX", "RY", "Rot", "H", "Y")]
        self.other = other
        self.other_angles = _Angles([g.params[0] for g in other if g.params], rdtype, device)

    def _other_matrix(self, g: Gate, angle):
        dt = self.cdtype if self.complex_mode else self.rdtype
        one = torch.ones((), dtype=dt, device=self.device)
        zero = torch.zeros((), dtype=dt, device=self.device)
        if g.name == "X":
            return torch.stack((zero, one, one, zero)).reshape(1, 1, 2, 2)
        if g.name == "Z":
            return torch.stack((one, zero, zero, -one)).reshape(1, 1, 2, 2)
        phase = {"S": math.pi / 2, "T": math.pi / 4}.get(g.name)
        if phase is not None:
            e = torch.polar(torch.ones((), dtype=self.rdtype, device=self.device),
                            torch.tensor(phase, dtype=self.rdtype, device=self.device))
            return torch.stack((one, zero, zero, e)).reshape(1, 1, 2, 2)
        ones = torch.ones_like(angle)
        zeros = torch.zeros_like(angle)
        if g.name == "RZ":
            a, b = torch.polar(ones, -angle / 2), torch.polar(ones, angle / 2)
        else:  # PhaseShift
            a, b = torch.polar(ones, zeros), torch.polar(ones, angle)
        z = torch.zeros_like(a)
        return torch.stack((a, z, z, b), -1).unflatten(-1, (2, 2))

    def __call__(self, x, w) -> torch.Tensor:
        mats: list = [None] * (len(self.dense_pos) + len(self.other_pos))
        for i, m in zip(self.dense_pos, self.dense.matrices(x, w)):
            mats[i] = m
        if self.other:
            angles = self.other_angles(x, w)
            k = 0
            for i, g in zip(self.other_pos, self.other):
                if g.params:
                    mats[i] = self._other_matrix(g, angles[..., k])
                    k += 1
                else:
                    mats[i] = self._other_matrix(g, None)
        dt = self.cdtype if self.complex_mode else self.rdtype
        state = None
        for q in range(self.n):
            gates = self.wire_gates[q]
            if not gates:
                vec = torch.tensor([1.0, 0.0], dtype=dt, device=self.device)[None, None]
            else:
                vec = mats[gates[0]][..., :, 0]  # first gate on |0>: its first column
                for i in gates[1:]:
                    vec = torch.matmul(mats[i], vec[..., None])[..., 0]
            if not vec.is_complex() and self.complex_mode:
                vec = vec.to(self.cdtype)
            state = vec if state is None else (state[..., :, None] * vec[..., None, :]).flatten(-2)
        return state  # (Ga, Ba, 2^n)


def _product_prefix_len(gates: list[Gate]) -> int:
    ok = {"RX", "RY", "Rot", "H", "Y", "RZ", "PhaseShift", "Z", "S", "T", "X"}
    i = 0
    while i < len(gates) and gates[i].name in ok and len(gates[i].wires) == 1:
        i += 1
    return i


# ------------------------------------------------------------------------------------------------ engine
def _signature(block: Block) -> tuple:
    return (block.n_weights, tuple((g.name, g.wires, g.params) for g in block.gates))


@dataclass
class _Group:
    names: list[str]
    readouts: list[Readout]
    steps: list
    n_weights: int


class TorchEngine:
    """Execute a QMTLProgram. ``forward(x, weights)`` returns each task's raw readout values."""

    name = "torch"

    def __init__(self, program: QMTLProgram, *, dtype: str | torch.dtype = "complex64",
                 device: str | torch.device = "cpu", fuse: str = "auto"):
        self.program = program
        self.n = n = program.n_qubits
        self.D = 2**n
        self.cdtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        self.rdtype = _REAL_OF[self.cdtype]
        self.device = torch.device(device)
        self.fuse = fuse
        all_gates = [g for b in program.blocks() for g in b.gates]
        self.complex_mode = not is_real(all_gates)
        args = (n, self.complex_mode, self.cdtype, self.rdtype, self.device)

        enc = program.encoder.gates
        k = 0 if any(g.name == "AmplitudeEmbedding" for g in enc) else _product_prefix_len(enc)
        self.prefix = _ProductPrefix(enc[:k], *args) if k else None
        self.encoder_steps = _segments(lower(enc[k:]), *args)

        groups: dict[tuple, _Group] = {}
        for t in program.tasks:
            sig = _signature(t.block)
            if sig not in groups:
                groups[sig] = _Group([], [], _segments(lower(t.block.gates), *args), t.block.n_weights)
            groups[sig].names.append(t.name)
            groups[sig].readouts.append(t.readout)
        self.groups = list(groups.values())

        bits = _bits(n, self.device)
        self._z = (1 - 2 * bits).to(self.rdtype)  # (D, n)
        self._marginals: dict[tuple, torch.Tensor] = {}
        for t in program.tasks:
            r = t.readout
            if r.kind == "probs" and r.wires not in self._marginals:
                idx = torch.zeros(self.D, dtype=torch.long, device=self.device)
                for w in r.wires:
                    idx = idx * 2 + bits[:, w]
                self._marginals[r.wires] = torch.nn.functional.one_hot(idx, 2 ** len(r.wires)).to(self.rdtype)

    # -- helpers
    @property
    def real_arithmetic(self) -> bool:
        return not self.complex_mode

    def _weights(self, weights: dict, name: str, n_weights: int, G: int = 1) -> torch.Tensor:
        w = weights.get(name) if weights else None
        if w is None:
            if n_weights:
                raise ValueError(f"missing weights for block {name!r} ({n_weights} expected)")
            return torch.zeros(G, 0, dtype=self.rdtype, device=self.device)
        return w.to(self.rdtype).reshape(1, -1)

    def encode(self, x: torch.Tensor, weights: dict | None = None) -> torch.Tensor:
        """The shared encoder's output state, shape (1, B, 2^n)."""
        x = x.to(device=self.device, dtype=self.rdtype)
        w = self._weights(weights or {}, "encoder", self.program.encoder.n_weights)
        B = x.shape[0]
        if self.prefix is not None:
            s = self.prefix(x, w)
            s = s.expand(1, B, self.D) if s.shape[1] == 1 else s
        else:
            dt = self.cdtype if self.complex_mode else self.rdtype
            s = torch.zeros(1, B, self.D, dtype=dt, device=self.device)
            s[..., 0] = 1
        for step in self.encoder_steps:
            s = step(s, x, w)
        if s.shape[1] != B:
            s = s.expand(s.shape[0], B, self.D)
        return s

    def _fused(self, B: int) -> bool:
        if self.fuse in ("always", "never"):
            return self.fuse == "always"
        return self.D <= 1024 and self.D <= 2 * B

    def _run_group(self, group: _Group, enc: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
        if self._fused(enc.shape[1]):
            dt = enc.dtype
            eye = torch.eye(self.D, dtype=dt, device=self.device)[None]
            u_t = eye
            for step in group.steps:
                u_t = step(u_t, None, W)  # row b of u_t is U e_b, i.e. u_t = U^T
            if u_t.shape[0] != W.shape[0]:
                u_t = u_t.expand(W.shape[0], self.D, self.D)
            return torch.matmul(enc, u_t)
        s = enc
        for step in group.steps:
            s = step(s, None, W)
        if s.shape[0] != W.shape[0]:
            s = s.expand(W.shape[0], *s.shape[1:])
        return s

    def final_states(self, x: torch.Tensor, weights: dict) -> dict[str, torch.Tensor]:
        """Each task's state after its block, shape (B, 2^n); complex, for checks against other simulators."""
        enc = self.encode(x, weights)
        out = {}
        for group in self.groups:
            W = torch.stack([weights[name].to(self.rdtype) if group.n_weights else
                             torch.zeros(0, dtype=self.rdtype, device=self.device) for name in group.names])
            s = self._run_group(group, enc, W)
            for g, name in enumerate(group.names):
                out[name] = s[g].to(self.cdtype)
        return out

    def forward(self, x: torch.Tensor, weights: dict) -> dict[str, torch.Tensor]:
        enc = self.encode(x, weights)
        out = {}
        for group in self.groups:
            if group.n_weights:
                W = torch.stack([weights[name].to(device=self.device, dtype=self.rdtype) for name in group.names])
            else:
                W = torch.zeros(len(group.names), 0, dtype=self.rdtype, device=self.device)
            s = self._run_group(group, enc, W)
            probs = s.real.square() + s.imag.square() if s.is_complex() else s.square()
            for g, (name, r) in enumerate(zip(group.names, group.readouts)):
                out[name] = self.readout(probs[g], r)
        return out

    __call__ = forward

    def readout(self, probs: torch.Tensor, r: Readout) -> torch.Tensor:
        if r.kind == "expval":
            return probs @ self._z[:, list(r.wires)]
        return probs @ self._marginals[r.wires]
