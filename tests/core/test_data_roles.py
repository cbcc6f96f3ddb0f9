"""Column roles of a data preview, headless: as the dataset section says, and the order a header click cycles."""

from tests.core.test_data_check import _csv
from workbench.data.preview import preview_source
from workbench.data.roles import column_roles, next_role
from workbench.spec.model import DatasetSpec, TaskSpec


def test_roles_follow_the_dataset_and_a_click_skips_what_a_column_cannot_be(tmp_path):
    p = preview_source("csv", _csv(tmp_path))
    ds = DatasetSpec(source="csv", path="x.csv", labels=["colour"])
    roles = column_roles(p, ds, [TaskSpec("colour", 3)])
    assert roles == {"a": "feature", "b": "feature", "c": "feature", "colour": "label", "big": "feature"}
    ds.features = ["a", "b"]
    assert column_roles(p, ds, [])["c"] == "skip"
    i = p.columns.index
    assert next_role(p, "feature", i("big")) == "label"  # 0/1: a label may be made of it
    assert next_role(p, "feature", i("a")) == "skip"  # a measurement is never a label
    assert next_role(p, "skip", i("colour")) == "label"  # text is never a feature
    assert next_role(p, "label", i("colour")) == "skip"
