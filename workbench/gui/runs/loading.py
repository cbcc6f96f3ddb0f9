"""What the runs browser reads from the store, off the GUI thread: plain functions of the store (never of a
widget, which the GUI thread may delete meanwhile), run through the common worker's threads."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.runs import RunInfo, RunStore
from workbench.runs.metrics_table import MetricsTable, metrics_table
from workbench.runs.spec_facts import SpecFacts


@dataclass
class Snapshot:
    runs: list[RunInfo]  # the live runs, or the trash's
    table: MetricsTable  # one row per run of ``runs``
    groups: dict[str, str]  # run id -> seed group
    signature: tuple  # changes whenever anything shown changes


def load_snapshot(store: RunStore, facts: SpecFacts, trashed: bool = False) -> Snapshot:
    runs = store.list_runs(trashed=trashed)
    table = metrics_table(store, runs, facts)
    groups = {r.id: facts(store, r).group for r in runs}
    sig = (trashed,) + tuple((r.id, r.name, r.status, r.updated, r.note, tuple(r.tags)) for r in runs)
    return Snapshot(runs, table, groups, sig)


def load_metrics(store: RunStore, request: tuple, known: set[str]) -> tuple[tuple, dict]:
    ids = request[0]
    return request, {i: store.metrics(i) for i in ids if i in known}
