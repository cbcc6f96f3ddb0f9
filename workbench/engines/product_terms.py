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


def _part_splits(X: torch.Tensor, Y: torch.Tensor, even: bool) -> list[torch.Tensor]:
    """Per part of the terms (both halves stacked when they have one size), the split as (h, r, J r)."""
    return [torch.stack((X, Y))] if even else [X[None], Y[None]]


def terms_prefix(ops: list[tuple], R: int, C: int) -> tuple[int, dict[int, list[torch.Tensor]]]:
    """How many of ``ops`` run on terms from a product state, and the split of each permutation among them (per
    part, ``_part_splits``). The terms stop before a permutation that would make them cost more than half a
    whole-state layer (a rough model: a Kronecker layer on K terms costs K (R^2 + C^2) a sample, on the state
    R C (R + C))."""
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
        terms, splits[i] = grown, _part_splits(*split, R == C)
    return len(ops), splits


class TermsTape:
    """What the backward of the terms needs: per step its kind, op and inputs, and the final parts."""

    __slots__ = ("steps", "parts", "batch")


def _upper_lower(parts: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The upper and the lower half of per-part tensors (h, ...): both halves stacked in one part, or one each."""
    return (parts[0][0], parts[0][1]) if len(parts) == 1 else (parts[0][0], parts[1][0])


def _by_task(x: torch.Tensor, G: int, dtype) -> torch.Tensor:
    """Terms (h, G or 1, N, r) as (h G, N, r) in ``dtype`` for a batched product: a shared input copied for every
    task (in the same copy as the cast, when there is one)."""
    h, g, N, r = x.shape
    if g == G:
        return x.to(dtype).reshape(h * G, N, r)
    out = torch.empty(h * G, N, r, dtype=dtype, device=x.device)
    out.view(h, G, N, r).copy_(x.expand(h, G, N, r))
    return out


def _flat(f: torch.Tensor) -> torch.Tensor:
    """(h, G, a, b) as (h G, a, b): a view for the factors' own layout."""
    return f.reshape(-1, *f.shape[-2:])


def run_terms(ops: list[tuple], splits, parts: list[torch.Tensor], factors: list[list[torch.Tensor]],
              dtype) -> tuple[torch.Tensor, TermsTape]:
    """The state (G, B, R, C) after ``ops`` from a product state given as ``parts``: both halves as one (2, 1, B, r)
    tensor (an even number of wires) or the upper (1, 1, B, R) and lower (1, 1, B, C) halves. Terms are held as
    (h, G, B K, r) per part, the K terms of a sample adjacent. ``factors``: per prologue batch, its Kronecker
    factors per part, (L, h, G, r, r) (contiguous per layer: then no copy); ``splits(i, G)``: the split of
    permutation op ``i`` per part, (h G, r, J r) in ``dtype``, once per task.

    A permutation followed by a Kronecker layer runs as one product with W = [F X_1 | ... | F X_J]^T (built from
    the factor, r J x r x r per task): the split on its own is a product with a 0/1 matrix as large as W, on every
    sample. Every product is a batched product over (part, task) of 3-d views (``torch.matmul`` on 4-d operands
    adds several dispatches and copies the operands it cannot fold, which at batch 32 costs as much as the
    products themselves)."""
    B = parts[0].shape[2]
    xs = list(parts)  # cast where first used (``_by_task``)
    tape = TermsTape()
    tape.steps, tape.batch = [], B
    i = 0
    while i < len(ops):
        op = ops[i]
        g_in = xs[0].shape[1]
        if op[0] == "perm" and i + 1 < len(ops) and ops[i + 1][0] == "kron":
            kron = ops[i + 1]
            fs = [f[kron[2]].to(dtype) for f in factors[kron[1]]]  # (h, G, r, r) per part
            G = fs[0].shape[1]
            ss = [sp.view(sp.shape[0], -1, sp.shape[1]) for sp in splits(i, G)]  # (h G, r J, r): rows (r, j)
            ws = [torch.bmm(sp, _flat(f).mT).view(sp.shape[0], f.shape[-1], -1) for sp, f in zip(ss, fs)]
            x3s = [_by_task(x, G, dtype) for x in xs]  # (h G, N, r)
            tape.steps.append(("split-kron", kron, x3s, ws, ss, G, g_in))
            xs = [torch.bmm(x, w).view(f.shape[0], G, -1, f.shape[-1]) for x, w, f in zip(x3s, ws, fs)]
            i += 2
            continue
        if op[0] == "kron":
            fs = [f[op[2]].to(dtype) for f in factors[op[1]]]
            G = fs[0].shape[1]
            x3s = [_by_task(x, G, dtype) for x in xs]
            f3s = [_flat(f) for f in fs]
            tape.steps.append(("kron", op, x3s, f3s, G, g_in))
            xs = [torch.bmm(x, f.mT).view(fo.shape[0], G, -1, fo.shape[-1])  # every term: F x
                  for x, f, fo in zip(x3s, f3s, fs)]
        else:
            xs = [x.to(dtype) for x in xs]
            sps = splits(i, g_in)
            tape.steps.append(("split", i, sps, g_in))
            xs = [torch.bmm(_flat(x), sp).view(*x.shape[:2], -1, x.shape[-1])  # terms (k, j): X_j x_k
                  for x, sp in zip(xs, sps)]
        i += 1
    xs = [x.to(dtype) for x in xs]
    tape.parts = xs
    a, c = _upper_lower(xs)  # (G, B K, r)
    G, R, C = a.shape[0], a.shape[-1], c.shape[-1]
    K = a.shape[1] // B
    return torch.bmm(a.view(G * B, K, R).mT, c.view(G * B, K, C)).view(G, B, R, C), tape  # sum_k a_k (x) c_k


def _shared(ls: list[torch.Tensor], hs: list[int], G: int) -> list[torch.Tensor]:
    """Gradients (h G, N, r) for terms that every task shares: summed over the tasks, (h, N, r)."""
    return [lx.view(h, G, *lx.shape[1:]).sum(1) for lx, h in zip(ls, hs)]


def terms_vjp(tape: TermsTape, lam: torch.Tensor, grads: dict, want_input: bool) -> list[torch.Tensor] | None:
    """Backward of ``run_terms`` from ``lam`` (G, B, R, C), the gradient for the conjugate of its state: fills
    ``grads`` (factor, layer) with the factors' gradients (views of one (h, G, r, r) tensor per part) and returns
    the gradients for the input parts (h, 1, B, r) when ``want_input``. Conjugates enter as conjugate transposes
    (free in a matrix product) where that is as fast as a conjugated copy."""
    xs, B = tape.parts, tape.batch
    hs = [x.shape[0] for x in xs]
    a, c = _upper_lower(xs)
    G, R, C = lam.shape[0], lam.shape[2], lam.shape[3]
    Gp, K = a.shape[0], a.shape[1] // B
    a, c = a.view(Gp, B, K, R), c.view(Gp, B, K, C)
    # (G, B, K, R) and (G, B, K, C); in this order: a product (16 x 16) @ (16 x 4) runs at half the speed of
    # (4 x 16) @ (16 x 16) in complex128
    if len(xs) == 1 and Gp == G:  # both halves' gradients written into one tensor: no stack
        both = torch.empty(2, G * B, K, R, dtype=lam.dtype, device=lam.device)
        lam3 = lam.reshape(G * B, R, C)
        torch.bmm(c.reshape(G * B, K, C).conj(), lam3.mT, out=both[0])  # conj(c_k) lam^T
        torch.bmm(a.reshape(G * B, K, R).conj(), lam3, out=both[1])  # conj(a_k) lam
        ls = [both.view(2 * G, B * K, R)]
    else:
        la = torch.matmul(c.conj(), lam.mT)
        lc = torch.matmul(a.conj(), lam)
        if len(xs) == 1:
            ls = [torch.stack((la, lc)).view(2 * G, B * K, R)]
        else:
            ls = [la.reshape(G, B * K, R), lc.reshape(G, B * K, C)]
    for n, step in enumerate(reversed(tape.steps)):  # ls: per part (h G, N, r)
        first = n == len(tape.steps) - 1
        if step[0] == "split":
            if step[3] < G:  # a split of terms that the tasks share
                ls, G = _shared(ls, hs, G), 1
            ls = [torch.bmm(lx.view(lx.shape[0], -1, sp.shape[-1]), sp.mT) for lx, sp in zip(ls, step[2])]
            continue
        if step[0] == "kron":
            _, op, x3s, f3s, G, g_in = step
            # x' = x F^T: dF = lx'^T conj(x) = (x^H lx')^T, lx = lx' conj(F)
            dfs = [torch.bmm(x.mH, lx).mT for x, lx in zip(x3s, ls)]
            if not (first and not want_input):
                ls = [torch.bmm(lx, f.conj()) for f, lx in zip(f3s, ls)]
        else:
            _, op, x3s, ws, ss, G, g_in = step
            # x' = x W, W' = S' F^T: dW = x^H lx', lx = lx' W^H, dF^T = S'^T dW'
            ls = [lx.view(lx.shape[0], -1, w.shape[-1]) for lx, w in zip(ls, ws)]  # (h G, N, J r)
            dws = [torch.bmm(x.mH, lx).view(x.shape[0], -1, x.shape[-1]) for x, lx in zip(x3s, ls)]
            dfs = [torch.bmm(sp.mT, dw).mT for sp, dw in zip(ss, dws)]
            if not (first and not want_input):
                ls = [torch.bmm(lx, w.mH) for w, lx in zip(ws, ls)]
        dfs = [df.view(h, G, *df.shape[-2:]) for df, h in zip(dfs, hs)]
        grads[2 * op[1], op[2]], grads[2 * op[1] + 1, op[2]] = _upper_lower(dfs)
        if first and not want_input:
            return None
        if g_in < G:  # a shared input: summed over the tasks
            ls, G = _shared(ls, hs, G), 1
    if G > 1:  # no Kronecker layer: the tasks share the terms
        ls = _shared(ls, hs, G)
    return [lx.view(h, 1, *lx.shape[-2:]) for lx, h in zip(ls, hs)]
