"""The registers layout, block wires, Pauli-word readouts and regression tasks in the spec: defaults and errors."""

import copy

import pytest

from workbench.circuits import build_program
from workbench.errors import SpecError
from workbench.spec import dumps, load, loads, spec_from_dict, spec_to_dict
from workbench.spec.examples import EXPERIMENTS
from workbench.spec.layout import default_words, parse_word

GLUE = EXPERIMENTS / "glue-structure-9task.toml"


def test_glue_structure_has_ten_qubits_and_the_authors_readouts():
    spec = load(GLUE)
    program = build_program(spec)
    assert program.n_qubits == 10 and program.n_features == 30
    wires = {t.name: t.block.wires for t in program.tasks}
    assert wires["cola"] == (0,) and wires["stsb"] == (3,) and wires["mnli"] == (5, 6) and wires["wnli"] == (9,)
    mnli = program.task("mnli").readout
    assert mnli.kind == "pauli" and mnli.words == ((("Z", 5),), (("Z", 6),), (("X", 5), ("X", 6)))
    cola = program.task("cola").readout
    assert cola.single_logit and cola.words == ((("Z", 0),),)
    stsb = program.task("stsb").readout
    assert stsb.regression and stsb.tanh and stsb.target_range == (0.0, 1.0)
    # encoder: 3 re-uploading layers over 10 qubits load the 30 features
    assert sum(1 for g in program.encoder.gates if g.params and g.params[0].kind == "input") == 30


def test_more_than_three_classes_get_four_qubits_and_two_layers():
    data = spec_to_dict(load(GLUE))
    data["tasks"][5]["classes"] = 5  # mnli -> 5 classes: a 4-qubit register
    data["quantum"]["qubits"] = 12
    data["backbone"]["width"] = 36
    spec = spec_from_dict(data)
    t = build_program(spec).task("mnli")
    assert t.block.wires == (5, 6, 7, 8) and t.block.n_weights == 2 * 4 * 3
    assert [w for w in t.readout.words] == [(("Z", 5),), (("Z", 6),), (("Z", 7),), (("Z", 8),),
                                            (("Z", 5), ("Z", 6))]


def test_register_override_and_projection():
    data = spec_to_dict(load(GLUE))
    data["tasks"][0]["qubits"] = 2
    data["quantum"]["qubits"] = 11
    data["quantum"]["projection"] = 33
    spec = spec_from_dict(data)
    program = build_program(spec, 30)
    assert program.task("cola").block.wires == (0, 1) and program.n_features == 33


def _err(mutate, tmp_path=None):
    data = spec_to_dict(load(GLUE))
    mutate(data)
    with pytest.raises(SpecError) as exc:
        spec_from_dict(data)
    return exc.value


@pytest.mark.parametrize("mutate, path, text", [
    (lambda d: d["quantum"].update(qubits=9), "quantum.qubits", "set qubits = 10"),
    (lambda d: d["backbone"].update(width=24), "backbone.width", "3 x 10 = 30"),
    (lambda d: d["quantum"].update(projection=20), "quantum.projection", "30"),
    (lambda d: d["quantum"].update(layout="tiles"), "quantum.layout", "registers"),
    (lambda d: d["tasks"][0].update(readout={"kind": "pauli", "words": ["Q0"]}), "tasks[0].readout.words",
     "not a Pauli factor"),
    (lambda d: d["tasks"][0].update(readout={"kind": "pauli", "words": ["Z1"]}), "tasks[0].readout.words",
     "relative wire 1"),
    (lambda d: d["tasks"][0].update(readout={"kind": "pauli", "words": ["Z4"], "relative": False}),
     "tasks[0].readout.words", "outside the task's register [0]"),
    (lambda d: d["tasks"][5].update(readout={"kind": "pauli", "words": ["Z0", "Z0 Z0", "X1"]}),
     "tasks[5].readout.words", "appears twice"),
    (lambda d: d["tasks"][5].update(readout={"kind": "pauli", "words": ["Z0", "Z1"]}), "tasks[5].readout.words",
     "one word per class (3)"),
    (lambda d: d["tasks"][5].update(readout={"kind": "pauli", "words": ["Z0"], "binary": "single-logit"}),
     "tasks[5].readout.binary", "2-class"),
    (lambda d: d["tasks"][5].update(readout={"kind": "pauli", "words": ["Z0", "Z1", "X0 X1"], "scales": [1.0]}),
     "tasks[5].readout.scales", "one scale per word"),
    (lambda d: d["tasks"][3].update(classes=3), "tasks[3].classes", "regression task has one output"),
    (lambda d: d["tasks"][3].update(target_range=[1.0, 0.0]), "tasks[3].target_range", "low < high"),
    (lambda d: d["tasks"][3].update(kind="ranking"), "tasks[3].kind", "regression"),
    (lambda d: d["tasks"][0].update(block={"template": "StronglyEntanglingLayers", "wires": [3]}),
     "tasks[0].block.wires", "register [0]"),
])
def test_errors_name_the_field(mutate, path, text):
    err = _err(mutate)
    assert err.path == path and text in err.message, (err.path, err.message)


def test_shared_layout_block_wires_and_absolute_words():
    spec = load(EXPERIMENTS / "small-synthetic.toml")
    data = spec_to_dict(spec)
    data["tasks"][0]["block"] = {"template": "StronglyEntanglingLayers", "layers": 1, "wires": [2, 3]}
    data["tasks"][0]["readout"] = {"kind": "pauli", "words": ["X0 Y1"]}  # relative: X2 Y3
    data["tasks"][1]["readout"] = {"kind": "pauli", "words": ["Z0", "Z1 Z3", "Y2"], "relative": False}
    program = build_program(spec_from_dict(data))
    t0 = program.task("task_0")
    assert {w for g in t0.block.gates for w in g.wires} == {2, 3} and t0.block.n_weights == 6
    assert t0.readout.words == ((("X", 2), ("Y", 3)),)
    assert program.task("task_1").readout.words[1] == (("Z", 1), ("Z", 3))
    data["tasks"][0]["block"]["wires"] = [2, 2]
    with pytest.raises(SpecError, match=r"tasks\[0\]\.block\.wires: repeats a wire"):
        spec_from_dict(copy.deepcopy(data))
    data["tasks"][0]["block"]["wires"] = [7]
    with pytest.raises(SpecError, match=r"tasks\[0\]\.block\.wires: wire 7 does not exist"):
        spec_from_dict(data)


def test_existing_specs_load_unchanged():
    for path in sorted(EXPERIMENTS.glob("*.toml")):
        spec = load(path)
        assert loads(dumps(spec)) == spec
        if spec.quantum.layout == "shared":
            for t in build_program(spec).tasks:
                assert t.block.wires is None and t.readout.kind in ("expval", "probs")
                assert not t.readout.single_logit and not t.readout.regression


def test_word_parsing():
    assert parse_word("Z0 Z1") == (("Z", 0), ("Z", 1))
    assert parse_word("x0*y12") == (("X", 0), ("Y", 12))
    with pytest.raises(ValueError):
        parse_word("")
    assert default_words(3, 2) == ["Z0", "Z1", "X0 X1"]
    assert default_words(7, 4) == ["Z0", "Z1", "Z2", "Z3", "Z0 Z1", "Z1 Z2", "Z2 Z3"]
