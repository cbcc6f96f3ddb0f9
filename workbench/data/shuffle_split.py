"""Seeded train/test splits that give exactly scikit-learn's ``train_test_split`` indices (1.x: ShuffleSplit and
StratifiedShuffleSplit drawing from ``RandomState(seed)``), without importing scikit-learn: importing it (and the
SciPy it pulls in) took about a second of every ``qmtl train``. Runs split before keep their rows."""

from __future__ import annotations

import numpy as np


def _approximate_mode(class_counts: np.ndarray, n_draws: int, rng: np.random.RandomState) -> np.ndarray:
    """Per-class draws closest to the proportions, ties in the remainders broken at random (sklearn's rule)."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need_to_add)
            floored[rng.choice(inds, size=add_now, replace=False)] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    return floored.astype(int)


def split_indices(n: int, n_train: int, seed: int, stratify: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Positions (train, test) of a split of ``n`` rows into ``n_train`` and ``n - n_train``.

    ``stratify``: one label per row; every class then keeps its share on both sides. Raises ValueError, as
    scikit-learn does, when a class has one row or a side is smaller than the number of classes."""
    n_test = n - n_train
    if not 0 < n_train < n:
        raise ValueError(f"train size {n_train} must be between 1 and {n - 1} for {n} rows")
    rng = np.random.RandomState(seed)
    if stratify is None:
        permutation = rng.permutation(n)
        return permutation[n_test:], permutation[:n_test]
    classes, y_indices, class_counts = np.unique(np.asarray(stratify), return_inverse=True, return_counts=True)
    if np.min(class_counts) < 2:
        raise ValueError("The least populated classes in y have only 1 member, which is too few. The minimum number "
                         "of groups for any class cannot be less than 2. Classes with too few members are: "
                         f"{classes[class_counts < 2].tolist()}")
    if n_train < len(classes):
        raise ValueError(f"The train_size = {n_train} should be greater or equal to the number of classes = "
                         f"{len(classes)}")
    if n_test < len(classes):
        raise ValueError(f"The test_size = {n_test} should be greater or equal to the number of classes = "
                         f"{len(classes)}")
    class_indices = np.split(np.argsort(y_indices.reshape(-1), kind="stable"), np.cumsum(class_counts)[:-1])
    n_i = _approximate_mode(class_counts, n_train, rng)
    t_i = _approximate_mode(class_counts - n_i, n_test, rng)
    train: list = []
    test: list = []
    for i in range(len(classes)):
        rows = class_indices[i].take(rng.permutation(class_counts[i]), mode="clip")
        train.extend(rows[:n_i[i]])
        test.extend(rows[n_i[i]:n_i[i] + t_i[i]])
    return rng.permutation(train), rng.permutation(test)
