"""Exports: Qiskit circuits simulated with Statevector match the torch engine; QASM 3 and PennyLane round trips."""

import numpy as np
import pytest
import torch
from qiskit import qasm3
from qiskit.quantum_info import Statevector

from tests.core.random_specs import random_spec
from workbench.circuits import build_program
from workbench.circuits.export_native import has_amplitude, task_native_ops
from workbench.circuits.export_pennylane import to_pennylane_source
from workbench.circuits.export_qasm import to_qasm3
from workbench.circuits.export_qiskit import (
    bind_values,
    flat_weights,
    projector_observables,
    statevector_wire_order,
    to_qiskit,
    with_measurements,
)
from workbench.cli import main
from workbench.engines.torch_engine import TorchEngine
from workbench.errors import UserError
from workbench.spec import load, validate
from workbench.spec.examples import EXPERIMENTS
from workbench.spec.vocabulary import ANSATZE, ENCODERS, GATES

DIGITS = str(EXPERIMENTS / "digits-3task.toml")
N_SPECS = 48


def _case(seed, batch=1):
    spec = random_spec(seed)
    validate(spec)
    program = build_program(spec)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, program.n_features, generator=g, dtype=torch.float64)
    weights = {b.name: torch.randn(b.n_weights, generator=g, dtype=torch.float64) for b in program.blocks()}
    return spec, program, x, weights


def _qiskit_state(program, task, x_row, weights):
    if has_amplitude(program):
        q = to_qiskit(program, task, inputs=x_row)
    else:
        q = to_qiskit(program, task)
    vals = bind_values(q, x_row[None, :], {k: v.numpy() for k, v in weights.items()})
    bound = q.circuit.assign_parameters(vals[0]) if vals.shape[1] else q.circuit
    return statevector_wire_order(Statevector(bound).data, program.n_qubits)


@pytest.mark.parametrize("chunk", range(4))
def test_exported_circuits_match_torch_engine(chunk):
    per = N_SPECS // 4
    for seed in range(chunk * per, (chunk + 1) * per):
        spec, program, x, weights = _case(seed)
        ref = TorchEngine(program, dtype="complex128").final_states(x, weights)
        for t in program.tasks:
            for b in range(x.shape[0]):
                sv = _qiskit_state(program, t.name, x[b].numpy(), weights)
                np.testing.assert_allclose(sv, ref[t.name][b].numpy(), atol=1e-6,
                                           err_msg=f"seed {seed}, task {t.name}, {spec.quantum.encoder.template}")


def test_random_export_specs_cover_every_template_and_gate():
    seen = set()
    for seed in range(N_SPECS):
        spec = random_spec(seed)
        program = build_program(spec)
        seen.add(spec.quantum.encoder.template)
        seen |= {spec.block_for(t).template for t in spec.tasks}
        seen |= {g.name for b in program.blocks() for g in b.gates}
        seen |= {f"MultiRZ{len(g.wires)}" for b in program.blocks() for g in b.gates if g.name == "MultiRZ"}
    missing = (set(ENCODERS) | set(ANSATZE) | set(GATES) | {"MultiRZ1", "MultiRZ2", "MultiRZ3"}) - seen
    assert not missing


def test_bind_values_follow_transpiled_parameter_order():
    from qiskit import transpile

    program = build_program(load(DIGITS))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, program.n_features, generator=g, dtype=torch.float64)
    weights = {t.name: torch.randn(t.block.n_weights, generator=g, dtype=torch.float64) for t in program.tasks}
    ref = TorchEngine(program, dtype="complex128")(x, weights)
    q = to_qiskit(program, "digit")
    isa = transpile(q.circuit, basis_gates=["rz", "sx", "x", "cx"], optimization_level=0)
    vals = bind_values(q, x.numpy(), {k: v.numpy() for k, v in weights.items()}, parameters=isa.parameters)
    for b in range(3):
        probs = Statevector(isa.assign_parameters(vals[b])).probabilities_dict(qargs=[3, 2, 1, 0])
        got = np.array([probs.get(format(i, "04b"), 0.0) for i in range(16)])
        np.testing.assert_allclose(got, ref["digit"][b].numpy(), atol=1e-8)
    # the flat layout: encoder weights (none here) then the block's
    assert q.weight_layout == {"digit": (0, 96)}
    np.testing.assert_array_equal(flat_weights(program, "digit", weights), weights["digit"].numpy())


def test_observables_and_projectors_give_the_readouts():
    program = build_program(load(DIGITS))
    x = torch.linspace(-1, 1, program.n_features, dtype=torch.float64)[None]
    weights = {t.name: torch.linspace(0, 3, t.block.n_weights, dtype=torch.float64) for t in program.tasks}
    ref = TorchEngine(program, dtype="complex128")(x, weights)
    for t in program.tasks:
        q = to_qiskit(program, t.name, weights=weights)
        sv = Statevector(q.circuit.assign_parameters(bind_values(q, x.numpy())[0]))
        if t.readout.kind == "expval":
            got = [sv.expectation_value(o).real for o in q.observables]
        else:
            got = [sv.expectation_value(o).real for o in projector_observables(q.measured_wires, program.n_qubits)]
        np.testing.assert_allclose(got, ref[t.name][0].numpy(), atol=1e-9)


def test_measured_bitstrings_are_class_indices():
    from qiskit.primitives import StatevectorSampler

    from workbench.circuits.ir import Block, Gate, Param, QMTLProgram, Readout, TaskCircuit

    enc = Block("encoder", "encoder", [Gate("RX", (i,), (Param.input(i),)) for i in range(3)], 0, 3)
    program = QMTLProgram(3, 3, enc, [TaskCircuit("t", 4, Block("t", "task", [], 0), Readout("probs", (0, 2), 4))])
    q = to_qiskit(program, "t")
    x = np.array([[0.0, np.pi, np.pi]])  # wires 1 and 2 flipped; the readout reads (wire 0, wire 2) = (0, 1)
    bound = with_measurements(q).assign_parameters(bind_values(q, x)[0])
    counts = StatevectorSampler().run([bound], shots=64).result()[0].data.meas.get_counts()
    assert counts == {"01": 64}
    probs = TorchEngine(program, dtype="complex128")(torch.tensor(x), {})["t"][0]
    assert int(probs.argmax()) == int("01", 2)


def test_amplitude_specs_need_bound_inputs():
    seed = next(s for s in range(200) if random_spec(s).quantum.encoder.template == "AmplitudeEmbedding")
    program = build_program(random_spec(seed))
    with pytest.raises(UserError, match="AmplitudeEmbedding"):
        to_qiskit(program, program.tasks[0].name)
    with pytest.raises(UserError, match="inputs"):
        to_qiskit(program, program.tasks[0].name, inputs=np.zeros(program.n_features + 1))


@pytest.mark.parametrize("seed", [0, 3, 7, 11, 21])
def test_qasm3_round_trip(seed):
    spec, program, x, weights = _case(seed, batch=1)
    ref = TorchEngine(program, dtype="complex128").final_states(x, weights)
    row = x[0].numpy() if has_amplitude(program) else None
    for t in program.tasks:
        text = to_qasm3(program, t.name, weights=weights, inputs=row, measure=False)
        qc = qasm3.loads(text)
        by_name = {p.name: p for p in qc.parameters}
        values = {by_name[f"_x_{i}_"]: float(x[0, i]) for i in range(program.n_features) if f"_x_{i}_" in by_name}
        sv = Statevector(qc.assign_parameters(values)).data
        got = statevector_wire_order(sv, program.n_qubits)
        # OpenQASM has no global phase: compare up to one
        r = ref[t.name][0].numpy()
        phase = np.vdot(got, r)
        np.testing.assert_allclose(abs(phase), 1.0, atol=1e-9)
        np.testing.assert_allclose(got * phase / abs(phase), r, atol=1e-8)


def test_pennylane_snippet_rebuilds_the_head():
    for seed in (1, 2, 5, 8):
        spec, program, x, weights = _case(seed)
        src = to_pennylane_source(program, {k: v.numpy() for k, v in weights.items()})
        ns: dict = {}
        exec(compile(src, f"snippet-{seed}", "exec"), ns)
        ref = TorchEngine(program, dtype="complex128")(x, weights)
        out = ns["readouts"](x.numpy())
        for t in program.tasks:
            np.testing.assert_allclose(np.asarray(out[t.name]).reshape(ref[t.name].shape), ref[t.name].numpy(),
                                       atol=1e-8, err_msg=f"seed {seed}")


def test_native_ops_use_qiskit_names():
    program = build_program(load(DIGITS))
    names = {op.name for op in task_native_ops(program, "digit")}
    assert names == {"ry", "rz", "cx", "u"}


def test_cli_export_formats(tmp_path, capsys):
    assert main(["export", DIGITS, "--format", "qasm3", "--task", "parity"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OPENQASM 3.0;") and "input float[64] _x_23_;" in out and "measure" in out
    assert main(["export", DIGITS, "--format", "qasm3", "--out", str(tmp_path / "d.qasm")]) == 0
    assert sorted(p.name for p in tmp_path.glob("d-*.qasm")) == ["d-digit.qasm", "d-ge5.qasm", "d-parity.qasm"]
    assert main(["export", DIGITS, "--format", "qiskit", "--out", str(tmp_path / "d.qpy")]) == 0
    from qiskit import qpy

    with open(tmp_path / "d.qpy", "rb") as fh:
        circuits = qpy.load(fh)
    assert [c.metadata["task"] for c in circuits] == ["digit", "parity", "ge5"]
    assert main(["export", DIGITS, "--format", "pennylane", "--out", str(tmp_path / "d.py")]) == 0
    assert "def digit(x, w_enc, w):" in (tmp_path / "d.py").read_text()
    capsys.readouterr()
    assert main(["export", DIGITS, "--format", "qasm3", "--task", "nope"]) == 2
    assert "--task: no task 'nope'" in capsys.readouterr().err
    assert main(["export", DIGITS, "--format", "qiskit"]) == 2
    assert main(["export", "no-such-run", "--format", "qasm3", "--runs-dir", str(tmp_path / "runs")]) == 2
    assert main(["export", DIGITS, "--format", "qasm3", "--inputs", "1,2"]) == 2


def test_cli_export_of_a_trained_run_binds_its_weights(tmp_path, small_spec_file, capsys):
    from workbench.runs.store import RunStore
    from workbench.training import load_trained, train

    store = RunStore(tmp_path / "runs")
    result = train(load(small_spec_file(samples=120, epochs=1)), store)
    runs = str(tmp_path / "runs")
    assert main(["export", result.run_id, "--runs-dir", runs, "--format", "qasm3", "--task", "task_0"]) == 0
    text = capsys.readouterr().out
    assert "_w_" not in text and "input float[64] _x_0_;" in text and "trained weights" in text
    trained = load_trained(store, result.run_id)
    head = trained.model.head
    weights = {k: v.detach().double() for k, v in head.weights.items()}
    qc = qasm3.loads(text)
    qc.remove_final_measurements()
    x = torch.linspace(-1, 1, head.program.n_features, dtype=torch.float64)
    by_name = {p.name: p for p in qc.parameters}
    sv = Statevector(qc.assign_parameters({by_name[f"_x_{i}_"]: float(x[i]) for i in range(len(x))
                                           if f"_x_{i}_" in by_name}))
    probs = sv.probabilities([0])  # readout: <Z> on wire 0
    ref = TorchEngine(head.program, dtype="complex128")(x[None], weights)["task_0"][0, 0]
    assert abs((probs[0] - probs[1]) - float(ref)) < 1e-6
