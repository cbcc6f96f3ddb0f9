"""Noise comparison: evaluate_noise on a head alone (figures, shots, plans, progress, cancel), backend validation,
CSV, storing with a run, qmtl noise."""

import csv
import io
import json

import numpy as np
import pytest
import torch

from workbench.analysis.noise import (
    CSV_COLUMNS,
    CancelToken,
    evaluate_noise,
    macro_f1,
    parse_backends,
    store_report,
)
from workbench.circuits import build_program
from workbench.cli import main
from workbench.errors import UserError
from workbench.runs.store import RunStore
from workbench.spec import BackboneSpec, BlockSpec, ExperimentSpec, QuantumSpec, ReadoutSpec, TaskSpec


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
    rep = evaluate_noise(program, weights, h, labels, "ideal,depolarizing:0,amplitude_damping:0.4", shots=None)
    ideal, zero, strong = rep.results
    assert (ideal.engine, zero.engine) == ("torch", "density")
    for t in ("a", "b"):
        assert ideal.tasks[t].accuracy == zero.tasks[t].accuracy
        assert ideal.tasks[t].accuracy >= 0.7
        assert ideal.tasks[t].loss == pytest.approx(zero.tasks[t].loss, abs=1e-4)
        assert ideal.tasks[t].tv_from_ideal == pytest.approx(0, abs=1e-12)
        assert zero.tasks[t].tv_from_ideal == pytest.approx(0, abs=1e-5)
        assert ideal.tasks[t].shots_accuracy is None
    assert sum(strong.tasks[t].accuracy for t in "ab") < sum(ideal.tasks[t].accuracy for t in "ab")


def test_ideal_figures_match_an_independent_computation(head):
    """Loss, margin and mean |<Z>| of the ideal backend recomputed from Qiskit's Statevector."""
    from qiskit.quantum_info import Statevector

    from workbench.circuits.export_qiskit import bind_values, to_qiskit
    from workbench.models.readout import readout_logits

    program, weights, h, labels = head
    rep = evaluate_noise(program, weights, h[:6], labels[:6], "ideal", shots=None)
    t = program.task("a")
    qtc = to_qiskit(program, "a")
    values = bind_values(qtc, h[:6].double().numpy(), {k: v.double().numpy() for k, v in weights.items()})
    z = np.array([Statevector(qtc.circuit.assign_parameters(v)).expectation_value(qtc.observables[0]).real
                  for v in values])
    lg = readout_logits(torch.as_tensor(z[:, None]), t.readout)
    p = torch.softmax(lg, -1).numpy()
    score = rep.results[0].tasks["a"]
    assert score.mean_abs_z == pytest.approx(np.abs(z).mean(), abs=1e-9)
    assert score.margin == pytest.approx(np.abs(p[:, 0] - p[:, 1]).mean(), abs=1e-9)
    assert score.loss == pytest.approx(float(torch.nn.functional.cross_entropy(lg, torch.as_tensor(labels[:6, 0]))),
                                       abs=1e-9)


def test_depolarizing_noise_shows_in_distance_and_shots_not_in_exact_accuracy(head):
    """Uniform depolarizing noise shrinks <Z> toward 0 but keeps its sign: the exact accuracy of the <Z> task stays,
    while the distance from the ideal class distribution grows with the level and, at strong noise, a finite shot
    budget flips decisions."""
    program, weights, h, labels = head
    levels = ["depolarizing:0.01", "depolarizing:0.05", "depolarizing:0.3"]
    rep = evaluate_noise(program, weights, h, labels, ["ideal"] + levels, shots=64, repeats=40, seed=3)
    ideal, *noisy = rep.results
    tv = [r.tasks[t].tv_from_ideal for r in noisy for t in ("a",)]
    assert 0 < tv[0] < tv[1] < tv[2]
    for t in ("a", "b"):
        dist = [r.tasks[t].tv_from_ideal for r in noisy]
        z = [r.tasks[t].mean_abs_z for r in [ideal] + noisy]
        margin = [r.tasks[t].margin for r in [ideal] + noisy]
        assert dist == sorted(dist) and z == sorted(z, reverse=True) and margin == sorted(margin, reverse=True)
    assert [r.tasks["a"].accuracy for r in noisy] == [ideal.tasks["a"].accuracy] * 3  # exact: blind to it
    strong = noisy[-1].tasks["a"]
    assert strong.shots_accuracy_high < strong.accuracy  # the whole 95% interval lies below the exact figure
    assert strong.shots_accuracy_low <= strong.shots_accuracy <= strong.shots_accuracy_high
    weak = noisy[0].tasks["a"]
    assert weak.shots_accuracy > strong.shots_accuracy


def test_shot_predictions_are_the_readout_argmax(head):
    from dataclasses import replace

    from workbench.analysis.noise_metrics import _predict, logits, raw_from_probs

    program = head[0]
    rng = np.random.default_rng(0)
    single = replace(program.task("a").readout, single_logit=True)  # logits [0, z]: class 1 when <Z> > 0
    for r in [t.readout for t in program.tasks] + [single]:
        p = rng.dirichlet(np.ones(2 ** len(r.wires)), size=50)
        raw = raw_from_probs(p, r)
        assert (_predict(raw, r) == logits(raw, r).argmax(-1).numpy()).all()
    assert (_predict(np.array([[0.5], [-0.5]]), single) == [1, 0]).all()


def test_fake_backend_with_aer_and_density_and_shots(head):
    program, weights, h, labels = head
    rep = evaluate_noise(program, weights, h[:12], labels[:12], ["ideal", "fake_manila"], shots=400, seed=1,
                         repeats=30)
    assert [r.engine for r in rep.results] == ["torch", "aer"]
    assert [r.executor for r in rep.results] == ["statevector", "ptm"]
    plan = rep.results[1].plan
    assert plan["qubits"] == len(plan["physical_qubits"]) >= 4 and plan["two_qubit_gates"] > 0 and plan["depth"] > 0
    for r in rep.results:
        assert r.seconds >= r.simulate_seconds > 0
        for s in r.tasks.values():
            assert 0 <= s.shots_accuracy_low <= s.shots_accuracy <= s.shots_accuracy_high <= 1
    dens = evaluate_noise(program, weights, h[:12], labels[:12], ["fake_manila"], engine="density", shots=None)
    assert dens.results[0].engine == "density" and "calibration" in dens.results[0].description


def test_progress_and_cancel_keep_the_backends_done(head):
    program, weights, h, labels = head
    token, events = CancelToken(), []

    def progress(ev):
        events.append(ev)
        if ev.phase == "done" and ev.index == 1:
            token.cancel()

    rep = evaluate_noise(program, weights, h, labels, "ideal,depolarizing:0.01,depolarizing:0.02,fake_manila",
                         shots=100, repeats=5, progress=progress, cancel=token)
    assert rep.cancelled and [r.backend for r in rep.results] == ["ideal", "depolarizing:0.01"]
    assert [e.phase for e in events if e.index == 0][:1] == ["plan"]
    sim = [e for e in events if e.phase == "simulate" and e.backend == "depolarizing:0.01"]
    assert sim[0].done == 0 and sim[-1].done == len(h) and all(e.total == 4 for e in events)
    assert not any(e.backend == "depolarizing:0.02" and e.phase == "simulate" and e.done for e in events)


def test_a_plan_that_cannot_finish_is_refused_up_front_with_figures(head):
    program, weights, h, labels = head
    with pytest.raises(UserError) as exc:
        evaluate_noise(program, weights, h, labels, "ideal,fake_manila", max_seconds=1e-9)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("--backends: ideal: statevector on 4 qubits")
    assert "depth" in msg and "two-qubit gates" in msg and "est." in msg and "Options:" in msg
    with pytest.raises(UserError) as exc:
        evaluate_noise(program, weights, h, labels, "fake_manila", max_seconds=1e-9)
    assert "--engine density" in str(exc.value) and "physical" in str(exc.value)


def test_csv_and_summary(head):
    program, weights, h, labels = head
    rep = evaluate_noise(program, weights, h, labels, "ideal,depolarizing:0.05", repeats=5)
    rows = list(csv.DictReader(io.StringIO(rep.to_csv())))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 4
    assert {"accuracy", "macro_f1", "loss", "margin", "mean_abs_z", "tv_from_ideal", "shots_accuracy",
            "shots_accuracy_low", "shots_accuracy_high"} <= rep.summary()["depolarizing:0.05"]["b"].keys()


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
    rep = evaluate_noise(program, weights, h, labels, "ideal", repeats=5)
    store_report(store, run_id, rep)
    info = store.get(run_id)
    assert info.summary["test"] == {"a": {"accuracy": 0.9}} and "ideal" in info.summary["noise"]
    assert {a.name for a in store.artifacts(run_id)} == {"noise", "noise-json"}
    assert (store.run_dir(run_id) / "noise.csv").read_text().startswith(",".join(CSV_COLUMNS))


def test_cli_on_a_trained_run(tmp_path, capsys):
    from workbench.spec.examples import small_synthetic
    from workbench.training import train

    store = RunStore(tmp_path / "runs")
    result = train(small_synthetic(samples=200, epochs=1), store)
    runs = str(tmp_path / "runs")
    args = ["noise", result.run_id, "--runs-dir", runs, "--backends", "ideal,depolarizing:0.02,fake_manila",
            "--limit", "16", "--repeats", "20"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "fake_manila" in captured.out and "acc@1024 [95%]" in captured.out
    assert f"stored with run {result.run_id}" in captured.out and "time per backend" in captured.out
    assert "[3/3] fake_manila: done in" in captured.err  # progress on stderr
    summary = store.get(result.run_id).summary["noise"]
    assert set(summary) == {"ideal", "depolarizing:0.02", "fake_manila"}
    assert {"loss", "margin", "tv_from_ideal", "shots_accuracy"} <= summary["fake_manila"]["task_0"].keys()
    stored = json.loads((store.run_dir(result.run_id) / "noise.json").read_text())
    assert all(r["seconds"] > 0 and r["plan"]["executor"] for r in stored["results"])
    csv_path = tmp_path / "noise.csv"
    assert main(args[:-5] + ["ideal", "--shots", "100", "--json", "--no-store", "--csv", str(csv_path)]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    task = data["results"][0]["tasks"]["task_1"]
    assert data["shots"] == 100 and {"accuracy", "macro_f1", "loss", "margin", "mean_abs_z", "tv_from_ideal",
                                     "shots_accuracy", "shots_accuracy_low", "shots_accuracy_high"} <= task.keys()
    assert "[1/1] ideal: done in" in captured.err
    assert csv_path.read_text().startswith("backend,engine,executor,task")
    assert main(["noise", result.run_id, "--runs-dir", runs, "--backends", "fake_armonk"]) == 2
    assert "fake_armonk has 1 qubits" in capsys.readouterr().err
    assert main(["noise", result.run_id, "--runs-dir", runs, "--shots", "-1"]) == 2
    err = capsys.readouterr().err  # the option's own range, one line naming the flag and the value
    assert "--shots: must be in 0..10000000, got -1" in err and err.count("\n") == 1
    assert main(["noise", "nope", "--runs-dir", runs]) == 2


def test_a_routed_circuit_too_wide_for_a_density_matrix_is_refused():
    from workbench.analysis.noise_plan import BackendPlan, check

    wide = BackendPlan("fake_x", "device", "ptm", 15, physical_qubits=list(range(15)), depth=300,
                       two_qubit_gates=200, state_bytes=4 * 4**15, est_seconds=10)
    with pytest.raises(UserError) as exc:
        check(wide, 100, None, 8)
    msg = str(exc.value)
    assert "an exact density matrix of 15 qubits is beyond this machine" in msg and "4.0 GiB per input" in msg
    assert "--engine density" in msg and "\n" not in msg
    check(BackendPlan("fake_y", "device", "ptm", 8, est_seconds=10), 100, 60, 8)  # fits: no refusal
