"""Matrices of the parametric one-qubit gates (RX, RY, Rot) for tensors of angles, and their angle gradients.

Every gate here is a product of rotations exp(-i a P / 2), so the derivative of its matrix in one angle is half
the matrix with that angle shifted by pi: the backward of a fused node needs no formula per gate, only the same
construction at shifted angles.
"""

from __future__ import annotations

import math

import torch

NPARAMS = {"RX": 1, "RY": 1, "Rot": 3}

_ROT_MIX = torch.tensor([[0, 0, 0, 0, -0.5, 0.5, -0.5, 0.5],  # phi
                         [0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0],  # theta
                         [0, 0, 0, 0, -0.5, -0.5, 0.5, 0.5]], dtype=torch.float64)  # omega
# cos(t), cos(t + pi/2) = -sin(t), cos(t - pi/2) = sin(t), cos(t)
_ROT_OFFSET = torch.tensor([0, math.pi / 2, -math.pi / 2, 0], dtype=torch.float64)
_RY_OFFSET = torch.tensor([0, math.pi / 2, -math.pi / 2, 0], dtype=torch.float64)
_CAST: dict = {}


def _constant(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``t`` in ``like``'s dtype and device, converted once: a per-call ``.to`` is a copy and an op each step."""
    key = (id(t), like.dtype, like.device)
    got = _CAST.get(key)
    if got is None:
        got = _CAST[key] = t.to(dtype=like.dtype, device=like.device)
    return got


def matrices(name: str, a: torch.Tensor, complex_mode: bool, cdtype) -> torch.Tensor:
    """Gate matrices (..., 2, 2) for angles ``a`` of shape (..., n_params)."""
    if name == "RY":
        # [[c, -s], [s, c]] = cos(a/2 + (0, pi/2, -pi/2, 0)): one elementwise op per step of the construction
        m = torch.cos(a * 0.5 + _constant(_RY_OFFSET, a)).unflatten(-1, (2, 2))
        return m.to(cdtype) if complex_mode else m
    if name == "RX":
        c, s = torch.cos(a[..., 0] / 2), torch.sin(a[..., 0] / 2)
        z = torch.zeros_like(c)
        return torch.complex(torch.stack((c, z, z, c), -1), torch.stack((z, -s, -s, z), -1)).unflatten(-1, (2, 2))
    if name == "Rot":
        # Rot(phi, theta, omega) = [[e^-ip c, -e^iq s], [e^-iq s, e^ip c]], c, s = cos, sin(theta/2),
        # p = (phi + omega)/2, q = (phi - omega)/2: the moduli are cos(theta/2 + offset) and the phases linear in
        # the angles, so one small product gives all eight arguments (few ops, forward and backward)
        args = torch.matmul(a, _constant(_ROT_MIX, a))  # (..., 8): four moduli arguments, four phases
        mod, ph = torch.cos(args[..., :4] + _constant(_ROT_OFFSET, a)), args[..., 4:]
        return torch.polar(torch.ones_like(ph), ph).mul(mod).unflatten(-1, (2, 2))
    raise ValueError(name)


_SHIFTS: dict = {}


def with_derivatives(name: str, a: torch.Tensor, complex_mode: bool, cdtype) -> torch.Tensor:
    """For angles ``a`` (..., p): (..., 1 + p, 2, 2), the matrices and then twice their derivative in each angle,
    from one construction: d m / d a_j = m(a + pi e_j) / 2 for every gate here (the caller halves once, at the
    end, instead of every matrix)."""
    p = a.shape[-1]
    key = (p, a.dtype, a.device)
    shift = _SHIFTS.get(key)
    if shift is None:  # row 0: no shift; row 1 + j: pi on angle j
        shift = _SHIFTS[key] = torch.cat((torch.zeros(1, p, dtype=torch.float64),
                                          torch.eye(p, dtype=torch.float64) * math.pi)).to(a)
    return matrices(name, a[..., None, :] + shift, complex_mode, cdtype)
