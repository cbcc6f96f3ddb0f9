"""Define a sweep (or find the one to resume) from a spec and its axes."""

from __future__ import annotations

from pathlib import Path

from workbench.runs import RunStore
from workbench.runs.sweeps import SweepRecords
from workbench.spec import dumps
from workbench.spec.model import ExperimentSpec
from workbench.sweeps.plan import fingerprint, make_points, make_task, parse_axes


def define_trials(spec: ExperimentSpec, *, grid: list[str] = (), sample: list[str] = (), n_random: int | None = None,
                  sample_seed: int = 0, base_dir: str | Path | None = None) -> tuple[list[dict], list[dict], list]:
    """``(points, tasks, axes)``: every axis checked against the spec first, then the trials built."""
    grid_axes, sample_axes = parse_axes(spec, list(grid), list(sample))
    points = make_points(grid_axes, sample_axes, n_random, sample_seed)
    tasks = [make_task(spec, p, base_dir) for p in points]
    axes = [{"kind": "grid", **a.describe()} for a in grid_axes] + \
           [{"kind": "sample", **a.describe()} for a in sample_axes]
    return points, tasks, axes


def open_sweep(store: RunStore, spec: ExperimentSpec, points: list[dict], tasks: list[dict], *, axes: list,
               settings: dict | None = None, name: str | None = None, fresh: bool = False) -> tuple[str, bool]:
    """The sweep with exactly these trials, to resume (unless ``fresh``), or a new one. Returns (id, resumed)."""
    records = SweepRecords(store)
    fp = fingerprint(tasks)
    if not fresh:
        found = records.find(fp)
        if found is not None:
            return found.id, True
    sweep_id = records.create(name=name or spec.name, fingerprint=fp, spec_text=dumps(spec), spec_format="toml",
                              axes=axes, settings=settings or {}, trials=list(zip(points, tasks)))
    return sweep_id, False
