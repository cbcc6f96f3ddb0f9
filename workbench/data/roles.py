"""Which column of a data preview is a feature, a label (one task each) or left out, as a dataset section says;
and the next role a header click gives a column (a column that cannot be one is skipped)."""

from __future__ import annotations

from workbench.data.preview import Preview

ROLES = ("feature", "label", "skip")


def column_roles(preview: Preview, dataset, tasks) -> dict[str, str]:
    """Column -> feature / label / skip, as ``dataset`` (and the ``tasks`` reading label columns) says."""
    labels = list(dataset.labels) if dataset.labels is not None else [
        t.label or t.name for t in tasks if (t.label or t.name) in preview.label_tasks]
    if dataset.features is None:
        features = [c for c, num in zip(preview.columns, preview.numeric) if num and c not in labels]
    else:
        features = [dataset.features] if isinstance(dataset.features, str) else list(dataset.features)
    return {c: "label" if c in labels else "feature" if c in features else "skip" for c in preview.columns}


def next_role(preview: Preview, role: str, index: int) -> str:
    """feature -> label -> left out -> feature, skipping a role column ``index`` cannot take."""
    col = preview.columns[index]
    for _ in range(3):
        role = ROLES[(ROLES.index(role) + 1) % 3]
        if (role == "feature" and preview.numeric[index]) or (role == "label" and col in preview.label_tasks) \
                or role == "skip":
            break
    return role
