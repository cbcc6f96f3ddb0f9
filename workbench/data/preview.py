"""The first rows of a data source, for choosing feature and label columns by eye (GUI data panel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.dataset import DataError, encode_labels
from workbench.data.importers import open_npz, resolve_path
from workbench.data.load import BUILTIN, load_dataset


@dataclass
class Preview:
    columns: list[str]
    rows: list[list[str]]  # the first rows, as text
    numeric: list[bool]  # per column: usable as a feature
    labels: list[str]  # suggested label columns
    features: list[str]  # suggested feature columns
    total_rows: int | None = None
    notes: list[str] = field(default_factory=list)
    # npz files are chosen by array key, not by column: the preview lists keys with their shapes
    by_key: bool = False
    # column -> the tasks it becomes as a label: [(task name, class names)]; only columns that can be labels
    label_tasks: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)

    def tasks_for(self, labels: list[str]) -> list[tuple[str, int]]:
        """(task name, class count) for label columns, in order; KeyError for a column that cannot be one."""
        return [(name, len(classes)) for col in labels for name, classes in self.label_tasks[col]]

    def named_tasks_for(self, labels: list[str]) -> list[tuple[str, list[str]]]:
        """(task name, class names in class order) for label columns, in order; KeyError as ``tasks_for``."""
        return [(name, list(classes)) for col in labels for name, classes in self.label_tasks[col]]


MAX_CLASSES = 50  # a column with more distinct values is a measurement, not a label


def preview_source(source: str, path: str | Path | None = None, options: dict | None = None,
                   rows: int = 8, base_dir: Path | None = None) -> Preview:
    """What the data panel shows before anything is picked. Raises DataError with a plain message."""
    source = source.strip().lower()
    if source in ("csv", "parquet"):
        return _table(source, path, options, rows, base_dir)
    if source == "npz":
        return _npz(path, rows, base_dir)
    ds = load_dataset(source, path=path, options=options, base_dir=base_dir)
    # Labels first: a set with 64 pixel columns would otherwise hide its tasks off to the right.
    columns = ds.task_names + list(ds.feature_names)
    head = []
    for i in range(min(rows, ds.n_samples)):
        feats = [_fmt(v) for v in ds.X[i]]
        labels = [t.class_names[int(ds.Y[i, k])] for k, t in enumerate(ds.tasks)]
        head.append(labels + feats)
    numeric = [False] * len(ds.tasks) + [True] * ds.n_features
    notes = [] if source in BUILTIN else [f"{ds.n_features} features from the images"]
    return Preview(columns, head, numeric, labels=ds.task_names, features=list(ds.feature_names),
                   total_rows=ds.n_samples, notes=notes,
                   label_tasks={t.name: [(t.name, list(t.class_names))] for t in ds.tasks})


def _table(source: str, path, options: dict | None, rows: int, base_dir: Path | None) -> Preview:
    file = resolve_path(source, path, base_dir)
    sep = (options or {}).get("sep", ",")
    try:
        df = pd.read_csv(file, sep=sep) if source == "csv" else pd.read_parquet(file)
    except Exception as exc:  # pandas/pyarrow raise many types; the user needs the file and the reason
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{file.name}: cannot read as {source}: {first}") from exc
    columns = [str(c) for c in df.columns]
    numeric = [bool(pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
               for c in df.columns]
    # A label is a column of few distinct values: text, or integers with at most 20 levels.
    labels = []
    for c, is_num in zip(df.columns, numeric):
        col = df[c].dropna()
        # integers, or floats that are all whole numbers (a label column with a gap is read as float)
        whole = pd.api.types.is_integer_dtype(col) or (is_num and len(col) and bool((col == col.round()).all()))
        if not is_num or (whole and 2 <= col.nunique() <= 20 and len(col) > 2 * col.nunique()):
            labels.append(str(c))
    head = [[_fmt(v) for v in row] for row in df.head(rows).itertuples(index=False)]
    label_tasks = {}
    for c, name in zip(df.columns, columns):
        classes = _class_names(df[c].dropna().to_numpy())
        if classes:
            label_tasks[name] = [(name, classes)]
    labels = [c for c in labels if c in label_tasks]  # free text (an id, a comment) is no label
    features = [c for c, n in zip(columns, numeric) if n and c not in labels]
    return Preview(columns, head, numeric, labels, features, total_rows=len(df), label_tasks=label_tasks)


def _class_names(values: np.ndarray) -> list[str] | None:
    if len(values) == 0 or len(pd.unique(values)) > MAX_CLASSES or len(pd.unique(values)) < 2:
        return None
    try:
        return encode_labels(values, "column")[1]
    except DataError:
        return None


def _npz(path, rows: int, base_dir: Path | None) -> Preview:
    file = resolve_path("npz", path, base_dir)
    arrays = open_npz(file)
    if not arrays:
        raise DataError(f"{file.name}: the file holds no arrays")
    keys = sorted(arrays)
    numeric = [arrays[k].dtype.kind in "biuf" for k in keys]
    n = {arrays[k].shape[0] for k in keys if arrays[k].ndim}
    head = []
    for i in range(rows):
        line = []
        for k in keys:
            a = arrays[k]
            if a.ndim == 0 or i >= a.shape[0]:
                line.append("")
            elif a.ndim == 1:
                line.append(_fmt(a[i]))
            else:
                line.append(f"[{' '.join(_fmt(v) for v in np.ravel(a[i])[:4])} …]")
        head.append(line)
    labels = [k for k in keys if arrays[k].ndim in (1, 2) and arrays[k].dtype.kind in "biu"
              and (arrays[k].ndim == 1 or arrays[k].shape[1] <= 8)]
    features = [k for k, ok in zip(keys, numeric) if ok and k not in labels]
    notes = [f"{k}: shape {arrays[k].shape}, {arrays[k].dtype}" for k in keys]
    label_tasks = {}
    for k in keys:
        a = arrays[k]
        if a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1):
            columns = [(k, a.reshape(-1))]
        elif a.ndim == 2 and a.shape[1] <= 8:
            columns = [(f"{k}_{i}", a[:, i]) for i in range(a.shape[1])]
        else:
            continue
        tasks = [(name, _class_names(col)) for name, col in columns]
        if all(classes for _, classes in tasks):
            label_tasks[k] = tasks
    return Preview(keys, head, numeric, labels, features, total_rows=max(n) if n else None, notes=notes,
                   by_key=True, label_tasks=label_tasks)


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "" if np.isnan(value) else str(value)
        return f"{float(value):.4g}"
    return str(value)
