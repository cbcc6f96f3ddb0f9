"""Pauli-word expectations from a statevector: <Z...> is diagonal; X and Y factors need a basis change.

The basis change is applied to the state already simulated (H for X, H S^dagger for Y on the wires concerned),
never by simulating the circuit again. Words that agree on every shared wire (qubit-wise commuting) share one
rotated state, so ``Z0``, ``Z1`` and ``Z0 Z1`` cost one diagonal product and ``X0 X1`` one rotation.
Wire 0 is the most significant bit of a basis index, as in the torch engine.
"""

from __future__ import annotations

import math

import torch

from workbench.circuits.ir import PauliWord
from workbench.circuits.pauli import basis_groups

_S2 = 1 / math.sqrt(2)
# rotate the eigenbasis of X (resp. Y) onto Z's: H, and H S^dagger
_ROTATIONS = {"X": [[_S2, _S2], [_S2, -_S2]], "Y": [[_S2, -1j * _S2], [_S2, 1j * _S2]]}


def is_diagonal(words: tuple[PauliWord, ...] | list[PauliWord]) -> bool:
    return all(op == "Z" for word in words for op, _ in word)


def z_columns(words, n: int, dtype=torch.float64, device=None) -> torch.Tensor:
    """(2^n, K): column k is the diagonal of the word's Z-product (+1/-1; the empty word is all ones)."""
    k = torch.arange(2**n, device=device)
    cols = []
    for word in words:
        col = torch.ones(2**n, dtype=dtype, device=device)
        for _, w in word:
            col = col * (1 - 2 * ((k >> (n - 1 - w)) & 1)).to(dtype)
        cols.append(col)
    return torch.stack(cols, dim=1) if cols else torch.zeros(2**n, 0, dtype=dtype, device=device)


def rotate(state: torch.Tensor, basis: dict[int, str], n: int) -> torch.Tensor:
    """Apply the measurement-basis change of ``basis`` (X/Y wires; Z needs none) to states (..., 2^n)."""
    for w, op in sorted(basis.items()):
        if op == "Z":
            continue
        cdt = state.dtype if state.is_complex() else (torch.complex128 if state.dtype == torch.float64
                                                       else torch.complex64)
        if op == "X" and not state.is_complex():
            cdt = state.dtype  # H is real: a real state stays real
        U = torch.tensor(_ROTATIONS[op], dtype=cdt, device=state.device)
        lead = state.shape[:-1]
        v = state.to(cdt).reshape(*lead, 2**w, 2, 2 ** (n - w - 1))
        state = torch.einsum("ij,...ajc->...aic", U, v).reshape(*lead, 2**n)
    return state


class PauliExpectations:
    """``__call__(state)`` (..., 2^n) -> (..., K) expectations of the words, in the words' order."""

    def __init__(self, words, n: int, rdtype=torch.float64, device=None):
        self.n = n
        self.words = tuple(words)
        self.groups = []
        for basis, members in basis_groups(self.words):
            rotated = {w: op for w, op in basis.items() if op != "Z"}
            cols = z_columns([self.words[i] for i in members], n, rdtype, device)
            self.groups.append((rotated, members, cols))
        order = [i for _, members, _ in self.groups for i in members]
        self.inverse = torch.argsort(torch.tensor(order, device=device)) if order else None
        self.rotations = sum(1 for rotated, _, _ in self.groups if rotated)

    def __call__(self, state: torch.Tensor) -> torch.Tensor:
        parts = []
        for rotated, _, cols in self.groups:
            s = rotate(state, rotated, self.n) if rotated else state
            probs = torch.view_as_real(s).square().sum(-1) if s.is_complex() else s.square()
            parts.append(probs @ cols.to(probs.dtype))
        out = torch.cat(parts, dim=-1)
        return out.index_select(-1, self.inverse)
