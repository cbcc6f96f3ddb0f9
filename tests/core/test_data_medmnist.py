"""MedMNIST-format .npz files (written here, never downloaded)."""

import numpy as np
import pytest

from workbench.data import DataError, load_dataset, prepare

SIZES = {"train": 40, "val": 8, "test": 12}


def write_medmnist(path, *, classes=4, multilabel=0, rgb=False, drop_key=None, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for part, n in SIZES.items():
        shape = (n, 28, 28, 3) if rgb else (n, 28, 28)
        arrays[f"{part}_images"] = rng.integers(0, 256, size=shape, dtype=np.uint8)
        if multilabel:
            lab = rng.integers(0, 2, size=(n, multilabel))
            lab[0], lab[1] = 0, 1  # every label column has both values
        else:
            lab = (np.arange(n) % classes)[:, None]
        arrays[f"{part}_labels"] = lab.astype(np.uint8)
    if drop_key:
        del arrays[drop_key]
    np.savez(path, **arrays)
    return arrays


def test_multiclass_grayscale(tmp_path):
    arrays = write_medmnist(tmp_path / "pathmnist.npz", classes=4)
    ds = load_dataset("medmnist", path=tmp_path / "pathmnist.npz")
    assert ds.X.shape == (60, 784) and ds.X.dtype == np.float32
    assert 0.0 <= ds.X.min() and ds.X.max() <= 1.0
    np.testing.assert_allclose(ds.X[0], arrays["train_images"][0].reshape(-1) / 255.0, rtol=1e-6)
    assert [(t.name, t.classes) for t in ds.tasks] == [("label", 4)]
    # rows keep their origin: train, then val, then test
    assert list(np.bincount(ds.split)) == [40, 8, 12]
    np.testing.assert_array_equal(ds.Y[40:48, 0], arrays["val_labels"][:, 0])


def test_rgb_images_are_flattened(tmp_path):
    write_medmnist(tmp_path / "blood.npz", rgb=True, classes=3)
    ds = load_dataset("medmnist", path=tmp_path / "blood.npz")
    assert ds.X.shape == (60, 28 * 28 * 3)


def test_multilabel_becomes_binary_tasks(tmp_path):
    write_medmnist(tmp_path / "chest.npz", multilabel=5)
    ds = load_dataset("medmnist", path=tmp_path / "chest.npz")
    assert ds.task_names == [f"label_{k}" for k in range(5)]
    assert all(t.classes == 2 for t in ds.tasks)
    named = load_dataset("medmnist", path=tmp_path / "chest.npz",
                         options={"task_names": ["a", "b", "c", "d", "e"]})
    assert named.task_names == ["a", "b", "c", "d", "e"]
    with pytest.raises(DataError, match="task_names"):
        load_dataset("medmnist", path=tmp_path / "chest.npz", options={"task_names": ["a"]})


def test_prepare_honours_the_given_split(tmp_path):
    write_medmnist(tmp_path / "m.npz")
    ds = load_dataset("medmnist", path=tmp_path / "m.npz")
    p = prepare(ds, val_fraction=0.3, test_fraction=0.3)
    assert (len(p.Y_train), len(p.Y_val), len(p.Y_test)) == (40, 8, 12)
    np.testing.assert_array_equal(p.train_index, np.arange(40))
    np.testing.assert_array_equal(p.test_index, np.arange(48, 60))


def test_given_split_can_be_ignored(tmp_path):
    write_medmnist(tmp_path / "m.npz")
    ds = load_dataset("medmnist", path=tmp_path / "m.npz", options={"use_given_split": False})
    assert ds.split is None
    p = prepare(ds, val_fraction=0.1, test_fraction=0.5)
    assert len(p.Y_test) == 30


def test_missing_key_names_it(tmp_path):
    write_medmnist(tmp_path / "short.npz", drop_key="val_labels")
    with pytest.raises(DataError) as err:
        load_dataset("medmnist", path=tmp_path / "short.npz")
    msg = str(err.value)
    assert "short.npz" in msg and "'val_labels'" in msg and "train_images" in msg


def test_missing_medmnist_file(tmp_path):
    with pytest.raises(DataError, match="organamnist.npz"):
        load_dataset("medmnist", path="organamnist.npz", base_dir=tmp_path)


def test_label_rows_must_match_images(tmp_path):
    arrays = write_medmnist(tmp_path / "m.npz")
    arrays["test_labels"] = arrays["test_labels"][:5]
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(DataError, match="m.npz.*'test_labels' has 5 rows"):
        load_dataset("medmnist", path=tmp_path / "m.npz")


def test_multilabel_column_without_positives_is_an_error(tmp_path):
    arrays = write_medmnist(tmp_path / "chest.npz", multilabel=3)
    for part in SIZES:
        arrays[f"{part}_labels"][:, 2] = 0
    np.savez(tmp_path / "chest.npz", **arrays)
    with pytest.raises(DataError, match="chest.npz.*'label_2'.*single class"):
        load_dataset("medmnist", path=tmp_path / "chest.npz")
