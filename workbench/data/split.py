"""Train/val/test split, standardisation and optional PCA, all fitted on the training rows only."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.data.dataset import DataError, MultiTaskDataset, TaskInfo
from workbench.data.shuffle_split import split_indices


@dataclass
class PreparedData:
    X_train: np.ndarray  # float32 (n_train, D); D = pca or the number of raw features
    Y_train: np.ndarray  # int64 (n_train, T)
    X_val: np.ndarray
    Y_val: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    tasks: list[TaskInfo]
    feature_names: list[str]  # names of the output columns: the raw names, or pc1..pcK after PCA
    notes: list[str]
    mean: np.ndarray  # per raw feature, fitted on train (zeros when standardize=False)
    std: np.ndarray  # per raw feature, fitted on train, constant columns -> 1 (ones when standardize=False)
    pca_components: np.ndarray | None  # (K, F) rows are components, applied after standardisation
    pca_mean: np.ndarray | None  # (F,) centre of the standardised training rows
    # Row numbers into the dataset the data came from, so results can be traced back to raw rows.
    train_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    val_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    test_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    input_feature_names: list[str] = field(default_factory=list)
    name: str = ""

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    def transform(self, X) -> np.ndarray:
        """Raw feature rows (N, F) or one row (F,) -> the model's inputs, exactly as the splits were made."""
        X = np.asarray(X, dtype=np.float64)
        single = X.ndim == 1
        if single:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.mean.shape[0]:
            raise DataError(f"{self.name or 'data'}: transform expects rows of {self.mean.shape[0]} raw "
                            f"features, got shape {X.shape}")
        Z = (X - self.mean) / self.std
        if self.pca_components is not None:
            Z = (Z - self.pca_mean) @ self.pca_components.T
        Z = Z.astype(np.float32)
        return Z[0] if single else Z


def prepare(ds: MultiTaskDataset, *, val_fraction: float = 0.1, test_fraction: float = 0.2, seed: int = 0,
            pca: int | None = None, standardize: bool = True, max_samples: int | None = None,
            stratify: bool = True) -> PreparedData:
    """Split (stratified on the first task), scale, and optionally project a dataset. Deterministic for a seed.

    A dataset with its own split (MedMNIST) keeps it and the fractions are not used.
    """
    val_fraction = _fraction("val_fraction", val_fraction)
    test_fraction = _fraction("test_fraction", test_fraction)
    if val_fraction + test_fraction >= 1:
        raise DataError(f"prepare: val_fraction + test_fraction must be below 1, got "
                        f"{val_fraction:g} + {test_fraction:g}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"prepare: seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    n = ds.n_samples
    if n < 2:
        raise DataError(f"{ds.name}: needs at least 2 samples to split, has {n}")
    notes = list(ds.notes)
    first = ds.tasks[0] if ds.tasks else None
    y = ds.Y[:, 0] if first else None
    stratify = stratify and first is not None and not first.is_regression  # a continuous target has no strata

    if stratify and ds.split is None:
        _check_class_sizes(ds)

    idx = np.arange(n)
    if max_samples is not None:
        if isinstance(max_samples, bool) or not isinstance(max_samples, (int, np.integer)) or max_samples < 2:
            raise DataError(f"prepare: max_samples must be an integer >= 2, got {max_samples!r}")
        if max_samples < n:
            idx, _ = _split(idx, y, int(max_samples), seed, stratify, "subsample", first, notes)
            idx = np.sort(idx)
            notes.append(f"{ds.name}: subsampled {max_samples} of {n} rows")

    if ds.split is not None:
        part = ds.split[idx]
        train, val, test = idx[part == 0], idx[part == 1], idx[part == 2]
        notes.append(f"{ds.name}: using the dataset's own train/val/test split")
        if len(train) == 0:
            raise DataError(f"{ds.name}: the given split has no training rows")
    else:
        m = len(idx)
        n_test = _count(test_fraction, m)
        n_val = _count(val_fraction, m)
        if m - n_test - n_val < 1:
            raise DataError(f"{ds.name}: {m} rows are too few for val_fraction {val_fraction:g} and "
                            f"test_fraction {test_fraction:g}")
        rest, test = _split(idx, y, m - n_test, seed, stratify, "test", first, notes)
        train, val = _split(rest, y, len(rest) - n_val, seed + 1, stratify, "validation", first, notes)
        how = f"stratified on task '{first.name}'" if stratify and first else "random"
        notes.append(f"{ds.name}: split train {len(train)}, val {len(val)}, test {len(test)} ({how})")

    X = ds.X.astype(np.float64)
    Xtr = X[train]
    if standardize:
        mean = Xtr.mean(axis=0)
        std = Xtr.std(axis=0)
        # A constant column (blank border pixels, a single-valued year) carries no signal; dividing by 1
        # keeps it finite instead of turning it into NaN.
        std[std <= 1e-12] = 1.0
    else:
        mean = np.zeros(X.shape[1])
        std = np.ones(X.shape[1])

    components = pca_mean = None
    feature_names = list(ds.feature_names)
    if pca is not None:
        components, pca_mean = _fit_pca(ds, (Xtr - mean) / std, pca)
        feature_names = [f"pc{i + 1}" for i in range(components.shape[0])]
        var = _explained(components, (Xtr - mean) / std - pca_mean)
        notes.append(f"{ds.name}: PCA to {components.shape[0]} components keeps {var:.1%} of the training variance")

    out = PreparedData(
        X_train=np.zeros(0), Y_train=ds.Y[train], X_val=np.zeros(0), Y_val=ds.Y[val],
        X_test=np.zeros(0), Y_test=ds.Y[test], tasks=list(ds.tasks), feature_names=feature_names,
        notes=notes, mean=mean, std=std, pca_components=components, pca_mean=pca_mean,
        train_index=train.astype(np.int64), val_index=val.astype(np.int64), test_index=test.astype(np.int64),
        input_feature_names=list(ds.feature_names), name=ds.name,
    )
    # Going through transform() guarantees that new rows later get exactly the same treatment.
    out.X_train = out.transform(X[train])
    out.X_val = out.transform(X[val])
    out.X_test = out.transform(X[test])
    return out


def _fraction(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise DataError(f"prepare: {name} must be in [0, 1), got {value!r}")
    return float(value)


def _count(fraction: float, m: int) -> int:
    # A non-zero fraction always yields at least one row, so a small dataset still gets a test set.
    return 0 if fraction == 0 else max(1, int(round(fraction * m)))


def _check_class_sizes(ds: MultiTaskDataset) -> None:
    task = ds.tasks[0]
    counts = np.bincount(ds.Y[:, 0].astype(np.int64), minlength=task.classes)
    for k, c in enumerate(counts):
        if c == 1:
            raise DataError(f"{ds.name}: task '{task.name}' class '{task.class_names[k]}' has only 1 sample; "
                            f"a stratified split needs at least 2 per class")


def _split(idx: np.ndarray, y: np.ndarray | None, keep: int, seed: int, stratify: bool, what: str,
           first: TaskInfo | None, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Split ``idx`` into (keep rows, the rest), stratified when possible."""
    if keep >= len(idx):
        return idx, idx[:0]
    if stratify:
        try:
            a, b = split_indices(len(idx), keep, seed, stratify=y[idx])
            return idx[a], idx[b]
        except ValueError as exc:
            # Too few rows for every class on both sides; an unstratified split is still usable.
            notes.append(f"could not stratify the {what} split on task '{first.name}' "
                         f"({str(exc).splitlines()[0]}); split at random")
    a, b = split_indices(len(idx), keep, seed)
    return idx[a], idx[b]


def _fit_pca(ds: MultiTaskDataset, Z: np.ndarray, k) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise DataError(f"prepare: pca must be a positive integer, got {k!r}")
    n_rows, n_feat = Z.shape
    if k > n_feat:
        raise DataError(f"{ds.name}: pca = {k} is more than the {n_feat} features")
    if k > n_rows:
        raise DataError(f"{ds.name}: pca = {k} is more than the {n_rows} training rows")
    centre = Z.mean(axis=0)
    _, _, vt = np.linalg.svd(Z - centre, full_matrices=False)
    comps = vt[:k]
    # SVD signs are arbitrary; pin them so the same data always gives the same features.
    signs = np.sign(comps[np.arange(k), np.argmax(np.abs(comps), axis=1)])
    signs[signs == 0] = 1.0
    return comps * signs[:, None], centre


def _explained(components: np.ndarray, centred: np.ndarray) -> float:
    total = float((centred**2).sum())
    return float(((centred @ components.T) ** 2).sum()) / total if total > 0 else 1.0
