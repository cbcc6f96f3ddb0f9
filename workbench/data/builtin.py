"""Datasets that ship with installed packages, so they load offline: scikit-learn digits and Palmer penguins."""

from __future__ import annotations

import numpy as np

from workbench.data.dataset import MultiTaskDataset, TaskInfo
from workbench.data.importers import dataset_from_frame
from workbench.data.options import Options

PENGUIN_FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
PENGUIN_TASKS = ["species", "sex", "island"]


def load_digits_3task(options: dict | None = None) -> MultiTaskDataset:
    """8x8 digits with three views of the same label: which digit, its parity, and whether it is >= 5."""
    Options(options, "digits-3task", [])
    pixels, digit = _digits()
    Y = np.column_stack([digit, digit % 2, (digit >= 5).astype(np.int64)])
    tasks = [
        TaskInfo("digit", 10, [str(d) for d in range(10)]),
        TaskInfo("parity", 2, ["even", "odd"]),
        TaskInfo("ge5", 2, ["lt5", "ge5"]),
    ]
    return MultiTaskDataset(name="digits-3task", X=pixels, Y=Y, tasks=tasks,
                            feature_names=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)])


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits (1797 x 64 pixels, digit labels), read from the file it ships: importing
    sklearn.datasets (and SciPy with it) cost about a second of every demo run. Same file, same parser as its
    load_digits; falls back to load_digits where the file is not found (a zipped or relocated install)."""
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")  # locates the package without running its __init__
    roots = list(spec.submodule_search_locations or []) if spec else []
    path = next((p for p in (Path(r) / "datasets" / "data" / "digits.csv.gz" for r in roots) if p.is_file()), None)
    if path is None:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        return bunch.data, bunch.target.astype(np.int64)
    with gzip.open(path, mode="rt", encoding="utf-8") as f:
        data = np.loadtxt(f, delimiter=",")
    return data[:, :-1], data[:, -1].astype(np.int64)


def load_penguins(features=None, labels=None, options: dict | None = None) -> MultiTaskDataset:
    """Palmer penguins: body measurements -> species, sex, island. Rows missing a used value are dropped.

    ``year`` is left out by default: it says when a bird was measured, not what it is; option year = true
    adds it. Dropping only over the used columns keeps the 9 birds of unknown sex when sex is not a task.
    """
    opts = Options(options, "penguins", ["year"])
    import palmerpenguins

    df = palmerpenguins.load_penguins()
    if features is None:
        features = PENGUIN_FEATURES + (["year"] if opts.get_bool("year", False) else [])
    return dataset_from_frame(df, name="penguins", where="penguins", features=features,
                              labels=labels or PENGUIN_TASKS, dropna=True, missing_note="missing values")


def load_diabetes(options: dict | None = None) -> MultiTaskDataset:
    """scikit-learn's diabetes set (442 patients, 10 baseline measurements): disease progression after a year as a
    regression task, and whether it is above a threshold (option threshold, default the median, 140) as a binary
    task: a mixed classification + regression demo."""
    opts = Options(options, "diabetes", ["threshold"])
    from sklearn.datasets import load_diabetes as sk_diabetes

    bunch = sk_diabetes()
    y = bunch.target.astype(np.float64)
    threshold = opts.get_float("threshold", float(np.median(y)))
    high = (y > threshold).astype(np.float64)
    tasks = [TaskInfo("progression", 1, [], kind="regression"),
             TaskInfo("high", 2, [f"<= {threshold:g}", f"> {threshold:g}"])]
    return MultiTaskDataset(name="diabetes", X=bunch.data, Y=np.column_stack([y, high]), tasks=tasks,
                            feature_names=list(bunch.feature_names),
                            notes=[f"diabetes: progression (regression) and progression > {threshold:g} (binary)"])
