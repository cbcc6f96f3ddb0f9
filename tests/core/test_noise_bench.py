"""qmtl bench --noise: the noisy-evaluation benchmark runs end to end and reports its figures."""

import json

from workbench.cli import main


def test_bench_noise_quick_json(capsys):
    assert main(["bench", "--noise", "--quick", "--json", "--backend", "fake_hanoi"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["backend"] == "fake_hanoi" and r["backend_qubits"] == 27
    rates = r["rates"]
    assert rates["density_calibrated"]["inputs"] > 400 and rates["density_calibrated"]["inputs_per_s"] > 0
    assert rates["aer_fast_path_aer_executor"]["inputs"] == 16
    # like against like: the same inputs, warmed up, the same number of shots; set-up reported apart
    base, ours = rates["estimator_v2_baseline"], rates["ours_shots"]
    assert base["inputs"] == ours["inputs"] == rates["ours_exact"]["inputs"] == 32
    assert base["shots"] and ours["shots"] == base["shots"] and base["setup_s"] > 0 and base["warmup_s"] > 0
    assert "error" in rates["estimator_v2_exact"] or rates["estimator_v2_exact"]["inputs"] == 32
    assert max(d["max_abs"] for d in r["deviation_ptm_executor_vs_aer_executor"].values()) < 1e-4
    assert set(rates["aer_fast_path"]["active_qubits"]) == {"digit", "parity", "ge5"}
    assert r["shots_vs_shots_ratio"] > 0
    assert max(d["max_abs"] for d in r["deviation_density_vs_aer_same_channels"].values()) < 1e-6
    assert set(r["deviation_density_calibrated_vs_aer_backend"]) == {"digit", "parity", "ge5"}
    assert all(d["max_abs"] < 0.2 for d in r["deviation_density_calibrated_vs_aer_backend"].values())


def test_bench_noise_bad_backend(capsys):
    assert main(["bench", "--noise", "--backend", "fake_manila"]) == 2
    assert "fake_manila has 5 qubits" in capsys.readouterr().err


def test_comparison_benchmark_reports_every_backend_with_its_plan():
    from workbench.analysis.bench_noise import format_comparison_benchmark, run_comparison_benchmark
    from workbench.spec.examples import EXPERIMENTS

    r = run_comparison_benchmark("ideal,depolarizing:0.05,fake_manila", shots=64,
                                 spec_path=EXPERIMENTS / "small-synthetic.toml")
    assert [b["backend"] for b in r["backends"]] == ["ideal", "depolarizing:0.05", "fake_manila"]
    assert [b["executor"] for b in r["backends"]] == ["statevector", "density", "ptm"]
    assert all(b["seconds"] >= b["simulate_seconds"] > 0 and b["depth"] > 0 for b in r["backends"])
    assert r["seconds"] >= sum(b["seconds"] for b in r["backends"]) * 0.99 and r["goal_seconds"] == 60
    assert "whole comparison:" in format_comparison_benchmark(r)
