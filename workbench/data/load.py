"""``load_dataset``: one entry point from a spec's dataset section to a MultiTaskDataset."""

from __future__ import annotations

from pathlib import Path

from workbench.data.builtin import load_diabetes, load_digits_3task, load_penguins
from workbench.data.dataset import DataError, MultiTaskDataset
from workbench.data.importers import load_npz, load_table
from workbench.data.medmnist import load_medmnist
from workbench.data.synthetic import make_synthetic

BUILTIN = ["digits-3task", "penguins", "synthetic", "diabetes"]
FILE_SOURCES = ["csv", "parquet", "npz", "medmnist"]


def builtin_names() -> list[str]:
    return list(BUILTIN)


def source_names() -> list[str]:
    return BUILTIN + FILE_SOURCES


def load_dataset(source: str, *, path: str | Path | None = None, features: list[str] | str | None = None,
                 labels: list[str] | None = None, options: dict | None = None,
                 base_dir: Path | None = None, regression: list[str] | None = None) -> MultiTaskDataset:
    """Load ``source``. For builtins, ``features``/``labels`` select (and order) features and tasks by name;
    for files they name columns (csv, parquet) or array keys (npz). Relative paths resolve against ``base_dir``
    (normally the spec file's folder). ``regression`` names label columns of a file read as regression targets
    (numbers) rather than classes; built-in sources know their own task kinds.
    """
    if not isinstance(source, str) or source.strip().lower() not in source_names():
        raise DataError(f"unknown data source {source!r} (valid: {', '.join(source_names())})")
    source = source.strip().lower()
    if options is not None and not isinstance(options, dict):
        raise DataError(f"{source}: options must be a table of name = value, got {options!r}")

    if source in BUILTIN:
        if path is not None:
            raise DataError(f"source '{source}' is built in and takes no path (got {str(path)!r})")
        if source == "penguins":
            return load_penguins(features, labels, options)
        if source == "diabetes":
            return load_diabetes(options).select(features, labels)
        ds = load_digits_3task(options) if source == "digits-3task" else make_synthetic(options)
        return ds.select(features, labels)
    if source in ("csv", "parquet"):
        return load_table(source, path, features, labels, options, base_dir, regression)
    if source == "npz":
        return load_npz(path, features, labels, options, base_dir, regression)
    ds = load_medmnist(path, options, base_dir)
    return ds.select(features, labels)
