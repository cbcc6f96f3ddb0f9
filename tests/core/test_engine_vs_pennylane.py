"""The fast torch engine against PennyLane default.qubit on random specs: outputs and gradients."""

import random

import pytest
import torch

from tests.core.random_specs import random_spec
from workbench.circuits import build_program
from workbench.engines.pennylane_engine import PennyLaneEngine
from workbench.engines.torch_engine import TorchEngine
from workbench.spec import BackboneSpec, BlockSpec, ExperimentSpec, QuantumSpec, ReadoutSpec, TaskSpec, validate

N_SPECS = 200
BATCH = 3


def _inputs(program, seed, dtype):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, program.n_features, generator=g, dtype=torch.float64)
    weights = {b.name: torch.randn(b.n_weights, generator=g, dtype=torch.float64) for b in program.blocks()}
    coeffs = {t.name: torch.randn(BATCH, t.readout.width, generator=g, dtype=torch.float64) for t in program.tasks}
    x = x.to(dtype).requires_grad_(True)
    weights = {k: v.to(dtype).requires_grad_(True) for k, v in weights.items()}
    return x, weights, coeffs


def _outputs_and_grads(engine, program, seed, dtype):
    x, weights, coeffs = _inputs(program, seed, dtype)
    out = engine(x, weights)
    loss = sum((out[t.name].double() * coeffs[t.name]).sum() for t in program.tasks)
    params = [x] + [weights[k] for k in sorted(weights)]
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
    return {k: v.detach().double() for k, v in out.items()}, [g.double() for g in grads]


def assert_matches(out, grads, ref_out, ref_grads, tol: float, where: str) -> None:
    """Outputs and gradients against the reference simulator's, within ``tol``."""
    for name in ref_out:
        torch.testing.assert_close(out[name], ref_out[name], atol=tol, rtol=tol, msg=where)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, atol=tol, rtol=tol, msg=f"gradient, {where}")


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(10))
def test_random_specs_match_default_qubit(chunk):
    per_chunk = N_SPECS // 10
    for seed in range(chunk * per_chunk, (chunk + 1) * per_chunk):
        spec = random_spec(seed)
        validate(spec)
        program = build_program(spec)
        ref_out, ref_grads = _outputs_and_grads(PennyLaneEngine(program, "default.qubit"), program, seed,
                                                torch.float64)
        for dtype, rdtype, tol in (("complex128", torch.float64, 1e-10), ("complex64", torch.float32, 1e-5)):
            # the generic path unfused and fused, and the default (the fused adjoint backward where the blocks allow)
            for fuse, backward in (("never", "autograd"), ("always", "autograd"), ("auto", "auto")):
                engine = TorchEngine(program, dtype=dtype, fuse=fuse, backward=backward)
                out, grads = _outputs_and_grads(engine, program, seed, rdtype)
                where = f"seed {seed} ({spec.quantum.encoder.template}, n={program.n_qubits}, {dtype}, fuse={fuse}, " \
                        f"backward={backward})"
                assert_matches(out, grads, ref_out, ref_grads, tol, where)


def test_the_adjoint_backward_runs_on_many_random_specs():
    """The agreement test above checks the default path; make sure that path is the fused one often enough."""
    adjoint = chained = 0
    for seed in range(N_SPECS):
        engine = TorchEngine(build_program(random_spec(seed)))
        adjoint += any(g.plan is not None for g in engine.groups)
        chained += all(g.chain is not None for g in engine.groups)  # one node from the angles (angle_stack)
    assert adjoint >= N_SPECS // 4 and chained >= 2  # test_one_node_from_the_angles_... covers that node


def test_random_specs_cover_every_template_and_readout():
    seen = set()
    for seed in range(N_SPECS):
        spec = random_spec(seed)
        seen.add(("enc", spec.quantum.encoder.template))
        seen.add(("n", spec.quantum.qubits))
        for t in spec.tasks:
            seen.add(("block", spec.block_for(t).template))
            seen.add(("readout", t.readout.kind))
    from workbench.spec.vocabulary import ANSATZE, ENCODERS
    expected = {("enc", e) for e in ENCODERS} | {("block", a) for a in ANSATZE} | \
        {("readout", "expval"), ("readout", "probs")} | {("n", n) for n in range(1, 11)}
    assert expected <= seen


@pytest.mark.parametrize("seed", range(6))
def test_wide_circuits_match_default_qubit(seed):
    """12 and 13 qubits: rotation layers still applied as two Kronecker factors (the path the 200 specs above
    reach up to 10 qubits)."""
    spec = random_spec(1000 + seed, n_min=12, n_max=13)
    validate(spec)
    program = build_program(spec)
    ref_out, ref_grads = _outputs_and_grads(PennyLaneEngine(program, "default.qubit"), program, seed, torch.float64)
    for dtype, rdtype, tol in (("complex128", torch.float64, 1e-10), ("complex64", torch.float32, 1e-4)):
        out, grads = _outputs_and_grads(TorchEngine(program, dtype=dtype), program, seed, rdtype)
        where = f"seed {1000 + seed} ({spec.quantum.encoder.template}, n={program.n_qubits}, {dtype})"
        assert_matches(out, grads, ref_out, ref_grads, tol, where)


def _angle_stack_spec(seed: int) -> ExperimentSpec:
    """AngleEmbedding (RX or RY, one scale) and rotation-layer ansatze on 2-9 qubits, 1-3 tasks: the programs that
    run as one node from the angles (angle_stack), odd and even qubit counts, one or several groups."""
    rng = random.Random(seed)
    n = rng.randint(2, 9)
    tasks = []
    for i in range(rng.randint(1, 3)):
        template = rng.choice(["StronglyEntanglingLayers", "BasicEntanglerLayers"])
        block = BlockSpec(template=template, layers=rng.randint(1, 3), rotation=rng.choice("XY"))
        classes = rng.randint(2, min(n, 3))
        readout = ReadoutSpec("expval", rng.sample(range(n), classes))
        if rng.random() < 0.3:
            classes, readout = 2, ReadoutSpec("probs", rng.sample(range(n), 1))
        tasks.append(TaskSpec(name=f"t{i}", classes=classes, block=block if rng.random() < 0.6 else None,
                              readout=readout))
    encoder = BlockSpec(template="AngleEmbedding", rotation=rng.choice("XY"),
                        input_scale=rng.choice([1.0, 0.5]))
    return ExperimentSpec(name=f"angle-stack-{seed}", tasks=tasks, backbone=BackboneSpec(width=n),
                          quantum=QuantumSpec(qubits=n, encoder=encoder,
                                              default_block=BlockSpec(template="StronglyEntanglingLayers",
                                                                      layers=2)))


@pytest.mark.parametrize("seed", range(12))
def test_one_node_from_the_angles_matches_default_qubit(seed):
    spec = _angle_stack_spec(seed)
    validate(spec)
    program = build_program(spec)
    ref_out, ref_grads = _outputs_and_grads(PennyLaneEngine(program, "default.qubit"), program, seed, torch.float64)
    for dtype, rdtype, tol in (("complex128", torch.float64, 1e-10), ("complex64", torch.float32, 1e-5)):
        engine = TorchEngine(program, dtype=dtype)
        assert all(g.chain is not None for g in engine.groups), "the spec should run as one node"
        out, grads = _outputs_and_grads(engine, program, seed, rdtype)
        where = f"seed {seed}, n={program.n_qubits}, {dtype}, {len(engine.groups)} group(s)"
        assert_matches(out, grads, ref_out, ref_grads, tol, where)
