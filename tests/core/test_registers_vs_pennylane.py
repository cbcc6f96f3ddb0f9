"""Task registers, blocks on subsets of wires and Pauli-word readouts: the torch engine (per-task and one-state
paths) and the density engine against PennyLane default.qubit on random specs, outputs and gradients."""

import pytest
import torch

from tests.core.random_specs import random_register_spec
from tests.core.test_engine_vs_pennylane import _outputs_and_grads, assert_matches
from workbench.circuits import build_program
from workbench.engines.density_engine import DensityEngine
from workbench.engines.one_state import OneStateEngine, choose_path
from workbench.engines.pennylane_engine import PennyLaneEngine
from workbench.engines.torch_engine import TorchEngine
from workbench.spec import validate

N_SPECS = 120


def _check(spec, seed):
    validate(spec)
    program = build_program(spec)
    ref_out, ref_grads = _outputs_and_grads(PennyLaneEngine(program, "default.qubit"), program, seed, torch.float64)
    engines = []
    for dtype, rdtype, tol in (("complex128", torch.float64, 1e-10), ("complex64", torch.float32, 1e-5)):
        for fuse in ("never", "always"):
            engines.append((TorchEngine(program, dtype=dtype, fuse=fuse), rdtype, tol, f"torch {dtype} {fuse}"))
            if choose_path(program) == "one-state":
                engines.append((OneStateEngine(program, dtype=dtype, fuse=fuse), rdtype, tol,
                                f"one-state {dtype} {fuse}"))
    if program.n_qubits <= 6:
        engines.append((DensityEngine(program, dtype="complex128"), torch.float64, 1e-10, "density"))
    for engine, rdtype, tol, label in engines:
        out, grads = _outputs_and_grads(engine, program, seed, rdtype)
        where = f"seed {seed} ({spec.quantum.layout}, n={program.n_qubits}, {label})"
        assert_matches(out, grads, ref_out, ref_grads, tol, where)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(6))
def test_register_specs_match_default_qubit(chunk):
    per_chunk = N_SPECS // 6
    for seed in range(chunk * per_chunk, (chunk + 1) * per_chunk):
        _check(random_register_spec(seed), seed)


def test_a_few_register_specs_match_default_qubit():
    """The quick subset that runs in every test pass."""
    for seed in (0, 1, 2, 3):
        _check(random_register_spec(seed), seed)


def test_random_register_specs_cover_the_new_cases():
    seen = set()
    for seed in range(N_SPECS):
        spec = random_register_spec(seed)
        validate(spec)
        program = build_program(spec)
        seen.add(("layout", spec.quantum.layout))
        seen.add(("path", choose_path(program)))
        seen.add(("projection", spec.quantum.projection is not None))
        for t, tc in zip(spec.tasks, program.tasks):
            seen.add(("kind", t.kind))
            seen.add(("subset", tc.block.wires is not None and len(tc.block.wires) < program.n_qubits))
            r = t.readout
            if r is not None and r.kind == "pauli":
                seen.add(("relative", r.relative))
                seen.add(("binary", r.binary))
                seen |= {("op", op) for word in tc.readout.words for op, _ in word}
                seen.add(("multi-factor", any(len(w) > 1 for w in tc.readout.words)))
    expected = {("layout", "shared"), ("layout", "registers"), ("path", "one-state"), ("path", "per-task"),
                ("projection", True), ("kind", "regression"), ("kind", "classification"), ("subset", True),
                ("relative", True), ("relative", False), ("binary", "single-logit"), ("binary", "two-logit"),
                ("op", "X"), ("op", "Y"), ("op", "Z"), ("multi-factor", True)}
    assert expected <= seen, expected - seen
