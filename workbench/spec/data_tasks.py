"""An experiment's tasks follow its data: one task per label column, with the data's classes."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from workbench.spec.model import ExperimentSpec, TaskSpec


def tasks_for_labels(spec: ExperimentSpec, labels: Sequence[tuple[str, int | Sequence[str]]]) -> list[TaskSpec]:
    """One task per (label column, classes), in the data's order; classes is a count or the data's label values
    in class order (which become the task's ``class_names``). A task that already reads a column keeps its
    block, weight and name; its readout is kept only while the class count is unchanged (the automatic readout
    then fits the new count)."""
    by_column = {(t.label or t.name): t for t in spec.tasks}
    out = []
    for column, classes in labels:
        names = None if isinstance(classes, int) else tuple(str(c) for c in classes)
        count = len(names) if names is not None else int(classes)
        old = by_column.get(column)
        if old is None:
            out.append(TaskSpec(name=column, classes=count, class_names=names))
            continue
        task = copy.deepcopy(old)
        if task.classes != count:
            task.classes = count
            task.readout = None
            task.class_names = None
        if names is not None:
            task.class_names = names
        out.append(task)
    return out
