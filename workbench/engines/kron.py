"""Kronecker products of stacks of small matrices."""

from __future__ import annotations

import torch


def kron(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(..., ra, ca) x (..., rb, cb) -> (..., ra rb, ca cb)."""
    out = a[..., :, None, :, None] * b[..., None, :, None, :]
    return out.reshape(*out.shape[:-4], a.shape[-2] * b.shape[-2], a.shape[-1] * b.shape[-1])


def kron_tree(m: torch.Tensor) -> torch.Tensor:
    """(..., k, r, c) -> (..., r^k, c^k): the Kronecker product of the k matrices, in order.
    Neighbours are paired in one vectorised product per level (log2 k levels for k a power of two)."""
    k = m.shape[-3]
    if k == 1:
        return m.squeeze(-3)
    if k % 2 == 0:
        left, right = m.unflatten(-3, (k // 2, 2)).unbind(-3)
        return kron_tree(kron(left, right))
    head, last = m.split([k - 1, 1], dim=-3)
    return kron(kron_tree(head), last.squeeze(-3))
