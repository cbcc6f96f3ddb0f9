"""Torch density-matrix engine: ideal = torch engine, uniform channels = Aer's density matrix, differentiable."""

import numpy as np
import pytest
import torch

from tests.core.random_specs import random_spec
from workbench.circuits import build_program
from workbench.circuits.export_qiskit import to_qiskit
from workbench.engines.aer_engine import AerEngine, _aer_native
from workbench.engines.density_engine import DensityEngine, density_to_pauli, pauli_to_density
from workbench.engines.noise_model import NoiseSpec
from workbench.engines.torch_engine import TorchEngine
from workbench.errors import UserError
from workbench.spec import load
from workbench.spec.examples import EXPERIMENTS

DIGITS = str(EXPERIMENTS / "digits-3task.toml")
CHANNELS = [
    "depolarizing:0.02/0.05",
    "amplitude_damping:0.03+phase_damping:0.02",
    "depolarizing:0.01+amplitude_damping:0.02+phase_damping:0.01+readout:0.03",
    "thermal:50/70/1.5+readout:0.05",
]


def _case(seed, batch=2, n_max=6):
    spec = random_spec(seed, n_max=n_max)
    program = build_program(spec)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, program.n_features, generator=g, dtype=torch.float64)
    weights = {b.name: torch.randn(b.n_weights, generator=g, dtype=torch.float64) for b in program.blocks()}
    return spec, program, x, weights


def test_ideal_matches_torch_engine_states_and_readouts():
    for seed in range(24):
        spec, program, x, weights = _case(seed, batch=3)
        ref = TorchEngine(program, dtype="complex128")
        states = ref.final_states(x, weights)
        out, want = DensityEngine(program)(x, weights), ref(x, weights)
        rho = DensityEngine(program).density_matrices(x, weights)
        for t in program.tasks:
            torch.testing.assert_close(out[t.name], want[t.name], atol=1e-10, rtol=0, msg=f"seed {seed}")
            s = states[t.name]
            torch.testing.assert_close(rho[t.name], torch.einsum("bi,bj->bij", s, s.conj()), atol=1e-10, rtol=0)


def test_gradients_match_torch_engine():
    for seed in (0, 2, 5, 9):
        spec, program, x, weights = _case(seed)
        grads = []
        for engine in (TorchEngine(program, dtype="complex128"), DensityEngine(program)):
            xx = x.clone().requires_grad_(True)
            ww = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
            out = engine(xx, ww)
            loss = sum((v * torch.linspace(-1, 1, v.numel(), dtype=v.dtype).reshape(v.shape)).sum()
                       for v in out.values())
            params = [xx] + [ww[k] for k in sorted(ww)]
            g = torch.autograd.grad(loss, params, allow_unused=True)
            grads.append([torch.zeros_like(p) if gi is None else gi for p, gi in zip(params, g)])
        for a, b in zip(*grads):
            torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-7, msg=f"seed {seed}")


def _aer_density(program, task, x_row, weights, noise: NoiseSpec) -> np.ndarray:
    from qiskit_aer import AerSimulator

    qc = _aer_native(to_qiskit(program, task, inputs=x_row, weights=weights).circuit)
    qc.save_density_matrix()
    sim = AerSimulator(method="density_matrix", noise_model=noise.to_aer_noise_model())
    rho = np.asarray(sim.run(qc).result().data(0)["density_matrix"])
    n = program.n_qubits
    rev = list(range(n - 1, -1, -1))
    return rho.reshape([2] * 2 * n).transpose(rev + [n + r for r in rev]).reshape(2**n, 2**n)


@pytest.mark.parametrize("channels", CHANNELS)
def test_uniform_channels_match_aer_density_matrix(channels):
    noise = NoiseSpec.parse(channels)
    for seed in range(12):
        spec, program, x, weights = _case(seed, batch=1, n_max=5)
        rho = DensityEngine(program, noise).density_matrices(x, weights)
        w_np = {k: v.numpy() for k, v in weights.items()}
        for t in program.tasks:
            ref = _aer_density(program, t.name, x[0].numpy(), w_np, noise)
            np.testing.assert_allclose(rho[t.name][0].numpy(), ref, atol=1e-6, err_msg=f"seed {seed} {channels}")


def test_readouts_with_readout_error_match_aer_engine():
    noise = CHANNELS[2]
    for seed in range(20):
        spec, program, x, weights = _case(seed, batch=3, n_max=5)
        a, d = AerEngine(program, noise=noise)(x, weights), DensityEngine(program, noise)(x, weights)
        for t in program.tasks:
            torch.testing.assert_close(d[t.name], a[t.name], atol=1e-6, rtol=0, msg=f"seed {seed}")


def test_readout_error_against_aer_shots():
    """Aer applies readout errors only to sampled bits: compare the exact readout with its own shots."""
    program = build_program(load(DIGITS))
    x = torch.rand(2, program.n_features, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    weights = {t.name: torch.linspace(0, 6, t.block.n_weights, dtype=torch.float64) for t in program.tasks}
    noise = "depolarizing:0.002/0.01+readout:0.08"
    exact = DensityEngine(program, noise)(x, weights)
    values, errors = AerEngine(program, noise=noise).forward_shots(x, weights, shots=4000, seed=3)
    for t in program.tasks:
        z = np.abs(values[t.name] - exact[t.name].numpy()) / np.maximum(errors[t.name], 1e-3)
        assert z.max() < 5, (t.name, z.max())


def test_heisenberg_and_schroedinger_paths_agree():
    program = build_program(load(DIGITS))
    engine = DensityEngine(program, "depolarizing:0.01+amplitude_damping:0.01+readout:0.02")
    x = torch.rand(40, program.n_features, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    weights = {t.name: torch.linspace(0, 5, t.block.n_weights, dtype=torch.float64) for t in program.tasks}
    big = engine(x, weights)  # 40 inputs >= 16 outcomes: Heisenberg for every task
    # 4 inputs < 16 outcomes: the digit task runs forward per sample instead
    small = {k: torch.cat([engine(x[i:i + 4], weights)[k] for i in range(0, 40, 4)]) for k in big}
    for k in big:
        torch.testing.assert_close(big[k], small[k], atol=1e-10, rtol=0)


def test_noise_aware_gradients_are_finite_and_match_finite_differences():
    program = build_program(load(DIGITS))
    engine = DensityEngine(program, "depolarizing:0.01/0.03+amplitude_damping:0.01+readout:0.02")
    x = torch.rand(3, program.n_features, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    w = torch.linspace(0, 5, program.task("parity").block.n_weights, dtype=torch.float64).requires_grad_(True)
    weights = {t.name: torch.linspace(0, 4, t.block.n_weights, dtype=torch.float64) for t in program.tasks}

    def loss(wp):
        return engine(x, {**weights, "parity": wp})["parity"].sum()

    g, = torch.autograd.grad(loss(w), w)
    eps = 1e-6
    for i in (0, 7, 30):
        e = torch.zeros_like(w)
        e[i] = eps
        fd = (loss(w.detach() + e) - loss(w.detach() - e)) / (2 * eps)
        assert abs(float(g[i]) - float(fd)) < 1e-6


def test_shots_sample_the_exact_distribution():
    program = build_program(load(DIGITS))
    engine = DensityEngine(program, "depolarizing:0.01", dtype="complex64")
    x = torch.rand(5, program.n_features, generator=torch.Generator().manual_seed(0))
    weights = {t.name: torch.linspace(0, 5, t.block.n_weights) for t in program.tasks}
    exact = engine(x, weights)
    values, errors = engine.forward_shots(x, weights, shots=20000, seed=0)
    for t in program.tasks:
        assert values[t.name].shape == tuple(exact[t.name].shape) == errors[t.name].shape
        assert np.all(np.abs(values[t.name] - exact[t.name].double().numpy()) < 5 * errors[t.name] + 1e-3)
    with pytest.raises(UserError, match="--shots"):
        engine.forward_shots(x, weights, shots=0)


def test_pauli_basis_round_trip():
    g = torch.Generator().manual_seed(0)
    m = torch.randn(2, 8, 8, dtype=torch.complex128, generator=g)
    rho = m @ m.conj().transpose(-1, -2)
    torch.testing.assert_close(pauli_to_density(density_to_pauli(rho, 3), 3), rho)


@pytest.mark.parametrize("bad", ["depolarizing", "depolarizing:x", "depolarizing:1.5/0.1", "readout:2",
                                 "foo:0.1", "thermal:1/2", "readout:0.1/0.2"])
def test_bad_noise_specs_are_one_line_user_errors(bad):
    with pytest.raises(UserError) as exc:
        NoiseSpec.parse(bad)
    assert "\n" not in str(exc.value) and bad.split(":")[0] in str(exc.value)


def test_too_many_qubits_is_a_user_error():
    from workbench.circuits.ir import Block, QMTLProgram

    with pytest.raises(UserError, match="quantum.qubits"):
        DensityEngine(QMTLProgram(13, 1, Block("encoder", "encoder", [], 0)))


def test_noise_aware_training_of_the_qmtl_head():
    """The density engine drops into the QMTL head: a few Adam steps under noise lower the loss."""
    from workbench.models.model import build_model
    from workbench.spec import BackboneSpec, BlockSpec, ExperimentSpec, QuantumSpec, ReadoutSpec, TaskSpec

    spec = ExperimentSpec(
        name="tiny", tasks=[TaskSpec("a", 2, readout=ReadoutSpec("expval", [0], scale=4.0)),
                            TaskSpec("b", 2, readout=ReadoutSpec("probs", [1]))],
        backbone=BackboneSpec(kind="mlp", hidden=[8], width=3),
        quantum=QuantumSpec(qubits=3, encoder=BlockSpec(template="AngleEmbedding"),
                            default_block=BlockSpec(template="StronglyEntanglingLayers", layers=1)))
    model = build_model(spec, 5, "qmtl", seed=0)
    model.head.engine = DensityEngine(model.head.program, "depolarizing:0.02+amplitude_damping:0.01+readout:0.03",
                                      dtype="complex64")
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 5, generator=g)
    Y = torch.stack([(X[:, 0] > 0).long(), (X[:, 1] + X[:, 2] > 0).long()], 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(25):
        out = model(X)
        loss = sum(torch.nn.functional.cross_entropy(out[t], Y[:, k]) for k, t in enumerate(("a", "b")))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(np.isfinite(losses)) and losses[-1] < 0.8 * losses[0]
