"""Accuracy against head size across runs: seeds of one configuration as one point (mean ± std) and the Pareto
front of the points (no other point is at least as accurate with at most as many head parameters)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.runs.metrics_table import MetricsTable


@dataclass(frozen=True)
class TradeoffPoint:
    label: str
    head: str
    run_ids: tuple[str, ...]
    params: float  # head parameters (mean over the seeds; equal in practice)
    accuracy: float  # mean test accuracy over the seeds
    std: float  # sample standard deviation over the seeds (0 for one run)

    @property
    def seeds(self) -> int:
        return len(self.run_ids)


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points ``(params, accuracy)`` no other point dominates (params minimised, accuracy
    maximised; dominating means no worse in both and better in one), by increasing params. Of identical points
    the first stands for all."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1], i))
    front: list[int] = []
    best = -math.inf
    for i in order:
        params, acc = points[i]
        if acc > best:  # strictly more accurate than every point with fewer or as many params
            front.append(i)
            best = acc
    return front


def _std(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def tradeoff_points(table: MetricsTable, groups: dict[str, str] | None = None) -> list[TradeoffPoint]:
    """One point per group of seeds (``groups``: run id -> group key; default every run alone) among the rows
    with both a test accuracy and a head size. Labels drop the seed; a group names its seed count."""
    members: dict[str, list[dict]] = {}
    for row in table.rows:
        if row.get("mean_accuracy") is None or row.get("head_params") is None:
            continue
        members.setdefault((groups or {}).get(row["id"], row["id"]), []).append(row)
    points = []
    for rows in members.values():
        accs = [float(r["mean_accuracy"]) for r in rows]
        first = rows[0]
        label = first["label"].rsplit(" · seed ", 1)[0]
        if len(rows) > 1:
            label += f" · {len(rows)} seeds"
        elif first.get("seed") is not None:
            label += f" · seed {first['seed']}"
        points.append(TradeoffPoint(label, str(first.get("head") or "?"), tuple(r["id"] for r in rows),
                                    sum(float(r["head_params"]) for r in rows) / len(rows),
                                    sum(accs) / len(accs), _std(accs)))
    return points


def front_of(points: Sequence[TradeoffPoint]) -> list[TradeoffPoint]:
    return [points[i] for i in pareto_front([(p.params, p.accuracy) for p in points])]
