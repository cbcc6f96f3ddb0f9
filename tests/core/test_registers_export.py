"""Exports of Pauli-word readouts: SparsePauliOp observables, OpenQASM 3 with the basis changes before measurement
(re-simulated in Qiskit it reproduces the engine's Pauli-word outputs), and EstimatorV2 PUBs in local testing mode."""

import numpy as np
import pytest
import torch
from qiskit import qasm3
from qiskit.quantum_info import SparsePauliOp, Statevector

from workbench.circuits import build_program
from workbench.circuits.export_qiskit import measurement_bases, to_qiskit, with_measurements
from workbench.cli import main
from workbench.engines.torch_engine import TorchEngine
from workbench.spec import dumps, load, spec_from_dict, spec_to_dict
from workbench.spec.examples import EXPERIMENTS


def _register_spec(samples=160, epochs=1):
    """Three synthetic tasks on registers: binary (1 qubit), 3 classes (2 qubits), regression (1 qubit)."""
    data = spec_to_dict(load(EXPERIMENTS / "small-synthetic.toml"))
    data["dataset"]["options"].update(tasks=3, classes=[2, 3, 1], samples=samples)
    data["tasks"] = [{"name": "task_0", "classes": 2}, {"name": "task_1", "classes": 3},
                     {"name": "task_2", "kind": "regression"}]
    data["quantum"].update(layout="registers", qubits=4)
    data["quantum"]["encoder"] = {"template": "ReUploading", "layers": 3}
    data["backbone"]["width"] = 12
    data["training"]["epochs"] = epochs
    return spec_from_dict(data)


def _word_values_from_qasm(text, x, wires):
    """Re-simulate one exported program: drop the final measurements, bind the inputs, and read <Z...Z> on each
    measured-word's wires of the rotated state (the basis change is in the program)."""
    qc = qasm3.loads(text)
    qc.remove_final_measurements()
    by_name = {p.name: p for p in qc.parameters}
    sv = Statevector(qc.assign_parameters({by_name[f"_x_{i}_"]: float(v) for i, v in enumerate(x)
                                           if f"_x_{i}_" in by_name}))
    n = qc.num_qubits
    return [float(np.real(sv.expectation_value(SparsePauliOp.from_sparse_list([("Z" * len(w), list(w), 1.0)],
                                                                                num_qubits=n)))) for w in wires]


def test_qasm3_of_a_register_run_reproduces_the_engine(tmp_path, capsys):
    from workbench.runs.store import RunStore
    from workbench.training import load_trained, train

    spec_file = tmp_path / "reg.toml"
    spec_file.write_text(dumps(_register_spec()))
    store = RunStore(tmp_path / "runs")
    result = train(load(spec_file), store)
    assert set(result.test["task_2"]) >= {"mae", "r2", "spearman"}
    out = tmp_path / "qasm" / "reg.qasm"
    out.parent.mkdir()
    assert main(["export", result.run_id, "--runs-dir", str(tmp_path / "runs"), "--format", "qasm3",
                 "--out", str(out)]) == 0
    names = sorted(p.name for p in out.parent.glob("*.qasm"))
    # task_1 reads Z0, Z1 and X0 X1: two bases, two programs
    assert names == ["reg-task_0.qasm", "reg-task_1-basis0.qasm", "reg-task_1-basis1.qasm", "reg-task_2.qasm"]
    head = load_trained(store, result.run_id).model.head
    program = head.program
    weights = {k: v.detach().double() for k, v in head.weights.items()}
    x = torch.linspace(-1.2, 0.9, program.n_features, dtype=torch.float64)
    ref = TorchEngine(program, dtype="complex128")(x[None], weights)
    checked = 0
    for t in program.tasks:
        r = t.readout
        assert r.kind == "pauli"
        bases = measurement_bases(r)
        for b, (rotation, members, _) in enumerate(bases):
            suffix = f"-basis{b}" if len(bases) > 1 else ""
            text = (out.parent / f"reg-{t.name}{suffix}.qasm").read_text()
            if any(op == "X" for op in rotation.values()):
                assert "h q[" in text.split("measure")[0].rsplit("cx", 1)[-1]  # the basis change before measuring
            got = _word_values_from_qasm(text, x.numpy(), [[w for _, w in r.words[i]] for i in members])
            for i, v in zip(members, got):
                assert abs(v - float(ref[t.name][0, i])) < 1e-6, (t.name, i)
                checked += 1
    assert checked == 1 + 3 + 1


def test_sparse_pauli_observables_and_y_basis():
    data = spec_to_dict(_register_spec())
    data["tasks"][1]["readout"] = {"kind": "pauli", "words": ["Y0 Y1", "X1", "Z0 X1"], "scales": [2.0, 1.0, 1.0]}
    program = build_program(spec_from_dict(data))
    t = program.task("task_1")
    g = torch.Generator().manual_seed(4)
    x = torch.randn(1, program.n_features, generator=g, dtype=torch.float64)
    weights = {b.name: torch.randn(b.n_weights, generator=g, dtype=torch.float64) for b in program.blocks()
               if b.n_weights}
    ref = TorchEngine(program, dtype="complex128")(x, weights)["task_1"][0]
    qtc = to_qiskit(program, "task_1", inputs=x[0].numpy(), weights=weights)
    # task_1's register is wires [1, 2]; Qiskit labels put qubit 0 rightmost
    assert [o.paulis[0].to_label() for o in qtc.observables] == ["IYYI", "IXII", "IXZI"]
    sv = Statevector(qtc.circuit)
    for o, r in zip(qtc.observables, ref):
        assert abs(float(np.real(sv.expectation_value(o))) - float(r)) < 1e-9
    # Y0 Y1 and X1 / Z0 X1 need different bases; each measured circuit rotates its wires before measuring
    bases = measurement_bases(t.readout)
    assert [m for _, m, _ in bases] == [[0], [1, 2]]
    qc = with_measurements(qtc, 0)
    ops = [inst.operation.name for inst in qc.data[-6:]]
    assert ops[:4] == ["sdg", "h", "sdg", "h"] and ops[-2:] == ["measure", "measure"]
    with pytest.raises(Exception, match="bases"):
        with_measurements(qtc, 5)


def test_estimator_pubs_in_local_testing_mode(tmp_path):
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from workbench.hardware.circuits import transpile_tasks
    from workbench.hardware.execute import Executor, forget_jobs
    from workbench.hardware.qmtl import program_tasks
    from workbench.runs import RunStore

    program = build_program(_register_spec())
    g = torch.Generator().manual_seed(1)
    h = torch.randn(3, program.n_features, generator=g, dtype=torch.float64).numpy()
    weights = {b.name: torch.randn(b.n_weights, generator=g, dtype=torch.float64).numpy() for b in program.blocks()
               if b.n_weights}
    tasks, _ = program_tasks(program, weights, h)
    assert all(ct.primitive == "estimator" for ct in tasks)
    assert [len(ct.observables) for ct in tasks] == [1, 3, 1]
    backend = FakeManilaV2()
    isa = transpile_tasks(tasks, backend)
    # pre-flight counts: task_1's words Z0, Z1 and X0 X1 need two measurement settings
    from workbench.hardware.mitigation import Mitigation
    from workbench.hardware.preflight import estimate

    pre = estimate(isa, backend, shots=1000, mitigation=Mitigation(), local=True)
    assert [t.groups for t in pre.tasks] == [1, 2, 1] and pre.qpu_s > 0
    forget_jobs()
    store = RunStore(tmp_path / "runs")
    rid = store.create_run(name="pauli local", kind="hardware")
    with Executor(store, rid, backend, shots=4000, seed=5) as ex:
        res = ex.run(isa)
    ref = TorchEngine(program, dtype="complex128")(torch.as_tensor(h),
                                                   {k: torch.as_tensor(v) for k, v in weights.items()})
    for t in program.tasks:
        values = res[t.name][0]
        assert values.shape == (3, t.readout.width)
        # a noisy fake backend with shots: the values follow the exact ones loosely, not to rounding
        assert np.abs(values - ref[t.name].numpy()).max() < 0.35
    forget_jobs()


def test_pennylane_snippet_reads_the_pauli_words():
    from workbench.circuits.export_pennylane import to_pennylane_source

    program = build_program(load(EXPERIMENTS / "registers-digits.toml"))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, program.n_features, generator=g, dtype=torch.float64)
    weights = {b.name: torch.randn(b.n_weights, generator=g, dtype=torch.float64) for b in program.blocks()
               if b.n_weights}
    ns: dict = {}
    exec(compile(to_pennylane_source(program, {k: v.numpy() for k, v in weights.items()}), "snippet", "exec"), ns)
    out = ns["readouts"](x.numpy())
    ref = TorchEngine(program, dtype="complex128")(x, weights)
    for t in program.tasks:
        np.testing.assert_allclose(np.asarray(out[t.name]).reshape(ref[t.name].shape), ref[t.name].numpy(),
                                   atol=1e-9)
