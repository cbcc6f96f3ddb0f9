"""A fused forward and hand-written backward for the stacked task blocks of the torch engine.

A task block made of weight-only one-qubit rotation layers (each applied as two Kronecker factors: the upper
half of the wires x the lower half) and permutation gates (CNOT rings) runs here as one autograd node. The
forward keeps the states between factors; the backward walks the gates in reverse (adjoint style) and computes,
per factor, the gradient for the factor matrix (autograd carries it on to the rotation angles) and the gradient
for the state, down to the shared encoded state. The tasks of a group run stacked on a leading axis.

Why: at small batches the generic path's cost is per-op overhead (about 70 autograd nodes per step). Here a
layer is two matrix products forward and five backward. States are held as (task, upper wires, lower wires,
batch), the batch innermost: the row factor is one product with (upper wires) x (lower wires * batch), the column
factor one batched product over (task, upper wires), and a permutation gathers whole rows of the batch (2^n
indices, whatever the batch: at batch 1024 a tenth of the time of gathering single amplitudes). Probabilities
and readouts are taken in the same layout, so no state is ever transposed.
"""

from __future__ import annotations

import torch

from workbench.engines.product_terms import run_terms, terms_prefix, terms_vjp


class Plan:
    """The block as ("kron", batch, layer) and ("perm", index, inverse) steps, and the readout matrix."""

    def __init__(self, ops: list[tuple], readout: torch.Tensor, n: int, widths: list[int] | None = None):
        self.h = n // 2
        self.R, self.C = 2**self.h, 2 ** (n - self.h)
        self.D = self.R * self.C
        self.tail = None
        if ops and ops[-1][0] == "perm":  # the last permutation is applied to the readout matrix instead
            self.tail = ops[-1][1]
            readout = readout.index_select(0, torch.argsort(self.tail))  # sum_k p[perm[k]] M[k] = sum_j p[j] M[inv[j]]
            ops = ops[:-1]
        self.ops = ops
        # tasks of a group with readouts of one width: task g reads its own columns only (G, D, k), so its raw
        # readouts need no slicing out of everyone's (and their gradients no zero-padding back)
        self.per_task = bool(widths) and len(set(widths)) == 1
        if self.per_task:
            readout = readout.reshape(readout.shape[0], len(widths), widths[0]).transpose(0, 1)
        else:
            readout = readout[None]
        self.readout = readout.contiguous()  # (G or 1, D, k)
        self.readout_t = self.readout.transpose(1, 2).contiguous()  # (G or 1, k, D)
        self._cast: dict = {}
        # from a product-state input: the first ``n_terms`` ops run on a sum of product states (product_terms)
        self.n_terms, self._splits = terms_prefix(self.ops, self.R, self.C)

    def term_splits(self, dtype):
        """``(i, G) -> ``: the split of permutation op i per part of the terms (product_terms), in ``dtype``, once
        per task: (h G, r, J r) (constants, made once per task count)."""
        def cast(i, G):
            key = (i, dtype, G)
            got = self._cast.get(key)
            if got is None:
                got = self._cast[key] = [
                    t.to(dtype=dtype, device=self.readout.device).unsqueeze(1).expand(-1, G, -1, -1)
                    .reshape(-1, *t.shape[-2:]) for t in self._splits[i]]
            return got
        return cast

    def pair_readout_t(self, dtype) -> torch.Tensor:
        """The readout's transpose (G or 1, k, 2 D) with every column twice: for the (re, im) pairs of states."""
        key = ("pairs", dtype)
        got = self._cast.get(key)
        if got is None:
            got = self._cast[key] = self.readout_t.repeat_interleave(2, dim=2).to(dtype)
        return got

    def readouts(self, dtype, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        key = (dtype, scale)
        got = self._cast.get(key)
        if got is None:
            got = self._cast[key] = ((self.readout * scale).to(dtype), (self.readout_t * scale).to(dtype))
        return got


class Tape:
    """What ``plan_vjp`` needs from ``run_plan``: the terms' tape, the states between factors and the final states."""

    __slots__ = ("plan", "ops", "saved", "final", "layers", "terms")


def run_plan(plan: Plan, enc: torch.Tensor | None, factors: list[torch.Tensor],
             halves: tuple | None = None) -> tuple[torch.Tensor, Tape]:
    """Raw readouts (G, B, k) of every task of a group, and the tape for ``plan_vjp``.

    ``enc``: the shared encoded state (1, B, D); or None and ``halves`` = (parts, part factors), a product state
    and the Kronecker factors as ``product_terms.run_terms`` takes them: the plan's first ``n_terms`` ops then run
    on a sum of product states and the state is built after them.
    ``factors``: per prologue batch, the row factors (G, L, R, R) and the column factors (G, L, C, C) of its L
    layers."""
    R, C, D = plan.R, plan.C, plan.D
    G = factors[0].shape[0]
    dtype = (enc if enc is not None else halves[0][0]).dtype
    for f in factors:
        dtype = torch.promote_types(dtype, f.dtype)
    ops = plan.ops
    tape = Tape()
    tape.plan, tape.terms, tape.saved = plan, None, []
    tape.layers = [f.shape[1] for f in factors]
    if halves is not None:
        psi, tape.terms = run_terms(ops[:plan.n_terms], plan.term_splits(dtype), *halves, dtype)
        B = psi.shape[1]
        ops = ops[plan.n_terms:]
        if not ops:  # the whole block ran on terms: read out in their layout (G, B, R, C)
            tape.ops, tape.final = ops, psi.expand(G, B, R, C) if psi.shape[0] == 1 else psi
            return _readout_by_sample(plan, tape.final), tape
        s = psi.permute(0, 2, 3, 1).contiguous()  # (G, R, C, B)
    else:
        B = enc.shape[1]
        s = enc[0].to(dtype).T.contiguous().view(1, R, C, B)
    tape.ops = ops
    saved = tape.saved
    for op in ops:
        if op[0] == "kron":
            A, Cf = factors[2 * op[1]][:, op[2]].to(dtype), factors[2 * op[1] + 1][:, op[2]].to(dtype)
            if s.shape[0] == 1:  # the shared state: every task's row factor in one product
                t = torch.matmul(A.reshape(G * R, R), s.view(R, C * B)).view(G, R, C, B)
            else:
                t = torch.bmm(A, s.view(G, R, C * B)).view(G, R, C, B)
            # the column factor for every row: expanded once, and its conjugate transpose in the backward is a
            # view of the same copy
            Cf = Cf[:, None].expand(G, R, C, C).contiguous()
            saved.append((s, t, A, Cf))
            s = torch.matmul(Cf, t)  # (G, R, C, C) @ (G, R, C, B)
        else:
            s = s.view(-1, D, B).index_select(1, op[1]).view(-1, R, C, B)
    if s.shape[0] == 1 and G > 1:
        s = s.expand(G, R, C, B)
    tape.final = s
    if not s.is_complex():
        _, readout_t = plan.readouts(s.dtype)
        return torch.matmul(readout_t, s.square().view(G, D, B)).transpose(1, 2), tape
    # |amplitude|^2 summed by the readout over re^2 and im^2 alike: squares in real arithmetic, one product
    squares = torch.view_as_real(s).square().view(G, D, 2 * B)
    _, readout_t = plan.readouts(squares.dtype)
    return torch.matmul(readout_t, squares).view(G, -1, B, 2).sum(-1).transpose(1, 2), tape


def _readout_by_sample(plan: Plan, psi: torch.Tensor) -> torch.Tensor:
    """Raw readouts (G, B, k) of states (G, B, R, C). (The readout on the left: a product with k = 2 columns on the
    right runs at a third of the speed.)"""
    G, B = psi.shape[:2]
    if not psi.is_complex():
        return torch.matmul(plan.readouts(psi.dtype)[1], psi.square().view(G, B, plan.D).mT).transpose(1, 2)
    squares = torch.view_as_real(psi).square().view(G, B, 2 * plan.D)  # (re, im) pairs: the readout's rows twice
    return _product(plan.pair_readout_t(squares.dtype), squares.mT).transpose(1, 2)


def _product(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a @ b for 3-d operands: a batched product when their batches match (no broadcasting machinery), else one
    that broadcasts a readout shared by the tasks."""
    return torch.bmm(a, b) if a.shape[0] == b.shape[0] else torch.matmul(a, b)


def plan_vjp(tape: Tape, g_raw: torch.Tensor, want_enc: bool, scale: float = 2.0) -> tuple:
    """Backward of ``run_plan`` from the gradient ``g_raw`` (G, B, k) for its readouts: the gradient for the
    encoded state (``enc``, or the list of the parts of ``halves``; None unless ``want_enc``) and, by (factor,
    layer), for the row and column
    factors (G, r, r) of the prologue batches (factor 2b: batch b's rows, 2b + 1 its columns), in the arithmetic of
    the states. All are ``scale / 2`` times the true gradients (for a
    caller whose next step doubles them)."""
    plan, s = tape.plan, tape.final
    # d loss / d conj(state) (torch's convention for complex gradients) = 2 g_probs state, g_probs = the readout
    # times g_raw, in real arithmetic (a complex product with only 2 columns is 4x slower than the real one)
    rdt = s.real.dtype if s.is_complex() else s.dtype
    readout, readout_t = plan.readouts(rdt, scale)
    grads: dict = {}
    if not tape.ops and tape.terms is not None:  # final states (G, B, R, C)
        lam = s * _product(g_raw.to(rdt), readout_t).view(s.shape)
    else:
        G, R, C, B = s.shape
        D = R * C
        g_probs = torch.matmul(readout, g_raw.to(rdt).transpose(1, 2)).view(G, R, C, B)  # (G, D, B), times scale
        lam = s * g_probs
        k = len(tape.saved)
        for op in reversed(tape.ops):
            if op[0] == "perm":
                lam = lam.view(-1, D, B).index_select(1, op[2]).view(-1, R, C, B)
                continue
            k -= 1
            s_in, t, A, Cf = tape.saved[k]
            # u = C t per (task, row): dC = sum over rows and batch of lam t^H, dt = C^H lam
            grads[2 * op[1] + 1, op[2]] = torch.matmul(lam, t.conj().transpose(-1, -2)).sum(1)
            lam_t = torch.matmul(Cf.mH, lam)  # (G, R, C, B)
            # t = A s: dA = lam_t s^H, ds = A^H lam_t (summed over tasks for the shared state)
            if s_in.shape[0] == 1:
                grads[2 * op[1], op[2]] = torch.matmul(lam_t.reshape(G * R, C * B),
                                                       s_in.view(R, C * B).conj().T).view(G, R, R)
                lam = torch.matmul(A.mH.transpose(0, 1).reshape(R, G * R),
                                   lam_t.reshape(G * R, C * B)).view(1, R, C, B)
            else:
                grads[2 * op[1], op[2]] = torch.bmm(lam_t.view(G, R, C * B), s_in.view(G, R, C * B).mH)
                lam = torch.bmm(A.mH, lam_t.view(G, R, C * B)).view(G, R, C, B)
        if tape.terms is None:
            g_enc = None
            if want_enc:
                g_enc = (lam.sum(0) if lam.shape[0] > 1 else lam[0]).reshape(D, B).T[None]
            return g_enc, grads
        lam = lam.permute(0, 3, 1, 2)  # (G, B, R, C), the terms' layout
    return terms_vjp(tape.terms, lam, grads, want_enc), grads


def stack_layers(tape: Tape, grads: dict) -> list[torch.Tensor]:
    """``plan_vjp``'s gradients per (factor, layer) as one (G, L, r, r) tensor per factor."""
    return [torch.stack([grads[f, j] for j in range(layers)], dim=1) for f, layers in enumerate(tape.layers)]


class AdjointStack(torch.autograd.Function):
    """Raw readouts (G, B, k) = readout(|block_g(enc)|^2) for every task g of a group from the encoded state
    (1, B, D) and the factors, as ``run_plan``, with ``plan_vjp`` as its backward. (A product-state encoder takes
    ``angle_stack`` instead, which starts from the angles.)"""

    @staticmethod
    def forward(ctx, enc: torch.Tensor, plan: Plan, *factors: torch.Tensor):
        raw, ctx.tape = run_plan(plan, enc, list(factors))
        ctx.enc_dtype = enc.dtype
        ctx.factor_dtypes = [f.dtype for f in factors]
        return raw

    @staticmethod
    def backward(ctx, g_raw: torch.Tensor):
        g_enc, grads = plan_vjp(ctx.tape, g_raw, ctx.needs_input_grad[0])
        grads = stack_layers(ctx.tape, grads)
        ctx.tape = None
        out = [g if dt.is_complex else g.real for g, dt in zip(grads, ctx.factor_dtypes)]
        if g_enc is not None and not ctx.enc_dtype.is_complex and g_enc.is_complex():
            g_enc = g_enc.real
        if g_enc is not None:
            g_enc = g_enc.to(ctx.enc_dtype)
        return (g_enc, None, *out)
