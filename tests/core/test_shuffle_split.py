"""Our seeded splits give scikit-learn's train_test_split indices exactly (runs split before keep their rows)."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from workbench.data.shuffle_split import split_indices


@pytest.mark.parametrize("case", range(60))
def test_split_matches_sklearn(case):
    rng = np.random.default_rng(case)
    n = int(rng.integers(4, 400))
    classes = int(rng.integers(1, 12))
    y = rng.integers(0, classes, n)
    keep = int(rng.integers(1, n))
    seed = int(rng.integers(0, 2**31))
    idx = np.arange(n) + 1000  # positions are returned, not values
    stratify = case % 3 != 0
    try:
        want = train_test_split(idx, train_size=keep, random_state=seed, stratify=y if stratify else None)
    except ValueError as exc:
        with pytest.raises(ValueError) as got:
            split_indices(n, keep, seed, stratify=y if stratify else None)
        assert str(got.value).split()[:3] == str(exc).split()[:3]
        return
    a, b = split_indices(n, keep, seed, stratify=y if stratify else None)
    assert np.array_equal(idx[a], want[0]) and np.array_equal(idx[b], want[1])


def test_digits_split_is_unchanged():
    """The demo's split, as sklearn made it before: same rows in train, val and test."""
    from workbench.data.builtin import load_digits_3task
    from workbench.data.split import prepare

    ds = load_digits_3task()
    data = prepare(ds, val_fraction=0.1, test_fraction=0.25, seed=0)
    idx = np.arange(ds.n_samples)
    rest, test = train_test_split(idx, train_size=ds.n_samples - 449, random_state=0, stratify=ds.Y[:, 0])
    train, val = train_test_split(rest, train_size=len(rest) - 180, random_state=1, stratify=ds.Y[rest, 0])
    assert np.array_equal(data.test_index, test) and np.array_equal(data.val_index, val)
    assert np.array_equal(data.train_index, train)


def test_digits_read_without_sklearn_equal_load_digits():
    from sklearn.datasets import load_digits

    from workbench.data.builtin import load_digits_3task

    ds, bunch = load_digits_3task(), load_digits()
    assert np.array_equal(ds.X, bunch.data) and np.array_equal(ds.Y[:, 0], bunch.target)
    assert ds.feature_names == list(bunch.feature_names)
