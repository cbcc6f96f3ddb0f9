"""A sweep whose second trial passes every up-front check and fails only when its data is read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.data.synthetic import make_synthetic
from workbench.spec.examples import small_synthetic
from workbench.spec.model import DatasetSpec


def synthetic_csv_spec(folder: Path, *, samples: int, epochs: int):
    """small_synthetic's data written to ``folder/data.csv`` and the same experiment reading it from there.

    Returns the spec and the grid axis ``dataset.path=<that file>,<a file that is not there>``: the second
    trial is a valid spec (a path is only text until it is read), so it fails inside its worker, at data load.
    """
    spec = small_synthetic(samples=samples, epochs=epochs)
    data = make_synthetic(spec.dataset.options)
    table = pd.DataFrame(data.X, columns=data.feature_names)
    for i, task in enumerate(data.tasks):
        table[task.name] = data.Y[:, i].astype(int)
    path = Path(folder) / "data.csv"
    table.to_csv(path, index=False)
    old = spec.dataset
    spec.dataset = DatasetSpec(source="csv", path=str(path), labels=[t.name for t in data.tasks],
                               val_fraction=old.val_fraction, test_fraction=old.test_fraction, seed=old.seed)
    return spec, f"dataset.path={path},{Path(folder) / 'missing.csv'}"
