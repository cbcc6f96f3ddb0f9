"""Matrices of the parametric one-qubit gates (RX, RY, Rot) for tensors of angles, and their angle gradients.

Every entry of these matrices, and of H_j = m^H (2 dm / da_j) (the matrix's derivative in one angle, brought back
by m^H), is a signed modulus cos(linear in the angles) at a phase linear in the angles: the fused node builds the
matrices and every H_j in one product, one cosine and one ``polar`` (``with_derivatives``), and an angle's
gradient is then Re <H_j, N> with N the factor gradient traced onto the wire (``angle_stack``), no product per
gate.
"""

from __future__ import annotations

import math

import torch

NPARAMS = {"RX": 1, "RY": 1, "Rot": 3}

# A gate's matrix entries (m00, m01, m10, m11) from angles a (..., p): args = a @ _MIX + _CONST (..., 8), moduli
# cos(args[:4]) (signed) and phases args[4:]. Rot(phi, theta, omega) = [[e^-ip c, -e^iq s], [e^-iq s, e^ip c]],
# c, s = cos, sin(theta/2), p = (phi + omega)/2, q = (phi - omega)/2; cos(t + pi/2) = -sin(t), cos(t - pi/2) = sin(t)
_MIX = {"RX": [[0.5] * 4 + [0.0] * 4], "RY": [[0.5] * 4 + [0.0] * 4],
        "Rot": [[0, 0, 0, 0, -0.5, 0.5, -0.5, 0.5],  # phi
                [0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0],  # theta
                [0, 0, 0, 0, -0.5, -0.5, 0.5, 0.5]]}  # omega
_HALF_PI = math.pi / 2
_CONST = {"RX": [0, -_HALF_PI, -_HALF_PI, 0, 0, -_HALF_PI, -_HALF_PI, 0],  # [[c, -i s], [-i s, c]]
          "RY": [0, _HALF_PI, -_HALF_PI, 0, 0, 0, 0, 0],  # [[c, -s], [s, c]]
          "Rot": [0, _HALF_PI, -_HALF_PI, 0, 0, 0, 0, 0]}

# H_j = m^H (2 dm / da_j) per angle j, as (modulus coefficients (p x 4) or None, modulus constants, phase
# coefficients or None, phase constants): Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi) gives
# H_phi = -i Z, H_theta = -i RZ(phi)^H Y RZ(phi), H_omega = -i m^H Z m = -i RZ(phi)^H (cos theta Z - sin theta X)
# RZ(phi); RX and RY give -i X and -i Y.
_PI = math.pi
_GENERATORS = {
    "RX": [(None, [_HALF_PI, 0, 0, _HALF_PI], None, [0, -_HALF_PI, -_HALF_PI, 0])],
    "RY": [(None, [_HALF_PI, _PI, 0, _HALF_PI], None, [0, 0, 0, 0])],
    "Rot": [(None, [0, _HALF_PI, _HALF_PI, 0], None, [-_HALF_PI, 0, 0, _HALF_PI]),
            (None, [_HALF_PI, _PI, 0, _HALF_PI], [[0, 1, -1, 0], [0] * 4, [0] * 4], [0, 0, 0, 0]),
            ([[0] * 4, [1, 1, 1, 1], [0] * 4], [0, -_HALF_PI, -_HALF_PI, 0], [[0, 1, -1, 0], [0] * 4, [0] * 4],
             [-_HALF_PI, _HALF_PI, _HALF_PI, _HALF_PI])],
}
_POOLS: dict = {}


def _pool_constants(name: str, derivatives: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(p, rows 8) and (rows 8): every pool matrix's eight arguments (four moduli, four phases) as a @ mix + const,
    the matrix first and then, with ``derivatives``, each H_j."""
    mix = torch.tensor(_MIX[name], dtype=torch.float64)  # (p, 8)
    p = mix.shape[0]
    mixes, consts = [mix], [torch.tensor(_CONST[name], dtype=torch.float64)]
    for mod_coef, mod_const, ph_coef, ph_const in _GENERATORS[name] if derivatives else []:
        zero = [[0.0] * 4] * p
        mixes.append(torch.cat((torch.tensor(mod_coef or zero, dtype=torch.float64),
                                torch.tensor(ph_coef or zero, dtype=torch.float64)), dim=1))
        consts.append(torch.tensor(mod_const + ph_const, dtype=torch.float64))
    return torch.cat(mixes, dim=1), torch.cat(consts)


def _pool(name: str, a: torch.Tensor, complex_mode: bool, cdtype, derivatives: bool) -> torch.Tensor:
    """(..., rows, 2, 2) from angles ``a`` (..., p): one product and one cosine, then the phases. RY's entries are
    real (its phases are 0): real outside complex mode."""
    key = (name, derivatives, a.dtype, a.device)
    consts = _POOLS.get(key)
    if consts is None:
        mix, const = _pool_constants(name, derivatives)
        consts = _POOLS[key] = (mix.to(a), const.to(a))
    mix, const = consts
    args = torch.addmm(const, a.reshape(-1, a.shape[-1]), mix).view(*a.shape[:-1], -1, 8)  # (..., rows, 8)
    mod = torch.cos(args[..., :4])
    if name == "RY":
        return (mod.to(cdtype) if complex_mode else mod).unflatten(-1, (2, 2))
    if derivatives:  # the fused node's own backward: one op
        return torch.polar(mod, args[..., 4:]).unflatten(-1, (2, 2))
    # differentiated by autograd (the generic path), and torch.polar's backward is wrong for negative moduli:
    # the unit phase factor times the signed modulus
    phase = args[..., 4:]
    return (torch.polar(torch.ones_like(phase), phase) * mod).unflatten(-1, (2, 2))


def matrices(name: str, a: torch.Tensor, complex_mode: bool, cdtype) -> torch.Tensor:
    """Gate matrices (..., 2, 2) for angles ``a`` of shape (..., n_params): complex (``cdtype``) except RY outside
    complex mode."""
    if name not in _MIX:
        raise ValueError(name)
    return _pool(name, a, complex_mode, cdtype, False)[..., 0, :, :]


def with_derivatives(name: str, a: torch.Tensor, complex_mode: bool, cdtype) -> torch.Tensor:
    """For angles ``a`` (..., p): the matrices m and then H_j = m^H (2 dm / da_j) for each angle j
    (..., 1 + p, 2, 2), all in one product, one cosine and one ``polar`` (``_GENERATORS``)."""
    return _pool(name, a, complex_mode, cdtype, True)
