"""Aer engine on fake backends: the reduced exact path equals a full-device simulation; shots; one job per task."""

import numpy as np
import pytest
import torch

from workbench.circuits import build_program
from workbench.engines import fake_backends
from workbench.engines.aer_engine import AerEngine, apply_readout
from workbench.engines.density_engine import DensityEngine
from workbench.engines.noise_model import device_gate_ptm, swap_ptm_wires, thermal_ptm
from workbench.errors import UserError
from workbench.spec import BackboneSpec, BlockSpec, ExperimentSpec, QuantumSpec, ReadoutSpec, TaskSpec
from workbench.spec.examples import EXPERIMENTS

BACKEND = "fake_manila"  # 5 qubits: small noise model, fast transpiles


def small_spec(n=4) -> ExperimentSpec:
    return ExperimentSpec(
        name="small",
        tasks=[TaskSpec("a", 2, readout=ReadoutSpec("expval", [0])),
               TaskSpec("b", 4, readout=ReadoutSpec("probs", [1, 3])),
               TaskSpec("c", 2, readout=ReadoutSpec("expval", [2, 3]))],
        backbone=BackboneSpec(kind="identity", width=n),
        quantum=QuantumSpec(qubits=n, encoder=BlockSpec(template="AngleEmbedding", rotation="Y"),
                            default_block=BlockSpec(template="StronglyEntanglingLayers", layers=1)),
    )


@pytest.fixture(scope="module")
def case():
    program = build_program(small_spec())
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, program.n_features, generator=g, dtype=torch.float64) * 2 - 1
    weights = {t.name: torch.rand(t.block.n_weights, generator=g, dtype=torch.float64) * 6 for t in program.tasks}
    return program, x, weights


def _full_device_probs(program, task, x, weights):
    """The same ISA circuit on the whole device with the unrestricted noise model (Aer drops idle qubits)."""
    from qiskit_aer import AerSimulator

    from workbench.circuits.export_qiskit import bind_values

    isa, qtc = fake_backends.transpile_program_task(BACKEND, program, task)
    final = fake_backends.final_wires(isa, program.n_qubits)
    qc = isa.copy()
    qubits = [final[w] for w in qtc.measured_wires]
    qc.save_probabilities(qubits=list(reversed(qubits)), label="probs")
    nm = fake_backends.noise_model(BACKEND)
    sim = AerSimulator(method="density_matrix", noise_model=nm)
    vals = bind_values(qtc, x.numpy(), {k: v.numpy() for k, v in weights.items()}, parameters=qc.parameters)
    res = sim.run(qc, parameter_binds=[{p: vals[:, j].tolist() for j, p in enumerate(qc.parameters)}]).result()
    p = np.stack([np.asarray(res.data(i)["probs"]) for i in range(len(x))])
    mats = [np.asarray(nm._local_readout_errors[(q,)].probabilities).T for q in qubits]
    return apply_readout(p, mats)


@pytest.mark.parametrize("executor", ["aer", "ptm"])
def test_reduced_exact_path_equals_full_device_simulation(case, executor):
    program, x, weights = case
    engine = AerEngine(program, BACKEND, executor=executor)
    got = engine.outcome_probabilities(x, weights)
    assert all(engine.executor_used(t.name) == executor for t in program.tasks)
    for t in program.tasks:
        np.testing.assert_allclose(got[t.name], _full_device_probs(program, t.name, x, weights), atol=1e-9)
    report = engine.circuit_report()
    assert all(len(r["active_qubits"]) <= 5 and "cx" in r["ops"] for r in report.values())


def test_one_aer_job_per_task(case, monkeypatch):
    from qiskit_aer import AerSimulator

    program, x, weights = case
    calls = []
    original = AerSimulator.run

    def counting(self, circuits, **kw):
        calls.append(len(circuits) if isinstance(circuits, list) else 1)
        return original(self, circuits, **kw)

    monkeypatch.setattr(AerSimulator, "run", counting)
    out = AerEngine(program, BACKEND, executor="aer")(x, weights)
    assert len(calls) == len(program.tasks) and all(c == 1 for c in calls)
    assert {k: tuple(v.shape) for k, v in out.items()} == {"a": (6, 1), "b": (6, 4), "c": (6, 2)}


def test_ptm_executor_matches_aer_on_the_digits_demo_and_shares_the_encoder():
    from workbench.spec import load

    program = build_program(load(EXPERIMENTS / "digits-3task.toml"))
    g = torch.Generator().manual_seed(2)
    x = torch.rand(3, program.n_features, generator=g, dtype=torch.float64) * 2 - 1
    weights = {t.name: torch.rand(t.block.n_weights, generator=g, dtype=torch.float64) * 6 for t in program.tasks}
    fast, ref = AerEngine(program, "fake_hanoi"), AerEngine(program, "fake_hanoi", executor="aer")
    a, b = fast.outcome_probabilities(x, weights), ref.outcome_probabilities(x, weights)
    for t in program.tasks:
        np.testing.assert_allclose(a[t.name], b[t.name], atol=1e-8)
    circuits = [fast.prepare(t.name).ptm for t in program.tasks]
    assert len({c.shared_key for c in circuits}) == 1 and circuits[0].shared.ops


def test_shots_agree_with_exact_within_error_bars(case):
    program, x, weights = case
    engine = AerEngine(program, BACKEND)
    exact = engine(x, weights)
    values, errors = engine.forward_shots(x, weights, shots=3000, seed=11)
    for t in program.tasks:
        z = np.abs(values[t.name] - exact[t.name].numpy()) / np.maximum(errors[t.name], 2e-3)
        assert z.max() < 5, t.name


def test_calibrated_density_model_is_close_to_the_backend_noise_model(case):
    program, x, weights = case
    aer = AerEngine(program, BACKEND)(x, weights)
    dens = DensityEngine(program, fake_backends.calibrated_noise(BACKEND, program))(x, weights)
    for t in program.tasks:
        assert float((aer[t.name] - dens[t.name]).abs().max()) < 0.05, t.name


def test_calibrated_gate_channels_are_aer_noise_model_channels():
    from qiskit.quantum_info import PTM

    backend = fake_backends.get_backend(BACKEND)
    target = backend.target
    nm = fake_backends.noise_model(BACKEND)
    for q in range(2):
        props = target["sx"][(q,)]
        qp = target.qubit_properties[q]
        mine = device_gate_ptm(props.error, thermal_ptm(qp.t1, qp.t2, props.duration), 1)
        ref = PTM(nm._local_quantum_errors["sx"][(q,)].to_quantumchannel()).data.real
        np.testing.assert_allclose(mine, ref, atol=1e-12)
    a, b = next(iter(target["cx"].keys()))
    props = target["cx"][(a, b)]
    qa, qb = target.qubit_properties[a], target.qubit_properties[b]
    relax = np.kron(thermal_ptm(qa.t1, qa.t2, props.duration), thermal_ptm(qb.t1, qb.t2, props.duration))
    mine = device_gate_ptm(props.error, relax, 2)
    # qiskit's PTM puts the error's qubit 0 last (little-endian); ours puts the gate's first qubit first
    ref = PTM(nm._local_quantum_errors["cx"][(a, b)].to_quantumchannel()).data.real
    np.testing.assert_allclose(mine, swap_ptm_wires(ref), atol=1e-12)


def test_catalogue_and_names():
    cat = fake_backends.catalog()
    assert len(cat) >= 60
    hanoi = fake_backends.info("FakeHanoiV2")
    assert (hanoi.name, hanoi.qubits, hanoi.two_qubit_basis) == ("fake_hanoi", 27, ("cx",))
    assert fake_backends.resolve("hanoi") == fake_backends.resolve("fake_hanoi") == "fake_hanoi"
    with pytest.raises(UserError, match="unknown backend 'fake_nowhere'"):
        fake_backends.resolve("fake_nowhere")
    with pytest.raises(UserError, match="backends that fit: .*fake_hanoi") as exc:
        fake_backends.require_qubits("fake_manila", 8)
    assert "\n" not in str(exc.value)


def test_too_small_backend_is_a_user_error():
    program = build_program(small_spec(6))
    with pytest.raises(UserError, match="fake_manila has 5 qubits but the circuit needs 6"):
        AerEngine(program, "fake_manila")


def test_demo_on_a_133_qubit_cz_device_transpiles_onto_its_own_qubits():
    """The digits demo on fake_torino: transpiling symbolic ``u`` gates for a CZ device used to run for hours in
    Qiskit's basis translator; written as rz-ry-rz they transpile at once, to the same unitary, and the routed
    circuit stays on as many physical qubits as the circuit has."""
    from qiskit.quantum_info import Operator

    from workbench.circuits.export_qiskit import to_qiskit
    from workbench.engines.fake_backends import _symbolic_u_as_zyz
    from workbench.spec import load
    from workbench.spec.examples import EXPERIMENTS

    program = build_program(load(EXPERIMENTS / "digits-3task.toml"))
    circuit = to_qiskit(program, "parity").circuit
    circuit.global_phase = 0
    rewritten = _symbolic_u_as_zyz(circuit)
    assert "u" in circuit.count_ops() and "u" not in rewritten.count_ops()
    values = dict(zip(circuit.parameters, np.random.default_rng(0).uniform(-3, 3, circuit.num_parameters)))
    a = Operator(circuit.assign_parameters(values)).data
    b = Operator(rewritten.assign_parameters({p: values[p] for p in rewritten.parameters})).data
    k = np.unravel_index(np.argmax(np.abs(a)), a.shape)
    np.testing.assert_allclose(a, b * (a[k] / b[k]), atol=1e-10)
    engine = AerEngine(program, "fake_torino", precision="single")
    for t in program.tasks:
        prep = engine.prepare(t.name)
        assert len(prep.active) == program.n_qubits and prep.depth > 0


def test_noise_model_on_some_qubits_equals_the_full_model_there():
    from qiskit.quantum_info import PTM

    from workbench.engines.aer_engine import restrict_noise_model

    qubits = [0, 1, 3]
    mine = restrict_noise_model(fake_backends.noise_model_on(BACKEND, qubits), qubits)
    full = restrict_noise_model(fake_backends.noise_model(BACKEND), qubits)
    assert mine._local_quantum_errors.keys() == full._local_quantum_errors.keys()
    for gate, errors in full._local_quantum_errors.items():
        assert errors.keys() == mine._local_quantum_errors[gate].keys()
        for q, err in errors.items():
            np.testing.assert_allclose(PTM(mine._local_quantum_errors[gate][q].to_quantumchannel()).data,
                                       PTM(err.to_quantumchannel()).data, atol=1e-12)
    for q, err in full._local_readout_errors.items():
        np.testing.assert_allclose(mine._local_readout_errors[q].probabilities, err.probabilities)
