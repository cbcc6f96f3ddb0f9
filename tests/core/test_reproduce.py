"""``qmtl reproduce --quick``: report, CSVs and plots exist, hold the expected rows, and agree with the closed forms."""

import contextlib
import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.reproduce import HEADS, comparisons, make_settings
from workbench.cli import main
from workbench.runs import RunStore

DATASETS = ["digits-3task", "penguins", "synthetic-T2", "synthetic-T4"]  # what --quick trains
SEEDS = 2  # --quick's default
DIGITS_CLASSES = [10, 2, 2]  # the demo spec's tasks, cycled by the scaling study
ALPHA, QUBITS, BLOCK_LAYERS = 8, 8, 2
DIGIT_BLOCK_LAYERS = 4  # the demo gives the ten-class task a deeper block of its own


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro") / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["reproduce", "--quick", "--out", str(out), "--json"])
    assert code == 0, stderr.getvalue()
    return {"out": out, "json": json.loads(stdout.getvalue()), "stderr": stderr.getvalue()}


def _csv(quick, name) -> pd.DataFrame:
    return pd.read_csv(quick["json"]["csv"][name])


def test_json_names_every_output_and_they_exist(quick):
    j = quick["json"]
    out = quick["out"]
    assert j["quick"] is True and j["seeds"] == SEEDS
    assert j["runs"] == len(DATASETS) * len(HEADS) * SEEDS
    assert set(j["csv"]) >= {"scaling", "accuracy_summary", "accuracy_per_task", "comparison", "synthetic", "runs"}
    assert set(j["plots"]) == {"scaling", "accuracy", "synthetic"}
    for path in [j["report"], *j["csv"].values(), *j["plots"].values()]:
        assert path.startswith(str(out)), path
        assert (out / path[len(str(out)) + 1:]).stat().st_size > 200, path
    head = j["headline"]
    # 48 angles per binary task, 96 per copy of the digit task (its block has 4 layers)
    assert head["scaling"]["classical_params"] == 5432 and head["scaling"]["quantum_params"] == 768
    assert set(head["accuracy"]) == set(DATASETS)
    for dataset in DATASETS:
        assert set(head["accuracy"][dataset]) == set(HEADS)
        assert 0 <= head["accuracy"][dataset]["qmtl"]["mean_accuracy"] <= 1
        assert set(head["qmtl_vs"][dataset]) == {"hps", "hybrid", "single"}


def test_plots_are_real_pictures(quick):
    from matplotlib.image import imread

    for name, path in quick["json"]["plots"].items():
        with open(path, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n", name
        img = imread(path)[..., :3]
        assert img.shape[0] > 400 and img.shape[1] > 700, (name, img.shape)
        ink = (img.min(axis=2) < 0.9).mean()  # share of pixels that are not (near) white
        assert 0.02 < ink < 0.6, (name, ink)
        assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50, name  # lines, markers, text: many colours


def test_summary_table_has_every_head_and_dataset_with_numbers(quick):
    s = _csv(quick, "accuracy_summary")
    assert len(s) == len(DATASETS) * len(HEADS)
    assert set(zip(s["dataset"], s["head"])) == {(d, h) for d in DATASETS for h in HEADS}
    assert (s["seeds"] == SEEDS).all()
    for col in ("mean_accuracy_mean", "mean_accuracy_std", "mean_macro_f1_mean", "head_params"):
        assert pd.api.types.is_numeric_dtype(s[col]), col
        assert s[col].notna().all(), col
    assert s["mean_accuracy_mean"].between(0, 1).all() and (s["mean_accuracy_std"] >= 0).all()
    params = s[s["dataset"] == "digits-3task"].set_index("head")["head_params"]
    assert params.to_dict() == {"qmtl": 192, "hps": 350, "hybrid": 48 + 9 * 14, "single": 192}
    # the summary's mean is the mean over seeds of the per-run task means in runs.csv
    runs = _csv(quick, "runs")
    for (dataset, head), part in runs.groupby(["dataset", "head"]):
        row = s[(s["dataset"] == dataset) & (s["head"] == head)].iloc[0]
        assert row["mean_accuracy_mean"] == pytest.approx(part["mean_accuracy"].mean(), abs=1e-5)
        assert row["mean_accuracy_std"] == pytest.approx(part["mean_accuracy"].std(ddof=1), abs=1e-5)


def test_per_task_table_lists_each_task_and_the_mean(quick):
    t = _csv(quick, "accuracy_per_task")
    tasks = {"digits-3task": ["digit", "parity", "ge5"], "penguins": ["species", "sex", "island"],
             "synthetic-T2": ["task_0", "task_1"], "synthetic-T4": ["task_0", "task_1", "task_2", "task_3"]}
    for dataset, names in tasks.items():
        for head in HEADS:
            part = t[(t["dataset"] == dataset) & (t["head"] == head)]
            assert list(part["task"]) == names + ["mean"], (dataset, head)
            assert part["accuracy_mean"].notna().all() and part["accuracy_std"].notna().all()
            assert part["accuracy_mean"].between(0, 1).all()


def test_synthetic_table_has_each_T_and_head(quick):
    syn = _csv(quick, "synthetic")
    assert sorted(set(syn["T"])) == [2, 4]
    assert len(syn) == 2 * len(HEADS)
    for _, r in syn.iterrows():
        assert r["d"] == ALPHA * r["T"]
    hps = syn[syn["head"] == "hps"].set_index("T")["head_params"]
    # classes alternate 2, 3: sum_t (d + 1) C_t
    assert hps[2] == 17 * (2 + 3) and hps[4] == 33 * (2 + 3 + 2 + 3)
    qmtl = syn[syn["head"] == "qmtl"].set_index("T")["head_params"]
    assert qmtl[2] == 2 * 3 * BLOCK_LAYERS * QUBITS and qmtl[4] == 4 * 3 * BLOCK_LAYERS * QUBITS


def test_scaling_csv_matches_the_closed_forms(quick):
    sc = _csv(quick, "scaling")
    assert list(sc["T"]) == list(range(1, 13))
    for _, r in sc.iterrows():
        T = int(r["T"])
        d = ALPHA * T
        classes = [DIGITS_CLASSES[k % 3] for k in range(T)]
        assert r["d"] == d
        assert r["classical_params"] == sum((d + 1) * c for c in classes)
        layers = [DIGIT_BLOCK_LAYERS if k % 3 == 0 else BLOCK_LAYERS for k in range(T)]
        assert r["quantum_params"] == 3 * QUBITS * sum(layers)  # parameter-free encoder
        assert r["encoder_layers"] == math.ceil(d / QUBITS)
    # circuit cost grows with T even though the parameters stay linear
    assert sc["depth"].is_monotonic_increasing and sc["two_qubit"].is_monotonic_increasing
    assert sc["two_qubit"].iloc[-1] > 12 * sc["two_qubit"].iloc[0] * 3


def test_runs_are_in_the_store_tagged_reproduce(quick):
    store = RunStore(quick["out"] / "runs")
    runs = store.list_runs(tag="reproduce")
    assert len(runs) == quick["json"]["runs"]
    assert all(r.status == "finished" for r in runs)
    assert set(_csv(quick, "runs")["run_id"]) == {r.id for r in runs}


def test_report_reads_as_a_quick_run_with_tables_plots_and_fine_print(quick):
    text = open(quick["json"]["report"], encoding="utf-8").read()
    assert "Quick run" in text and "not** results" in text
    for needle in ("## Settings", "## 1. Parameter and resource scaling", "## 2. Accuracy",
                   "### Where QMTL wins or loses", "## 3. Synthetic", "## Fine print", "![", "scaling.png",
                   "accuracy.png", "synthetic.png", "5432", "768", "two-qubit"):
        assert needle in text, needle
    assert "±" in text
    for dataset in DATASETS:
        assert f"**{dataset}**" in text
    # one verdict per baseline per dataset
    assert text.count(" vs hps ") == len(DATASETS)


def test_progress_has_one_line_per_run_with_eta(quick):
    lines = [ln for ln in quick["stderr"].splitlines() if ln.startswith("[")]
    assert len(lines) == quick["json"]["runs"]
    assert all("ETA" in ln and "mean acc" in ln for ln in lines)
    assert lines[-1].startswith(f"[{len(lines)}/{len(lines)}]")


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    assert main(["reproduce", "--quick", "--seeds", "0", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--seeds" in err
    (tmp_path / "file").write_text("x")
    assert main(["reproduce", "--quick", "--out", str(tmp_path / "file")]) == 2
    assert "--out" in capsys.readouterr().err


def test_settings():
    q, full = make_settings(True), make_settings(False)
    assert q.quick and q.seeds == 2 and len(q.synthetic_T) < len(full.synthetic_T)
    assert full.seeds == 3 and full.synthetic_T == (2, 3, 4, 5, 6) and full.scaling_T == tuple(range(1, 13))
    assert make_settings(False, 5).seeds == 5


def test_comparison_verdicts_use_the_noise_band():
    summary = pd.DataFrame([
        {"dataset": "a", "T": 3, "head": "qmtl", "seeds": 3, "mean_accuracy_mean": 0.90, "mean_accuracy_std": 0.01,
         "head_params": 100, "train_time_s_mean": 1.0},
        {"dataset": "a", "T": 3, "head": "hps", "seeds": 3, "mean_accuracy_mean": 0.95, "mean_accuracy_std": 0.01,
         "head_params": 300, "train_time_s_mean": 1.0},
        {"dataset": "a", "T": 3, "head": "hybrid", "seeds": 3, "mean_accuracy_mean": 0.80,
         "mean_accuracy_std": 0.01, "head_params": 120, "train_time_s_mean": 1.0},
        {"dataset": "a", "T": 3, "head": "single", "seeds": 3, "mean_accuracy_mean": 0.89,
         "mean_accuracy_std": 0.05, "head_params": 100, "train_time_s_mean": 1.0},
    ])
    c = comparisons(summary, {"a": 200}).set_index("baseline")
    assert c.loc["hps", "verdict"] == "loses" and c.loc["hps", "delta"] == pytest.approx(-0.05)
    assert c.loc["hybrid", "verdict"] == "wins"
    assert c.loc["single", "verdict"] == "ties"  # 1 point apart, but the seeds scatter by 5
    assert c.loc["hps", "noise_band"] == pytest.approx(2 * math.sqrt(2 * 0.01**2 / 3))
    # a tiny test set widens the band to one test example
    c2 = comparisons(summary, {"a": 10}).set_index("baseline")
    assert c2.loc["hps", "verdict"] == "ties" and c2.loc["hps", "noise_band"] == pytest.approx(0.1)


def test_a_stop_lets_running_runs_finish_and_keeps_them_for_the_next_call(tmp_path):
    from workbench.analysis.reproduce import reproduce
    from workbench.sweeps import LocalExecutor, SweepControl

    control = SweepControl()
    seen = []

    def progress(i, n, planned, outcome, elapsed, eta):
        seen.append((planned.study.label, planned.head, planned.seed, outcome.run_id))
        control.stop()  # as Ctrl-C does: no new runs, the running ones finish

    settings = make_settings(True, 1)
    executor = LocalExecutor(2)
    try:
        rep = reproduce(settings, tmp_path / "out", progress=progress, control=control, executor=executor)
    finally:
        executor.close()
    assert not rep.completed
    assert 1 <= len(rep.outcomes) == len(seen) <= 2  # what was running when the stop came
    assert not (tmp_path / "out" / "report.md").exists()
    store = RunStore(tmp_path / "out" / "runs")
    first = {r.id for r in store.list_runs(tag="reproduce")}
    assert first == {s[3] for s in seen} and all(r.status == "finished" for r in store.list_runs(tag="reproduce"))

    # the sweep record holds the rest as pending, so the same call resumes with only what is missing
    from workbench.runs.sweeps import SweepRecords

    ((sweep, counts),) = SweepRecords(store).list_sweeps()
    assert counts == {"finished": len(seen), "pending": len(DATASETS) * len(HEADS) - len(seen)}


def test_datasets_pick_a_subset_of_the_studies(capsys):
    from workbench.analysis.reproduce import make_studies

    settings = make_settings(True, 1, ("synthetic", "penguins"))
    assert settings.groups == ("penguins", "synthetic")  # canonical order
    assert [s.label for s in make_studies(settings)] == ["penguins", "synthetic-T2", "synthetic-T4"]
    assert main(["reproduce", "--quick", "--datasets", "penguins,mnist"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'mnist'" in err and "digits-3task, penguins, synthetic" in err
