"""Noise comparison: evaluate_noise on a head alone, backend validation, CSV, storing with a run, qmtl noise."""

import csv
import io
import json

import numpy as np
import pytest
import torch

from workbench.analysis.noise import CSV_COLUMNS, evaluate_noise, macro_f1, parse_backends, store_report
from workbench.circuits import build_program
from workbench.cli import main
from workbench.errors import UserError
from workbench.runs.store import RunStore
from workbench.spec import BackboneSpec, BlockSpec, ExperimentSpec, QuantumSpec, ReadoutSpec, TaskSpec, load


def _program():
    spec = ExperimentSpec(
        name="small",
        tasks=[TaskSpec("a", 2, readout=ReadoutSpec("expval", [0], scale=4.0)),
               TaskSpec("b", 3, readout=ReadoutSpec("probs", [1, 2]))],
        backbone=BackboneSpec(kind="identity", width=4),
        quantum=QuantumSpec(qubits=4, encoder=BlockSpec(template="AngleEmbedding", rotation="Y"),
                            default_block=BlockSpec(template="StronglyEntanglingLayers", layers=1)),
    )
    return build_program(spec)


@pytest.fixture(scope="module")
def head():
    program = _program()
    g = torch.Generator().manual_seed(0)
    h = torch.rand(30, 4, generator=g) * 3 - 1.5
    weights = {t.name: torch.rand(t.block.n_weights, generator=g) * 6 for t in program.tasks}
    from workbench.engines.torch_engine import TorchEngine
    from workbench.models.readout import readout_logits

    raw = TorchEngine(program, dtype="complex128")(h.double(), {k: v.double() for k, v in weights.items()})
    labels = np.stack([readout_logits(raw[t.name], t.readout).argmax(-1).numpy() for t in program.tasks], 1)
    labels[::5] = 0  # not a perfect fit
    return program, weights, h, labels


def test_ideal_and_zero_noise_agree_and_noise_costs_accuracy(head):
    program, weights, h, labels = head
    rep = evaluate_noise(program, weights, h, labels, "ideal,depolarizing:0,amplitude_damping:0.4")
    ideal, zero, strong = rep.results
    assert (ideal.engine, zero.engine) == ("torch", "density")
    for t in ("a", "b"):
        assert ideal.tasks[t].accuracy == zero.tasks[t].accuracy
        assert ideal.tasks[t].accuracy >= 0.7
        assert ideal.tasks[t].accuracy_se is None
    assert sum(strong.tasks[t].accuracy for t in "ab") < sum(ideal.tasks[t].accuracy for t in "ab")


def test_fake_backend_with_aer_and_density_and_shots(head):
    program, weights, h, labels = head
    rep = evaluate_noise(program, weights, h[:12], labels[:12], ["ideal", "fake_manila"], shots=400, seed=1,
                         bootstrap=30)
    assert [r.engine for r in rep.results] == ["density", "aer"]
    for r in rep.results:
        for s in r.tasks.values():
            assert s.accuracy_se is not None and 0 <= s.accuracy_se < 0.5 and 0 <= s.accuracy <= 1
    dens = evaluate_noise(program, weights, h[:12], labels[:12], ["fake_manila"], engine="density")
    assert dens.results[0].engine == "density" and "calibration" in dens.results[0].description


def test_csv_and_summary(head):
    program, weights, h, labels = head
    rep = evaluate_noise(program, weights, h, labels, "ideal,depolarizing:0.05")
    rows = list(csv.DictReader(io.StringIO(rep.to_csv())))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 4
    assert rep.summary()["depolarizing:0.05"]["b"].keys() == {"accuracy", "macro_f1"}


@pytest.mark.parametrize("bad, message", [
    ("ideal,fake_nowhere", "--backends: unknown backend 'fake_nowhere'"),
    ("fake_armonk", "--backends: fake_armonk has 1 qubits but the circuit needs 4 (backends that fit: "),
    ("depolarizing:2", "--backends: 'depolarizing:2'"),
    ("", "--backends: give at least one backend"),
])
def test_bad_backends_are_one_line_user_errors(bad, message):
    with pytest.raises(UserError) as exc:
        parse_backends(bad, 4)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_macro_f1_matches_sklearn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    p[p == 3] = 2  # a class never predicted
    assert macro_f1(y, p, 4) == pytest.approx(f1_score(y, p, average="macro"))


def test_store_report_merges_into_the_summary(tmp_path, head):
    program, weights, h, labels = head
    store = RunStore(tmp_path / "runs")
    run_id = store.create_run(name="r")
    store.set_summary(run_id, {"test": {"a": {"accuracy": 0.9}}})
    rep = evaluate_noise(program, weights, h, labels, "ideal")
    store_report(store, run_id, rep)
    info = store.get(run_id)
    assert info.summary["test"] == {"a": {"accuracy": 0.9}} and "ideal" in info.summary["noise"]
    assert {a.name for a in store.artifacts(run_id)} == {"noise", "noise-json"}
    assert (store.run_dir(run_id) / "noise.csv").read_text().startswith(",".join(CSV_COLUMNS))


def test_cli_on_a_trained_run(tmp_path, small_spec_file, capsys):
    from workbench.training import train

    store = RunStore(tmp_path / "runs")
    result = train(load(small_spec_file(samples=200, epochs=1)), store)
    runs = str(tmp_path / "runs")
    args = ["noise", result.run_id, "--runs-dir", runs, "--backends", "ideal,depolarizing:0.02,fake_manila",
            "--limit", "16"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "fake_manila" in out and "task_0 acc / F1" in out and f"stored with run {result.run_id}" in out
    assert set(store.get(result.run_id).summary["noise"]) == {"ideal", "depolarizing:0.02", "fake_manila"}
    csv_path = tmp_path / "noise.csv"
    assert main(args[:-3] + ["ideal", "--shots", "100", "--json", "--no-store", "--csv", str(csv_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["shots"] == 100 and data["results"][0]["tasks"]["task_1"]["accuracy_se"] is not None
    assert csv_path.read_text().startswith("backend,engine,task")
    assert main(["noise", result.run_id, "--runs-dir", runs, "--backends", "fake_armonk"]) == 2
    assert "fake_armonk has 1 qubits" in capsys.readouterr().err
    assert main(["noise", "nope", "--runs-dir", runs]) == 2
