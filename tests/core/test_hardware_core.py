"""Hardware core without a device: transpile-once + parameter order, exact agreement with the torch engine,
pre-flight figures, parameter-shift and SPSA fine-tuning on exact primitives."""

import math

import numpy as np
import pytest
import torch
from qiskit.primitives import StatevectorEstimator
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from tests.core.test_hardware_support import exact_factory, program_and_weights, two_qubit_task
from workbench.errors import UserError
from workbench.hardware.circuits import transpile_tasks
from workbench.hardware.errors import HardwareError
from workbench.hardware.execute import Executor
from workbench.hardware.finetune import TrainTask, finetune, shift_coefficients
from workbench.hardware.mitigation import Mitigation
from workbench.hardware.preflight import FineTune, circuit_duration, estimate
from workbench.hardware.qmtl import flat_theta, program_tasks, weights_from_theta
from workbench.runs import RunStore


@pytest.fixture(scope="module")
def manila():
    return FakeManilaV2()


@pytest.fixture
def store(tmp_path):
    s = RunStore(tmp_path / "runs")
    return s, s.create_run(name="hw core", kind="hardware")


def test_qmtl_circuits_on_isa_match_the_torch_engine_exactly(manila, store):
    """Both readouts (Estimator <Z> and Sampler probabilities), after transpiling to a 5-qubit device with its
    layout: the values the hardware path decodes are the ones the training engine computes."""
    from workbench.engines.registry import make_engine

    spec, program, weights = program_and_weights()
    h = np.random.default_rng(3).uniform(-1.5, 1.5, (7, program.n_features))
    tasks, _ = program_tasks(program, weights, h)
    assert [t.primitive for t in tasks] == ["estimator", "sampler"]
    isa = transpile_tasks(tasks, manila)
    for it in isa:  # ISA: only the device's gates, and the parameters re-ordered by name not position
        assert set(it.isa.count_ops()) <= set(manila.target.operation_names)
        assert [it.task.circuit.parameters[c].name for c in it.columns] == [p.name for p in it.isa.parameters]
    s, rid = store
    with Executor(s, rid, manila, shots=40_000, primitive_factory=exact_factory()) as ex:
        res = ex.run(isa)
    engine = make_engine("torch", program, dtype="complex128")
    ref = engine(torch.as_tensor(h), {k: torch.as_tensor(v) for k, v in weights.items()})
    np.testing.assert_allclose(res["parity"][0], ref["parity"].numpy(), atol=1e-6)
    probs = res["kind"][0]
    assert probs.shape == (7, 4)
    np.testing.assert_allclose(probs, ref["kind"].numpy(), atol=0.02)  # 40k shots: ~0.0025 standard error
    assert len(s.jobs(rid)) == 2 and {j.meta["primitive"] for j in s.jobs(rid)} == {"estimator", "sampler"}


def test_preflight_figures_are_sane(manila):
    spec, program, weights = program_and_weights()
    h = np.zeros((5, program.n_features))
    tasks, _ = program_tasks(program, weights, h)
    isa = transpile_tasks(tasks, manila)
    mit = Mitigation(resilience_level=1)
    pf = estimate(isa, manila, shots=1000, mitigation=mit, finetune=FineTune("shift", steps=2, batch=3))
    for t, it in zip(pf.tasks, isa):
        cx = it.task.circuit.count_ops().get("cx", 0)
        assert cx > 0 and t.logical_two_qubit >= cx
        assert t.isa_two_qubit >= cx  # routing can only add two-qubit gates
        assert t.isa_depth >= t.logical_depth - 1
        assert t.bindings == 5 and t.groups == 1
        assert 1e-7 < t.circuit_s < 1e-3
        # the documented formula, no ZNE: bindings x groups x shots x (rep_delay + t_circ)
        assert t.qpu_s == pytest.approx(5 * 1000 * (pf.rep_delay_s + t.circuit_s))
    assert pf.jobs == 2 and pf.bindings == 10 and pf.total_shots == 10_000
    assert pf.qpu_s > 2 * 2.0  # two jobs' overhead at least
    # budget: parameter shift costs 1 + 2K bindings per sample per step, K = the task circuit's weights
    k = {t.name: t.task.circuit.num_parameters - program.n_features for t in isa}
    assert pf.finetune.per_task == {n: 3 * (1 + 2 * k[n]) for n in k}
    assert pf.finetune.bindings == 2 * sum(pf.finetune.per_task.values()) and pf.finetune.jobs == 4
    spsa = estimate(isa, manila, shots=1000, mitigation=mit, finetune=FineTune("spsa", steps=2, batch=3))
    assert spsa.finetune.per_task == {n: 9 for n in k}
    zne = estimate(isa, manila, shots=1000, mitigation=Mitigation(zne=True))
    assert zne.circuits == 5 * 3 + 5 and zne.qpu_s > pf.qpu_s  # ZNE on the estimator task only
    text = pf.render()
    assert "fine-tuning (shift)" in text and "estimated QPU time" in text


def test_circuit_duration_follows_the_critical_path(manila):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(5)
    qc.sx(0)
    qc.cx(0, 1)
    qc.x(3)
    t = manila.target
    expected = t["sx"][(0,)].duration + t["cx"][(0, 1)].duration
    assert circuit_duration(qc, manila) == pytest.approx(expected)
    assert circuit_duration(qc, manila, measured=(1,)) == pytest.approx(expected + t["measure"][(1,)].duration)


def test_parameter_shift_gradient_matches_finite_differences(manila, store):
    task, X, W = two_qubit_task(B=4)
    it = transpile_tasks([task], manila)[0]
    s, rid = store
    theta_index = {f"w[{i}]": i for i in range(4)}
    labels = np.array([0, 1, 1, 0])
    tt = TrainTask(it, task.values, labels, theta_index)
    seen = {}

    def run_step(values, k):
        seen.update(values)
        with Executor(s, rid, manila, primitive_factory=exact_factory()) as ex:
            return {n: r for n, (r, _) in ex.run([it], values, purpose="test").items()}

    ft = FineTune("shift", steps=1, batch=4, lr=1e-3)  # one step: theta0 - lr * grad(theta0)
    res = finetune([tt], W, ft, run_step)
    assert seen["toy"].shape == (4, 1 + 2 * 4, task.circuit.num_parameters)
    assert res.bindings == 4 * 9 and res.jobs == 1

    # reference: the same loss by exact statevector, differentiated by central differences
    names = [p.name for p in task.circuit.parameters]

    def loss(w):
        v = task.values.copy()
        for i in range(4):
            v[:, names.index(f"w[{i}]")] = w[i]
        evs = StatevectorEstimator().run([(task.circuit, [[o] for o in task.observables], v)]).result()[0].data.evs
        logits = torch.as_tensor(evs.T)
        return float(torch.nn.functional.cross_entropy(logits, torch.as_tensor(labels)))

    eps = 1e-5
    fd = np.array([(loss(W + eps * np.eye(4)[i]) - loss(W - eps * np.eye(4)[i])) / (2 * eps) for i in range(4)])
    grad = (W - res.theta) / 1e-3
    np.testing.assert_allclose(grad, fd, rtol=1e-4, atol=1e-6)
    assert abs(fd[1]) > 1e-3  # the scaled angle rx(0.5 w1) is part of the check


def test_spsa_lowers_the_loss_on_an_exact_simulator(manila, store):
    task, X, W = two_qubit_task(B=12, seed=4)
    it = transpile_tasks([task], manila)[0]
    s, rid = store
    labels = (X[:, 0] > 0).astype(int)
    tt = TrainTask(it, task.values, labels, {f"w[{i}]": i for i in range(4)}, logits=lambda r: 3 * r)
    shapes = []

    def run_step(values, k):
        shapes.append(values["toy"].shape)
        with Executor(s, rid, manila, primitive_factory=exact_factory()) as ex:
            return {n: r for n, (r, _) in ex.run([it], values, purpose="test").items()}

    res = finetune([tt], W, FineTune("spsa", steps=25, batch=12, lr=0.6, perturbation=0.3, seed=2), run_step)
    assert shapes[0] == (12, 3, task.circuit.num_parameters) and res.jobs == 25
    first, last = res.history[0]["loss"], np.mean([h["loss"] for h in res.history[-3:]])
    assert last < first - 0.05, (first, last)


def test_shift_rule_refuses_what_it_cannot_differentiate():
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(2)
    qc.ry(a, 0)
    qc.rx(a, 1)
    qc.crx(b, 0, 1)
    with pytest.raises(HardwareError, match="parameter a drives 2 gates"):
        shift_coefficients(qc, ["a"])
    with pytest.raises(HardwareError, match="crx gate"):
        shift_coefficients(qc, ["b"])
    qc2 = QuantumCircuit(1)
    qc2.ry(3 * a, 0)
    assert shift_coefficients(qc2, ["a"]) == {"a": 3.0}


def test_theta_layout_round_trip():
    _, program, weights = program_and_weights()
    theta = flat_theta(program, weights)
    back = weights_from_theta(program, theta)
    assert set(back) == set(weights)
    for k in weights:
        np.testing.assert_array_equal(back[k], weights[k])


def test_bad_inputs_are_one_line_user_errors(manila, store):
    s, rid = store
    task, _, _ = two_qubit_task()
    for kw, field in [({"shots": 0}, "--shots"), ({"mode": "burst"}, "--mode"), ({"deadline_s": -1}, "--timeout")]:
        with pytest.raises(UserError, match=field) as e:
            Executor(s, rid, manila, **kw)
        assert "\n" not in str(e.value)
    with pytest.raises(UserError, match="--resilience-level: must be 0, 1 or 2, got 7"):
        Mitigation(resilience_level=7).check()
    with pytest.raises(UserError, match="--finetune: unknown method 'adam'"):
        FineTune("adam").check()
    bad = task.__class__("bad", task.circuit, task.values[:, :2], task.observables)
    with pytest.raises(UserError, match="task bad: values have shape"):
        transpile_tasks([bad], manila)
    nan = task.__class__("nan", task.circuit, task.values * math.nan, task.observables)
    with pytest.raises(UserError, match="NaN"):
        transpile_tasks([nan], manila)

