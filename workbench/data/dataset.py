"""The in-memory dataset every source produces, and the checks shared by all importers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from workbench.errors import UserError

SPLIT_NAMES = ("train", "val", "test")


class DataError(UserError):
    """Unusable data. The message is one line naming the file, column, key or field and the bad value."""


@dataclass
class TaskInfo:
    name: str
    classes: int  # 1 for a regression task (one continuous output)
    class_names: list[str]
    kind: str = "classification"  # classification | regression

    @property
    def is_regression(self) -> bool:
        return self.kind == "regression"


@dataclass
class MultiTaskDataset:
    name: str
    X: np.ndarray  # float32 (N, F)
    Y: np.ndarray  # int64 (N, T), column t labels 0..classes-1; float64 when a task is a regression (its values)
    tasks: list[TaskInfo]
    feature_names: list[str]
    notes: list[str] = field(default_factory=list)
    # Per-row 0/1/2 (train/val/test) when the source ships its own split (MedMNIST); prepare() honours it.
    split: np.ndarray | None = None

    def __post_init__(self) -> None:
        # Importers report problems with file and column names first; this is the last line of defence so
        # that a model never receives a silently malformed array.
        self.X = np.asarray(self.X, dtype=np.float32)
        regression = any(t.kind == "regression" for t in self.tasks)
        self.Y = np.asarray(self.Y, dtype=np.float64 if regression else np.int64)
        if self.X.ndim != 2 or self.Y.ndim != 2:
            raise DataError(f"{self.name}: X must be 2-D and Y 2-D, got shapes {self.X.shape} and {self.Y.shape}")
        n = self.X.shape[0]
        if self.Y.shape[0] != n:
            raise DataError(f"{self.name}: {n} feature rows but {self.Y.shape[0]} label rows")
        if self.Y.shape[1] != len(self.tasks):
            raise DataError(f"{self.name}: Y has {self.Y.shape[1]} columns but {len(self.tasks)} tasks are described")
        if self.X.shape[1] != len(self.feature_names):
            raise DataError(
                f"{self.name}: X has {self.X.shape[1]} columns but {len(self.feature_names)} feature names"
            )
        if not np.isfinite(self.X).all():
            raise DataError(f"{self.name}: features contain NaN or inf")
        for t, task in enumerate(self.tasks):
            col = self.Y[:, t]
            if task.is_regression:
                if not np.isfinite(col).all():
                    raise DataError(f"{self.name}: regression task '{task.name}' has NaN or inf values")
                continue
            if n and (col.min() < 0 or col.max() >= task.classes or (regression and (col % 1).any())):
                raise DataError(
                    f"{self.name}: task '{task.name}' has labels outside 0..{task.classes - 1} "
                    f"(min {col.min()}, max {col.max()})"
                )
        if self.split is not None:
            self.split = np.asarray(self.split, dtype=np.int64)
            if self.split.shape != (n,) or (n and not np.isin(self.split, (0, 1, 2)).all()):
                raise DataError(f"{self.name}: split must hold one of 0/1/2 (train/val/test) per row")

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def task_names(self) -> list[str]:
        return [t.name for t in self.tasks]

    def summary(self) -> str:
        tasks = ", ".join(f"{t.name}/{'regression' if t.is_regression else t.classes}" for t in self.tasks)
        return f"{self.name}: {self.n_samples} samples, {self.n_features} features, tasks {tasks}"

    def select(self, features: Sequence[str] | str | None = None, labels: Sequence[str] | None = None):
        """A copy restricted to the named features and tasks (None keeps all), in the order given."""
        feat_idx = _pick(self.name, "feature", self.feature_names, features)
        task_idx = _pick(self.name, "task", self.task_names, labels)
        return MultiTaskDataset(
            name=self.name,
            X=self.X[:, feat_idx],
            Y=self.Y[:, task_idx],
            tasks=[self.tasks[i] for i in task_idx],
            feature_names=[self.feature_names[i] for i in feat_idx],
            notes=list(self.notes),
            split=None if self.split is None else self.split.copy(),
        )


def _pick(where: str, what: str, available: list[str], wanted: Sequence[str] | str | None) -> list[int]:
    if wanted is None:
        return list(range(len(available)))
    if isinstance(wanted, str):
        wanted = [wanted]
    if len(wanted) == 0:
        raise DataError(f"{where}: the {what} list is empty")
    out = []
    for name in wanted:
        if name not in available:
            raise DataError(f"{where}: unknown {what} '{name}' (available: {', '.join(available)})")
        out.append(available.index(name))
    return out


def is_missing(values: np.ndarray) -> np.ndarray:
    """True where a label value is absent: NaN/None for any dtype, inf for floats."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return ~np.isfinite(values)
    if values.dtype.kind == "O":
        import pandas as pd  # only object columns need it; the built-in datasets load without pandas

        # pd.isna knows every flavour of missing a DataFrame can hold: None, NaN, pd.NA, NaT.
        return np.array([bool(pd.isna(v)) or (isinstance(v, float) and not np.isfinite(v)) for v in values],
                        dtype=bool)
    return np.zeros(values.shape, dtype=bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _class_name(value) -> str:
    # Integral floats come from integer columns that pandas widened because of a gap; show them as ints.
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (np.generic,)):
        value = value.item()
    return str(value)


def encode_labels(values, where: str) -> tuple[np.ndarray, list[str]]:
    """Map label values to 0..C-1 in sorted order. ``where`` names the column, e.g. "data.csv: label column 'y'"."""
    values = np.asarray(values)
    if values.ndim != 1:
        raise DataError(f"{where} must be 1-D, got shape {values.shape}")
    missing = int(is_missing(values).sum())
    if missing:
        raise DataError(f"{where} has {missing} missing values")
    if values.dtype.kind == "O" and all(_is_number(v) for v in values):
        # Nullable integer columns arrive as objects; sort them as numbers so that 10 comes after 9.
        values = values.astype(np.float64)
    if values.dtype.kind in "biuf":
        uniq, codes = np.unique(values, return_inverse=True)
    else:
        # Mixed object columns cannot be ordered natively; strings sort the same on every platform.
        as_str = values.astype(str)
        uniq, codes = np.unique(as_str, return_inverse=True)
    names = [_class_name(u) for u in uniq]
    if len(names) < 2:
        shown = names[0] if names else "none"
        raise DataError(f"{where} has a single class ('{shown}'); a task needs at least 2")
    return codes.astype(np.int64).reshape(-1), names


def regression_values(values, where: str) -> np.ndarray:
    """A numeric label column as a regression target (float64). ``where`` names the column."""
    values = np.asarray(values)
    missing = int(is_missing(values).sum())
    if missing:
        raise DataError(f"{where} has {missing} missing values")
    try:
        out = values.astype(np.float64).reshape(-1)
    except (TypeError, ValueError):
        bad = next((v for v in values if not _is_number(v)), values[0])
        raise DataError(f"{where} is not numeric (value {bad!r}); a regression task needs numbers") from None
    if len(out) and np.ptp(out) == 0:
        raise DataError(f"{where} is constant ({out[0]:g}); a regression task needs varying values")
    return out


def check_tasks(ds: MultiTaskDataset, expected: Sequence[tuple[str, int]]) -> None:
    """Raise DataError when a spec's (task name, class count) list, in order, disagrees with the data.
    A regression task has class count 1 on both sides."""
    have = ds.task_names
    if len(expected) != len(have):
        raise DataError(
            f"{ds.name}: spec has {len(expected)} tasks, data has {len(have)} ({', '.join(have)})"
        )
    for pos, ((name, classes), task) in enumerate(zip(expected, ds.tasks)):
        if name != task.name:
            if name in have:
                raise DataError(
                    f"{ds.name}: task {pos} is '{name}' in the spec but '{task.name}' in the data "
                    f"(data order: {', '.join(have)})"
                )
            raise DataError(f"{ds.name}: spec task '{name}' is not in the data (tasks: {', '.join(have)})")
        if int(classes) == 1 and not task.is_regression:
            raise DataError(f"task '{name}': the spec makes it a regression, but the data has {task.classes} "
                            f"classes")
        if task.is_regression and int(classes) != 1:
            raise DataError(f"task '{name}': the data is a regression target; set kind = \"regression\" in the "
                            f"spec (it says {classes} classes)")
        if int(classes) != task.classes:
            raise DataError(f"task '{name}': spec says {classes} classes, data has {task.classes}")
