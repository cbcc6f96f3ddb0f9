"""A sweep's results: one row per trial (axes, per-task test metrics, head parameters, wall time), the
accuracy-versus-head-parameters Pareto front, CSV export."""

from __future__ import annotations

import csv
import io
import math

from workbench.runs import RunStore
from workbench.runs.errors import RunStoreError
from workbench.runs.sweeps import SweepRecords


def trial_rows(store: RunStore, sweep_id: str) -> list[dict]:
    """Trials in order; a finished one carries its run's test metrics and parameter counts."""
    rows = []
    for t in SweepRecords(store).trials(sweep_id):
        row = {"trial": t.idx, **t.point, "status": t.status, "run_id": t.run_id, "head": t.task.get("head"),
               "attempts": t.attempts, "error": t.errors[-1] if t.errors and t.status != "finished" else None}
        summary = {}
        if t.run_id:
            try:
                summary = store.get(t.run_id).summary
            except RunStoreError:  # the run was deleted since
                summary = {}
        row["mean_test_accuracy"] = summary.get("mean_test_accuracy")
        row["mean_test_macro_f1"] = summary.get("mean_test_macro_f1")
        for task, m in (summary.get("test") or {}).items():
            row[f"{task}.accuracy"] = m.get("accuracy")
            row[f"{task}.macro_f1"] = m.get("macro_f1")
        row["head_params"] = summary.get("head_params")
        row["total_params"] = summary.get("total_params")
        row["wall_time_s"] = round(t.wall_time_s, 2) if t.wall_time_s is not None else None
        rows.append(row)
    return rows


def _number(v) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) else None


def pareto_front(rows: list[dict], x: str = "head_params", y: str = "mean_test_accuracy") -> list[dict]:
    """Rows no other row beats on both: fewer (or equal) head parameters and higher (or equal) accuracy, one
    strictly. Sorted by parameters."""
    pts = [r for r in rows if _number(r.get(x)) is not None and _number(r.get(y)) is not None]
    front = []
    for r in pts:
        dominated = any(o[x] <= r[x] and o[y] >= r[y] and (o[x] < r[x] or o[y] > r[y]) for o in pts)
        if not dominated:
            front.append(r)
    return sorted(front, key=lambda r: (r[x], -r[y]))


def columns(rows: list[dict]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns(rows), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue()
