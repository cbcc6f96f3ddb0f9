"""Parameter scaling: counts taken from the torch modules agree with the closed forms of the QMTL paper."""

import json
import math

import pytest

from workbench.analysis.scaling import exponents, scaling_table, spec_for, upper_half
from workbench.circuits import build_program, program_resources
from workbench.cli import main
from workbench.models import build_model
from workbench.spec import load
from workbench.spec.examples import EXPERIMENTS

DEMO = str(EXPERIMENTS / "digits-3task.toml")


def _block_params(block, n):
    g = {"StronglyEntanglingLayers": 3, "BasicEntanglerLayers": 1}.get(block.template, len(block.rotations))
    return g * block.layers * n


@pytest.mark.parametrize("block", ["StronglyEntanglingLayers", "BasicEntanglerLayers", "HardwareEfficient"])
def test_counts_match_closed_forms(block):
    spec = load(DEMO)
    spec.quantum.default_block.template = block
    spec.quantum.encoder.trainable_layers = 1  # P_enc > 0 too
    alpha, n = 8, spec.quantum.qubits
    rows = scaling_table(spec, range(1, 13), alpha)
    for r in rows:
        s, _ = spec_for(spec, r.T, alpha)
        d = alpha * r.T
        assert r.d == d
        assert r.classical_params == sum((d + 1) * t.classes for t in s.tasks)
        p_enc = 3 * n * spec.quantum.encoder.trainable_layers * math.ceil(d / n)  # one trainable layer per upload
        assert r.quantum_params == p_enc + sum(_block_params(s.block_for(t), n) for t in s.tasks)


def test_uniform_classes_give_the_textbook_exponents():
    rows = scaling_table(load(DEMO), range(1, 13), 8, classes=2)
    for r in rows:
        assert r.classical_params == (8 * r.T + 1) * 2 * r.T
        digit_tasks = (r.T + 2) // 3  # every third task is a copy of digit, whose block has 4 layers, not 2
        assert r.quantum_params == 48 * r.T + 48 * digit_tasks
    fit = exponents(upper_half(rows))
    assert 1.9 < fit["classical_params"] < 2.05
    assert fit["quantum_params"] == pytest.approx(1.0, abs=0.03)


def test_model_reports_split_parameters():
    spec = load(DEMO)
    for head, expected in (("qmtl", 192), ("hps", 350), ("single", 192), ("hybrid", 48 + 9 * 14)):
        report = build_model(spec, 64, head, seed=0).parameter_report()
        assert report["head_total"] == expected, head
        assert report["total"] == report["backbone"] + report["head_total"]
    res = program_resources(build_program(spec))
    assert res.task_params == {"digit": 96, "parity": 48, "ge5": 48}
    assert res.circuits["digit"].two_qubit == res.encoder.two_qubit + res.blocks["digit"].two_qubit


def test_params_cli_json(capsys):
    assert main(["params", DEMO, "--tasks", "1-12", "--alpha", "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["T"] for r in out["rows"]] == list(range(1, 13))
    assert out["fit_range"] == [6, 12]
    assert out["exponents"]["quantum_params"] == pytest.approx(1.0, abs=0.05)
    assert 1.9 < out["exponents"]["classical_params"] < 2.05
    assert out["exponents_full_range"]["T"] == [1, 12]
    assert main(["params", DEMO, "--tasks", "0-3"]) == 2
