"""Does an experiment fit its data? The "ready to train" check, in plain words, without torch or Qt.

The spec is read duck-typed (``spec.dataset``, ``spec.tasks``, ``spec.backbone``) so the data layer does not
depend on the spec package. Training runs the same selection (``dataset_for``) before its own checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.data.dataset import DataError, MultiTaskDataset, TaskInfo
from workbench.data.load import load_dataset
from workbench.data.split import prepare


@dataclass
class DataCheck:
    problems: list[str] = field(default_factory=list)
    summary: str = ""  # "penguins: 333 samples, 4 features, tasks species/3, sex/2"
    tasks: list[TaskInfo] = field(default_factory=list)  # what the data offers, with class names
    width: int | None = None  # features handed to the backbone after PCA

    @property
    def ok(self) -> bool:
        return not self.problems


def dataset_for(spec, base_dir: str | Path | None = None) -> MultiTaskDataset:
    """The spec's dataset, restricted to the spec's tasks when it names a subset of the data's label columns."""
    d = spec.dataset
    names = [t.label or t.name for t in spec.tasks]
    ds = load_dataset(d.source, path=d.path, features=d.features, labels=d.labels, options=d.options,
                      base_dir=Path(base_dir) if base_dir else None,
                      regression=[n for n, t in zip(names, spec.tasks) if t.is_regression])
    if d.labels is None and set(names) <= set(ds.task_names) and names != ds.task_names:
        ds = ds.select(labels=names)  # the spec may use a subset of a dataset's tasks, in its own order
    return ds


def task_problems(spec, ds: MultiTaskDataset) -> list[str]:
    """Every disagreement between the spec's tasks and the data's label columns, one sentence each."""
    have = {t.name: t for t in ds.tasks}
    labels = ", ".join(ds.task_names)
    out = []
    for task in spec.tasks:
        column = task.label or task.name
        info = have.get(column)
        if info is None:
            out.append(f"task '{task.name}' has no label column '{column}' in the data (labels: {labels})")
        elif int(task.classes) != info.classes:
            out.append(f"task '{task.name}' has {task.classes} classes in the experiment but "
                       f"{info.classes} in the data ({_classes(info)})")
        elif class_names_problem(task, info):
            out.append(class_names_problem(task, info))
    if not out and len(spec.tasks) != len(ds.tasks):
        out.append(f"the experiment has {len(spec.tasks)} tasks but the data has {len(ds.tasks)} label "
                   f"columns ({labels})")
    if not out:
        spec_order = [t.label or t.name for t in spec.tasks]
        if spec_order != ds.task_names:
            out.append(f"the tasks are in another order than the data's label columns ({labels})")
    return out


def check_spec_data(spec, base_dir: str | Path | None = None) -> DataCheck:
    """Load the data the way training does and list what stops the spec from training on it."""
    result = DataCheck()
    try:
        ds = dataset_for(spec, base_dir)
    except DataError as exc:
        result.problems.append(f"data: {exc}")
        return result
    result.summary = ds.summary()
    result.tasks = list(ds.tasks)
    result.problems += task_problems(spec, ds)
    d = spec.dataset
    try:
        prepared = prepare(ds, val_fraction=d.val_fraction, test_fraction=d.test_fraction, seed=d.seed,
                           pca=d.pca, standardize=d.standardize, max_samples=d.max_samples)
    except DataError as exc:
        result.problems.append(f"data: {exc}")
        return result
    result.width = int(prepared.X_train.shape[1])
    backbone = spec.backbone
    if backbone.kind == "identity" and backbone.width != result.width:
        result.problems.append(
            f"the identity backbone hands the {result.width} data features to the head, but its width is "
            f"{backbone.width}; set the width to {result.width} or PCA to {backbone.width} components")
    return result


def class_names_problem(task, info: TaskInfo) -> str | None:
    """The spec names a task's classes otherwise than its data does (another order is another labelling)."""
    if task.class_names is None or list(task.class_names) == list(info.class_names):
        return None
    return (f"task '{task.name}' names its classes {', '.join(task.class_names[:6])} in the experiment but the "
            f"data's are {_classes(info)} (class_names)")


def _classes(info: TaskInfo, most: int = 6) -> str:
    names = info.class_names[:most]
    return ", ".join(names) + (f", … ({info.classes} in all)" if info.classes > most else "")
