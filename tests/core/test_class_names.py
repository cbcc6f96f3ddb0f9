"""Class names in the spec: validated against the class count, kept through TOML and JSON, filled from the data,
checked against it, and shown in the report."""

import copy

import pytest

from tests.core.test_data_check import _csv
from workbench.analysis.html_report import build_report
from workbench.data.check import check_spec_data
from workbench.data.preview import preview_source
from workbench.errors import SpecError
from workbench.runs import RunStore
from workbench.spec import dumps, load, loads
from workbench.spec.data_tasks import tasks_for_labels
from workbench.spec.examples import EXPERIMENTS
from workbench.spec.model import DatasetSpec, TaskSpec


def _demo():
    return load(EXPERIMENTS / "digits-3task.toml")


def test_class_names_round_trip_through_toml_and_json():
    spec = _demo()
    spec.tasks[1].class_names = ("even", "odd")
    assert "class_names" in dumps(spec)
    for fmt in ("toml", "json"):
        again = loads(dumps(spec, fmt), fmt)
        assert again == spec and again.tasks[1].class_names == ("even", "odd")
        assert again.tasks[0].class_names is None  # optional: a spec without them stays without them
    assert TaskSpec("t", 2, class_names=["a", "b"]).class_names == ("a", "b")


@pytest.mark.parametrize("names, path, words", [
    (["even"], "tasks[1].class_names", "task 'parity' has 2 classes but 1 class names"),
    (["even", "odd", "x"], "tasks[1].class_names", "task 'parity' has 2 classes but 3 class names"),
    (["even", "even"], "tasks[1].class_names", "task 'parity' names two classes 'even'"),
    (["even", " "], "tasks[1].class_names[1]", "a class name must be a non-empty text"),
    (["even", 3], "tasks[1].class_names[1]", "expected a string, got 3"),
    ("even", "tasks[1].class_names", "expected a list"),
])
def test_wrong_class_names_are_one_plain_error_naming_task_and_field(names, path, words):
    text = dumps(_demo()).replace('[[tasks]]\nname = "parity"', f'[[tasks]]\nname = "parity"\nclass_names = '
                                  f'{names!r}'.replace("'", '"'))
    assert "class_names" in text
    with pytest.raises(SpecError) as err:
        loads(text)
    assert err.value.path == path and words in err.value.message, str(err.value)


def test_a_regression_task_has_no_class_names():
    spec = _demo()
    spec.tasks[1] = TaskSpec("parity", kind="regression", class_names=("a",))
    with pytest.raises(SpecError, match=r"tasks\[1\].class_names: task 'parity' is a regression task"):
        loads(dumps(spec))


def test_tasks_from_the_data_carry_its_label_values(tmp_path):
    path = _csv(tmp_path)
    preview = preview_source("csv", path)
    spec = _demo()
    spec.dataset = DatasetSpec(source="csv", path=str(path), labels=["colour", "big"])
    spec.tasks = tasks_for_labels(spec, preview.named_tasks_for(["colour", "big"]))
    assert [(t.name, t.classes, t.class_names) for t in spec.tasks] == [
        ("colour", 3, ("blue", "green", "red")), ("big", 2, ("0", "1"))]
    spec = loads(dumps(spec))
    assert check_spec_data(spec).problems == []
    spec.tasks[0].class_names = ("red", "green", "blue")  # another order than the data's classes
    assert check_spec_data(spec).problems == [
        "task 'colour' names its classes red, green, blue in the experiment but the data's are blue, green, red "
        "(class_names)"]
    # A count from an older caller still works, and a changed count drops names that no longer fit.
    renamed = tasks_for_labels(spec, [("colour", 4)])
    assert renamed[0].classes == 4 and renamed[0].class_names is None


def test_builtin_data_names_its_classes():
    preview = preview_source("digits-3task")
    spec = _demo()
    spec.tasks = tasks_for_labels(spec, preview.named_tasks_for(preview.labels))
    assert spec.tasks[1].class_names == ("even", "odd") and spec.tasks[0].class_names[9] == "9"
    assert check_spec_data(loads(dumps(spec))).problems == []


def test_the_report_shows_the_class_names(tmp_path):
    spec = _demo()
    spec.tasks[1].class_names = ("even", "<odd>")
    store = RunStore(tmp_path / "runs")
    rid = store.create_run(name="named", spec_text=dumps(copy.deepcopy(spec)), params={"head": "qmtl", "seed": 0})
    store.set_status(rid, "finished")
    html = build_report(store, [rid])
    assert "classes of “parity”</th><td>even, &lt;odd&gt;</td>" in html


def test_qmtl_train_refuses_class_names_the_data_does_not_have(tmp_path, capsys):
    """The GUI's data check and ``qmtl train`` agree: names in another order are another labelling."""
    from workbench.cli import main
    from workbench.spec import save

    spec = _demo()
    spec.tasks[1].class_names = ("odd", "even")
    spec.training.epochs = 1
    path = tmp_path / "named.toml"
    save(spec, path)
    assert main(["train", str(path), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "task 'parity' names its classes odd, even in the experiment but the data's are " \
        "even, odd" in err[0], err
