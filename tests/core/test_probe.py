"""The probe inside a task circuit against PennyLane default.qubit (reduced states, mutual information) and gate
matrices against Qiskit's."""

from __future__ import annotations

import copy
import math

import numpy as np
import pennylane as qml
import pytest

from workbench.analysis import probe as P
from workbench.circuits.edits import ENCODER
from workbench.circuits.ir import Gate
from workbench.circuits.program import build_program
from workbench.errors import UserError
from workbench.spec import GateSpec, load, validate
from workbench.spec.examples import EXPERIMENTS, small_synthetic
from workbench.spec.model import BlockSpec


def _spec(encoder: BlockSpec, block: BlockSpec, qubits: int = 3, width: int = 3):
    spec = small_synthetic()
    spec.quantum.qubits = qubits
    spec.backbone.width = width
    spec.quantum.encoder = encoder
    spec.quantum.default_block = block
    validate(spec)
    return spec


def _reference(gates, values, n):
    """PennyLane's state for IR gates with the given numeric angles: (density of each wire, mutual info fn)."""
    dev = qml.device("default.qubit", wires=n)

    def apply():
        for g, angles in zip(gates, values):
            getattr(qml, g.name)(*angles, wires=list(g.wires))

    @qml.qnode(dev)
    def rho(w):
        apply()
        return qml.density_matrix(wires=[w])

    @qml.qnode(dev)
    def mi(a, b):
        apply()
        return qml.mutual_info(wires0=[a], wires1=[b], log_base=2)

    return rho, mi


def _angles(gates, x, weights, name):
    return [[P.param_value(p, x, weights[name].numpy() if name in weights else None) for p in g.params]
            for g in gates]


def _check(spec, task, column, expected_gates_of, x, pairs, weights=None):
    """The probe against PennyLane running ``expected_gates_of(program)`` (list of (gates, block name))."""
    program = build_program(spec, spec.backbone.width)
    weights = P.initial_weights(spec) if weights is None else weights
    gates, values = [], []
    for block_gates, name in expected_gates_of(program):
        gates += block_gates
        values += _angles(block_gates, x, weights, name)
    rho, mi = _reference(gates, values, program.n_qubits)
    probes = []
    for pair in pairs:
        pr = P.probe(spec, task, column, x, weights, pair)
        for w in range(program.n_qubits):
            r = np.asarray(rho(w))
            ref = (2 * r[0, 1].real, -2 * r[0, 1].imag, (r[0, 0] - r[1, 1]).real)
            np.testing.assert_allclose(pr.bloch[w], ref, atol=1e-9)
            np.testing.assert_allclose(pr.purity[w], np.trace(r @ r).real, atol=1e-9)
        assert pr.mi == pytest.approx(float(mi(*pair)), abs=1e-7)
        probes.append(pr)
    return probes


CUSTOM_BLOCK = BlockSpec(template="Custom", gates=[
    GateSpec("RY", [0], ["w"]), GateSpec("RX", [2], [0.4]),  # column 0
    GateSpec("CNOT", [0, 1], []),  # column 1
    GateSpec("CRZ", [1, 2], ["pi/3"]), GateSpec("H", [0], []),  # column 2 (CRZ spans 1..2, H on 0)
    GateSpec("Rot", [2], ["w", "w", 0.3]),  # column 3
])


def test_columns_follow_the_composer_drawing():
    spec = _spec(BlockSpec(template="AngleEmbedding", rotation="Y"), CUSTOM_BLOCK)
    cols = P.task_columns(spec, 1)
    assert [(c.key, c.local) for c in cols] == [(ENCODER, 0), (1, 0), (1, 1), (1, 2), (1, 3)]
    assert P.global_column(spec, 1, 2) == 3 and P.resolve_column(spec, 1, -1) == 4
    with pytest.raises(UserError, match="--column: 5 is outside"):
        P.resolve_column(spec, 1, 5)


@pytest.mark.parametrize("column,cut", [(1, 2), (2, 3), (3, 5), (4, 6)])
def test_entangled_prefix_matches_pennylane(column, cut):
    spec = _spec(BlockSpec(template="AngleEmbedding", rotation="Y"), CUSTOM_BLOCK)
    x = np.array([0.3, -1.1, 0.7])
    (pr,) = _check(spec, 0, column, lambda prog: [(prog.encoder.gates, "encoder"),
                                                  (prog.tasks[0].block.gates[:cut], prog.tasks[0].name)],
                   x, [(0, 1)])
    if column >= 2:  # after the CNOT the first two wires are entangled
        assert pr.mi > 0.05 and pr.purity[0] < 0.99


def test_product_state_has_no_mutual_information():
    block = BlockSpec(template="Custom", gates=[GateSpec("RX", [0], ["w"]), GateSpec("RZ", [1], [0.7]),
                                                GateSpec("RY", [2], ["w"])])
    spec = _spec(BlockSpec(template="AngleEmbedding", rotation="X"), block)
    x = np.array([1.2, 0.4, -0.8])
    probes = _check(spec, 1, -1, lambda prog: [(prog.encoder.gates, "encoder"),
                                               (prog.tasks[1].block.gates, prog.tasks[1].name)],
                    x, [(0, 1), (1, 2), (0, 2)])
    for pr in probes:
        assert pr.mi == pytest.approx(0.0, abs=1e-9)
        assert pr.purity == pytest.approx([1.0] * 3, abs=1e-9)


def test_custom_encoder_columns_and_template_block():
    encoder = BlockSpec(template="Custom", gates=[
        GateSpec("RY", [0], ["x0"]), GateSpec("RY", [1], ["x1"]), GateSpec("RY", [2], ["x2"]),
        GateSpec("CNOT", [0, 1], []), GateSpec("CZ", [1, 2], []), GateSpec("RX", [0], ["w"])])
    spec = _spec(encoder, BlockSpec(template="StronglyEntanglingLayers", layers=1))
    x = np.array([0.9, 2.1, -0.4])
    # encoder column 1 holds the CNOT: the cut keeps the three RY and the CNOT (the CZ is column 2)
    _check(spec, 0, 1, lambda prog: [(prog.encoder.gates[:4], "encoder")], x, [(0, 1), (1, 2)])
    # the last column is the whole template block after the whole encoder
    assert len(P.task_columns(spec, 0)) == 4
    _check(spec, 0, 3, lambda prog: [(prog.encoder.gates, "encoder"),
                                     (prog.tasks[0].block.gates, prog.tasks[0].name)], x, [(0, 2)])


def test_registers_layout_reports_the_block_against_the_rest():
    spec = load(EXPERIMENTS / "registers-digits.toml")
    program = build_program(spec, spec.backbone.width)
    x = np.linspace(-1, 1, program.n_features)
    pr = P.probe(spec, 0, -1, x)
    assert pr.block_wires and pr.block_mi is not None and pr.block_mi >= 0
    state = P.probe_state(spec, 0, len(P.task_columns(spec, 0)) - 1, x)
    rest = [w for w in range(program.n_qubits) if w not in pr.block_wires]
    assert pr.block_mi == pytest.approx(P.mutual_information(state, pr.block_wires, rest))


def test_initial_weights_are_the_ones_training_starts_from():
    from workbench.models.model import build_model

    spec = small_synthetic()
    model = build_model(spec, 8, "qmtl", engine="torch", seed=spec.training.seed)
    mine = P.initial_weights(spec)
    assert set(mine) == set(model.head.weights)
    for k, v in model.head.weights.items():
        np.testing.assert_array_equal(mine[k].numpy(), v.detach().numpy())


def test_bad_inputs_say_which():
    spec = _spec(BlockSpec(template="AngleEmbedding", rotation="Y"), CUSTOM_BLOCK)
    with pytest.raises(UserError, match="loads 3 features, got 2"):
        P.probe(spec, 0, 0, [1.0, 2.0])
    with pytest.raises(UserError, match="--mi: wire 7 does not exist"):
        P.probe(spec, 0, 0, [0.0] * 3, pair=(0, 7))
    with pytest.raises(UserError, match="--task: no task 'nope'"):
        P.resolve_task(spec, "nope")


# ----------------------------------------------------------------------------------------------- matrices

def _qiskit_matrix(name, angles):
    """Qiskit's matrix in our wire order (the first wire most significant; Qiskit's is the least)."""
    from qiskit.circuit import library as lib
    from qiskit.quantum_info import Operator

    gate = {"RX": lib.RXGate, "RY": lib.RYGate, "RZ": lib.RZGate, "PhaseShift": lib.PhaseGate, "H": lib.HGate,
            "X": lib.XGate, "Y": lib.YGate, "Z": lib.ZGate, "S": lib.SGate, "T": lib.TGate, "CNOT": lib.CXGate,
            "CZ": lib.CZGate, "SWAP": lib.SwapGate, "CRX": lib.CRXGate, "CRY": lib.CRYGate, "CRZ": lib.CRZGate,
            "MultiRZ": lib.RZZGate}[name](*angles)
    m = Operator(gate).data
    if m.shape[0] == 4:
        m = m.reshape(2, 2, 2, 2).transpose(1, 0, 3, 2).reshape(4, 4)
    return m


@pytest.mark.parametrize("name,wires,angles", [
    ("RX", 1, [0.7]), ("RY", 1, [-2.2]), ("RZ", 1, [1.3]), ("PhaseShift", 1, [0.9]), ("H", 1, []), ("X", 1, []),
    ("Y", 1, []), ("Z", 1, []), ("S", 1, []), ("T", 1, []), ("CNOT", 2, []), ("CZ", 2, []), ("SWAP", 2, []),
    ("CRX", 2, [math.pi / 4]), ("CRY", 2, [1.1]), ("CRZ", 2, [-0.6]), ("MultiRZ", 2, [0.8])])
def test_gate_matrices_equal_qiskits(name, wires, angles):
    m = P.gate_matrix(Gate(name, tuple(range(wires))), angles)
    np.testing.assert_allclose(m, _qiskit_matrix(name, angles), atol=1e-12)


def test_rot_matrix_is_rz_ry_rz():
    phi, theta, omega = 0.3, 1.2, -0.5
    ref = _qiskit_matrix("RZ", [omega]) @ _qiskit_matrix("RY", [theta]) @ _qiskit_matrix("RZ", [phi])
    np.testing.assert_allclose(P.gate_matrix(Gate("Rot", (0,)), [phi, theta, omega]), ref, atol=1e-12)


def test_circuit_matrices_take_the_current_angles():
    spec = _spec(BlockSpec(template="AngleEmbedding", rotation="Y"), CUSTOM_BLOCK)
    weights = P.initial_weights(spec)
    mats = P.circuit_matrices(spec, [0.0, 0.0, 0.0], weights)
    assert set(mats) == {(t, i) for t in range(2) for i in range(6)}  # template encoder: no drawn gates
    w0 = float(weights[spec.tasks[0].name][0])
    np.testing.assert_allclose(mats[(0, 0)], _qiskit_matrix("RY", [w0]), atol=1e-12)
    np.testing.assert_allclose(mats[(0, 3)], _qiskit_matrix("CRZ", [math.pi / 3]), atol=1e-12)
    edited = copy.deepcopy(spec)
    edited.quantum.default_block.gates[1].params = ["pi/2"]
    np.testing.assert_allclose(P.circuit_matrices(edited, [0.0] * 3, weights)[(1, 1)],
                               _qiskit_matrix("RX", [math.pi / 2]), atol=1e-12)
    text = P.format_matrix(_qiskit_matrix("RX", [math.pi / 2]))
    assert text.splitlines() == ["[   0.71  -0.71i ]", "[ -0.71i    0.71 ]"]


# ----------------------------------------------------------------------------------------------- CLI

def test_cli_prints_what_the_core_computes(capsys):
    import json

    from workbench.cli import main

    spec = small_synthetic()
    assert main(["probe", "small-synthetic", "--task", "task_1", "--column", "0", "--input", "0.5,-0.2,1.0,0.1",
                 "--mi", "1,2", "--json", "--matrices"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = P.probe(spec, 1, 0, [0.5, -0.2, 1.0, 0.1], pair=(1, 2))
    np.testing.assert_allclose(out["bloch"], ref.bloch, atol=1e-12)
    assert out["mi"] == {"wires": [1, 2], "bits": pytest.approx(ref.mi)} and out["where"] == "shared encoder, column 0"
    assert out["matrices"] == []  # templates only: no gates drawn one by one
    assert main(["probe", "small-synthetic", "--column", "9", "--input", "0,0,0,0"]) == 2
    assert "--column: 9 is outside the circuit of task task_0" in capsys.readouterr().err
    assert main(["probe", "small-synthetic", "--input", "0,0", "--mi", "0,1"]) == 2
    assert "loads 4 features, got 2" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [
    (["--input", "nan,1,2,3"], "input: the features must be finite numbers"),
    (["--input", "1e400,0,0,0"], "input: the features must be finite numbers"),
    (["--mi", "a,b", "--input", "0,0,0,0"], "--mi: expected numbers"),
    (["--mi", "0,0", "--input", "0,0,0,0"], "--mi: name two different wires"),
    (["--mi", "0,99999999999999999999", "--input", "0,0,0,0"], "--mi: wire 99999999999999999999 does not exist"),
    (["--task", "-1"], "--task: no task '-1'"),
    (["--sample", "99999"], "--sample: 99999 is outside the test split"),
    (["--input", "1,2,3,4", "--sample", "2"], "give one input, not both"),
])
def test_cli_refuses_bad_values_in_one_line(capsys, args, message):
    from workbench.cli import main

    assert main(["probe", "small-synthetic", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------------------------- a run's weights

@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """(spec, runs folder, run id, the trained model's head weights as training's own loader reads them)."""
    from workbench.runs.store import RunStore
    from workbench.spec import loads
    from workbench.spec.examples import small_synthetic_text
    from workbench.training import Trainer, load_trained

    folder = tmp_path_factory.mktemp("probe-run")
    spec = loads(small_synthetic_text(samples=200, epochs=2, batch=32), "toml", "small")
    store = RunStore(folder / "runs")
    run_id = Trainer(spec, store, base_dir=folder).run().run_id
    trained = load_trained(store, run_id)
    weights = {k: v.detach().clone() for k, v in trained.model.head.weights.items()}
    return spec, folder / "runs", run_id, weights


def test_the_probe_with_a_runs_weights_is_that_trained_models_state(trained_run):
    from workbench.analysis.live_results import WeightsSource

    spec, root, run_id, trained = trained_run
    initial = P.initial_weights(spec)
    assert any(not np.allclose(trained[k].numpy(), initial[k].numpy()) for k in trained)  # training moved them
    x = np.array([0.5, -0.2, 1.0, 0.1])
    gates_of = lambda prog: [(prog.encoder.gates, "encoder"), (prog.tasks[1].block.gates, prog.tasks[1].name)]  # noqa: E731
    (ref,) = _check(spec, 1, -1, gates_of, x, [(0, 1)], weights=trained)  # PennyLane with the trained angles
    out = P.insight_job(None, spec=spec, features=x, task=1, column=-1,
                        source=WeightsSource(spec.training.seed, run_id, str(root)))
    assert out["probe_error"] is None
    np.testing.assert_allclose(out["probe"].bloch, ref.bloch, atol=1e-6)
    assert out["probe"].mi == pytest.approx(ref.mi, abs=1e-6)
    assert out["weights"] == f"trained weights of run {run_id} (best validation epoch)" and not out["weights_notes"]
    seeded = P.insight_job(None, spec=spec, features=x, task=1, column=-1)
    assert seeded["weights"] == f"initial weights, seed {spec.training.seed}"
    np.testing.assert_allclose(seeded["probe"].bloch, P.probe(spec, 1, -1, x, initial).bloch, atol=1e-12)


def test_cli_probe_takes_a_runs_weights(trained_run, capsys):
    import json

    from workbench.cli import main

    spec, root, run_id, trained = trained_run
    x = [0.5, -0.2, 1.0, 0.1]
    assert main(["probe", "--run", run_id[:8], "--runs-dir", str(root), "--task", "1", "--input",
                 ",".join(map(str, x)), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(out["bloch"], P.probe(spec, 1, -1, x, trained).bloch, atol=1e-6)
    assert out["run"] == run_id and out["weights"].startswith(f"trained weights of run {run_id}")
    assert main(["probe", "--run", run_id, "--runs-dir", str(root), "--seed", "3", "--input", "0,0,0,0"]) == 2
    assert "--seed: a run brings its own trained weights" in capsys.readouterr().err
    assert main(["probe", "--run", "nosuchrun", "--runs-dir", str(root / "none"), "--input", "0,0,0,0"]) == 2
    assert "--run: 'nosuchrun' is not a run" in capsys.readouterr().err
    assert main(["probe", "--input", "0,0,0,0"]) == 2
    assert "spec: name an experiment file" in capsys.readouterr().err
