"""A block run on a sum of product states (product_terms) against the same block on the whole state."""

import random

import pytest
import torch

from workbench.circuits.ir import Gate
from workbench.engines.adjoint_stack import Plan, plan_vjp, run_plan
from workbench.engines.kron import kron
from workbench.engines.product_terms import _part_splits, split_permutation
from workbench.engines.torch_engine import _Perm


def _random_gates(rng: random.Random, n: int, count: int) -> list[Gate]:
    gates = []
    for _ in range(count):
        kind = rng.choice(["CNOT", "CNOT", "SWAP", "X"])
        if kind == "X":
            gates.append(Gate("X", (rng.randrange(n),)))
        else:
            gates.append(Gate(kind, tuple(rng.sample(range(n), 2))))
    return gates


@pytest.mark.parametrize("n", range(2, 10))
def test_a_split_permutation_is_the_permutation(n):
    """sum_j X_j (x) Y_j reproduces every permutation made of X, CNOT and SWAP gates, and a CNOT ring (which
    crosses the cut twice) gives four products."""
    rng = random.Random(n)
    R, C = 2 ** (n // 2), 2 ** (n - n // 2)
    for _ in range(6):
        perm = _Perm(_random_gates(rng, n, rng.randint(1, 2 * n)), n, "cpu").perm
        X, Y = split_permutation(perm, R, C)
        J = X.shape[1] // R
        P = sum(torch.kron(X[:, j * R:(j + 1) * R].T, Y[:, j * C:(j + 1) * C].T) for j in range(J))
        state = torch.randn(R * C, dtype=torch.float64)
        torch.testing.assert_close(P @ state, state[perm], rtol=0, atol=0)
    ring = _Perm([Gate("CNOT", (i, (i + 1) % n)) for i in range(n)], n, "cpu").perm
    assert split_permutation(ring, R, C)[0].shape[1] == 4 * R


def test_a_permutation_that_is_not_affine_is_not_split():
    perm = torch.arange(16)
    perm[[5, 6]] = perm[[6, 5]]  # swaps two basis states only: not a map x -> M x + t of the bits
    assert split_permutation(perm, 4, 4) is None


def _plan_and_inputs(seed: int, real_halves: bool = False):
    rng = random.Random(seed)
    n = rng.randint(2, 8)
    R, C = 2 ** (n // 2), 2 ** (n - n // 2)
    G, B, L = rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 4)
    ops = []
    for layer in range(L):
        if rng.random() < 0.7:
            perm = _Perm(_random_gates(rng, n, rng.randint(1, n)), n, "cpu").perm
            ops.append(("perm", perm, torch.argsort(perm)))
        ops.append(("kron", 0, layer))
    if rng.random() < 0.5:  # a permutation at the end goes into the readout
        perm = _Perm(_random_gates(rng, n, n), n, "cpu").perm
        ops.append(("perm", perm, torch.argsort(perm)))
    widths = [rng.randint(1, 3)] * G
    plan = Plan(ops, torch.randn(R * C, sum(widths), dtype=torch.float64), n, widths)
    g = torch.Generator().manual_seed(seed)
    rows = torch.randn(G, L, R, R, dtype=torch.complex128, generator=g)
    cols = torch.randn(G, L, C, C, dtype=torch.complex128, generator=g)
    top = torch.randn(1, B, R, dtype=torch.complex128, generator=g)
    bottom = torch.randn(1, B, C, dtype=torch.complex128, generator=g)
    if real_halves:  # an RY encoder's product state: the terms start with real products
        top, bottom = top.real, bottom.real
    if R == C:
        parts = [torch.stack((top[0], bottom[0]))[:, None]]
        part_factors = [[torch.stack((rows, cols), dim=2).permute(1, 2, 0, 3, 4)]]
    else:
        parts = [top[None], bottom[None]]
        part_factors = [[rows.transpose(0, 1)[:, None], cols.transpose(0, 1)[:, None]]]
    return plan, (rows, cols), (top, bottom), (parts, part_factors), torch.randn(G, B, widths[0], generator=g,
                                                                                  dtype=torch.float64)


@pytest.mark.parametrize("real_halves", [False, True], ids=["complex", "real"])
@pytest.mark.parametrize("seed", range(40))
def test_terms_match_the_whole_state_wherever_they_stop(seed, real_halves):
    """Outputs and gradients (factors and the product state's halves) of a random block of Kronecker layers and
    CNOT/SWAP/X permutations, with the terms stopping after every possible op, against the whole-state path. Real
    halves (an RY encoder) take real products and get the real parts of their gradients."""
    plan, factors, (top, bottom), halves, g_raw = _plan_and_inputs(seed, real_halves)
    enc = kron(top[..., :, None], bottom[..., :, None])[..., 0]  # (1, B, D): the product state
    want, tape = run_plan(plan, enc, list(factors))
    g_want, grads_want = plan_vjp(tape, g_raw, True)
    for i, op in enumerate(plan.ops):  # every permutation split, so the terms can run up to any op
        if op[0] == "perm" and i not in plan._splits:
            plan._splits[i] = _part_splits(*split_permutation(op[1], plan.R, plan.C), plan.R == plan.C)
    for stop in range(len(plan.ops) + 1):
        plan.n_terms = stop
        got, tape = run_plan(plan, None, list(factors), halves)
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10, msg=f"seed {seed}, terms up to op {stop}")
        g_parts, grads = plan_vjp(tape, g_raw, True)
        assert grads.keys() == grads_want.keys()
        for key in grads:
            torch.testing.assert_close(grads[key], grads_want[key], rtol=1e-10, atol=1e-10)
        # the halves' gradients by the chain rule through enc = top (x) bottom
        g_enc = g_want.view(1, -1, plan.R, plan.C)
        g_top = (g_enc * bottom.conj()[:, :, None, :]).sum(-1)
        g_bottom = (g_enc * top.conj()[:, :, :, None]).sum(-2)
        if len(g_parts) == 1:
            got_top, got_bottom = g_parts[0][0, 0], g_parts[0][1, 0]
        else:
            got_top, got_bottom = g_parts[0][0, 0], g_parts[1][0, 0]
        if real_halves:
            got_top, got_bottom = (t.real if t.is_complex() else t for t in (got_top, got_bottom))
            g_top, g_bottom = g_top.real, g_bottom.real
        torch.testing.assert_close(got_top, g_top[0], rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(got_bottom, g_bottom[0], rtol=1e-10, atol=1e-10)
