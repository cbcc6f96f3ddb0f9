"""The first rows of a data source, for choosing feature and label columns by eye (GUI data panel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.dataset import DataError
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


def preview_source(source: str, path: str | Path | None = None, options: dict | None = None,
                   rows: int = 8) -> Preview:
    """What the data panel shows before anything is picked. Raises DataError with a plain message."""
    source = source.strip().lower()
    if source in ("csv", "parquet"):
        return _table(source, path, options, rows)
    if source == "npz":
        return _npz(path, rows)
    ds = load_dataset(source, path=path, options=options)
    columns = list(ds.feature_names) + ds.task_names
    head = []
    for i in range(min(rows, ds.n_samples)):
        feats = [_fmt(v) for v in ds.X[i]]
        labels = [t.class_names[int(ds.Y[i, k])] for k, t in enumerate(ds.tasks)]
        head.append(feats + labels)
    numeric = [True] * ds.n_features + [False] * len(ds.tasks)
    notes = [] if source in BUILTIN else [f"{ds.n_features} features from the images"]
    return Preview(columns, head, numeric, labels=ds.task_names, features=list(ds.feature_names),
                   total_rows=ds.n_samples, notes=notes)


def _table(source: str, path, options: dict | None, rows: int) -> Preview:
    file = resolve_path(source, path, None)
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
        if not is_num or (pd.api.types.is_integer_dtype(col) and 2 <= col.nunique() <= 20
                          and len(col) > 2 * col.nunique()):
            labels.append(str(c))
    features = [c for c, n in zip(columns, numeric) if n and c not in labels]
    head = [[_fmt(v) for v in row] for row in df.head(rows).itertuples(index=False)]
    return Preview(columns, head, numeric, labels, features, total_rows=len(df))


def _npz(path, rows: int) -> Preview:
    file = resolve_path("npz", path, None)
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
    return Preview(keys, head, numeric, labels, features, total_rows=max(n) if n else None, notes=notes,
                   by_key=True)


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "" if np.isnan(value) else str(value)
        return f"{float(value):.4g}"
    return str(value)
