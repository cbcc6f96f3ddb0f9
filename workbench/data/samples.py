"""One input of the model at a time: a sample of the experiment's data with its labels, or encoder inputs set by hand.

What the live outputs (``qmtl predict`` and the composer's live panel) evaluate. Torch-free, so that the GUI
process can list the samples and hand one to its worker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.data.check import class_names_problem, dataset_for
from workbench.data.dataset import DataError, check_tasks
from workbench.data.split import PreparedData, prepare
from workbench.errors import SpecError, UserError

SPLITS = ("test", "val", "train")
MAX_ABS_INPUT = 1e6  # an encoder input is an angle factor: anything larger is a typing slip, not a value


def load_prepared(spec, base_dir: str | Path | None = None) -> PreparedData:
    """The spec's dataset, checked against its tasks, split and scaled exactly as training does (deterministic for
    the spec's seed)."""
    d = spec.dataset
    ds = dataset_for(spec, base_dir)
    names = [t.label or t.name for t in spec.tasks]
    check_tasks(ds, [(name, t.classes) for name, t in zip(names, spec.tasks)])
    problem = next(filter(None, (class_names_problem(t, info) for t, info in zip(spec.tasks, ds.tasks))), None)
    if problem:
        raise DataError(problem)
    data = prepare(ds, val_fraction=d.val_fraction, test_fraction=d.test_fraction, seed=d.seed, pca=d.pca,
                   standardize=d.standardize, max_samples=d.max_samples)
    width = data.X_train.shape[1]
    if spec.backbone.kind == "identity" and spec.backbone.width != width:
        raise SpecError("backbone.width", f"an identity backbone hands the {width} data features to the head, but "
                                          f"width is {spec.backbone.width}; set width = {width} or dataset.pca = "
                                          f"{spec.backbone.width}")
    return data


@dataclass(frozen=True)
class InputSample:
    """What the model is asked about. ``kind`` "data": ``values`` is one row of model inputs (the data after
    scaling and PCA) and ``labels`` its true label per task (a class index, or a value for a regression);
    ``kind`` "encoder": ``values`` are the shared encoder's inputs x0, x1, ... themselves (the backbone and any
    projection are skipped). ``class_names``: the data's names of each task's classes, when known."""

    kind: str
    values: tuple[float, ...]
    labels: tuple | None = None
    text: str = ""
    class_names: tuple[tuple[str, ...], ...] | None = None


@dataclass
class SampleSet:
    """One split of the experiment's data, as the live outputs offer it."""

    split: str
    X: np.ndarray  # (n, D) model inputs
    Y: np.ndarray  # (n, T)
    rows: np.ndarray  # (n,) row numbers in the dataset file
    task_names: list[str]
    class_names: list[list[str]]  # per task ([] for a regression)
    feature_names: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def width(self) -> int:
        return int(self.X.shape[1])

    def label_text(self, i: int, t: int) -> str:
        v = self.Y[i, t]
        names = self.class_names[t]
        if not names:
            return f"{float(v):.4g}"
        k = int(v)
        return names[k] if 0 <= k < len(names) else str(k)

    def labels_text(self, i: int) -> str:
        return ", ".join(f"{name} = {self.label_text(i, t)}" for t, name in enumerate(self.task_names))

    def sample(self, i: int, where: str = "sample") -> InputSample:
        n = len(self)
        if n == 0:
            raise UserError(f"the {self.split} split is empty: no sample to show")
        if not 0 <= i < n:
            raise UserError(f"{where}: must be in 0..{n - 1} (the {self.split} split has {n} samples), got {i}")
        labels = tuple(float(v) if not names else int(v) for v, names in zip(self.Y[i], self.class_names))
        return InputSample("data", tuple(float(v) for v in self.X[i]), labels,
                           f"{self.split} sample {i} (data row {int(self.rows[i])})",
                           tuple(tuple(names) for names in self.class_names))


def sample_set(data: PreparedData, split: str = "test") -> SampleSet:
    if split not in SPLITS:
        raise UserError(f"split: must be one of {', '.join(SPLITS)}, got {split!r}")
    X, Y, rows = {"test": (data.X_test, data.Y_test, data.test_index),
                  "val": (data.X_val, data.Y_val, data.val_index),
                  "train": (data.X_train, data.Y_train, data.train_index)}[split]
    return SampleSet(split, np.asarray(X, dtype=np.float32), np.asarray(Y), np.asarray(rows),
                     [t.name for t in data.tasks],
                     [[] if t.is_regression else list(t.class_names) for t in data.tasks],
                     list(data.feature_names))


def load_samples(spec, base_dir: str | Path | None = None, split: str = "test") -> SampleSet:
    """The spec's data split (a job body for a thread: Qt- and torch-free)."""
    return sample_set(load_prepared(spec, base_dir), split)


def encoder_sample(values, width: int, where: str = "features",
                   class_names: tuple[tuple[str, ...], ...] | None = None) -> InputSample:
    """Encoder inputs given by hand, checked: ``width`` finite numbers of moderate size."""
    values = tuple(values)
    if len(values) != width:
        raise UserError(f"{where}: the encoder takes {width} inputs (x0..x{width - 1}), got {len(values)} values")
    out = []
    for i, v in enumerate(values):
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise UserError(f"{where}: x{i} is not a number ({str(v)[:40]!r})") from None
        if not math.isfinite(f) or abs(f) > MAX_ABS_INPUT:
            raise UserError(f"{where}: x{i} must be a finite number of at most {MAX_ABS_INPUT:g} in size, got {v}")
        out.append(f)
    return InputSample("encoder", tuple(out), None, "encoder inputs set by hand", class_names)


def parse_values(text: str, where: str = "--features") -> list[float]:
    """``"0.1, -0.5,1"`` -> floats (a bad entry is named)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 4096:
        raise UserError(f"{where}: at most 4096 values, got {len(parts)}")
    out = []
    for i, p in enumerate(parts):
        try:
            out.append(float(p))
        except ValueError:
            raise UserError(f"{where}: value {i + 1} is not a number ({p[:40]!r})") from None
    return out
