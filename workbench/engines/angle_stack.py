"""One autograd node from rotation angles to readouts, for a product-state encoder and fused task blocks.

The node takes the encoder's angles (one layer of RX, RY or Rot gates, one per wire: AngleEmbedding and the like)
and the angles of every rotation layer of a group's blocks. Inside it builds the encoder's two product-state
halves and the blocks' Kronecker factors, runs ``adjoint_stack.run_plan``, and in the backward turns
``plan_vjp``'s gradients for the factors and halves into gradients for the angles, by hand:

- a block factor A = (x) m_q: d A / d a = A (I (x) H (x) I) with H = m^H dm/da, so every angle's gradient is
  Re <H, partial trace onto its wire of A^H g> (``_Factors``): one small product per factor and one with a
  constant 0/1 matrix for all the partial traces, no derivative factors built;
- the encoder's halves (vectors, one per sample): built together with their derivative in each angle (the
  product with one wire's vector replaced by its derivative, ``_Variants``), and the angles' gradients are the
  real parts of inner products with the halves' gradients.

Every gate here is a product of rotations, so a derivative of its matrix is half the matrix at the angle shifted
by pi (``rotations.with_derivatives``).

Why: at batch 32 the step's cost is per-op overhead. Around the fused adjoint node, the autograd graph of the
angle matrices, Kronecker trees and product encoder held about 60 nodes, whose backward cost more than the node
itself; here the step is one node. Measured on the reference workload (n=8, T=3, batch 32, one thread, same
harness), with the changes to the plan that came with it: complex64 1.65-1.75 -> 1.25-1.30 ms a step,
complex128 2.0-2.2 -> 1.7-1.8 ms (the 4 KiB-page slow mode of ``allocator`` aside); at batch 1024 the difference is
within noise.
"""

from __future__ import annotations

import torch

from workbench.engines.adjoint_stack import Plan, plan_vjp, run_plan
from workbench.engines.kron import kron, kron_tree
from workbench.engines.rotations import NPARAMS, with_derivatives


class _Half:
    """One half of the wires (or, for even n, both halves stacked on an axis of 2): its factor is the Kronecker
    product of a left group's matrices L and a right group's R. Index tables lay out, per group, the stack of
    per-wire matrices whose products are the group's product (row 0) and its derivative in each angle of the
    group (row 1 + wire * p + angle): small products (4 x 4 for 8 qubits), and one full-size product per factor.

    The backward contracts the factor's gradient with conj(R) and conj(L) (the other group's product), giving each
    group's environment, and each angle's gradient is Re <d group product / d angle, environment>."""

    def __init__(self, n: int, p: int, halves: list[tuple[int, int]], device):
        size = halves[0][1]
        self.g1 = max(size // 2, 1)
        self.g2 = size - self.g1
        groups = []
        for first, count in ((0, self.g1), (self.g1, self.g2)):
            tables = []
            for start, _ in halves:
                wires = [start + first + k for k in range(count)]
                rows = [[w * (1 + p) for w in wires]]
                for q in range(count):
                    for j in range(p):
                        row = [w * (1 + p) for w in wires]
                        row[q] = wires[q] * (1 + p) + 1 + j  # the pool holds per wire its matrix, then derivatives
                        rows.append(row)
                tables.append(rows)
            t = torch.tensor(tables, dtype=torch.long, device=device)
            groups.append((t.flatten(), t.shape if len(halves) > 1 else t.shape[1:]))
        self.left, self.right = groups

    def build(self, pool: torch.Tensor) -> tuple:
        """-> (tape, factor): the factor (..., [2,] r^size, c^size)."""
        left = kron_tree(_gather(pool, *self.left))  # (..., [2,] 1 + g1 p, r^g1, c^g1)
        if not self.g2:
            return (left, None), left[..., 0, :, :]
        right = kron_tree(_gather(pool, *self.right))
        return (left, right), kron(left[..., 0, :, :], right[..., 0, :, :])

    def grad(self, tape, g: torch.Tensor) -> torch.Tensor:
        """The gradient (..., [2,] size p) for the half's angles from the gradient ``g`` for its factor."""
        left, right = tape
        if right is None:
            return _inner(left[..., 1:, :, :].flatten(-2), g.flatten(-2))
        L, R = left[..., 0, :, :], right[..., 0, :, :]
        (rl, cl), (rr, cr) = L.shape[-2:], R.shape[-2:]
        g = g.unflatten(-1, (cl, cr)).unflatten(-3, (rl, rr)).transpose(-3, -2)  # (..., rl, cl, rr, cr)
        g = g.reshape(*g.shape[:-4], rl * cl, rr * cr)
        env_left = torch.matmul(g, R.conj().reshape(*R.shape[:-2], rr * cr, 1))[..., 0]  # (..., rl cl)
        env_right = torch.matmul(L.conj().reshape(*L.shape[:-2], 1, rl * cl), g)[..., 0, :]  # (..., rr cr)
        return torch.cat((_inner(left[..., 1:, :, :].flatten(-2), env_left),
                          _inner(right[..., 1:, :, :].flatten(-2), env_right)), dim=-1)


def _gather(pool: torch.Tensor, index: torch.Tensor, shape) -> torch.Tensor:
    return pool.index_select(-3, index).unflatten(-3, shape)


class _Variants:
    """Both halves of the wires for one gate type: the factors (upper wires, lower wires) from the per-wire
    matrices and their derivatives, and the angles' gradients from the factors' gradients."""

    def __init__(self, n: int, p: int, device):
        h = n // 2
        self.even = n == 2 * h
        if self.even:
            self.halves = [_Half(n, p, [(0, h), (h, h)], device)]
        else:
            self.halves = [_Half(n, p, [(0, h)], device), _Half(n, p, [(h, n - h)], device)]

    def build(self, m: torch.Tensor) -> tuple:
        """``m`` (..., n, 1 + p, r, c), per wire its matrix and derivatives -> (tape, upper factor, lower factor)."""
        pool = m.flatten(-4, -3)
        if self.even:
            tape, f = self.halves[0].build(pool)
            return tape, f[..., 0, :, :], f[..., 1, :, :]
        (t_top, top), (t_bottom, bottom) = (half.build(pool) for half in self.halves)
        return (t_top, t_bottom), top, bottom

    def grad(self, tape, g_top: torch.Tensor, g_bottom: torch.Tensor) -> torch.Tensor:
        """The gradient (..., n p) for the angles from the gradients for the two factors."""
        if self.even:
            return self.halves[0].grad(tape, torch.stack((g_top, g_bottom), dim=-3)).flatten(-2)
        return torch.cat((self.halves[0].grad(tape[0], g_top), self.halves[1].grad(tape[1], g_bottom)), dim=-1)


def _inner(dv: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Re <dv_k, g> for each derivative k: (..., K, m) x (..., m) -> (..., K)."""
    out = torch.matmul(dv.conj() if dv.is_complex() else dv, g[..., :, None])[..., 0]
    return out.real if out.is_complex() else out


class _Factors:
    """The blocks' rotation layers: each half's factor A = (x) m_q from the per-wire matrices, and in the
    backward every angle's gradient from the factor's gradient g without building derivative factors.

    For a unitary gate, d m / d a = m H with H = m^H dm / da (2 x 2), so d A / d a_q = A (I (x) H (x) I) and the
    angle's gradient Re tr((A X)^H g) = Re <H, N_q>, N_q the partial trace onto wire q of N = A^H g: one product
    per factor and one with a constant 0/1 matrix for all partial traces."""

    def __init__(self, n: int, dtype, device):
        h = n // 2
        self.n, self.even = n, n == 2 * h
        self.traces = {size: _partial_traces(size, device).to(dtype) for size in {h, n - h}}  # the factors' dtype

    def build(self, m: torch.Tensor) -> tuple[tuple, torch.Tensor, torch.Tensor]:
        """``m`` (G, L, n, 2, 2) -> (tape, upper factors, lower factors (G, L, r, r))."""
        h = self.n // 2
        if self.even:
            f = kron_tree(m.unflatten(-3, (2, h)))  # (G, L, 2, r, r)
            return (f,), f[..., 0, :, :], f[..., 1, :, :]
        top, bottom = m.split([h, self.n - h], dim=-3)
        top, bottom = kron_tree(top), kron_tree(bottom)
        return (top, bottom), top, bottom

    def grad(self, pool: torch.Tensor, tape: tuple, grads: dict, batch: int, layers: int) -> torch.Tensor:
        """``pool`` (G, L, n, 1 + p, 2, 2): matrices and twice their derivatives, ``grads``: ``plan_vjp``'s ->
        gradients (G, L, n, p)."""
        rows = [grads[2 * batch, j] for j in range(layers)]
        cols = [grads[2 * batch + 1, j] for j in range(layers)]
        if self.even:  # one stack: (G, L, 2, r, r) like the factors
            g = torch.stack([t for pair in zip(rows, cols) for t in pair], dim=1).unflatten(1, (layers, 2))
            n_q = _traced(tape[0], g, self.traces[self.n // 2]).flatten(-4, -3)
        else:
            n_q = torch.cat((_traced(tape[0], torch.stack(rows, dim=1), self.traces[self.n // 2]),
                             _traced(tape[1], torch.stack(cols, dim=1), self.traces[self.n - self.n // 2])), dim=-3)
        # Re <H, N_q> with H = m^H dm is Re <dm, m N_q>: one product of 2 x 2s per wire, then the real inner
        # product with each derivative (twice the derivative, for the halved gradients) as real pairs
        mn = torch.matmul(pool[..., 0, :, :], n_q)[..., None, :, :]  # (..., n, 1, 2, 2)
        dm = pool[..., 1:, :, :]  # (..., n, p, 2, 2)
        if dm.is_complex():
            return (torch.view_as_real(dm) * torch.view_as_real(mn)).sum((-3, -2, -1))
        return (dm * mn).sum((-2, -1))


def _partial_traces(size: int, device) -> torch.Tensor:
    """(4^size, 4 size) 0/1: column (q, a, b) sums the entries (I, J) of a 2^size x 2^size matrix with i_q = a,
    j_q = b and i_p = j_p for every other wire p."""
    r = 2**size
    t = torch.zeros(r * r, 4 * size, dtype=torch.float64)
    for i in range(r):
        for j in range(r):
            for q in range(size):
                shift = size - 1 - q
                if (i ^ j) & ~(1 << shift) == 0:
                    t[i * r + j, 4 * q + 2 * ((i >> shift) & 1) + ((j >> shift) & 1)] = 1
    return t.to(device)


def _traced(a: torch.Tensor, g: torch.Tensor, traces: torch.Tensor) -> torch.Tensor:
    """Partial traces (..., size, 2, 2) of A^H g onto each wire of the factor."""
    n = torch.matmul(a.mH, g)
    return torch.matmul(n.flatten(-2), traces).unflatten(-1, (-1, 2, 2))


class _VariantEncoder:
    """Any one-qubit layer of the rotations here (Rot too): halves built with their derivative variants."""

    def __init__(self, n: int, gate: str, complex_mode: bool, cdtype, device):
        self.n, self.gate, self.cdtype = n, gate, cdtype
        # RY puts real amplitudes on |0>: the encoder's product state stays real
        self.complex = complex_mode and gate != "RY"
        self.layout = _Variants(n, NPARAMS[gate], device)

    def build(self, angles: torch.Tensor) -> tuple:
        m = with_derivatives(self.gate, angles.unflatten(-1, (self.n, NPARAMS[self.gate])), self.complex, self.cdtype)
        tape, top, bottom = self.layout.build(m[..., :1])  # first columns: the gates on |0>
        return tape, top[..., 0], bottom[..., 0]

    def grad(self, tape, g_top: torch.Tensor, g_bottom: torch.Tensor) -> torch.Tensor:
        return self.layout.grad(tape, g_top[..., None], g_bottom[..., None])


class _RotationEncoder:
    """RX or RY on |0>, one per wire (AngleEmbedding): the halves are Kronecker products of one-qubit states, and
    d state / d a_q = G_q state with G_q = -i P / 2 on wire q, so every input's gradient is Re <G_q a, g>: one
    product with the stacked G_q of a half and one inner product per half, no derivative states built."""

    # twice -i P / 2: the plan's gradients come halved (``plan_vjp(scale=1)``), as the factors' derivatives are doubled
    _GENERATOR = {"RY": [[0, -1], [1, 0]], "RX": [[0, -1j], [-1j, 0]]}

    def __init__(self, n: int, gate: str, complex_mode: bool, cdtype, device):
        self.n, self.gate = n, gate
        self.complex = gate == "RX"  # RY's states are real whatever the rest of the circuit
        dtype = cdtype if self.complex else (torch.float64 if cdtype == torch.complex128 else torch.float32)
        h = n // 2
        self.parts = [(0, n)] if n == 2 * h else [(0, h), (h, n)]  # even: both halves stacked on one axis
        self.generators = {}
        for size in {h, n - h}:
            gen = torch.tensor(self._GENERATOR[gate], dtype=torch.complex128 if self.complex else torch.float64)
            stack = [_on_wire(gen, q, size) for q in range(size)]  # (2^size, 2^size) each
            self.generators[size] = torch.cat(stack).mT.to(dtype=dtype, device=device)  # (2^s, s 2^s): a @ it = G_q a
        # (cos, sin) = cos(h + (0, -pi/2)); RX's (cos, -i sin) is the same moduli at phases (0, -pi/2)
        rdtype = torch.float64 if cdtype == torch.complex128 else torch.float32
        self.offsets = torch.tensor([0, -torch.pi / 2], dtype=torch.float64, device=device).to(rdtype)

    def build(self, angles: torch.Tensor) -> tuple:
        half = angles[..., None] * 0.5  # (1, B, n, 1)
        if self.gate == "RY":  # (cos, sin)
            v = torch.cos(half + self.offsets)
        else:  # (cos, -i sin) = (cos, sin) at phases (0, -pi/2)
            v = torch.polar(torch.cos(half + self.offsets), self.offsets)
        v = v[..., None]  # (1, B, n, 2, 1)
        h = self.n // 2
        if len(self.parts) == 1:
            both = kron_tree(v.unflatten(-3, (2, h)))[..., 0]  # (1, B, 2, R)
            return (both,), both[..., 0, :], both[..., 1, :]
        top, bottom = kron_tree(v[..., :h, :, :])[..., 0], kron_tree(v[..., h:, :, :])[..., 0]
        return (top, bottom), top, bottom

    def grad(self, tape, g_top: torch.Tensor, g_bottom: torch.Tensor) -> torch.Tensor:
        gs = (torch.stack((g_top, g_bottom), dim=-2),) if len(tape) == 1 else (g_top, g_bottom)
        out = []
        for a, g in zip(tape, gs):
            r = a.shape[-1]
            size = r.bit_length() - 1
            ga = torch.matmul(a, self.generators[size]).unflatten(-1, (size, r))  # (..., size, r): G_q a
            if not ga.is_complex() and g.is_complex():
                g = g.real
            inner = torch.matmul(ga.conj() if ga.is_complex() else ga, g[..., :, None])[..., 0]
            out.append((inner.real if inner.is_complex() else inner).flatten(-2) if len(tape) == 1 else
                       (inner.real if inner.is_complex() else inner))
        return out[0] if len(out) == 1 else torch.cat(out, dim=-1)


def _on_wire(m: torch.Tensor, q: int, size: int) -> torch.Tensor:
    """The one-qubit matrix ``m`` on wire ``q`` of ``size`` wires (wire 0 most significant), identity elsewhere."""
    out = torch.ones(1, 1, dtype=m.dtype)
    for w in range(size):
        out = torch.kron(out, m if w == q else torch.eye(2, dtype=m.dtype))
    return out


class Chain:
    """The fixed part of a group's node: its plan, the encoder's gate, and per prologue batch of the blocks'
    rotation layers, the gate and the number of layers."""

    def __init__(self, plan: Plan, n: int, encoder_gate: str, batches: list[tuple[str, int]], complex_mode: bool,
                 cdtype: torch.dtype, device, slots: list[tuple], n_weights: int):
        """``slots``: per batch, where its angles are in a task's weight vector: ("span", start, count) or
        ("gather", index tensor, scale tensor)."""
        self.plan, self.n, self.encoder_gate, self.batches = plan, n, encoder_gate, batches
        self.slots, self.n_weights = slots, n_weights
        # the common case (StronglyEntanglingLayers, BasicEntanglerLayers): the angles are the weights, in order
        self.weights_are_angles = len(slots) == 1 and slots[0][0] == "span" and slots[0][1:] == (0, n_weights)
        self.complex_mode, self.cdtype = complex_mode, cdtype
        kind = _RotationEncoder if encoder_gate in _RotationEncoder._GENERATOR else _VariantEncoder
        self.encoder = kind(n, encoder_gate, complex_mode, cdtype, device)
        real = torch.float64 if cdtype == torch.complex128 else torch.float32
        self.factors = _Factors(n, cdtype if complex_mode else real, device)


def _angles(slot: tuple, w: torch.Tensor) -> torch.Tensor:
    if slot[0] == "span":
        return w[:, slot[1]:slot[1] + slot[2]]
    return w[:, slot[1]] * slot[2].to(w.dtype)


class AngleStack(torch.autograd.Function):
    """Raw readouts (G, B, k) of a group from the encoder's angles (1, B, n p) and its G tasks' weight vectors.
    Taking the weights themselves (not their angles) keeps the stacking and slicing out of the autograd graph."""

    @staticmethod
    def forward(ctx, chain: Chain, enc_angles: torch.Tensor, *weights: torch.Tensor):
        n, cm, cdt = chain.n, chain.complex_mode, chain.cdtype
        w = torch.stack([t.to(device=enc_angles.device, dtype=enc_angles.dtype) for t in weights])  # (G, n_w)
        enc_v, top, bottom = chain.encoder.build(enc_angles)
        factors, pools = [], []
        for (name, layers), slot in zip(chain.batches, chain.slots):
            a = _angles(slot, w)
            pool = with_derivatives(name, a.unflatten(-1, (layers, n, NPARAMS[name])), cm, cdt)
            tape, rows, cols = chain.factors.build(pool[..., 0, :, :])
            factors += [rows, cols]  # (G, L, r, r) each
            pools.append((pool, tape))  # (G, L, n, 1 + p, 2, 2)
        raw, ctx.tape = run_plan(chain.plan, top, bottom, factors)
        ctx.chain, ctx.enc_v, ctx.pools = chain, enc_v, pools
        ctx.enc_dtype, ctx.weights = enc_angles.dtype, [(t.dtype, t.device) for t in weights]
        return raw.transpose(1, 2)

    @staticmethod
    def backward(ctx, g_raw: torch.Tensor):
        chain = ctx.chain
        want_enc = ctx.needs_input_grad[1]
        # the derivative matrices are twice the derivatives, and the adjoint's factor 2 is left out: even
        g_top, g_bottom, g_factors = plan_vjp(ctx.tape, g_raw, want_enc, scale=1.0)
        out: list = [None] * len(ctx.weights)
        if any(ctx.needs_input_grad[2:]):
            per_batch = [chain.factors.grad(pool, tape, g_factors, i, layers).flatten(-3)
                         for i, ((pool, tape), (_, layers)) in enumerate(zip(ctx.pools, chain.batches))]
            if chain.weights_are_angles:
                g_w = per_batch[0]
            else:
                g_w = per_batch[0].new_zeros(per_batch[0].shape[0], chain.n_weights)
                for slot, g in zip(chain.slots, per_batch):
                    if slot[0] == "span":
                        g_w[:, slot[1]:slot[1] + slot[2]] += g
                    else:
                        g_w.index_add_(1, slot[1], g * slot[2].to(g.dtype))
            out = [g.to(dtype=dt, device=dev) if ctx.needs_input_grad[2 + i] else None
                   for i, (g, (dt, dev)) in enumerate(zip(g_w.unbind(0), ctx.weights))]
        g_enc = None
        if want_enc:
            if not chain.encoder.complex and g_top.is_complex():  # real amplitudes: the real part is the gradient
                g_top, g_bottom = g_top.real, g_bottom.real
            g_enc = chain.encoder.grad(ctx.enc_v, g_top, g_bottom).to(ctx.enc_dtype)
        ctx.tape = ctx.pools = ctx.enc_v = None
        return (None, g_enc, *out)
