"""An experiment's tasks follow its data: one task per label column, with the data's class count."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from workbench.spec.model import ExperimentSpec, TaskSpec


def tasks_for_labels(spec: ExperimentSpec, labels: Sequence[tuple[str, int]]) -> list[TaskSpec]:
    """One task per (label column, class count), in the data's order. A task that already reads a column
    keeps its block, weight and name; its readout is kept only while the class count is unchanged (the
    automatic readout then fits the new count)."""
    by_column = {(t.label or t.name): t for t in spec.tasks}
    out = []
    for column, classes in labels:
        old = by_column.get(column)
        if old is None:
            out.append(TaskSpec(name=column, classes=int(classes)))
            continue
        task = copy.deepcopy(old)
        if task.classes != int(classes):
            task.classes = int(classes)
            task.readout = None
        out.append(task)
    return out
