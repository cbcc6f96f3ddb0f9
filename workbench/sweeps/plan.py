"""The trials of a sweep: the grid axes crossed, times N random draws from the sampled axes.

A trial is a plain, JSON-able ``task``: the full spec text and the run options a worker needs to train it,
so a worker on another machine needs nothing from this one but the data. The same axes on the same spec give
the same trials, and so the same fingerprint: re-running a sweep finds the record to resume.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import UserError
from workbench.spec import dumps
from workbench.spec.model import ExperimentSpec
from workbench.sweeps.axes import Axis, apply_point, check_values, parse_axis

MAX_TRIALS = 10_000
MAX_RANDOM = 10_000


def _format_value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def point_label(point: dict) -> str:
    return " ".join(f"{k}={_format_value(v)}" for k, v in point.items())


def make_task(spec: ExperimentSpec, point: dict, base_dir: str | Path | None, *, name: str | None = None,
              tags: list[str] | None = None) -> dict:
    """What a worker needs to train one trial (plain data; see ``workbench.sweeps.worker.run_trial``)."""
    trial_spec, opts = apply_point(spec, point)
    return {"spec_text": dumps(trial_spec), "spec_format": "toml", "head": opts.head, "engine": opts.engine,
            "epochs": opts.epochs, "seed": opts.seed, "base_dir": str(base_dir) if base_dir else None,
            "name": name or f"{spec.name} [{opts.head}] {point_label(point)}".strip(), "tags": list(tags or [])}


def parse_axes(base: ExperimentSpec, grid: list[str], sample: list[str]) -> tuple[list[Axis], list[Axis]]:
    grid_axes = [parse_axis(t, grid=True, flag="--grid") for t in grid]
    sample_axes = [parse_axis(t, grid=False, flag="--sample") for t in sample]
    seen: set[str] = set()
    for flag, axes in (("--grid", grid_axes), ("--sample", sample_axes)):
        for axis in axes:
            if axis.name in seen:
                raise UserError(f"{flag} {axis.text}: axis {axis.name!r} is given twice")
            seen.add(axis.name)
            check_values(base, axis, flag)
    return grid_axes, sample_axes


def _draw(axis: Axis, rng: np.random.Generator) -> Any:
    if not axis.is_range:
        return axis.values[int(rng.integers(len(axis.values)))]
    if axis.integer:
        return int(rng.integers(int(axis.low), int(axis.high) + 1))
    if axis.log:
        value = math.exp(rng.uniform(math.log(axis.low), math.log(axis.high)))
    else:
        value = rng.uniform(axis.low, axis.high)
    return float(f"{value:.6g}")


def make_points(grid_axes: list[Axis], sample_axes: list[Axis], n_random: int | None,
                sample_seed: int = 0) -> list[dict]:
    if sample_axes and n_random is None:
        raise UserError("--sample: sampled axes need --random N, the number of draws")
    if n_random is not None and not 1 <= n_random <= MAX_RANDOM:
        raise UserError(f"--random: between 1 and {MAX_RANDOM} draws, got {n_random}")
    n_grid = math.prod(len(a.values) for a in grid_axes)
    draws = n_random or 1
    if n_grid * draws > MAX_TRIALS:
        raise UserError(f"--grid: {n_grid * draws} trials; a sweep holds at most {MAX_TRIALS}")
    rng = np.random.default_rng(sample_seed)
    sampled = [{a.name: _draw(a, rng) for a in sample_axes} for _ in range(draws)]
    points = []
    for combo in itertools.product(*(a.values for a in grid_axes)):
        base = dict(zip((a.name for a in grid_axes), combo))
        points.extend({**base, **s} for s in sampled)
    return points


def fingerprint(tasks: list[dict]) -> str:
    text = json.dumps(tasks, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]
