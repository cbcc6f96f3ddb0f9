"""The gate matrices of the generic path and the fused node's gate pool (the matrices and H_j = m^H (2 dm / da_j)),
from one table per gate, checked against PennyLane's gate matrices and a derivative taken by autograd through them."""

import pennylane as qml
import pytest
import torch

from workbench.engines.rotations import NPARAMS, matrices, with_derivatives

_GATES = {"RX": qml.RX, "RY": qml.RY, "Rot": qml.Rot}


def _matrix(name: str, a: torch.Tensor) -> torch.Tensor:
    return _GATES[name].compute_matrix(*a).to(torch.complex128)


@pytest.mark.parametrize("name", sorted(_GATES))
def test_the_pool_holds_the_matrices_and_their_derivatives_brought_back(name):
    p = NPARAMS[name]
    angles = torch.randn(7, p, dtype=torch.float64, generator=torch.Generator().manual_seed(3)) * 3
    pool = with_derivatives(name, angles, True, torch.complex128)
    assert pool.shape == (7, 1 + p, 2, 2)
    for a, got in zip(angles, pool):
        m = _matrix(name, a)
        torch.testing.assert_close(got[0], m, rtol=0, atol=1e-12)
        jac = torch.autograd.functional.jacobian(lambda t: torch.view_as_real(_matrix(name, t)), a)  # (2, 2, 2, p)
        for j in range(p):
            dm = torch.view_as_complex(jac[..., j].contiguous())
            torch.testing.assert_close(got[1 + j], m.mH @ (2 * dm), rtol=0, atol=1e-12)


def test_real_mode_gives_the_real_matrices():
    angles = torch.tensor([[0.3], [-1.7]], dtype=torch.float64)
    pool = with_derivatives("RY", angles, False, torch.complex128)
    assert not pool.is_complex()
    torch.testing.assert_close(pool.to(torch.complex128), with_derivatives("RY", angles, True, torch.complex128))


@pytest.mark.parametrize("name", sorted(_GATES))
def test_the_generic_paths_matrices_and_their_autograd_gradients(name):
    """``matrices`` is differentiated by autograd (the generic path): signed moduli must not go through
    ``torch.polar``'s backward, which is wrong for negative ones."""
    angles = torch.randn(6, NPARAMS[name], dtype=torch.float64, generator=torch.Generator().manual_seed(5)) * 3
    got = matrices(name, angles, True, torch.complex128)
    for a, m in zip(angles, got):
        torch.testing.assert_close(m, _matrix(name, a), rtol=0, atol=1e-12)
    angles.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a: torch.view_as_real(matrices(name, a, True, torch.complex128)),
                                    (angles,))
