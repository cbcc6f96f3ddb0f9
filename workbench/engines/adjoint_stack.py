"""A fused forward and hand-written backward for the stacked task blocks of the torch engine.

A task block made of weight-only one-qubit rotation layers (each applied as two Kronecker factors: the upper
half of the wires x the lower half) and permutation gates (CNOT rings) runs here as one autograd node. The
forward keeps the states between factors; the backward walks the gates in reverse (adjoint style) and computes,
per factor, the gradient for the factor matrix (autograd carries it on to the rotation angles) and the gradient
for the state, down to the shared encoded state. The tasks of a group run stacked on a leading axis.

Why: at small batches the generic path's cost is per-op overhead (about 70 autograd nodes per step). Here a
layer is two matrix products forward and five backward. States are held as (task, upper wires, batch, lower
wires): the row factor is then one product with (upper wires) x (batch * lower wires), the column factor one
product with (task) x (upper wires * batch) x (lower wires), and permutations and the change of layout at either
end are single gathers with indices cached per batch size.
"""

from __future__ import annotations

import torch


class Plan:
    """The block as ("kron", batch, layer) and ("perm", index) steps, with the gather indices per batch size."""

    def __init__(self, ops: list[tuple], readout: torch.Tensor, n: int):
        self.h = n // 2
        self.R, self.C = 2**self.h, 2 ** (n - self.h)
        self.D = self.R * self.C
        self.tail = None
        if ops and ops[-1][0] == "perm":  # read the permuted state by gathering it in the final change of layout
            self.tail = ops[-1][1]
            ops = ops[:-1]
        self.ops = ops
        self.readout = readout.contiguous()  # (D, k)
        self._cache: dict[int, dict] = {}

    def indices(self, B: int, device) -> dict:
        """Gathers on flattened states for batch B: layout (R, B, C) <-> (B, D), and each permutation in (R, B, C)."""
        got = self._cache.get(B)
        if got is None:
            R, C, D = self.R, self.C, self.D
            d = torch.arange(D, device=device)
            b = torch.arange(B, device=device)
            # position in (R, B, C) layout of amplitude d of sample b
            pos = (d // C)[None, :] * (B * C) + b[:, None] * C + (d % C)[None, :]  # (B, D)

            def in_rbc(perm):  # out[r, b, c] = in at amplitude perm[(r, c)] of sample b
                return pos[:, perm].reshape(B, R, C).permute(1, 0, 2).reshape(-1)

            to_rbc = torch.empty(B * D, dtype=torch.long, device=device)
            to_rbc[pos.reshape(-1)] = torch.arange(B * D, device=device)
            tail = self.tail if self.tail is not None else d
            got = {"to_rbc": to_rbc,  # (B, D) flat -> (R, B, C) flat
                   "to_bd": pos.reshape(-1),  # and back
                   "from_rbc": pos[:, tail].reshape(-1),  # (R, B, C) flat -> (B, D) flat, trailing perm applied
                   "perms": {id(op[1]): in_rbc(op[1]) for op in self.ops if op[0] == "perm"}}
            got["from_rbc_inv"] = torch.argsort(got["from_rbc"])
            got["perms_inv"] = {k: torch.argsort(v) for k, v in got["perms"].items()}
            self._cache = {B: got, **dict(list(self._cache.items())[:3])}
        return got


def _probs(s: torch.Tensor) -> torch.Tensor:
    return torch.view_as_real(s).square().sum(-1) if s.is_complex() else s.square()


class AdjointStack(torch.autograd.Function):
    """Raw readouts (G, B, k) = readout(|block_g(enc)|^2) for every task g of a group.

    ``enc``: the shared encoded state (1, B, D); or, when ``enc_cols`` is given, a product state given by its
    upper-wire factor ``enc`` (1, B, R) and lower-wire factor ``enc_cols`` (1, B, C): a first Kronecker layer then
    acts on the two small factors (O(B (R^2 + C^2)) instead of O(B D (R + C)), forward and backward).
    ``factors``: per prologue batch, the row factors (G, L, R, R) and the column factors (G, L, C, C) of its L
    layers."""

    @staticmethod
    def forward(ctx, enc: torch.Tensor, enc_cols: torch.Tensor | None, plan: Plan, *factors: torch.Tensor):
        B = enc.shape[1]
        R, C, D = plan.R, plan.C, plan.D
        ctx.saved_factors = None
        G = factors[0].shape[0]
        idx = plan.indices(B, enc.device)
        dtype = enc.dtype
        for f in factors:
            dtype = torch.promote_types(dtype, f.dtype)
        ops = plan.ops
        ctx.product = None
        if enc_cols is not None and ops and ops[0][0] == "kron":
            op = ops[0]
            A, Cf = factors[2 * op[1]][:, op[2]].to(dtype), factors[2 * op[1] + 1][:, op[2]].to(dtype)
            a, c = enc[0].to(dtype), enc_cols[0].to(dtype)  # (B, R), (B, C)
            alpha = torch.matmul(A.reshape(G * R, R), a.T).view(G, R, B)
            gamma = torch.matmul(Cf.reshape(G * C, C), c.T).view(G, C, B)
            s = (alpha[..., None] * gamma.transpose(1, 2)[:, None]).reshape(G, R, B * C)
            ctx.product = (a, c, alpha, gamma, A, Cf, op)
            ops = ops[1:]
        elif enc_cols is not None:
            ctx.saved_factors = (enc[0].to(dtype), enc_cols[0].to(dtype))
            full = (enc[0][:, :, None] * enc_cols[0][:, None, :]).reshape(B * D)
            s = full.to(dtype).index_select(0, idx["to_rbc"]).view(1, R, B * C)
        else:
            s = enc.reshape(B * D).to(dtype).index_select(0, idx["to_rbc"]).view(1, R, B * C)
        ctx.ops = ops
        saved = []
        for op in ops:
            if op[0] == "kron":
                A, Cf = factors[2 * op[1]][:, op[2]].to(dtype), factors[2 * op[1] + 1][:, op[2]].to(dtype)
                if s.shape[0] == 1:  # the shared state: every task's row factor in one product
                    t = torch.matmul(A.reshape(G * R, R), s[0]).view(G, R, B * C)
                else:
                    t = torch.bmm(A, s)
                u = torch.bmm(t.view(G, R * B, C), Cf.mT)
                saved.append((s, t, A, Cf))
                s = u.view(G, R, B * C)
            else:
                s = s.reshape(s.shape[0], -1).index_select(1, idx["perms"][id(op[1])]).view(-1, R, B * C)
        s = s.reshape(s.shape[0], -1).index_select(1, idx["from_rbc"]).view(-1, B, D)
        if s.shape[0] == 1 and G > 1:
            s = s.expand(G, B, D)
        raw = torch.matmul(_probs(s), plan.readout.to(s.real.dtype if s.is_complex() else s.dtype))
        ctx.plan, ctx.saved, ctx.final, ctx.idx = plan, saved, s, idx
        ctx.enc_dtype = enc.dtype
        ctx.has_cols = enc_cols is not None
        ctx.factor_dtypes = [f.dtype for f in factors]
        return raw

    @staticmethod
    def backward(ctx, g_raw: torch.Tensor):
        plan, s, idx = ctx.plan, ctx.final, ctx.idx
        G, B, D = s.shape
        R, C = plan.R, plan.C
        rdt = s.real.dtype if s.is_complex() else s.dtype
        g_probs = torch.matmul(g_raw.to(rdt), plan.readout.to(rdt).t())  # (G, B, D)
        lam = (2 * g_probs) * s  # d loss / d conj(state), in torch's convention for complex gradients
        lam = lam.reshape(G, B * D).index_select(1, idx["from_rbc_inv"]).view(G, R, B * C)
        grads: list = [{} for _ in ctx.factor_dtypes]
        k = len(ctx.saved)
        for op in reversed(ctx.ops):
            if op[0] == "perm":
                lam = lam.reshape(G, -1).index_select(1, idx["perms_inv"][id(op[1])]).view(G, R, B * C)
                continue
            k -= 1
            s_in, t, A, Cf = ctx.saved[k]
            lam_u = lam.view(G, R * B, C)
            t3 = t.view(G, R * B, C)
            # u = t C^T: dC = (t^H lam_u)^T, dt = lam_u conj(C)
            grads[2 * op[1] + 1][op[2]] = torch.bmm(t3.mH, lam_u).mT
            lam_t = torch.bmm(lam_u, Cf.conj()).view(G, R, B * C)
            # t = A s: dA = lam_t s^H, ds = A^H lam_t (summed over tasks for the shared state)
            if s_in.shape[0] == 1:
                grads[2 * op[1]][op[2]] = torch.matmul(lam_t.reshape(G * R, B * C), s_in[0].mH).view(G, R, R)
                lam = torch.matmul(A.mH.transpose(0, 1).reshape(R, G * R), lam_t.reshape(G * R, B * C))[None]
            else:
                grads[2 * op[1]][op[2]] = torch.bmm(lam_t, s_in.mH)
                lam = torch.bmm(A.mH, lam_t)
        g_enc = g_cols = None
        if ctx.product is not None:
            a, c, alpha, gamma, A, Cf, op = ctx.product
            lam4 = lam.view(G, R, B, C)
            g_alpha = (lam4 * gamma.conj().transpose(1, 2)[:, None]).sum(-1)  # (G, R, B)
            g_gamma = (lam4 * alpha.conj()[..., None]).sum(1).transpose(1, 2)  # (G, C, B)
            grads[2 * op[1]][op[2]] = torch.matmul(g_alpha.reshape(G * R, B), a.conj()).view(G, R, R)
            grads[2 * op[1] + 1][op[2]] = torch.matmul(g_gamma.reshape(G * C, B), c.conj()).view(G, C, C)
            if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
                g_enc = torch.matmul(A.mH.transpose(0, 1).reshape(R, G * R), g_alpha.reshape(G * R, B)).T[None]
                g_cols = torch.matmul(Cf.mH.transpose(0, 1).reshape(C, G * C), g_gamma.reshape(G * C, B)).T[None]
        out = []
        for per_layer, dt in zip(grads, ctx.factor_dtypes):
            g = torch.stack([per_layer[i] for i in range(len(per_layer))], dim=1)
            out.append(g if dt.is_complex else g.real)
        if ctx.product is None and (ctx.needs_input_grad[0] or ctx.needs_input_grad[1]):
            if lam.shape[0] > 1:
                lam = lam.sum(0, keepdim=True)
            g_full = lam.reshape(-1).index_select(0, idx["to_bd"]).view(B, R, C)
            if ctx.has_cols:  # the product state was expanded: back to its two factors
                a, c = ctx.saved_factors
                g_enc = (g_full * c.conj()[:, None, :]).sum(-1)[None]
                g_cols = (g_full * a.conj()[:, :, None]).sum(1)[None]
            else:
                g_enc = g_full.view(1, B, D)
        if g_enc is not None and not ctx.enc_dtype.is_complex and g_enc.is_complex():
            g_enc, g_cols = g_enc.real, (None if g_cols is None else g_cols.real)
        if g_enc is not None:
            g_enc = g_enc.to(ctx.enc_dtype)
            g_cols = None if g_cols is None else g_cols.to(ctx.enc_dtype)
        ctx.saved = ctx.final = ctx.idx = ctx.product = None
        return (g_enc, g_cols, None, *out)
