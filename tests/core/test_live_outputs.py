"""Live task outputs (``workbench.analysis.live_outputs`` and ``qmtl predict``): against PennyLane default.qubit
written out by hand, against the trained model's own forward pass, and a run's weights after an edit."""

import json
import math

import numpy as np
import pennylane as qml
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tests.core.fuzz_settings import budget
from tests.core.test_fuzz_cli import VALUES, _run
from workbench.analysis.live_outputs import LiveEvaluator, encoder_width
from workbench.analysis.live_results import WeightsSource
from workbench.cli import main
from workbench.data.samples import InputSample, encoder_sample, load_samples
from workbench.runs import RunStore
from workbench.spec import BlockSpec, ExperimentSpec, GateSpec, QuantumSpec, ReadoutSpec, TaskSpec, load
from workbench.spec.model import BackboneSpec
from workbench.training import Trainer, load_trained


def _three_task_spec() -> ExperimentSpec:
    """4 qubits: AngleEmbedding + one trainable StronglyEntanglingLayers layer as the shared encoder; a
    probabilities readout (3 classes), a Z expectation (2 classes) on a custom block, two Pauli words (2 classes),
    and a regression read from a Pauli word through tanh."""
    custom = BlockSpec(template="Custom", gates=[GateSpec("RY", [0], ["w"]), GateSpec("CNOT", [0, 1]),
                                                   GateSpec("RZ", [1], ["w"]), GateSpec("RX", [2], ["0.3"]),
                                                   GateSpec("CRX", [2, 3], ["w"]), GateSpec("RY", [1], ["pi/4"])])
    tasks = [TaskSpec("shape", 3, BlockSpec(template="StronglyEntanglingLayers", layers=2),
                      ReadoutSpec("probs", [0, 1])),
             TaskSpec("size", 2, custom, ReadoutSpec("expval", [1], 2.5)),
             TaskSpec("tone", 2, BlockSpec(template="StronglyEntanglingLayers", layers=1),
                      ReadoutSpec("pauli", words=["Z0 Z1", "X2"], scales=[1.5, -2.0])),
             TaskSpec("level", kind="regression", block=BlockSpec(template="StronglyEntanglingLayers", layers=1),
                      readout=ReadoutSpec("pauli", words=["Z3"], scale=1.2, mapping="tanh"),
                      target_range=[-1.0, 3.0])]
    return ExperimentSpec(name="pl-check", tasks=tasks, backbone=BackboneSpec(kind="identity", width=4),
                          quantum=QuantumSpec(qubits=4, encoder=BlockSpec(template="AngleEmbedding",
                                                                          trainable_layers=1)))


def _pennylane_readouts(weights: dict, x: np.ndarray) -> dict:
    """The same circuit written directly in PennyLane (default.qubit, float64)."""
    dev = qml.device("default.qubit", wires=4)
    w = {k: v.detach().double().numpy() for k, v in weights.items()}

    def encoder():
        qml.AngleEmbedding(x, wires=range(4), rotation="Y")
        qml.StronglyEntanglingLayers(w["encoder"].reshape(1, 4, 3), wires=range(4), ranges=[1])

    @qml.qnode(dev)
    def shape():
        encoder()
        qml.StronglyEntanglingLayers(w["shape"].reshape(2, 4, 3), wires=range(4), ranges=[1, 2])
        return qml.probs(wires=[0, 1])

    @qml.qnode(dev)
    def size():
        encoder()
        s = w["size"]
        qml.RY(s[0], wires=0)
        qml.CNOT(wires=[0, 1])
        qml.RZ(s[1], wires=1)
        qml.RX(0.3, wires=2)
        qml.CRX(s[2], wires=[2, 3])
        qml.RY(math.pi / 4, wires=1)
        return qml.expval(qml.PauliZ(1))

    @qml.qnode(dev)
    def tone():
        encoder()
        qml.StronglyEntanglingLayers(w["tone"].reshape(1, 4, 3), wires=range(4), ranges=[1])
        return qml.expval(qml.PauliZ(0) @ qml.PauliZ(1)), qml.expval(qml.PauliX(2))

    @qml.qnode(dev)
    def level():
        encoder()
        qml.StronglyEntanglingLayers(w["level"].reshape(1, 4, 3), wires=range(4), ranges=[1])
        return qml.expval(qml.PauliZ(3))

    p = np.asarray(shape())
    z = float(size())
    words = np.asarray(tone(), dtype=float)
    v = float(level())
    softmax = lambda a: np.exp(a - a.max()) / np.exp(a - a.max()).sum()  # noqa: E731
    return {
        "shape": (p, p[:3] / p[:3].sum()),
        # one <Z> for two classes: p(class 0) = sigmoid(scale <Z>)
        "size": ([z], np.array([1 / (1 + math.exp(-2.5 * z)), 1 - 1 / (1 + math.exp(-2.5 * z))])),
        "tone": (words, softmax(np.array([1.5, -2.0]) * words)),
        "level": ([v], -1.0 + 4.0 * (0.5 + 0.5 * math.tanh(1.2 * v))),
    }


@pytest.mark.parametrize("seed", [0, 11])
def test_probabilities_equal_pennylane_default_qubit(seed):
    spec = _three_task_spec()
    ev = LiveEvaluator()
    x = np.array([0.25, -1.125, 0.75, 2.0])  # exact in float32, as the model takes its inputs
    out = ev.evaluate(spec, WeightsSource(seed), encoder_sample(x, encoder_width(spec)), dtype="complex128")
    model, _ = ev.model(spec, 4, WeightsSource(seed), "complex128")
    ref = _pennylane_readouts(dict(model.head.weights.items()), x)
    by = {t.name: t for t in out.tasks}
    for name in ("shape", "size", "tone"):
        raw, probs = ref[name]
        np.testing.assert_allclose(by[name].raw, raw, atol=1e-10, rtol=0, err_msg=name)
        # 1e-8: the readout adds 1e-9 to each basis-state probability before its logarithm
        np.testing.assert_allclose(by[name].probabilities, probs, atol=1e-8, rtol=0, err_msg=name)
        assert by[name].predicted == int(np.argmax(probs))
    np.testing.assert_allclose(by["level"].raw, ref["level"][0], atol=1e-10, rtol=0)
    assert by["level"].value == pytest.approx(ref["level"][1], abs=1e-10)
    assert by["shape"].raw_labels == ["p(00)", "p(01)", "p(10)", "p(11)"]
    assert by["size"].raw_labels == ["<Z1>"] and by["tone"].raw_labels == ["<Z0 Z1>", "<X2>"]
    assert out.weights == f"initial weights, seed {seed}" and out.encoder_inputs == pytest.approx(list(x))


def test_the_default_precision_agrees_to_single_precision():
    spec = _three_task_spec()
    x = np.array([0.1, 0.2, -0.4, 1.0])
    ev = LiveEvaluator()
    out = ev.evaluate(spec, WeightsSource(3), encoder_sample(x, 4))
    model, _ = ev.model(spec, 4, WeightsSource(3), None)
    ref = _pennylane_readouts(dict(model.head.weights.items()), x)
    np.testing.assert_allclose(out.tasks[0].probabilities, ref["shape"][1], atol=1e-5)


def test_a_data_sample_gives_what_the_model_itself_predicts(small_spec_file):
    path = small_spec_file()
    spec = load(path)
    samples = load_samples(spec, path.parent)
    sample = samples.sample(7)
    out = LiveEvaluator().evaluate(spec, WeightsSource(5), sample)
    from workbench.models import build_model

    model = build_model(spec, samples.width, "qmtl", engine="torch", seed=5)
    with torch.no_grad():
        logits = model(torch.tensor(samples.X[7:8]))
    for t, task in zip(out.tasks, spec.tasks):
        np.testing.assert_allclose(t.probabilities, torch.softmax(logits[task.name][0], -1).numpy(), atol=1e-6)
        assert t.truth == int(samples.Y[7, spec.tasks.index(task)])
    assert out.input == f"test sample 7 (data row {int(samples.rows[7])})"
    other = LiveEvaluator().evaluate(spec, WeightsSource(6), sample)
    assert other.tasks[1].probabilities != out.tasks[1].probabilities  # another seed, other weights


def test_a_run_gives_its_trained_weights_and_keeps_them_through_an_edit(tmp_path, small_spec_file):
    path = small_spec_file(epochs=2)
    spec = load(path)
    store = RunStore(tmp_path / "runs")
    run_id = Trainer(spec, store, base_dir=path.parent).run().run_id
    trained = load_trained(store, run_id)
    source = WeightsSource(spec.training.seed, run_id, str(tmp_path / "runs"))
    samples = load_samples(spec, path.parent)
    ev = LiveEvaluator()
    out = ev.evaluate(spec, source, samples.sample(3))
    with torch.no_grad():
        logits = trained.model(torch.tensor(samples.X[3:4]))
    for t in out.tasks:
        np.testing.assert_allclose(t.probabilities, torch.softmax(logits[t.name][0], -1).numpy(), atol=1e-6)
    assert out.weights.startswith(f"trained weights of run {run_id}") and not out.notes
    # an edit that changes task_1's number of angles: task_0 keeps the run's weights, task_1 starts afresh
    spec.tasks[1].block = BlockSpec(template="StronglyEntanglingLayers", layers=2)
    edited = ev.evaluate(spec, source, samples.sample(3))
    np.testing.assert_allclose(edited.tasks[0].probabilities, out.tasks[0].probabilities, atol=1e-7)
    assert edited.tasks[1].probabilities != out.tasks[1].probabilities
    assert edited.notes == [f"task 'task_1' block: changed since run {run_id}, initial weights of seed 7"]


def test_cli_prints_bars_and_json_and_refuses_bad_input(small_spec_file, capsys):
    path = str(small_spec_file())
    assert main(["predict", path, "--sample", "2"]) == 0
    text = capsys.readouterr().out
    assert "test sample 2" in text and "initial weights, seed 7" in text and "task_1 (" in text
    assert "predicted" in text and "true" in text and "#" in text
    assert main(["predict", path, "--features", "0.1,0.2,0.3,0.4", "--seed", "4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["weights"] == "initial weights, seed 4" and data["input"] == "encoder inputs set by hand"
    assert len(data["tasks"]) == 2 and abs(sum(data["tasks"][1]["probabilities"]) - 1) < 1e-6
    ev = LiveEvaluator()
    spec = load(path)
    same = ev.evaluate(spec, WeightsSource(4), InputSample("encoder", (0.1, 0.2, 0.3, 0.4)))
    assert data["tasks"][1]["probabilities"] == pytest.approx(same.tasks[1].probabilities)
    for args, needle in ((["--features", "0.1,zz,0.3,0.4"], "value 2"), (["--features", "1,2"], "takes 4 inputs"),
                         (["--sample", "100000"], "--sample: must be in 0..59"),
                         (["--features", "1,2,3,inf"], "x3 must be a finite")):
        assert main(["predict", path, *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], err


@pytest.fixture(scope="module")
def tiny_spec_path(tmp_path_factory):
    from workbench.spec import dumps
    from workbench.spec.examples import small_synthetic

    path = tmp_path_factory.mktemp("predict") / "s.toml"
    path.write_text(dumps(small_synthetic(samples=120, epochs=1)))
    return str(path)


@budget(60)
@given(st.sampled_from(["--features", "--sample", "--split", "--seed", "--runs-dir"]), VALUES)
def test_predict_with_hostile_values_answers_or_refuses_in_one_line(tiny_spec_path, option, value):
    _run(["predict", tiny_spec_path, option, value])


@budget(40)
@given(VALUES)
def test_predict_with_a_hostile_source_refuses_in_one_line(tiny_spec_path, value):
    from pathlib import Path

    _run(["predict", value, "--runs-dir", str(Path(tiny_spec_path).parent / "runs")])


def test_class_names_come_from_the_spec_then_the_data_then_numbers(small_spec_file):
    path = small_spec_file()
    spec = load(path)
    sample = load_samples(spec, path.parent).sample(0)
    ev = LiveEvaluator()
    assert ev.evaluate(spec, WeightsSource(0), sample).tasks[1].class_names == ["0", "1", "2"]  # the data's names
    spec.tasks[1].class_names = ["low", "mid", "high"]  # the spec's own names, where the spec has them
    out = ev.evaluate(spec, WeightsSource(0), sample)
    assert out.tasks[1].class_names == ["low", "mid", "high"] and out.tasks[0].class_names == ["0", "1"]
    named = InputSample("encoder", (0.1, 0.2, 0.3, 0.4), class_names=(("no", "yes"), ("a", "b", "c")))
    assert ev.evaluate(spec, WeightsSource(0), named).tasks[0].class_names == ["no", "yes"]
