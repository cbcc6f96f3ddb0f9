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


# A gate's matrix entries (m00, m01, m10, m11) from angles a (..., p): args = a @ _MIX + _CONST (..., 8), moduli
# cos(args[:4]) (signed) and phases args[4:]
_MIX = {"RX": [[0.5] * 4 + [0.0] * 4], "RY": [[0.5] * 4 + [0.0] * 4], "Rot": _ROT_MIX.tolist()}
_HALF_PI = math.pi / 2
_CONST = {"RX": [0, -_HALF_PI, -_HALF_PI, 0, 0, -_HALF_PI, -_HALF_PI, 0],  # [[c, -i s], [-i s, c]]
          "RY": [0, _HALF_PI, -_HALF_PI, 0, 0, 0, 0, 0],  # [[c, -s], [s, c]]
          "Rot": [0, _HALF_PI, -_HALF_PI, 0, 0, 0, 0, 0]}
_SHIFTED: dict = {}


def with_derivatives(name: str, a: torch.Tensor, complex_mode: bool, cdtype) -> torch.Tensor:
    """For angles ``a`` (..., p): the matrices and then twice their derivative in each angle (..., 1 + p, 2, 2), from
    one construction: d m / d a_j = m(a + pi e_j) / 2 for every gate here (the caller halves once, at the end,
    instead of every matrix). The entries are signed moduli cos(args[:4]) at phases args[4:], and the shifts are
    folded into one constant, so the whole pool is four elementwise-or-product ops."""
    key = (name, a.dtype, a.device)
    consts = _SHIFTED.get(key)
    if consts is None:
        mix = torch.tensor(_MIX[name], dtype=torch.float64)
        p = mix.shape[0]
        shift = torch.cat((torch.zeros(1, p, dtype=torch.float64), torch.eye(p, dtype=torch.float64) * math.pi))
        shifted = shift @ mix + torch.tensor(_CONST[name], dtype=torch.float64)  # (1 + p, 8)
        # every matrix's eight arguments in one product and sum: a @ [mix ... mix] + [shifted rows]
        consts = _SHIFTED[key] = (mix.repeat(1, p + 1).to(a), shifted.reshape(-1).to(a))
    mix, shifted = consts
    args = torch.addmm(shifted, a.reshape(-1, a.shape[-1]), mix).view(*a.shape[:-1], -1, 8)  # (..., 1 + p, 8)
    mod = torch.cos(args[..., :4])
    if not complex_mode:
        return mod.unflatten(-1, (2, 2))
    return torch.polar(mod, args[..., 4:]).unflatten(-1, (2, 2))
