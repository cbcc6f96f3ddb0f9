"""Getting runs out of the store: metrics as CSV, side-by-side comparison, spec diffs."""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from workbench.runs.store import RunStore

CSV_COLUMNS = ["run_id", "name", "step", "epoch", "split", "key", "value", "time"]

# Params worth a column when comparing runs: they say which model and simulator produced the numbers.
COMPARE_PARAM_ROOTS = ("head", "engine")


def export_metrics_csv(store: RunStore, run_ids: Iterable[str], path_or_file: str | Path | IO[str]) -> int:
    """Write every metric row of the runs, in run order; returns the number of rows written."""
    if isinstance(path_or_file, str | Path):
        with open(path_or_file, "w", newline="", encoding="utf-8") as handle:
            return _write_metrics(store, run_ids, handle)
    return _write_metrics(store, run_ids, path_or_file)


def _write_metrics(store: RunStore, run_ids: Iterable[str], handle: IO[str]) -> int:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for run_id in run_ids:
        name = store.get(run_id).name
        for row in store.metrics(run_id):
            # repr round-trips floats exactly; an empty cell is how CSV readers expect a missing value
            value = "" if math.isnan(row.value) else repr(row.value)
            writer.writerow([run_id, name, row.step, row.epoch, row.split, row.key, value, f"{row.time:.6f}"])
            count += 1
    return count


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"test": {"digit": {"accuracy": 0.9}}}`` -> ``{"test.digit.accuracy": 0.9}``."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_compare_param(key: str) -> bool:
    return any(part in COMPARE_PARAM_ROOTS for part in key.split("."))


def compare_runs(store: RunStore, run_ids: Iterable[str]) -> tuple[list[str], list[list[Any]]]:
    """One row per run: id, name, status, head/engine params, then every numeric summary figure.

    Columns are the union over the runs (a run lacking one gets None), so runs of different shapes still
    line up; summary columns keep the order the first run that has them wrote them in.
    """
    infos = [store.get(run_id) for run_id in run_ids]
    params = [flatten(info.params) for info in infos]
    summaries = [{k: v for k, v in flatten(info.summary).items() if _is_number(v)} for info in infos]

    param_keys = sorted({k for p in params for k in p if _is_compare_param(k)})
    summary_keys: list[str] = []
    for summary in summaries:
        summary_keys.extend(k for k in summary if k not in summary_keys)

    headers = ["id", "name", "status", *param_keys, *summary_keys]
    rows = [
        [info.id, info.name, info.status, *(p.get(k) for k in param_keys), *(s.get(k) for k in summary_keys)]
        for info, p, s in zip(infos, params, summaries, strict=True)
    ]
    return headers, rows


def spec_diff(store: RunStore, a: str, b: str) -> list[str]:
    """Unified diff (lines without newlines) from run ``a``'s spec to run ``b``'s; empty when identical."""
    text_a, format_a = store.spec(a)
    text_b, format_b = store.spec(b)
    return list(
        difflib.unified_diff(
            text_a.splitlines(),
            text_b.splitlines(),
            fromfile=f"{a}/spec.{format_a}",
            tofile=f"{b}/spec.{format_b}",
            lineterm="",
        )
    )
