"""prepare(): splits, stratification, train-only scaling, PCA, transform(), and check_tasks()."""

import numpy as np
import pytest

from workbench.data import DataError, MultiTaskDataset, TaskInfo, check_tasks, load_dataset, prepare


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits-3task")


def _imbalanced(n=500, seed=0, shift=3.0):
    """Two features with a large offset (so a scaler fitted on all rows would differ) and a 70/20/10 task."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], [int(n * 0.7), int(n * 0.2), n - int(n * 0.7) - int(n * 0.2)])
    X = rng.normal(loc=shift, scale=2.0, size=(n, 2)) + y[:, None]
    return MultiTaskDataset(
        name="toy", X=X, Y=np.column_stack([y, rng.integers(0, 2, n)]),
        tasks=[TaskInfo("t", 3, ["a", "b", "c"]), TaskInfo("u", 2, ["0", "1"])], feature_names=["f0", "f1"],
    )


def test_split_sizes_dtypes_and_no_overlap(digits):
    p = prepare(digits, val_fraction=0.1, test_fraction=0.2, seed=0)
    n = digits.n_samples
    assert len(p.train_index) + len(p.val_index) + len(p.test_index) == n
    assert len(p.test_index) == round(0.2 * n)
    sets = [set(p.train_index), set(p.val_index), set(p.test_index)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    for X, Y in [(p.X_train, p.Y_train), (p.X_val, p.Y_val), (p.X_test, p.Y_test)]:
        assert X.dtype == np.float32 and Y.dtype == np.int64
        assert X.shape[0] == Y.shape[0] and X.shape[1] == 64 and Y.shape[1] == 3
    np.testing.assert_array_equal(p.Y_test, digits.Y[p.test_index])


def test_deterministic_for_a_seed(digits):
    a = prepare(digits, seed=3)
    b = prepare(digits, seed=3)
    c = prepare(digits, seed=4)
    np.testing.assert_array_equal(a.test_index, b.test_index)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert set(a.test_index) != set(c.test_index)


def test_stratification_keeps_class_proportions():
    ds = _imbalanced(n=1000)
    p = prepare(ds, val_fraction=0.1, test_fraction=0.2, seed=5)
    overall = np.bincount(ds.Y[:, 0]) / ds.n_samples
    for Y in (p.Y_train, p.Y_val, p.Y_test):
        share = np.bincount(Y[:, 0], minlength=3) / len(Y)
        np.testing.assert_allclose(share, overall, atol=0.011)


def test_scaler_is_fitted_on_train_only():
    ds = _imbalanced(n=400, shift=3.0)
    p = prepare(ds, seed=1)
    np.testing.assert_allclose(p.X_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(p.X_train.std(axis=0), 1.0, atol=1e-4)
    raw_train = ds.X[p.train_index].astype(np.float64)
    np.testing.assert_allclose(p.mean, raw_train.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(p.std, raw_train.std(axis=0), rtol=1e-6)
    # The test rows are scaled with train statistics, so their mean is small but not forced to exactly 0.
    assert np.abs(p.X_test.mean(axis=0)).max() > 1e-4
    all_rows = ds.X.astype(np.float64)
    assert not np.allclose(p.mean, all_rows.mean(axis=0), rtol=0, atol=1e-9)


def test_constant_column_gets_unit_std():
    ds = _imbalanced()
    ds.X[:, 1] = 5.0
    p = prepare(ds)
    assert p.std[1] == 1.0
    assert np.isfinite(p.X_train).all() and np.all(p.X_train[:, 1] == 0)


def test_standardize_off_keeps_raw_values(digits):
    p = prepare(digits, standardize=False)
    np.testing.assert_array_equal(p.X_train, digits.X[p.train_index])


def test_pca_shape_and_train_only_fit(digits):
    p = prepare(digits, pca=5, seed=2)
    assert p.X_train.shape[1] == p.X_val.shape[1] == p.X_test.shape[1] == 5
    assert p.pca_components.shape == (5, 64)
    assert p.feature_names == ["pc1", "pc2", "pc3", "pc4", "pc5"]
    np.testing.assert_allclose(p.X_train.mean(axis=0), 0.0, atol=1e-4)
    # variance is ordered, the components are orthonormal
    var = p.X_train.var(axis=0)
    assert np.all(np.diff(var) <= 1e-4)
    np.testing.assert_allclose(p.pca_components @ p.pca_components.T, np.eye(5), atol=1e-8)
    # without standardisation the PCA still centres on the training rows
    raw = prepare(digits, pca=5, standardize=False, seed=2)
    np.testing.assert_allclose(raw.X_train.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(raw.pca_mean, digits.X[raw.train_index].mean(axis=0), rtol=1e-5)


def test_pca_larger_than_features_is_an_error(digits):
    with pytest.raises(DataError, match="pca = 65.*64 features"):
        prepare(digits, pca=65)


def test_transform_reproduces_test_rows(digits):
    for kwargs in ({}, {"pca": 7}):
        p = prepare(digits, seed=9, **kwargs)
        raw = digits.X[p.test_index]
        np.testing.assert_allclose(p.transform(raw), p.X_test, atol=1e-6)
        np.testing.assert_allclose(p.transform(raw[0]), p.X_test[0], atol=1e-6)
    with pytest.raises(DataError, match="64"):
        p.transform(np.zeros((2, 10)))


def test_max_samples_subsamples_stratified():
    ds = _imbalanced(n=1000)
    p = prepare(ds, max_samples=200, seed=0)
    used = np.concatenate([p.train_index, p.val_index, p.test_index])
    assert len(used) == 200 and len(set(used)) == 200
    np.testing.assert_array_equal(np.bincount(ds.Y[used, 0]), [140, 40, 20])
    assert any("subsampled 200 of 1000" in n for n in p.notes)


def test_singleton_class_names_task_and_class():
    ds = _imbalanced(n=100)
    ds.Y[:, 0] = 0
    ds.Y[:3, 0] = [1, 1, 2]
    with pytest.raises(DataError, match="task 't' class 'c'"):
        prepare(ds)
    # without stratification the same data splits fine
    p = prepare(ds, stratify=False)
    assert len(p.test_index) == 20


def test_falls_back_to_random_split_when_classes_outnumber_test_rows():
    ds = load_dataset("synthetic", options={"classes": 8, "samples": 40, "tasks": 1})
    p = prepare(ds, val_fraction=0.1, test_fraction=0.1)
    assert len(p.test_index) == 4
    assert any("could not stratify" in n and "task_0" in n for n in p.notes)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"val_fraction": 0.5, "test_fraction": 0.5}, "below 1"),
    ({"test_fraction": -0.1}, "test_fraction"),
    ({"val_fraction": 1.0}, "val_fraction"),
    ({"max_samples": 1}, "max_samples"),
    ({"pca": 0}, "pca"),
])
def test_bad_arguments(digits, kwargs, fragment):
    with pytest.raises(DataError, match=fragment):
        prepare(digits, **kwargs)


def test_zero_validation_fraction_gives_empty_val(digits):
    p = prepare(digits, val_fraction=0.0)
    assert p.X_val.shape == (0, 64) and p.Y_val.shape == (0, 3)


def test_check_tasks(digits):
    check_tasks(digits, [("digit", 10), ("parity", 2), ("ge5", 2)])
    with pytest.raises(DataError, match="task 'parity': spec says 3 classes, data has 2"):
        check_tasks(digits, [("digit", 10), ("parity", 3), ("ge5", 2)])
    with pytest.raises(DataError, match="'colour'"):
        check_tasks(digits, [("digit", 10), ("colour", 2), ("ge5", 2)])
    with pytest.raises(DataError, match="2 tasks, data has 3"):
        check_tasks(digits, [("digit", 10), ("parity", 2)])
    with pytest.raises(DataError, match="'ge5'"):
        check_tasks(digits, [("digit", 10), ("ge5", 2), ("parity", 2)])


def test_dataset_rejects_out_of_range_labels():
    with pytest.raises(DataError, match="task 't'"):
        MultiTaskDataset(name="bad", X=np.zeros((3, 1)), Y=np.array([[0], [1], [3]]),
                         tasks=[TaskInfo("t", 3, ["a", "b", "c"])], feature_names=["f"])
