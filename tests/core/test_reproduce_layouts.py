"""``qmtl reproduce --layouts-only --quick``: shared wires, task registers and HPS on four data sets, one table."""

import json

import pandas as pd

from workbench.analysis.layouts import circuit_cost, to_registers, to_shared
from workbench.cli import main
from workbench.spec import load
from workbench.spec.examples import EXPERIMENTS


def test_conversions_keep_tasks_and_size_registers():
    penguins = load(EXPERIMENTS / "penguins.toml")
    reg = to_registers(penguins)
    assert reg.quantum.layout == "registers" and reg.quantum.qubits == 2 + 1 + 2
    assert reg.backbone.width == 15 and [t.name for t in reg.tasks] == [t.name for t in penguins.tasks]
    glue = load(EXPERIMENTS / "glue-structure-9task.toml")
    shared = to_shared(glue)
    assert shared.quantum.layout == "shared" and shared.quantum.qubits == 10
    # task registers run one circuit; shared wires one per task, each repeating the encoder
    assert circuit_cost(glue)["circuits"] == 1 and circuit_cost(shared)["circuits"] == 9
    assert circuit_cost(glue)["two_qubit"] < circuit_cost(shared)["two_qubit"]


def test_layouts_only_quick(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["reproduce", "--layouts-only", "--quick", "--seeds", "1", "--out", str(out), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)
    table = pd.read_csv(files["csv"])
    assert list(dict.fromkeys(table["dataset"])) == ["digits", "penguins", "synthetic-T3", "glue-structure"]
    assert set(table["variant"]) == {"shared", "registers", "hps"} and len(table) == 12
    glue = table[table["dataset"] == "glue-structure"].set_index("variant")
    assert glue.loc["registers", "qubits"] == 10 and glue.loc["registers", "head_params"] == 30
    assert glue.loc["hps", "head_params"] == 558 and glue.loc["hps", "qubits"] == 0
    assert glue["r2_mean"].notna().all()  # the STS-B-like regression task
    assert table["accuracy_mean"].between(0, 1).all() and (table["s_per_epoch"] > 0).all()
    text = open(files["markdown"], encoding="utf-8").read()
    assert text.count("\n") == 2 + 12 and "QMTL, task registers" in text
    assert len(files["runs"]) == 12
