"""One autograd node from rotation angles to readouts, for a product-state encoder and fused task blocks.

The node takes the encoder's angles (one layer of RX, RY or Rot gates, one per wire: AngleEmbedding and the like)
and the angles of every rotation layer of a group's blocks. Inside it builds the encoder's two product-state
halves and the blocks' Kronecker factors, runs ``adjoint_stack.run_plan``, and in the backward turns
``plan_vjp``'s gradients for the factors and halves into gradients for the angles.

A factor is the Kronecker product of its wires' matrices, so its derivative in one angle is the same product with
that wire's matrix replaced by its derivative (half the matrix at the angle shifted by pi). The forward builds
the factor and all those derivatives in one vectorised Kronecker tree (for 4 wires x 3 angles, 13 products of
16 x 16 instead of 1), and the backward is then one product and sum per factor: the angle's gradient is the real
part of <d factor / d angle, gradient for the factor>.

Why: at batch 32 the step's cost is per-op overhead, and the autograd graph around the fused adjoint node (angle
matrices, Kronecker trees, the product encoder) held about 60 nodes whose backward cost more than the node
itself.
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


class Chain:
    """The fixed part of a group's node: its plan, the encoder's gate, and per prologue batch of the blocks'
    rotation layers, the gate and the number of layers."""

    def __init__(self, plan: Plan, n: int, encoder_gate: str, batches: list[tuple[str, int]], complex_mode: bool,
                 cdtype: torch.dtype, device):
        self.plan, self.n, self.encoder_gate, self.batches = plan, n, encoder_gate, batches
        self.complex_mode, self.cdtype = complex_mode, cdtype
        self.layouts = {p: _Variants(n, p, device) for p in {NPARAMS[encoder_gate]} |
                        {NPARAMS[name] for name, _ in batches}}


class AngleStack(torch.autograd.Function):
    """Raw readouts (G, B, k) of a group from the encoder's angles (1, B, n p) and, per prologue batch, its layers'
    angles (G, 1, L n p) in (layer, wire, parameter) order."""

    @staticmethod
    def forward(ctx, chain: Chain, enc_angles: torch.Tensor, *angles: torch.Tensor):
        n, cm, cdt = chain.n, chain.complex_mode, chain.cdtype
        pe = NPARAMS[chain.encoder_gate]
        m = with_derivatives(chain.encoder_gate, enc_angles.unflatten(-1, (n, pe)), cm, cdt)
        enc_v, top, bottom = chain.layouts[pe].build(m[..., :1])  # first columns: the gates on |0>
        factors, variants = [], []
        for (name, layers), a in zip(chain.batches, angles):
            p = NPARAMS[name]
            m = with_derivatives(name, a[:, 0].unflatten(-1, (layers, n, p)), cm, cdt)  # (G, L, n, 1 + p, 2, 2)
            v, rows, cols = chain.layouts[p].build(m)
            factors += [rows, cols]
            variants.append(v)
        raw, ctx.tape = run_plan(chain.plan, top[..., 0], bottom[..., 0], factors)
        ctx.chain, ctx.enc_v, ctx.variants = chain, enc_v, variants
        ctx.dtypes = (enc_angles.dtype, *(a.dtype for a in angles))
        return raw.transpose(1, 2)

    @staticmethod
    def backward(ctx, g_raw: torch.Tensor):
        chain = ctx.chain
        want_enc = ctx.needs_input_grad[1]
        # the derivative matrices are twice the derivatives, and the adjoint's factor 2 is left out: even
        g_top, g_bottom, g_factors = plan_vjp(ctx.tape, g_raw, want_enc, scale=1.0)
        out = []
        for i, ((name, _), v) in enumerate(zip(chain.batches, ctx.variants)):
            if ctx.needs_input_grad[2 + i]:
                g = chain.layouts[NPARAMS[name]].grad(v, g_factors[2 * i], g_factors[2 * i + 1])  # (G, L, n p)
                out.append(g.flatten(-2)[:, None].to(ctx.dtypes[1 + i]))
            else:
                out.append(None)
        g_enc = None
        if want_enc:
            layout = chain.layouts[NPARAMS[chain.encoder_gate]]
            g_enc = layout.grad(ctx.enc_v, g_top[..., None], g_bottom[..., None]).to(ctx.dtypes[0])
        ctx.tape = ctx.variants = ctx.enc_v = None
        return (None, g_enc, *out)
