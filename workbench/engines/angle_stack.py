"""One autograd node from rotation angles to readouts, for a product-state encoder and fused task blocks.

The node takes the encoder's angles (one layer of RX or RY gates, one per wire: AngleEmbedding)
and the angles of every rotation layer of a group's blocks. Inside it builds the encoder's product-state halves and
the blocks' Kronecker factors (every entry a product of one entry per wire: one gather and one product for all
tasks, layers and halves at once), runs ``adjoint_stack.run_plan`` (whose first ops then run on a short sum of product
states, ``product_terms``), and in the backward turns ``plan_vjp``'s gradients for the factors and halves into
gradients for the angles, by hand:

- a block factor A = (x) m_q: d A / d a = A (I (x) H (x) I) with H = m^H dm/da, so every angle's gradient is
  Re <H, partial trace onto its wire of A^H g> (``_Factors``): one small product per factor and one with a
  constant 0/1 matrix for all the partial traces, no derivative factors built;
- the encoder's inputs (RX or RY on |0>, one per wire): d state / d x_q = G_q state with G_q = -i P / 2 on wire
  q, so every input's gradient is Re <G_q a, g> (``_RotationEncoder``), no derivative states built.

Every H here has entries of the same form as the matrices' (a signed cosine at a phase, both linear in the
angles), so the matrices and every H come from one construction (``rotations.with_derivatives``). Other product
encoders (a layer of Rot gates on inputs, whose generator depends on the sample) keep the fused node of
``adjoint_stack`` on the encoded state.

Why: at batch 32 the step's cost is per-op overhead. Around the fused adjoint node, the autograd graph of the
angle matrices, Kronecker trees and product encoder held about 60 nodes, whose backward cost more than the node
itself; here the step is one node, which takes the inputs and weights themselves and returns one output per task,
so that nothing else sits in the graph. Measured on the reference workload (n=8, T=3, batch 32, one thread, same
harness), complex64 / complex128: 1.65-1.75 / 2.0-2.2 ms a step before the node, 1.25-1.30 / 1.7-1.8 with it,
1.04-1.08 / 1.27-1.38 with the terms of ``product_terms``, and 0.85-0.90 / 1.05-1.10 with the factors gathered as
complex entries, every product a batched product of 3-d views and no copies around them.
"""

from __future__ import annotations

import torch

from workbench.engines.adjoint_stack import Plan, plan_vjp, run_plan
from workbench.engines.rotations import NPARAMS, with_derivatives


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
        self._indices: dict = {}

    def build(self, pool: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list]:
        """From ``with_derivatives``'s pool (G, L, n, 1 + p, 2, 2) (row 0 the matrices): (upper factors, lower
        factors (G, L, r, r), the factors per part of the terms (L, h, G, r, r): both halves in one tensor for an
        even number of wires, contiguous per layer so that the terms' products take them without a copy; ``grad``
        takes these too). Each factor is the Kronecker product of its wires' matrices (``_kron``), for all tasks,
        layers and halves at once."""
        if self.even:
            f = self._kron(pool, 0, self.n // 2, 2)  # (L, 2, G, r, r)
            return f[:, 0].transpose(0, 1), f[:, 1].transpose(0, 1), [f]
        h = self.n // 2
        top, bottom = self._kron(pool, 0, h, 1), self._kron(pool, h, self.n - h, 1)  # (L, 1, G, r, r)
        return top[:, 0].transpose(0, 1), bottom[:, 0].transpose(0, 1), [top, bottom]

    def _kron(self, pool: torch.Tensor, first: int, size: int, halves: int) -> torch.Tensor:
        """(L, halves, G, 2^s, 2^s): the Kronecker products of the matrices of ``size`` wires from ``first`` (the
        next half ``size`` wires further), wire 0 most significant, from the pool (G, L, n, 1 + p, 2, 2): every
        entry a product of one entry per wire, gathered straight from the pool in one index along the first axis
        and multiplied over the wire axis. (A tree of broadcast products costs twice as much: complex products of
        8-d broadcast shapes take a slow path.)"""
        G, L, n, rows = pool.shape[:4]
        r = 2**size
        key = (G, L, n, rows, first, size, halves, pool.device)
        idx = self._indices.get(key)
        if idx is None:
            q = torch.arange(size)[:, None, None]
            bit = lambda k: (k >> (size - 1 - q)) & 1  # noqa: E731
            i, j = torch.arange(r)[None, :, None], torch.arange(r)[None, None, :]
            entry = 2 * bit(i) + bit(j)  # (wire, r, r)
            lay, half, task = (torch.arange(k).view(-1, *([1] * (5 - d))) for d, k in enumerate((L, halves, G)))
            wire = first + half * size + q  # (1, halves, 1, wire, 1, 1) against (L, halves, G, wire, r, r)
            idx = self._indices[key] = ((((task * L + lay) * n + wire) * rows) * 4 + entry).reshape(-1).to(
                pool.device)
        return pool.reshape(-1).index_select(0, idx).view(L, halves, G, size, r, r).prod(-3)

    def grad(self, pool: torch.Tensor, parts: list, grads: dict, batch: int, layers: int) -> torch.Tensor:
        """``pool`` (G, L, n, 1 + p, 2, 2): matrices and H, ``parts``: ``build``'s factors per part, ``grads``:
        ``plan_vjp``'s -> gradients (G, L, n, p)."""
        rows = [grads[2 * batch, j] for j in range(layers)]
        cols = [grads[2 * batch + 1, j] for j in range(layers)]
        G = rows[0].shape[0]
        if self.even:  # one stack: (L, 2, G, r, r) like the factors
            g = torch.stack([t for pair in zip(rows, cols) for t in pair]).unflatten(0, (layers, 2))
            n_q = _traced(parts[0], g, self.traces[self.n // 2])  # (L, 2, G, n / 2, 2, 2)
            n_q = n_q.permute(2, 0, 1, 3, 4, 5).reshape(G, layers, self.n, 2, 2)  # the pool's order
        else:
            n_q = torch.cat((_traced(parts[0][:, 0], torch.stack(rows), self.traces[self.n // 2]),
                             _traced(parts[1][:, 0], torch.stack(cols), self.traces[self.n - self.n // 2])),
                            dim=-3).transpose(0, 1)
        # Re <H_j, N_q>, H_j = m^H (2 dm / da_j) from the pool (twice the derivative, for the halved gradients):
        # the real inner products as real pairs
        h = pool[..., 1:, :, :]  # (G, L, n, p, 2, 2)
        if h.is_complex():
            return (torch.view_as_real(h) * torch.view_as_real(n_q)[..., None, :, :, :]).sum((-3, -2, -1))
        return (h * n_q[..., None, :, :]).sum((-2, -1))


def _half_spans(n: int) -> list[tuple[tuple[int, ...], int]]:
    """(first wires, wires per half) of what is built in one go: both halves together for an even number of
    wires, else the upper and the lower half apart."""
    h = n // 2
    return [((0, h), h)] if n % 2 == 0 else [((0,), h), ((h,), n - h)]


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
    r = a.shape[-1]
    n = torch.bmm(a.reshape(-1, r, r).mH, g.reshape(-1, r, r))  # the factors' own layout: views, no copies
    return torch.mm(n.view(-1, r * r), traces).view(*a.shape[:-2], -1, 2, 2)


# twice -i P / 2: the plan's gradients come halved (``plan_vjp(scale=1)``), as the factors' derivatives are doubled
_GENERATOR = {"RY": [[0, -1], [1, 0]], "RX": [[0, -1j], [-1j, 0]]}
ENCODER_GATES = tuple(_GENERATOR)


class _RotationEncoder:
    """RX or RY on |0>, one per wire (AngleEmbedding): the halves are Kronecker products of one-qubit states, and
    d state / d a_q = G_q state with G_q = -i P / 2 on wire q, so every input's gradient is Re <G_q a, g>: one
    product with the stacked G_q of a half and one inner product per half, no derivative states built."""

    def __init__(self, n: int, gate: str, cdtype, device):
        self.n = n
        self.even = n % 2 == 0  # both halves stacked on one axis
        self.complex = gate == "RX"  # RY's states are real whatever the rest of the circuit
        dtype = cdtype if self.complex else cdtype.to_real()
        self.generators = {}
        for size in {n // 2, n - n // 2}:
            gen = torch.tensor(_GENERATOR[gate], dtype=torch.complex128 if self.complex else torch.float64)
            stack = [_on_wire(gen, q, size) for q in range(size)]  # (2^size, 2^size) each
            self.generators[size] = torch.cat(stack).mT.to(dtype=dtype, device=device)  # (2^s, s 2^s): a @ it = G_q a
        # (cos, sin) = cos(h + (0, -pi/2)); RX's (cos, -i sin) is the same moduli at phases (0, -pi/2)
        self.offsets = torch.tensor([0, -torch.pi / 2], dtype=torch.float64, device=device).to(cdtype.to_real())
        self.spans = []  # per gathered span: RX's phases (or None), number of wires
        self._flat = []  # per span: flat (wire, bit) positions in (n, 2), as (halves, wire, r)
        for first_wires, size in _half_spans(n):
            x = torch.arange(2**size)[None, :]
            q = torch.arange(size)[:, None]
            bits = (x >> (size - 1 - q)) & 1  # (size, r)
            self._flat.append(torch.stack([(first + q) * 2 + bits for first in first_wires]).reshape(-1))
            phase = None
            if self.complex:
                phase = torch.tensor([(-1j) ** int(k) for k in bits.sum(0)], dtype=torch.complex128)
                phase = phase.to(dtype=cdtype, device=device)
            self.spans.append((phase, size))
        self._indices: dict = {}
        self.device = device

    def _index(self, span: int, batch: int) -> torch.Tensor:
        """``_flat[span]`` for every sample of a batch, positions in the flattened (B, n, 2) (a gather along the
        first axis; the few batch sizes of a run are kept)."""
        key = (span, batch)
        got = self._indices.get(key)
        if got is None:
            if len(self._indices) > 16:
                self._indices.clear()
            flat = self._flat[span]
            got = (torch.arange(batch)[:, None] * (2 * self.n) + flat[None]).reshape(-1).to(self.device)
            self._indices[key] = got
        return got

    def build(self, angles: torch.Tensor) -> tuple[tuple, list[torch.Tensor]]:
        """``angles`` (B, n) -> (tape, the product state's parts as ``product_terms.run_terms`` takes them).
        An amplitude of a half is a product of one (cos, sin) per wire (times (-i)^(number of ones) for RX): one
        gather of the moduli and one product."""
        B = angles.shape[0]
        v = torch.cos(torch.add(self.offsets, angles[:, :, None], alpha=0.5)).view(-1)  # (B, n, 2)
        halves = []
        for span, (phase, size) in enumerate(self.spans):
            m = v.index_select(0, self._index(span, B)).view(B, -1, size, 2**size).prod(-2)  # (B, halves, r)
            halves.append(m if phase is None else m * phase)
        # the tape keeps them sample-major (B, halves, r), as gathered: the gradient then comes out as (B, n)
        return tuple(halves), [m.transpose(0, 1)[:, None] for m in halves]

    def grad(self, tape, g_parts: list[torch.Tensor]) -> torch.Tensor:
        """The inputs' gradient (B, n) from the parts' (the real parts when the states are real)."""
        out = []
        for a, g in zip(tape, g_parts):  # a (B, halves, r), g (halves, 1, B, r)
            B, halves, r = a.shape
            size = r.bit_length() - 1
            ga = torch.mm(a.view(-1, r), self.generators[size]).view(B, halves, size, r)  # G_q a
            inner = ((ga.conj() if ga.is_complex() else ga) * g.view(halves, B, 1, r).transpose(0, 1)).sum(-1)
            out.append(inner.real if inner.is_complex() else inner)  # (B, halves, size)
        return (out[0] if self.even else torch.cat(out, dim=-1)).view(-1, self.n)


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
        self.encoder = _RotationEncoder(n, encoder_gate, cdtype, device)
        self.factors = _Factors(n, cdtype if complex_mode else cdtype.to_real(), device)


def _angles(slot: tuple, w: torch.Tensor) -> torch.Tensor:
    if slot[0] == "span":
        return w[:, slot[1]:slot[1] + slot[2]]
    return w[:, slot[1]] * slot[2].to(w.dtype)


class AngleStack(torch.autograd.Function):
    """Raw readouts, one (B, k) per task, of a group from the encoder's angles (B, n) and its G tasks' weight
    vectors. Taking the inputs and weights themselves (not views or stacks of them) and returning one output per
    task keeps every other node out of the autograd graph."""

    @staticmethod
    def forward(ctx, chain: Chain, enc_angles: torch.Tensor, *weights: torch.Tensor):
        n, cm, cdt = chain.n, chain.complex_mode, chain.cdtype
        w = torch.stack([t.to(device=enc_angles.device, dtype=enc_angles.dtype) for t in weights])  # (G, n_w)
        enc_v, parts = chain.encoder.build(enc_angles)
        factors, part_factors, pools = [], [], []
        for (name, layers), slot in zip(chain.batches, chain.slots):
            a = _angles(slot, w)
            pool = with_derivatives(name, a.unflatten(-1, (layers, n, NPARAMS[name])), cm, cdt)
            rows, cols, per_part = chain.factors.build(pool)
            factors += [rows, cols]  # (G, L, r, r) each
            part_factors.append(per_part)
            pools.append(pool)  # (G, L, n, 1 + p, 2, 2)
        raw, ctx.tape = run_plan(chain.plan, None, factors, (parts, part_factors))
        ctx.chain, ctx.enc_v, ctx.pools, ctx.part_factors = chain, enc_v, pools, part_factors
        ctx.enc_dtype, ctx.weights = enc_angles.dtype, [(t.dtype, t.device) for t in weights]
        return raw.unbind(0)

    @staticmethod
    def backward(ctx, *g_tasks: torch.Tensor):
        chain = ctx.chain
        g_raw = torch.stack(g_tasks)  # (G, B, k); an unused task's comes as zeros
        want_enc = ctx.needs_input_grad[1]
        # the pool's H are twice the derivatives' (m^H 2 dm/da), and the adjoint's factor 2 is left out: even
        g_parts, g_factors = plan_vjp(ctx.tape, g_raw, want_enc, scale=1.0)
        out: list = [None] * len(ctx.weights)
        if any(ctx.needs_input_grad[2:]):
            batches = zip(ctx.pools, ctx.part_factors, chain.batches)
            per_batch = [chain.factors.grad(pool, parts, g_factors, i, layers).flatten(-3)
                         for i, (pool, parts, (_, layers)) in enumerate(batches)]
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
            if not chain.encoder.complex and g_parts[0].is_complex():  # real amplitudes: the real part is the gradient
                g_parts = [g.real for g in g_parts]
            g_enc = chain.encoder.grad(ctx.enc_v, g_parts).to(ctx.enc_dtype)
        ctx.tape = ctx.pools = ctx.part_factors = ctx.enc_v = None
        return (None, g_enc, *out)
