"""A state kept as a short sum of product states across the cut between the upper and the lower half of the wires.

A product-state encoder gives one term a (x) c. A Kronecker layer A (x) C maps every term to (A a) (x) (C c): two
small products on vectors of 2^(n/2) amplitudes instead of two on the whole state. A permutation made of X, CNOT and
SWAP gates is an affine map of the bits, x -> M x + t; split into its blocks across the cut (upper bits r, lower
bits c), the new upper bits are r' = M11 r + M12 c + t1. For every value u of M12 c and v of M21 r the map is a
product of two partial permutations X_uv (x) Y_uv, so the permutation is a sum of 2^(rank M12 + rank M21) products:
a CNOT ring crosses the cut twice and turns every term into four. While the terms are few (a shallow block: a
ring, a layer and the readout), the state is never built until the end, where one batched product of rank
``terms`` expands it for the readout; deeper blocks expand where the terms stop paying and go on with the whole
state.

Why: at n=8 the whole-state Kronecker layer costs 2^n (2^4 + 2^4) = 8192 multiply-adds a sample and its backward
twice that; four terms cost 4 (16^2 + 16^2) = 2048, and the expansion 4 x 256. The simulation is exact: no
truncation, only a sum reordered.
"""

from __future__ import annotations

import torch


def split_permutation(perm: torch.Tensor, R: int, C: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """For a permutation of amplitudes (new[k] = old[perm[k]], k = r C + c), the matrices (R, J R) and (C, J C)
    whose J column blocks are the transposed factors X_j, Y_j of perm = sum_j X_j (x) Y_j (float64, 0/1); None
    when the permutation is not an affine map of the bits."""
    perm = perm.cpu().view(R, C)
    rows, cols = perm // C, perm % C  # where new amplitude (r', c') comes from
    u = rows[0] ^ rows[0, 0]  # (C,): the upper bits' dependence on the lower half, M12 c'
    v = cols[:, 0] ^ cols[0, 0]  # (R,): M21 r'
    base_rows, base_cols = rows[:, 0], cols[0]  # M11 r' + t1, M22 c' + t2
    if not (torch.equal(rows, base_rows[:, None] ^ u[None, :]) and torch.equal(cols, base_cols[None, :] ^ v[:, None])):
        return None
    us, vs = torch.unique(u).tolist(), torch.unique(v).tolist()
    J = len(us) * len(vs)
    X = torch.zeros(R, J * R, dtype=torch.float64)
    Y = torch.zeros(C, J * C, dtype=torch.float64)
    r_new, c_new = torch.arange(R), torch.arange(C)
    for j, (uu, vv) in enumerate((uu, vv) for uu in us for vv in vs):
        # X_j[r', r] = [v(r') = vv] [r = base_rows[r'] ^ uu], stored transposed: X[r, j R + r']
        keep = v == vv
        X[base_rows[keep] ^ uu, j * R + r_new[keep]] = 1
        keep = u == uu
        Y[base_cols[keep] ^ vv, j * C + c_new[keep]] = 1
    return X, Y


class Split:
    """One side of a split permutation as gathers: term j of the new terms takes entry ``src[j, r']`` of an old
    term where ``mask`` is 1 (X_j a), and the backward (X_j^T g) gathers back with ``src_t``, ``mask_t``."""

    def __init__(self, X: torch.Tensor):
        r = X.shape[0]
        J = X.shape[1] // r
        self.terms = J
        self.src, self.mask = X.argmax(0), X.sum(0)  # (J r,): new entry (j, r') <- old entry src
        blocks = X.view(r, J, r)  # [old r, j, new r']
        self.src_t = (blocks.argmax(2).T + torch.arange(J)[:, None] * r).reshape(-1)  # (J r,): (j, old r) -> (j, r')
        self.mask_t = blocks.sum(2).T.reshape(-1)
        self._cast: dict = {}

    def on(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        key = (like.dtype, like.device)
        got = self._cast.get(key)
        if got is None:
            dt = like.real.dtype if like.is_complex() else like.dtype
            got = self._cast[key] = (self.src.to(like.device), self.mask.to(dtype=dt, device=like.device),
                                     self.src_t.to(like.device), self.mask_t.to(dtype=dt, device=like.device))
        return got

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        """Terms (..., K, r) -> (..., K J, r), ordered (k, j)."""
        src, mask, _, _ = self.on(a)
        return (a.index_select(-1, src) * mask).view(*a.shape[:-2], -1, a.shape[-1])

    def backward(self, g: torch.Tensor) -> torch.Tensor:
        """Gradients (..., K J, r) for the new terms -> (..., K, r) for the old."""
        _, _, src_t, mask_t = self.on(g)
        r, J = g.shape[-1], self.terms
        g = g.reshape(*g.shape[:-2], -1, J * r)
        return (g.index_select(-1, src_t) * mask_t).view(*g.shape[:-1], J, r).sum(-2)


def terms_prefix(ops: list[tuple], R: int, C: int) -> tuple[int, dict[int, tuple[Split, Split]]]:
    """How many of ``ops`` run on terms from a product state, and the split of each permutation among them.
    The terms stop before a permutation that would make them cost more than half a whole-state layer (a rough
    model: a Kronecker layer on K terms costs K (R^2 + C^2) a sample, on the state R C (R + C))."""
    limit = R * C * (R + C) / 2
    terms, splits = 1, {}
    for i, op in enumerate(ops):
        if op[0] != "perm":
            continue
        split = split_permutation(op[1], R, C)
        if split is None:
            return i, splits
        grown = terms * split[0].shape[1] // R
        if grown * (R * R + C * C) > limit:
            return i, splits
        terms, splits[i] = grown, (Split(split[0]), Split(split[1]))
    return len(ops), splits


class TermsTape:
    """What the backward of the terms needs: per Kronecker layer its input terms and factors, the final terms."""

    __slots__ = ("saved", "alpha", "gamma")


def run_terms(ops: list[tuple], splits: dict, alpha: torch.Tensor, gamma: torch.Tensor,
              factors: list[torch.Tensor], dtype) -> tuple[torch.Tensor, TermsTape]:
    """The state (G, B, R, C) after ``ops`` from the product state ``alpha`` (1, B, R) (x) ``gamma`` (1, B, C);
    ``splits``: ``terms_prefix``'s."""
    B, R, C = alpha.shape[1], alpha.shape[-1], gamma.shape[-1]
    a, c = alpha.to(dtype)[:, :, None, :], gamma.to(dtype)[:, :, None, :]  # (G or 1, B, K, R | C)
    tape = TermsTape()
    tape.saved = []
    for i, op in enumerate(ops):
        K = a.shape[2]
        if op[0] == "kron":
            A, Cf = factors[2 * op[1]][:, op[2]].to(dtype), factors[2 * op[1] + 1][:, op[2]].to(dtype)
            tape.saved.append((a, c, A, Cf))
            G = A.shape[0]
            a = torch.matmul(a.view(a.shape[0], B * K, R), A.mT).view(G, B, K, R)  # every term: A a
            c = torch.matmul(c.view(c.shape[0], B * K, C), Cf.mT).view(G, B, K, C)
        else:
            a, c = splits[i][0].forward(a), splits[i][1].forward(c)  # terms (k, j): X_j a_k, Y_j c_k
    tape.alpha, tape.gamma = a, c
    return torch.matmul(a.transpose(-1, -2), c), tape  # sum_k a_k (x) c_k, (G, B, R, C)


def terms_vjp(ops: list[tuple], splits: dict, tape: TermsTape, lam: torch.Tensor, grads: dict,
              want_input: bool) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Backward of ``run_terms`` from ``lam`` (G, B, R, C), the gradient for the conjugate of its state: fills
    ``grads`` (factor, layer) with the factors' gradients and returns those of ``alpha`` and ``gamma`` (1, B, R)
    and (1, B, C) when ``want_input``."""
    a, c = tape.alpha, tape.gamma
    la = torch.matmul(c.conj(), lam.transpose(-1, -2))  # (G, B, K, R): sum over lower amplitudes of conj(c_k) lam
    lc = torch.matmul(a.conj(), lam)  # (G, B, K, C)
    k = len(tape.saved)
    for i in reversed(range(len(ops))):
        op = ops[i]
        if op[0] == "perm":
            la, lc = splits[i][0].backward(la), splits[i][1].backward(lc)
            continue
        B, R, C = la.shape[1], la.shape[-1], lc.shape[-1]
        k -= 1
        a_in, c_in, A, Cf = tape.saved[k]
        G, K = A.shape[0], la.shape[2]
        la, lc = la.reshape(G, B * K, R), lc.reshape(G, B * K, C)
        # a' = a A^T: dA = la'^T conj(a), la = la' conj(A) (summed over tasks for a shared input)
        grads[2 * op[1], op[2]] = torch.matmul(la.mT, a_in.view(a_in.shape[0], B * K, R).conj())
        grads[2 * op[1] + 1, op[2]] = torch.matmul(lc.mT, c_in.view(c_in.shape[0], B * K, C).conj())
        if k == 0 and not want_input:
            return None, None
        la, lc = torch.matmul(la, A.conj()), torch.matmul(lc, Cf.conj())
        if a_in.shape[0] == 1 and G > 1:
            la, lc = la.sum(0, keepdim=True), lc.sum(0, keepdim=True)
        la, lc = la.view(-1, B, K, R), lc.view(-1, B, K, C)
    if la.shape[0] > 1:  # no Kronecker layer: the tasks share the terms
        la, lc = la.sum(0, keepdim=True), lc.sum(0, keepdim=True)
    return la[:, :, 0], lc[:, :, 0]
