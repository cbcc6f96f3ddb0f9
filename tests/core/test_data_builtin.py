"""Built-in sources: digits-3task, penguins, synthetic, and the source dispatcher."""

import numpy as np
import pytest

from workbench.data import DataError, builtin_names, load_dataset
from workbench.errors import UserError


def test_builtin_names():
    assert builtin_names() == ["digits-3task", "penguins", "synthetic", "diabetes"]


def test_digits_3task_shapes_and_derived_tasks():
    ds = load_dataset("digits-3task")
    assert ds.X.shape == (1797, 64) and ds.X.dtype == np.float32
    assert ds.Y.shape == (1797, 3) and ds.Y.dtype == np.int64
    assert [(t.name, t.classes) for t in ds.tasks] == [("digit", 10), ("parity", 2), ("ge5", 2)]
    digit, parity, ge5 = ds.Y.T
    assert set(np.unique(digit)) == set(range(10))
    np.testing.assert_array_equal(parity, digit % 2)
    np.testing.assert_array_equal(ge5, (digit >= 5).astype(int))
    assert ds.tasks[1].class_names == ["even", "odd"]
    assert len(ds.feature_names) == 64


def test_penguins_drops_missing_rows_and_says_so():
    ds = load_dataset("penguins")
    assert ds.X.shape == (333, 4)
    assert ds.feature_names == ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    assert [(t.name, t.classes) for t in ds.tasks] == [("species", 3), ("sex", 2), ("island", 3)]
    assert ds.tasks[0].class_names == ["Adelie", "Chinstrap", "Gentoo"]
    assert ds.tasks[1].class_names == ["female", "male"]
    assert any("dropped 11 rows" in note and "penguins" in note for note in ds.notes)
    assert np.isfinite(ds.X).all()
    # body mass in grams, not accidentally scaled
    assert 2500 < ds.X[:, 3].mean() < 6000


def test_penguins_without_sex_task_keeps_birds_of_unknown_sex():
    ds = load_dataset("penguins", labels=["species", "island"])
    # only the 2 birds without any measurement are dropped
    assert ds.X.shape == (342, 4)
    assert any("dropped 2 rows" in note for note in ds.notes)


def test_penguins_year_is_opt_in():
    assert "year" not in load_dataset("penguins").feature_names
    assert load_dataset("penguins", options={"year": True}).feature_names[-1] == "year"


def test_builtin_selection_by_name():
    ds = load_dataset("digits-3task", labels=["ge5", "digit"], features=["pixel_0_2", "pixel_3_4"])
    assert ds.task_names == ["ge5", "digit"]
    assert ds.X.shape == (1797, 2)
    full = load_dataset("digits-3task")
    np.testing.assert_array_equal(ds.Y[:, 1], full.Y[:, 0])
    with pytest.raises(DataError, match="unknown task 'color'"):
        load_dataset("digits-3task", labels=["color"])


def test_synthetic_defaults_and_balance():
    ds = load_dataset("synthetic")
    assert ds.X.shape == (600, 16) and ds.Y.shape == (600, 3)
    for t in range(3):
        counts = np.bincount(ds.Y[:, t], minlength=2)
        assert counts.min() >= 250  # quantile bins: balanced


def test_synthetic_options_shape_the_data():
    ds = load_dataset("synthetic", options={"tasks": 2, "classes": [3, 5], "samples": 200, "features": 7,
                                            "latent": 2, "task_names": ["a", "b"]})
    assert ds.X.shape == (200, 7)
    assert [(t.name, t.classes) for t in ds.tasks] == [("a", 3), ("b", 5)]
    for t, c in enumerate([3, 5]):
        assert set(np.unique(ds.Y[:, t])) == set(range(c))


def test_synthetic_is_deterministic_for_a_seed():
    a = load_dataset("synthetic", options={"seed": 7})
    b = load_dataset("synthetic", options={"seed": 7})
    c = load_dataset("synthetic", options={"seed": 8})
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y, b.Y)
    assert not np.array_equal(a.X, c.X)


def _mean_abs_label_correlation(relatedness: float, seed: int) -> float:
    ds = load_dataset("synthetic", options={"relatedness": relatedness, "samples": 1000, "seed": seed})
    Y = ds.Y.astype(float)
    return float(np.mean([abs(np.corrcoef(Y[:, i], Y[:, j])[0, 1]) for i in range(3) for j in range(i + 1, 3)]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relatedness_controls_how_much_tasks_agree(seed):
    unrelated = _mean_abs_label_correlation(0.0, seed)
    related = _mean_abs_label_correlation(1.0, seed)
    middle = _mean_abs_label_correlation(0.6, seed)
    assert unrelated < 0.15
    assert related > 0.8
    assert unrelated < middle < related


def test_synthetic_labels_are_predictable_from_features():
    # The generator must put the label information into X, or no model could learn anything.
    from sklearn.linear_model import LogisticRegression

    ds = load_dataset("synthetic", options={"relatedness": 0.0, "samples": 800})
    clf = LogisticRegression(max_iter=500).fit(ds.X[:600], ds.Y[:600, 1])
    assert clf.score(ds.X[600:], ds.Y[600:, 1]) > 0.8


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"relatedness": 1.5}, "relatedness"),
        ({"tasks": 0}, "tasks"),
        ({"classes": [2, 3]}, "classes"),
        ({"classes": 1}, "classes"),
        ({"samples": "many"}, "samples"),
        ({"colour": 1}, "colour"),
        ({"task_names": ["a"]}, "task_names"),
    ],
)
def test_synthetic_rejects_bad_options(options, fragment):
    with pytest.raises(DataError, match=fragment):
        load_dataset("synthetic", options=options)


def test_unknown_source_lists_valid_ones():
    with pytest.raises(DataError) as err:
        load_dataset("mnist-9000")
    msg = str(err.value)
    assert "mnist-9000" in msg
    for name in ["digits-3task", "penguins", "synthetic", "csv", "parquet", "npz", "medmnist"]:
        assert name in msg
    assert "\n" not in msg
    assert isinstance(err.value, UserError)


def test_builtin_rejects_path_and_unknown_options():
    with pytest.raises(DataError, match="penguins"):
        load_dataset("penguins", path="x.csv")
    with pytest.raises(DataError, match="'bogus'"):
        load_dataset("digits-3task", options={"bogus": 1})
