"""The JAX-jit peer used by ``qmtl bench --train`` computes what our engine computes: outputs and gradients."""

import pytest
import torch

from workbench.circuits.program import build_program
from workbench.engines.torch_engine import TorchEngine
from workbench.spec.examples import small_synthetic

pytest.importorskip("jax")


def test_jax_engine_matches_the_torch_engine_with_padding():
    from workbench.engines.jax_engine import JaxEngine

    program = build_program(small_synthetic())
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, program.n_features, generator=g, dtype=torch.float64, requires_grad=True)
    w = {b.name: torch.randn(b.n_weights, generator=g, dtype=torch.float64, requires_grad=True)
         for b in program.blocks() if b.n_weights}

    def run(engine):
        out = engine(x, w)
        loss = sum((v * torch.linspace(-1, 1, v.numel(), dtype=v.dtype).reshape(v.shape)).sum() for v in out.values())
        return out, torch.autograd.grad(loss, [x, *w.values()])

    out_j, grads_j = run(JaxEngine(program, dtype="complex128", batch=4))  # 6 samples: two padded chunks
    out_t, grads_t = run(TorchEngine(program, dtype="complex128"))
    for k in out_t:
        torch.testing.assert_close(out_j[k], out_t[k], atol=1e-10, rtol=1e-10)
    for a, b in zip(grads_j, grads_t):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)
