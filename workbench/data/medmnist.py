"""MedMNIST ``.npz`` files already on disk (the workbench never downloads them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.data.dataset import SPLIT_NAMES, DataError, MultiTaskDataset, TaskInfo
from workbench.data.importers import npz_key, open_npz, resolve_path
from workbench.data.options import Options


def load_medmnist(path: str | Path | None, options: dict | None = None,
                  base_dir: Path | None = None) -> MultiTaskDataset:
    """All three splits concatenated; ``split`` remembers each row's origin so prepare() can keep it.

    Labels (N, 1) are one multi-class task; (N, K) 0/1 labels (ChestMNIST) are K binary tasks.
    Features are the flattened pixels scaled to [0, 1].
    """
    opts = Options(options, "medmnist", ["use_given_split", "task_names", "class_names"])
    use_split = opts.get_bool("use_given_split", True)
    file = resolve_path("medmnist", path, base_dir)
    where = file.name
    arrays = open_npz(file)

    images, labels, split = [], [], []
    for code, part in enumerate(SPLIT_NAMES):
        img = npz_key(arrays, f"{part}_images", file)
        lab = npz_key(arrays, f"{part}_labels", file)
        if img.ndim not in (3, 4):
            raise DataError(f"{where}: '{part}_images' must be (N, H, W) or (N, H, W, C), got shape {img.shape}")
        if lab.ndim == 1:
            lab = lab[:, None]
        if lab.ndim != 2:
            raise DataError(f"{where}: '{part}_labels' must be (N, 1) or (N, K), got shape {lab.shape}")
        if lab.shape[0] != img.shape[0]:
            raise DataError(f"{where}: '{part}_labels' has {lab.shape[0]} rows but '{part}_images' "
                            f"has {img.shape[0]}")
        if lab.dtype.kind not in "biu" and not (lab.dtype.kind == "f" and np.all(np.mod(lab, 1) == 0)):
            raise DataError(f"{where}: '{part}_labels' must hold integer class ids (dtype {lab.dtype})")
        images.append(img)
        labels.append(lab.astype(np.int64))
        split.append(np.full(img.shape[0], code, dtype=np.int64))

    shapes = {img.shape[1:] for img in images}
    if len(shapes) > 1:
        raise DataError(f"{where}: image shapes differ between splits: {sorted(shapes)}")
    widths = {lab.shape[1] for lab in labels}
    if len(widths) > 1:
        raise DataError(f"{where}: label widths differ between splits: {sorted(widths)}")

    img = np.concatenate(images)
    X = img.reshape(img.shape[0], -1).astype(np.float32)
    if img.dtype == np.uint8 or X.max(initial=0.0) > 1.0:
        X /= 255.0
    if not np.isfinite(X).all():
        raise DataError(f"{where}: images contain NaN or inf")
    Y = np.concatenate(labels)
    if Y.min(initial=0) < 0:
        raise DataError(f"{where}: labels must be >= 0, found {int(Y.min())}")

    K = Y.shape[1]
    if K == 1:
        # Class ids are kept as they are (not re-encoded) so that they still match the dataset's INFO table.
        n_classes = int(Y.max()) + 1
        if n_classes < 2:
            raise DataError(f"{where}: labels have a single class (0); a task needs at least 2")
        task_names = opts.get_names("task_names", 1) or ["label"]
        class_names = opts.get_names("class_names", n_classes) or [str(k) for k in range(n_classes)]
        tasks = [TaskInfo(task_names[0], n_classes, class_names)]
    else:
        if Y.max() > 1:
            raise DataError(f"{where}: multi-label labels (N, {K}) must be 0/1, found {int(Y.max())}")
        if opts.values.get("class_names") is not None:
            raise DataError(f"{where}: option 'class_names' applies to single-label files only")
        task_names = opts.get_names("task_names", K) or [f"label_{k}" for k in range(K)]
        for k, name in enumerate(task_names):
            if len(np.unique(Y[:, k])) < 2:
                raise DataError(f"{where}: label '{name}' (column {k}) has a single class "
                                f"({int(Y[0, k])}); a task needs at least 2")
        tasks = [TaskInfo(name, 2, ["0", "1"]) for name in task_names]

    notes = []
    if K == 1:
        empty = np.flatnonzero(np.bincount(Y[:, 0], minlength=tasks[0].classes) == 0)
        if len(empty):
            notes.append(f"{where}: classes {', '.join(map(str, empty))} have no samples")
    counts = ", ".join(f"{part} {len(lab)}" for part, lab in zip(SPLIT_NAMES, labels))
    notes.append(f"{where}: {counts} images of shape {tuple(img.shape[1:])}"
                 + ("" if use_split else "; given split ignored (use_given_split = false)"))
    return MultiTaskDataset(name=file.stem, X=X, Y=Y, tasks=tasks,
                            feature_names=[f"px{i}" for i in range(X.shape[1])], notes=notes,
                            split=np.concatenate(split) if use_split else None)
