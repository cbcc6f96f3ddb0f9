"""Experiment spec: round trips, and every validation error names its field and value."""

import json

import pytest

from workbench.cli import main
from workbench.errors import SpecError
from workbench.spec import dumps, load, loads, save, spec_to_dict
from workbench.spec.examples import EXPERIMENTS
from workbench.spec.expressions import ExpressionError, evaluate

DEMO = str(EXPERIMENTS / "digits-3task.toml")


def test_demo_round_trips_through_toml_and_json(tmp_path):
    spec = load(DEMO)
    assert [t.name for t in spec.tasks] == ["digit", "parity", "ge5"]
    assert loads(dumps(spec)) == spec
    assert loads(dumps(spec, "json"), "json") == spec
    save(spec, tmp_path / "copy.json")
    assert load(tmp_path / "copy.json") == spec


def _broken(edit) -> str:
    data = spec_to_dict(load(DEMO))
    edit(data)
    return json.dumps(data)


@pytest.mark.parametrize("edit, path, words", [
    (lambda d: d["tasks"][1].update(classes=1), "tasks[1].classes", "at least 2"),
    (lambda d: d["tasks"][0]["readout"].update(wires=[0, 1, 9]), "tasks[0].readout.wires", "wire 9"),
    (lambda d: d["tasks"][0]["readout"].update(wires=[0, 1]), "tasks[0].readout.wires", "fewer than 10 classes"),
    (lambda d: d["tasks"][1]["readout"].update(wires=[4, 5, 6]), "tasks[1].readout.wires", "one wire per class"),
    (lambda d: d["quantum"]["encoder"].update(template="Fancy"), "quantum.encoder.template", "'Fancy'"),
    (lambda d: d["quantum"]["default_block"].update(template="Nope"), "quantum.default_block.template", "Strongly"),
    (lambda d: d["quantum"].update(engine="warp"), "quantum.engine", "default.qubit"),
    (lambda d: d["quantum"].update(qubits=40), "quantum.qubits", "GiB"),
    (lambda d: d["quantum"].update(qubits="eight"), "quantum.qubits", "expected an integer"),
    (lambda d: d["training"].update(lr=-1), "training.lr", "-1"),
    (lambda d: d["training"].update(optimizer="adagrad"), "training.optimizer", "adam"),
    (lambda d: d.update(colour="blue"), "colour", "unknown field"),
    (lambda d: d["tasks"][2].update(name="digit"), "tasks[2].name", "duplicate"),
    (lambda d: d["quantum"]["encoder"].update(template="AngleEmbedding"), "quantum.encoder.template", "24 > 8"),
    (lambda d: d.update(version=7), "version", "newer"),
])
def test_validation_errors_name_field_and_value(edit, path, words):
    with pytest.raises(SpecError) as exc:
        loads(_broken(edit), "json")
    assert exc.value.path == path
    assert words in str(exc.value)


def test_custom_gate_errors():
    def edit(d):
        d["tasks"][0]["block"] = {"template": "Custom", "gates": [{"gate": "RY", "wires": [0], "params": ["pi/"]}]}
    with pytest.raises(SpecError) as exc:
        loads(_broken(edit), "json")
    assert exc.value.path == "tasks[0].block.gates[0].params[0]"
    assert "pi/" in str(exc.value)

    def edit2(d):
        d["tasks"][0]["block"] = {"template": "Custom", "gates": [{"gate": "CNOT", "wires": [0, 12]}]}
    with pytest.raises(SpecError, match="wire 12 does not exist"):
        loads(_broken(edit2), "json")


def test_expressions():
    assert evaluate("pi/4") == pytest.approx(0.7853981633974483)
    assert evaluate("-2*pi/3") == pytest.approx(-2.0943951023931953)
    for bad, why in (("pi/", "not an expression"), ("__import__('os')", "not a constant"), ("1/0", "zero"),
                     ("foo", "unknown name")):
        with pytest.raises(ExpressionError, match=why):
            evaluate(bad)


def test_cli_bad_spec_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(load(DEMO) and open(DEMO).read().replace("classes = 10", "classes = 0"))
    assert main(["params", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tasks[0].classes" in err[0]
    (tmp_path / "junk.toml").write_text("this is = = not toml")
    assert main(["params", str(tmp_path / "junk.toml")]) == 2
    assert "does not parse" in capsys.readouterr().err
    assert main(["params", str(tmp_path / "missing.toml")]) == 2
    assert "no such experiment file" in capsys.readouterr().err


def test_plain_w_never_shares_a_numbered_angle():
    from workbench.circuits.templates import _custom
    from workbench.spec import BlockSpec, GateSpec

    block = BlockSpec(template="Custom", gates=[GateSpec("RY", [0], ["w"]), GateSpec("RX", [1], ["w0"]),
                                                GateSpec("RZ", [0], ["w"]), GateSpec("RY", [1], ["w0"])])
    gates, n = _custom(block, 1.0)
    assert [g.params[0].index for g in gates] == [1, 0, 2, 0]
    assert n == 3
