"""User files: CSV, Parquet and NPZ. Problems are reported, never silently repaired (except on request)."""

from __future__ import annotations

import csv
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from workbench.data.dataset import (
    DataError,
    MultiTaskDataset,
    TaskInfo,
    encode_labels,
    is_missing,
    regression_values,
)
from workbench.data.options import Options
from workbench.textsafe import first_line, shown

if TYPE_CHECKING:
    import pandas as pd

MAX_CSV_COLUMNS = 10_000  # pandas slows down quadratically beyond this (60,000 columns: 19 s)
MAX_HEADER_CHARS = 1_000_000  # a CSV header line longer than this is not a header
MAX_NPZ_BYTES = 8 * 2**30  # arrays of one npz file, in memory

DROPNA_HINT = "fix the file or set option dropna = true to drop those rows"


def resolve_path(source: str, path: str | Path | None, base_dir: Path | None) -> Path:
    if path is None or str(path).strip() == "":
        raise DataError(f"source '{source}' needs a path to the data file")
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    if not p.exists():
        raise DataError(f"{source}: file not found: {p}")
    if not p.is_file():
        raise DataError(f"{source}: not a file: {p}")
    return p


def _as_list(value: list[str] | str | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


# ---------------------------------------------------------------------------------------------- tables


def label_task(values, col: str, where: str, regression) -> tuple[TaskInfo, np.ndarray]:
    """One label column as a task: a regression target when ``col`` is in ``regression``, else classes."""
    if col in (regression or ()):
        return TaskInfo(col, 1, [], kind="regression"), regression_values(values, where)
    y, class_names = encode_labels(values, where)
    return TaskInfo(col, len(class_names), class_names), y


def dataset_from_frame(df: pd.DataFrame, *, name: str, where: str, features: list[str] | str | None,
                       labels: list[str] | None, dropna: bool,
                       missing_note: str = "missing or non-finite values",
                       regression: list[str] | None = None) -> MultiTaskDataset:
    """Columns -> features, label columns -> tasks (``regression`` names numeric label columns read as
    regression targets). ``where`` prefixes every message (usually the file name)."""
    columns = [str(c) for c in df.columns]
    df = df.set_axis(columns, axis=1)
    if len(set(columns)) != len(columns):
        seen: set[str] = set()
        dupes = sorted({c for c in columns if c in seen or seen.add(c)})
        raise DataError(f"{where}: duplicate column names: {_names(dupes)}")
    labels = _as_list(labels)
    if not labels:
        raise DataError(f"{where}: no label columns given (set labels to one or more of: {_names(columns)})")
    features = _as_list(features)
    if features is None:
        features = [c for c in columns if c not in labels]
    known = set(columns)
    for col in [*labels, *features]:
        if col not in known:
            raise DataError(f"{where}: unknown column {shown(col)} (available: {_names(columns)})")
    if not features:
        raise DataError(f"{where}: no feature columns left after taking the labels {labels}")
    both = [c for c in features if c in labels]
    if both:
        raise DataError(f"{where}: column {shown(both[0])} is both a feature and a label")
    if len(set(labels)) != len(labels):
        raise DataError(f"{where}: a label column is listed twice in {_names(labels)}")
    if len(df) == 0:
        raise DataError(f"{where}: the file has no data rows")

    X = np.column_stack([_numeric_column(df[c], where, c) for c in features])
    bad_feat = ~np.isfinite(X)
    bad_label = np.column_stack([is_missing(df[c].to_numpy(dtype=object)) for c in labels])
    drop = bad_feat.any(axis=1) | bad_label.any(axis=1)
    notes = []
    if drop.any():
        if not dropna:
            raise _missing_error(where, features, bad_feat, labels, bad_label)
        keep = ~drop
        X = X[keep]
        df = df.loc[keep]
        notes.append(f"{where}: dropped {int(drop.sum())} rows with {missing_note}")
        if len(df) < 2:
            raise DataError(f"{where}: only {len(df)} rows left after dropping rows with {missing_note}")

    tasks, codes = [], []
    for col in labels:
        task, y = label_task(df[col].to_numpy(), col, f"{where}: label column '{col}'", regression)
        tasks.append(task)
        codes.append(y)
    return MultiTaskDataset(name=name, X=X, Y=np.column_stack(codes), tasks=tasks,
                            feature_names=list(features), notes=notes)


def _numeric_column(series: pd.Series, where: str, col: str) -> np.ndarray:
    import pandas as pd  # here, not at the top: the built-in datasets load without it

    if pd.api.types.is_bool_dtype(series):
        return series.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    converted = pd.to_numeric(series, errors="coerce")
    bad = converted.isna() & series.notna()
    if bad.any():
        value = series[bad].iloc[0]
        raise DataError(f"{where}: feature column {shown(col)} is not numeric (value {shown(value)}); "
                        f"use it as a label or drop it from features")
    return converted.to_numpy(dtype=float, na_value=np.nan)


def _missing_error(where, features, bad_feat, labels, bad_label) -> DataError:
    rows = int((bad_feat.any(axis=1) | bad_label.any(axis=1)).sum())
    per_feat = bad_feat.sum(axis=0)
    if per_feat.any():
        j = int(np.argmax(per_feat > 0))
        detail = f"feature column {shown(features[j])} has {int(per_feat[j])} rows with NaN or inf"
    else:
        per_label = bad_label.sum(axis=0)
        j = int(np.argmax(per_label > 0))
        detail = f"label column {shown(labels[j])} has {int(per_label[j])} missing values"
    return DataError(f"{where}: {detail} ({rows} rows affected in all); {DROPNA_HINT}")


def load_table(source: str, path: str | Path | None, features, labels, options: dict | None,
               base_dir: Path | None, regression: list[str] | None = None) -> MultiTaskDataset:
    allowed = ["dropna", "sep"] if source == "csv" else ["dropna"]
    opts = Options(options, source, allowed)
    dropna = opts.get_bool("dropna", False)
    file = resolve_path(source, path, base_dir)
    sep = opts.get_str("sep", ",")
    if source == "csv":
        if sep is None or len(sep) != 1 or sep in "\r\n\"":
            raise DataError(f"csv: option 'sep' must be one character, got {shown(sep)}")
        _check_csv_header(file, sep)
    import pandas as pd

    try:
        df = pd.read_csv(file, sep=sep) if source == "csv" else pd.read_parquet(file)
    except Exception as exc:  # pandas/pyarrow raise many types; the user needs the file and the reason
        raise DataError(f"{shown(file.name)}: cannot read as {source}: {first_line(exc)}") from None
    return dataset_from_frame(df, name=file.stem, where=file.name, features=features, labels=labels,
                              dropna=dropna, regression=regression)


# ------------------------------------------------------------------------------------------------- npz


def _names(names: list[str], limit: int = 12) -> str:
    """Column names for a message: each escaped and cut, at most ``limit`` of them."""
    shown_names = ", ".join(shown(n, 40) for n in names[:limit])
    return shown_names + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _check_csv_header(file: Path, sep: str) -> None:
    """Duplicate column names are refused from the raw header (pandas would rename ``a,a`` to ``a, a.1``)."""
    try:
        with open(file, encoding="utf-8", newline="", errors="replace") as fh:
            line = fh.readline(MAX_HEADER_CHARS + 1)
    except OSError as exc:
        raise DataError(f"{shown(file.name)}: cannot read as csv: {first_line(exc)}") from None
    if len(line) > MAX_HEADER_CHARS:
        raise DataError(f"{shown(file.name)}: the header line is longer than {MAX_HEADER_CHARS} characters; "
                        "is this a CSV file?")
    try:
        header = next(csv.reader([line], delimiter=sep), [])
    except csv.Error as exc:
        raise DataError(f"{shown(file.name)}: cannot read the csv header: {first_line(exc)}") from None
    if len(header) > MAX_CSV_COLUMNS:
        raise DataError(f"{shown(file.name)}: {len(header)} columns (at most {MAX_CSV_COLUMNS})")
    seen: set[str] = set()
    dupes = sorted({c.strip() for c in header if c.strip() in seen or seen.add(c.strip())})
    if dupes:
        raise DataError(f"{shown(file.name)}: duplicate column names: {_names(dupes)}")


def _npz_headers(file: Path) -> None:
    """Check every array's header (dtype, shape) before anything is inflated: a header that claims terabytes,
    an object array (a pickle) or a member that inflates far beyond its header is refused by name."""
    from workbench.spec.memory import human_bytes, memory_limit

    limit = min(MAX_NPZ_BYTES, memory_limit() // 4)
    total = 0
    with zipfile.ZipFile(file) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            key = shown(info.filename[:-4], 40)
            with zf.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
                elif version in ((2, 0), (3, 0)):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
                else:
                    raise ValueError(f"array {key}: unknown .npy version {version}")
            if dtype.hasobject:
                raise ValueError(f"array {key} holds Python objects (a pickle), which are never loaded")
            n = 1
            for d in shape:
                n *= int(d)
            nbytes = n * dtype.itemsize
            total += nbytes
            if nbytes > limit or total > limit:
                raise ValueError(f"array {key} has shape {tuple(shape)} ({human_bytes(nbytes)}); at most "
                                 f"{human_bytes(limit)} of arrays are loaded")
            if info.file_size > nbytes + 4096:
                raise ValueError(f"array {key} inflates to {info.file_size} bytes, more than its header's "
                                 f"{nbytes}")


def open_npz(file: Path) -> dict[str, np.ndarray]:
    try:
        _npz_headers(file)
        with np.load(file, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, zlib.error, KeyError, RuntimeError, SyntaxError,
            tokenize.TokenError) as exc:
        # allow_pickle=False also lands here for object arrays: arbitrary pickles are not loaded on purpose.
        # A garbled .npy header reaches numpy's header parser (tokenize, then literal_eval): TokenError/SyntaxError.
        raise DataError(f"{shown(file.name)}: cannot read as npz: {first_line(exc)}") from None


def npz_key(arrays: dict[str, np.ndarray], key: str, file: Path) -> np.ndarray:
    if key not in arrays:
        raise DataError(f"{shown(file.name)}: unknown key {shown(key)} (keys: {_names(sorted(arrays)) or 'none'})")
    return arrays[key]


def load_npz(path: str | Path | None, features, labels, options: dict | None,
             base_dir: Path | None, regression: list[str] | None = None) -> MultiTaskDataset:
    opts = Options(options, "npz", ["dropna"])
    dropna = opts.get_bool("dropna", False)
    file = resolve_path("npz", path, base_dir)
    arrays = open_npz(file)
    where = file.name

    feat_keys = _as_list(features) or ["X"]
    blocks, names = [], []
    for key in feat_keys:
        a = npz_key(arrays, key, file)
        if a.dtype.kind not in "biuf":
            raise DataError(f"{where}: feature array '{key}' is not numeric (dtype {a.dtype})")
        if a.ndim == 0:
            raise DataError(f"{where}: feature array '{key}' is a scalar, expected N x F")
        # Images and other tensors become one row of features per sample.
        if a.ndim == 1:
            names.append(key)
            a = a[:, None]
        else:
            a = a.reshape(a.shape[0], -1)
            names += [f"{key}_{i}" for i in range(a.shape[1])]
        blocks.append(a.astype(np.float64))
    n = blocks[0].shape[0]
    for key, a in zip(feat_keys, blocks):
        if a.shape[0] != n:
            raise DataError(f"{where}: feature array '{key}' has {a.shape[0]} rows but '{feat_keys[0]}' has {n}")
    X = np.hstack(blocks)

    label_keys = _as_list(labels)
    if not label_keys:
        default = [k for k in ("Y", "y") if k in arrays]
        if not default:
            raise DataError(f"{where}: no label keys given (set labels to one or more of: "
                            f"{', '.join(sorted(arrays))})")
        label_keys = default[:1]
    columns: list[tuple[str, np.ndarray]] = []
    for key in label_keys:
        if key in feat_keys:
            raise DataError(f"{where}: key '{key}' is both the features and a label")
        a = npz_key(arrays, key, file)
        if a.ndim == 0 or a.ndim > 2:
            raise DataError(f"{where}: label array '{key}' must be 1-D (N) or 2-D (N, T), got shape {a.shape}")
        if a.shape[0] != n:
            raise DataError(f"{where}: label array '{key}' has {a.shape[0]} rows but features "
                            f"'{feat_keys[0]}' have {n}")
        if a.ndim == 1 or a.shape[1] == 1:
            columns.append((key, a.reshape(-1)))
        else:
            columns += [(f"{key}_{i}", a[:, i]) for i in range(a.shape[1])]

    bad_feat = ~np.isfinite(X)
    bad_label = np.column_stack([is_missing(col) for _, col in columns])
    drop = bad_feat.any(axis=1) | bad_label.any(axis=1)
    notes = []
    if drop.any():
        if not dropna:
            raise _missing_error(where, names, bad_feat, [c for c, _ in columns], bad_label)
        keep = ~drop
        X = X[keep]
        columns = [(c, col[keep]) for c, col in columns]
        notes.append(f"{where}: dropped {int(drop.sum())} rows with missing or non-finite values")
        if len(X) < 2:
            raise DataError(f"{where}: only {len(X)} rows left after dropping rows with missing values")

    tasks, codes = [], []
    for col_name, col in columns:
        task, y = label_task(col, col_name, f"{where}: label '{col_name}'", regression)
        tasks.append(task)
        codes.append(y)
    return MultiTaskDataset(name=file.stem, X=X, Y=np.column_stack(codes), tasks=tasks,
                            feature_names=names, notes=notes)
