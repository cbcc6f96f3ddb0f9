"""Regression and one-logit tasks end to end: data, losses and metrics, training on the GLUE-structured registers
experiment from the CLI, the layout-scaling table and the noise comparison with Pauli-word readouts."""

import json

import numpy as np
import pytest
import torch

from workbench.cli import main
from workbench.data import DataError, load_dataset, prepare
from workbench.spec import dumps, load
from workbench.spec.examples import EXPERIMENTS
from workbench.training.objectives import regression_metrics, spearman, task_loss

GLUE = EXPERIMENTS / "glue-structure-9task.toml"


def test_params_json_reports_width_inputs_and_both_heads(capsys):
    assert main(["params", str(GLUE), "--json", "--tasks", "9"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["qubits"] == 10 and d["width"] == 10 and d["encoder_inputs"] == 30 and d["layout"] == "registers"
    assert d["heads"]["qmtl"]["total"] == 8 * 3 + 6  # one SEL layer per register: 3 angles per qubit
    assert d["heads"]["hps"]["total"] == 7 * 31 * 2 + 31 * 3 + 31  # Linear(30, C): 2, 3 and 1 outputs
    assert d["heads"]["hps"]["tasks"]["stsb"] == 31
    assert d["rows"][0]["qubits"] == 10 and d["rows"][0]["statevector_bytes"] == 8 * 2**10
    assert d["engine_path"] == "one-state"


def test_params_layout_registers_grows_width_with_tasks(capsys):
    assert main(["params", str(EXPERIMENTS / "digits-3task.toml"), "--layout", "registers", "--tasks", "1-4",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["qubits"] for r in rows] == [4, 5, 6, 10]  # digit 4, parity 1, ge5 1, digit again 4
    assert [r["statevector_bytes"] for r in rows] == [8 * 2**n for n in (4, 5, 6, 10)]
    assert main(["params", str(EXPERIMENTS / "digits-3task.toml"), "--tasks", "1-4", "--json"]) == 0
    assert {r["qubits"] for r in json.loads(capsys.readouterr().out)["rows"]} == {8}


def test_train_glue_structure_from_the_cli(tmp_path, capsys):
    spec = load(GLUE)
    spec.dataset.options["samples"] = 300
    spec.training.epochs = 1
    path = tmp_path / "glue.toml"
    path.write_text(dumps(spec))
    runs = str(tmp_path / "runs")
    assert main(["train", str(path), "--runs-dir", runs, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    test = result["test"]
    assert set(test) == {"cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"}
    assert set(test["stsb"]) == {"loss", "mae", "r2", "spearman"} and 0 <= test["stsb"]["mae"] < 1
    assert set(test["mnli"]) == {"loss", "accuracy", "macro_f1"}
    assert result["head_params"] == 30 and np.isfinite(result["mean_test_accuracy"])
    from workbench.runs.store import RunStore
    from workbench.training import load_trained

    trained = load_trained(RunStore(tmp_path / "runs"), result["run_id"])
    assert trained.model.head.engine.path == "one-state"  # disjoint registers: every task from one state
    assert main(["train", str(path), "--runs-dir", runs, "--head", "hps"]) == 0
    assert "stsb" in capsys.readouterr().out


def test_regression_data_sources(tmp_path):
    ds = load_dataset("diabetes")
    assert [t.kind for t in ds.tasks] == ["regression", "classification"] and ds.Y.dtype == np.float64
    assert ds.Y[:, 0].min() == 25 and ds.Y[:, 0].max() == 346
    data = prepare(ds, seed=0)  # not stratified on a continuous first task
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 442
    syn = load_dataset("synthetic", options={"tasks": 3, "classes": [2, 1, 3], "samples": 200})
    assert syn.tasks[1].is_regression and 0 < syn.Y[:, 1].min() and syn.Y[:, 1].max() < 1
    assert set(np.unique(syn.Y[:, 2])) == {0, 1, 2}
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,score,grade\n1,2,0.5,x\n2,3,1.5,y\n3,1,2.5,x\n4,4,0.1,y\n")
    ds = load_dataset("csv", path=csv, labels=["score", "grade"], regression=["score"])
    assert ds.tasks[0].is_regression and ds.Y[:, 0].tolist() == [0.5, 1.5, 2.5, 0.1]
    assert ds.tasks[1].classes == 2
    with pytest.raises(DataError, match="label column 'grade' is not numeric"):
        load_dataset("csv", path=csv, labels=["grade"], regression=["grade"])


def test_spec_and_data_kinds_must_agree(tmp_path):
    from workbench.training import load_data

    spec = load(EXPERIMENTS / "diabetes-mixed.toml")
    spec.tasks[0].kind, spec.tasks[0].classes, spec.tasks[0].target_range = "classification", 2, None
    with pytest.raises(DataError, match="progression.*regression"):
        load_data(spec)


def test_losses_and_metrics():
    from workbench.spec.model import TaskSpec

    y = np.array([0.1, 0.4, 0.35, 0.8])
    m = regression_metrics(y, y * 2 + 1)
    assert m["spearman"] == pytest.approx(1.0) and m["mae"] == pytest.approx(np.mean(y + 1))
    assert regression_metrics(y, y)["r2"] == pytest.approx(1.0)
    assert spearman(np.array([1, 2, 2, 3.0]), np.array([1, 3, 2, 4.0])) == pytest.approx(0.9486832980505138)
    z = torch.tensor([[0.0, 0.7], [0.0, -1.2]])
    t = torch.tensor([1, 0])
    binary = TaskSpec("b", 2)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor([0.7, -1.2]), t.float())
    assert task_loss(z, t, binary, single=True) == pytest.approx(float(bce))
    assert task_loss(z, t, binary) == pytest.approx(float(bce))  # [0, z] under softmax is sigmoid(z)
    reg = TaskSpec("r", kind="regression")
    assert reg.classes == 1
    assert task_loss(torch.tensor([[0.5], [1.0]]), torch.tensor([0.0, 1.0]), reg) == pytest.approx(0.125)


def _glue_head(n: int = 12):
    """The GLUE-structured head with random weights on random inputs; labels: its own ideal decisions (so the
    ideal accuracy is 1), taken the way the model takes them (its readout logits)."""
    from workbench.circuits import build_program
    from workbench.engines.torch_engine import TorchEngine
    from workbench.models.readout import readout_logits

    program = build_program(load(GLUE))
    g = torch.Generator().manual_seed(0)
    h = torch.randn(n, 30, generator=g, dtype=torch.float64)
    weights = {b.name: torch.randn(b.n_weights, generator=g, dtype=torch.float64) for b in program.blocks()
               if b.n_weights}
    raw = TorchEngine(program, dtype="complex128")(h, weights)
    labels = np.zeros((n, len(program.tasks)))
    for k, t in enumerate(program.tasks):
        if not t.readout.regression:
            labels[:, k] = readout_logits(raw[t.name], t.readout).argmax(-1).numpy()
    return program, weights, h, labels, raw


def test_noise_comparison_reads_pauli_words():
    """Pauli-word readouts (X X words included) are scored from their exact expectations: ideal through the
    statevector, channels through the density engine; the regression task is left out, and said so."""
    from workbench.analysis.noise import evaluate_noise
    from workbench.models.readout import readout_logits

    program, weights, h, labels, raw = _glue_head()
    spec_tasks = load(GLUE).tasks
    assert {t.readout.kind for t in program.tasks} == {"pauli"}
    assert any(op == "X" for t in program.tasks for word in t.readout.words for op, _ in word)
    report = evaluate_noise(program, weights, h, labels, "ideal,depolarizing:0,depolarizing:0.02", shots=None)
    ideal, zero, noisy = report.results
    assert [r.engine for r in report.results] == ["torch", "density", "density"]
    assert "stsb" not in ideal.tasks and set(ideal.tasks) == {t.name for t in program.tasks} - {"stsb"}
    assert "'stsb' left out" in report.note
    for k, t in enumerate(program.tasks):
        if t.readout.regression:
            continue
        s, z, d = ideal.tasks[t.name], zero.tasks[t.name], noisy.tasks[t.name]
        assert s.accuracy == 1.0 and s.expectation_shift == pytest.approx(0, abs=1e-12)
        # the loss the model trains with (binary cross-entropy for a single logit), from the engine's expectations
        lg = readout_logits(raw[t.name], t.readout)
        want = task_loss(lg, torch.as_tensor(labels[:, k]), spec_tasks[k], t.readout.single_logit)
        assert s.loss == pytest.approx(float(want), abs=1e-5)
        assert s.mean_abs_z == pytest.approx(float(raw[t.name].abs().mean()), abs=1e-9)
        assert z.accuracy == 1.0 and z.expectation_shift == pytest.approx(0, abs=1e-5)
        # depolarizing noise contracts every word toward 0: the expectations move, the readout shrinks
        assert 0 < d.expectation_shift and d.mean_abs_z < s.mean_abs_z and d.tv_from_ideal > 0
        assert 0 <= d.accuracy <= 1 and d.shots_accuracy is None


def test_pauli_word_shots_sample_each_words_outcomes():
    """With one shot, a one-word binary task's estimate is one +-1 outcome of its word: its expected accuracy is
    the mean of p(+1) = (1 + <P>) / 2 (or p(-1)) over the inputs whose label that outcome gives."""
    from workbench.analysis.noise import evaluate_noise
    from workbench.models.readout import readout_logits

    program, weights, h, labels, raw = _glue_head()
    report = evaluate_noise(program, weights, h, labels, "ideal", shots=1, repeats=2000, seed=5)
    (ideal,) = report.results
    for k, t in enumerate(program.tasks):
        if t.readout.regression or len(t.readout.words) != 1:
            continue
        plus, minus = readout_logits(torch.tensor([[1.0], [-1.0]], dtype=torch.float64), t.readout).argmax(-1)
        p_plus = (1 + raw[t.name][:, 0].numpy()) / 2
        y = labels[:, k]
        expected = np.mean(p_plus * (y == int(plus)) + (1 - p_plus) * (y == int(minus)))
        s = ideal.tasks[t.name]
        assert s.shots_accuracy == pytest.approx(expected, abs=0.02)
        assert 0 <= s.shots_accuracy_low <= s.shots_accuracy <= s.shots_accuracy_high <= 1
    many = evaluate_noise(program, weights, h, labels, "ideal", shots=4096, repeats=20).results[0]
    assert all(s.shots_accuracy > ideal.tasks[n].shots_accuracy for n, s in many.tasks.items())


def test_pauli_words_on_a_fake_backend_use_its_calibrated_density_model():
    from workbench.analysis.noise import evaluate_noise

    program, weights, h, labels, _ = _glue_head(4)
    report = evaluate_noise(program, weights, h, labels, "fake_hanoi", shots=100, repeats=10)
    (r,) = report.results
    assert r.engine == "density" and r.executor == "density" and "Pauli words" in r.description
    assert "fake_hanoi: task 'cola' reads Pauli words" in report.note and "density engine" in report.note
    assert all(0 <= s.shots_accuracy <= 1 and s.expectation_shift > 0 for s in r.tasks.values())
