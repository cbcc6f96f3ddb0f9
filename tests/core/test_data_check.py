"""The "ready to train" check of a spec against its data, and the preview the data panel shows."""

import numpy as np
import pandas as pd

from workbench.data.check import check_spec_data
from workbench.data.preview import preview_source
from workbench.spec import load
from workbench.spec.examples import EXPERIMENTS
from workbench.spec.model import BackboneSpec, DatasetSpec, ExperimentSpec, TaskSpec


def _csv(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "c": rng.normal(size=60),
                       "colour": np.repeat(["red", "green", "blue"], 20), "big": np.tile([0, 1], 30)})
    path = tmp_path / "table.csv"
    df.to_csv(path, index=False)
    return path


def test_the_demo_fits_its_data():
    check = check_spec_data(load(EXPERIMENTS / "digits-3task.toml"))
    assert check.ok, check.problems
    assert [t.name for t in check.tasks] == ["digit", "parity", "ge5"] and check.width > 0


def test_file_new_defaults_on_digits_say_what_is_wrong():
    spec = ExperimentSpec(name="untitled", tasks=[TaskSpec("task1", 2), TaskSpec("digit", 3)])
    problems = check_spec_data(spec).problems
    assert problems[0].startswith("task 'task1' has no label column 'task1' in the data (labels: digit")
    assert problems[1] == ("task 'digit' has 3 classes in the experiment but 10 in the data "
                           "(0, 1, 2, 3, 4, 5, … (10 in all))")


def test_a_csv_with_two_label_columns(tmp_path):
    path = _csv(tmp_path)
    ds = DatasetSpec(source="csv", path=str(path), labels=["colour", "big"])
    spec = ExperimentSpec(dataset=ds, tasks=[TaskSpec("colour", 3), TaskSpec("big", 2)])
    check = check_spec_data(spec)
    assert check.ok, check.problems
    assert check.tasks[0].class_names == ["blue", "green", "red"] and check.width == 3

    spec.backbone = BackboneSpec(kind="identity", width=8)
    assert check_spec_data(spec).problems == [
        "the identity backbone hands the 3 data features to the head, but its width is 8; set the width to 3 "
        "or PCA to 8 components"]
    spec.dataset.pca = 5
    assert check_spec_data(spec).problems == ["data: table: pca = 5 is more than the 3 features"]


def test_an_unreadable_source_is_one_sentence(tmp_path):
    spec = ExperimentSpec(dataset=DatasetSpec(source="csv", path=str(tmp_path / "gone.csv"), labels=["y"]),
                          tasks=[TaskSpec("y", 2)])
    (problem,) = check_spec_data(spec).problems
    assert problem.startswith("data: csv: file not found:")


def test_preview_of_a_csv_suggests_labels_and_features(tmp_path):
    p = preview_source("csv", _csv(tmp_path), rows=3)
    assert p.columns == ["a", "b", "c", "colour", "big"] and len(p.rows) == 3 and p.total_rows == 60
    assert p.labels == ["colour", "big"] and p.features == ["a", "b", "c"]
    assert p.rows[0][3] == "red"


def test_preview_of_builtins_and_npz(tmp_path):
    p = preview_source("penguins", rows=2)
    assert p.labels == ["species", "sex", "island"] and "bill_length_mm" in p.features
    assert p.rows[0][0] == "Adelie" and p.columns[:3] == ["species", "sex", "island"]
    np.savez(tmp_path / "d.npz", X=np.zeros((10, 2, 2)), y=np.arange(10) % 2)
    p = preview_source("npz", tmp_path / "d.npz")
    assert p.by_key and p.columns == ["X", "y"] and p.labels == ["y"] and p.features == ["X"]
    assert p.rows[0] == ["[0 0 0 0 …]", "0"]


def test_preview_knows_the_tasks_a_label_column_becomes(tmp_path):
    p = preview_source("csv", _csv(tmp_path))
    assert p.tasks_for(["colour", "big"]) == [("colour", 3), ("big", 2)]
    assert "a" not in p.label_tasks  # 60 distinct measurements are no label
    np.savez(tmp_path / "m.npz", X=np.zeros((12, 3)), Y=np.stack([np.arange(12) % 2, np.arange(12) % 3], 1))
    assert preview_source("npz", tmp_path / "m.npz").tasks_for(["Y"]) == [("Y_0", 2), ("Y_1", 3)]
