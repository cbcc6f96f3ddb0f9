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

    def readouts(self, dtype, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        key = (dtype, scale)
        got = self._cast.get(key)
        if got is None:
            got = self._cast[key] = ((self.readout * scale).to(dtype), (self.readout_t * scale).to(dtype))
        return got


class Tape:
    """What ``plan_vjp`` needs from ``run_plan``: the states between factors and the final states."""

    __slots__ = ("plan", "ops", "saved", "final", "product", "factors_of_product", "layers")


def run_plan(plan: Plan, enc: torch.Tensor, enc_cols: torch.Tensor | None,
             factors: list[torch.Tensor]) -> tuple[torch.Tensor, Tape]:
    """Raw readouts (G, k, B) of every task of a group, and the tape for ``plan_vjp``.

    ``enc``: the shared encoded state (1, B, D); or, when ``enc_cols`` is given, a product state given by its
    upper-wire factor ``enc`` (1, B, R) and lower-wire factor ``enc_cols`` (1, B, C): a first Kronecker layer then
    acts on the two small factors (O(B (R^2 + C^2)) instead of O(B D (R + C)), forward and backward).
    ``factors``: per prologue batch, the row factors (G, L, R, R) and the column factors (G, L, C, C) of its L
    layers."""
    B = enc.shape[1]
    R, C, D = plan.R, plan.C, plan.D
    G = factors[0].shape[0]
    dtype = enc.dtype
    for f in factors:
        dtype = torch.promote_types(dtype, f.dtype)
    ops = plan.ops
    tape = Tape()
    tape.plan = plan
    tape.layers = [f.shape[1] for f in factors]
    tape.product = tape.factors_of_product = None
    if enc_cols is not None and ops and ops[0][0] == "kron":
        op = ops[0]
        A, Cf = factors[2 * op[1]][:, op[2]].to(dtype), factors[2 * op[1] + 1][:, op[2]].to(dtype)
        a, c = enc[0].to(dtype), enc_cols[0].to(dtype)  # (B, R), (B, C)
        alpha = torch.matmul(A.reshape(G * R, R), a.T).view(G, R, 1, B)
        gamma = torch.matmul(Cf.reshape(G * C, C), c.T).view(G, 1, C, B)
        s = alpha * gamma  # (G, R, C, B)
        tape.product = (a, c, alpha, gamma, A, Cf, op)
        ops = ops[1:]
    elif enc_cols is not None:
        a, c = enc[0].to(dtype), enc_cols[0].to(dtype)
        tape.factors_of_product = (a, c)
        s = (a.T[:, None, :] * c.T[None, :, :])[None]  # (1, R, C, B)
    else:
        s = enc[0].to(dtype).T.contiguous().view(1, R, C, B)
    tape.ops = ops
    saved = []
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
    tape.saved, tape.final = saved, s
    if not s.is_complex():
        _, readout_t = plan.readouts(s.dtype)
        return torch.matmul(readout_t, s.square().view(G, D, B)), tape
    # |amplitude|^2 summed by the readout over re^2 and im^2 alike: squares in real arithmetic, one product
    squares = torch.view_as_real(s).square().view(G, D, 2 * B)
    _, readout_t = plan.readouts(squares.dtype)
    return torch.matmul(readout_t, squares).view(G, -1, B, 2).sum(-1), tape


def plan_vjp(tape: Tape, g_raw: torch.Tensor, want_enc: bool, scale: float = 2.0) -> tuple:
    """Backward of ``run_plan`` from the gradient ``g_raw`` (G, B, k) for its readouts: the gradients for the
    encoded state (``enc``, ``enc_cols``; None unless ``want_enc``) and, by (factor, layer), for the row and column
    factors (G, r, r) of the prologue batches (factor 2b: batch b's rows, 2b + 1 its columns), in the arithmetic of
    the states. All are ``scale / 2`` times the true gradients (for a
    caller whose next step doubles them)."""
    plan, s = tape.plan, tape.final
    G, R, C, B = s.shape
    D = R * C
    # d loss / d conj(state) (torch's convention for complex gradients) = 2 g_probs state, g_probs = the readout
    # times g_raw, in real arithmetic (a complex product with only 2 columns is 4x slower than the real one)
    rdt = s.real.dtype if s.is_complex() else s.dtype
    readout, _ = plan.readouts(rdt, scale)
    g_probs = torch.matmul(readout, g_raw.to(rdt).transpose(1, 2)).view(G, R, C, B)  # (G, D, B), times scale
    lam = s * g_probs
    grads: dict = {}
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
    g_enc = g_cols = None
    if tape.product is not None:
        a, c, alpha, gamma, A, Cf, op = tape.product
        g_alpha = (lam * gamma.conj()).sum(2)  # (G, R, B)
        g_gamma = (lam * alpha.conj()).sum(1)  # (G, C, B)
        grads[2 * op[1], op[2]] = torch.matmul(g_alpha.reshape(G * R, B), a.conj()).view(G, R, R)
        grads[2 * op[1] + 1, op[2]] = torch.matmul(g_gamma.reshape(G * C, B), c.conj()).view(G, C, C)
        if want_enc:
            g_enc = torch.matmul(A.mH.transpose(0, 1).reshape(R, G * R), g_alpha.reshape(G * R, B)).T[None]
            g_cols = torch.matmul(Cf.mH.transpose(0, 1).reshape(C, G * C), g_gamma.reshape(G * C, B)).T[None]
    elif want_enc:
        if lam.shape[0] > 1:
            lam = lam.sum(0, keepdim=True)
        lam = lam[0]  # (R, C, B)
        if tape.factors_of_product is not None:  # the product state was expanded: back to its two factors
            a, c = tape.factors_of_product
            g_enc = (lam * c.conj().T[None]).sum(1).T[None]  # (1, B, R)
            g_cols = (lam * a.conj().T[:, None]).sum(0).T[None]  # (1, B, C)
        else:
            g_enc = lam.reshape(D, B).T[None]
    return g_enc, g_cols, grads


def stack_layers(tape: Tape, grads: dict) -> list[torch.Tensor]:
    """``plan_vjp``'s gradients per (factor, layer) as one (G, L, r, r) tensor per factor."""
    return [torch.stack([grads[f, j] for j in range(layers)], dim=1) for f, layers in enumerate(tape.layers)]


class AdjointStack(torch.autograd.Function):
    """Raw readouts (G, B, k) = readout(|block_g(enc)|^2) for every task g of a group from the encoded state
    (1, B, D) and the factors, as ``run_plan``, with ``plan_vjp`` as its backward. (A product-state encoder takes
    ``angle_stack`` instead, which starts from the angles.)"""

    @staticmethod
    def forward(ctx, enc: torch.Tensor, plan: Plan, *factors: torch.Tensor):
        raw, ctx.tape = run_plan(plan, enc, None, list(factors))
        ctx.enc_dtype = enc.dtype
        ctx.factor_dtypes = [f.dtype for f in factors]
        return raw.transpose(1, 2)

    @staticmethod
    def backward(ctx, g_raw: torch.Tensor):
        g_enc, _, grads = plan_vjp(ctx.tape, g_raw, ctx.needs_input_grad[0])
        grads = stack_layers(ctx.tape, grads)
        ctx.tape = None
        out = [g if dt.is_complex else g.real for g, dt in zip(grads, ctx.factor_dtypes)]
        if g_enc is not None and not ctx.enc_dtype.is_complex and g_enc.is_complex():
            g_enc = g_enc.real
        if g_enc is not None:
            g_enc = g_enc.to(ctx.enc_dtype)
        return (g_enc, None, *out)
