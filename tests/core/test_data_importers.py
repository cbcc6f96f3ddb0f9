"""CSV, Parquet and NPZ importers on small files written here, and their error messages."""

import numpy as np
import pandas as pd
import pytest

from workbench.data import DataError, load_dataset


def _frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "a": rng.normal(size=n),
        "b": rng.normal(size=n),
        "c": np.arange(n, dtype=float),
        "colour": np.array(["red", "green", "blue", "green"] * (n // 4)),
        "grade": np.array([3, 1, 2, 1] * (n // 4)),
    })


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "data.csv"
    _frame().to_csv(path, index=False)
    return path


def test_csv_features_and_string_and_numeric_labels(csv_file):
    ds = load_dataset("csv", path=csv_file, features=["a", "b"], labels=["colour", "grade"])
    assert ds.X.shape == (40, 2) and ds.X.dtype == np.float32
    assert ds.feature_names == ["a", "b"]
    colour, grade = ds.tasks
    assert (colour.name, colour.classes, colour.class_names) == ("colour", 3, ["blue", "green", "red"])
    assert (grade.name, grade.classes, grade.class_names) == ("grade", 3, ["1", "2", "3"])
    # encoding follows the sorted class names
    raw = _frame()
    decoded = [colour.class_names[k] for k in ds.Y[:, 0]]
    assert decoded == list(raw["colour"])
    np.testing.assert_array_equal(ds.Y[:, 1], raw["grade"].to_numpy() - 1)
    np.testing.assert_allclose(ds.X[:, 0], raw["a"].to_numpy(), rtol=1e-6)


def test_csv_default_features_are_all_non_label_columns(csv_file):
    ds = load_dataset("csv", path=csv_file, features=None, labels=["colour"])
    # "grade" is numeric and not a label, so it becomes a feature
    assert ds.feature_names == ["a", "b", "c", "grade"]


def test_relative_path_resolves_against_base_dir(csv_file):
    ds = load_dataset("csv", path="data.csv", labels=["colour"], features=["a"], base_dir=csv_file.parent)
    assert ds.X.shape == (40, 1)
    assert ds.name == "data"


def test_csv_separator_option(tmp_path):
    path = tmp_path / "semi.csv"
    _frame().to_csv(path, index=False, sep=";")
    ds = load_dataset("csv", path=path, labels=["colour"], features=["a", "b"], options={"sep": ";"})
    assert ds.X.shape == (40, 2)


def test_parquet_round_trip(tmp_path):
    path = tmp_path / "data.parquet"
    df = _frame()
    df.to_parquet(path)
    ds = load_dataset("parquet", path=path, labels=["grade", "colour"])
    assert ds.feature_names == ["a", "b", "c"]
    assert ds.task_names == ["grade", "colour"]
    np.testing.assert_allclose(ds.X[:, 2], df["c"].to_numpy())


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError, match="nope.csv"):
        load_dataset("csv", path=tmp_path / "nope.csv", labels=["y"])
    with pytest.raises(DataError, match="gone.npz"):
        load_dataset("npz", path="gone.npz", base_dir=tmp_path)


def test_file_source_without_path():
    with pytest.raises(DataError, match="csv"):
        load_dataset("csv", labels=["y"])


def test_unknown_column_lists_available(csv_file):
    with pytest.raises(DataError) as err:
        load_dataset("csv", path=csv_file, features=["a", "zzz"], labels=["colour"])
    msg = str(err.value)
    assert "data.csv" in msg and "'zzz'" in msg and "colour" in msg and "grade" in msg
    with pytest.raises(DataError, match="'label_x'"):
        load_dataset("csv", path=csv_file, labels=["label_x"])


def test_non_numeric_feature_column(csv_file):
    with pytest.raises(DataError, match="'colour'.*not numeric"):
        load_dataset("csv", path=csv_file, features=["a", "colour"], labels=["grade"])


def test_column_both_feature_and_label(csv_file):
    with pytest.raises(DataError, match="'a'"):
        load_dataset("csv", path=csv_file, features=["a", "b"], labels=["a"])


def _with_gaps(tmp_path):
    df = _frame()
    df.loc[[3, 7], "b"] = np.nan
    df.loc[11, "a"] = np.inf
    df.loc[20, "colour"] = None
    path = tmp_path / "gaps.csv"
    df.to_csv(path, index=False)
    return path


def test_nan_in_features_is_an_error_by_default(tmp_path):
    path = _with_gaps(tmp_path)
    with pytest.raises(DataError) as err:
        load_dataset("csv", path=path, features=["a", "b"], labels=["grade"])
    msg = str(err.value)
    assert "gaps.csv" in msg and "'a'" in msg and "1 rows" in msg and "dropna" in msg


def test_missing_label_is_an_error_by_default(tmp_path):
    path = _with_gaps(tmp_path)
    with pytest.raises(DataError, match="label column 'colour' has 1 missing"):
        load_dataset("csv", path=path, features=["c"], labels=["colour"])


def test_dropna_drops_and_reports(tmp_path):
    path = _with_gaps(tmp_path)
    ds = load_dataset("csv", path=path, features=["a", "b"], labels=["colour"], options={"dropna": True})
    assert ds.X.shape == (36, 2)
    assert np.isfinite(ds.X).all()
    assert any("gaps.csv" in n and "dropped 4 rows" in n for n in ds.notes)


def test_single_class_label(tmp_path):
    df = _frame()
    df["const"] = "same"
    path = tmp_path / "one.csv"
    df.to_csv(path, index=False)
    with pytest.raises(DataError, match="one.csv.*'const'.*single class"):
        load_dataset("csv", path=path, features=["a"], labels=["const"])


def test_unknown_option_for_csv(csv_file):
    with pytest.raises(DataError, match="'drop_na'"):
        load_dataset("csv", path=csv_file, labels=["colour"], options={"drop_na": True})


def test_unreadable_parquet(tmp_path):
    path = tmp_path / "junk.parquet"
    path.write_text("not parquet at all")
    with pytest.raises(DataError, match="junk.parquet"):
        load_dataset("parquet", path=path, labels=["y"])


# ------------------------------------------------------------------------------------------------ npz


def test_npz_with_1d_label_keys_and_image_features(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "arrays.npz"
    np.savez(path, images=rng.random((30, 4, 3)), kind=np.array(["x", "y", "z"] * 10),
             flag=np.array([0, 1] * 15))
    ds = load_dataset("npz", path=path, features="images", labels=["kind", "flag"])
    assert ds.X.shape == (30, 12)  # 4x3 flattened
    assert ds.feature_names[0] == "images_0"
    assert [(t.name, t.classes) for t in ds.tasks] == [("kind", 3), ("flag", 2)]
    assert ds.tasks[0].class_names == ["x", "y", "z"]


def test_npz_2d_label_array_gives_one_task_per_column(tmp_path):
    rng = np.random.default_rng(2)
    Y = np.column_stack([np.arange(24) % 2, np.arange(24) % 4])
    path = tmp_path / "multi.npz"
    np.savez(path, X=rng.normal(size=(24, 5)), Y=Y)
    ds = load_dataset("npz", path=path, labels=["Y"])
    assert ds.task_names == ["Y_0", "Y_1"]
    assert [t.classes for t in ds.tasks] == [2, 4]
    np.testing.assert_array_equal(ds.Y, Y)
    # default keys: X and Y
    assert load_dataset("npz", path=path).task_names == ["Y_0", "Y_1"]


def test_npz_unknown_key_lists_keys(tmp_path):
    path = tmp_path / "k.npz"
    np.savez(path, X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError) as err:
        load_dataset("npz", path=path, labels=["target"])
    msg = str(err.value)
    assert "k.npz" in msg and "'target'" in msg and "X" in msg and "y" in msg
    with pytest.raises(DataError, match="'feats'"):
        load_dataset("npz", path=path, features="feats", labels=["y"])


def test_npz_length_mismatch(tmp_path):
    path = tmp_path / "len.npz"
    np.savez(path, X=np.zeros((10, 2)), y=np.array([0, 1] * 6))
    with pytest.raises(DataError, match="len.npz.*'y' has 12 rows.*10"):
        load_dataset("npz", path=path, labels=["y"])


def test_npz_nan_features_error_and_dropna(tmp_path):
    X = np.random.default_rng(3).normal(size=(20, 3))
    X[[2, 5, 9], 1] = np.nan
    path = tmp_path / "nan.npz"
    np.savez(path, X=X, y=np.array([0, 1] * 10))
    with pytest.raises(DataError, match=r"nan.npz.*'X_1' has 3 rows"):
        load_dataset("npz", path=path, labels=["y"])
    ds = load_dataset("npz", path=path, labels=["y"], options={"dropna": True})
    assert ds.X.shape == (17, 3)
    assert any("dropped 3 rows" in n for n in ds.notes)


def test_npz_single_class_label(tmp_path):
    path = tmp_path / "same.npz"
    np.savez(path, X=np.zeros((6, 2)), y=np.full(6, 4))
    with pytest.raises(DataError, match="same.npz.*'y'.*single class"):
        load_dataset("npz", path=path, labels=["y"])


def test_npz_not_a_zip(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"garbage")
    with pytest.raises(DataError, match="bad.npz"):
        load_dataset("npz", path=path, labels=["y"])
