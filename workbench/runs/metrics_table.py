"""Runs side by side as one table of what decides between them: per-task test metrics, head size, circuit size,
wall time and stored noise results. ``qmtl runs table`` prints it; the runs browser shows the same rows.

Rows are plain dicts keyed by column key; a run lacking a figure has None there. ``filter_rows`` and
``sort_rows`` are the one filter and sort both front ends use.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from workbench.runs.errors import RunStoreError
from workbench.runs.naming import run_label
from workbench.runs.records import RunInfo
from workbench.runs.spec_facts import SpecFacts
from workbench.runs.store import RunStore
from workbench.textsafe import shown


@dataclass(frozen=True)
class Column:
    key: str  # what --sort, --filter and JSON use
    title: str  # what a person reads
    numeric: bool = False


LEAD = [Column("label", "Run"), Column("status", "Status"), Column("head", "Head"), Column("seed", "Seed", True),
        Column("mean_accuracy", "Mean test acc.", True)]
SIZE = [Column("head_params", "Head params", True), Column("total_params", "All params", True),
        Column("qubits", "Qubits", True), Column("depth", "Depth", True), Column("two_qubit", "2q gates", True),
        Column("wall_time_s", "Wall time (s)", True)]
TAIL = [Column("engine", "Engine"), Column("epochs", "Epochs", True), Column("tags", "Tags"), Column("note", "Note"),
        Column("created", "Created"), Column("id", "Id")]
# per-task test figures in this order (others after them, the loss last)
METRIC_ORDER = {"accuracy": 0, "macro_f1": 1, "r2": 2, "mae": 3, "spearman": 4, "loss": 99}
# the noise comparison's figures worth a column, averaged over the tasks
NOISE_FIGURES = {"accuracy": "acc.", "shots_accuracy": "shots acc."}


@dataclass
class MetricsTable:
    columns: list[Column]
    rows: list[dict[str, Any]]

    def column(self, name: str) -> Column:
        return find_column(self.columns, name)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


def _row(info: RunInfo, facts) -> dict[str, Any]:
    s, p = info.summary, info.params
    row: dict[str, Any] = {
        "id": info.id, "label": run_label(info), "name": info.name, "status": info.status,
        "head": p.get("head"), "seed": p.get("seed"), "engine": p.get("engine"), "epochs": p.get("epochs"),
        "mean_accuracy": _number(s.get("mean_test_accuracy")),
        "head_params": _number(s.get("head_params")), "total_params": _number(s.get("total_params")),
        "qubits": facts.qubits, "depth": facts.depth, "two_qubit": facts.two_qubit,
        "wall_time_s": _number(s.get("wall_time_s")),
        "tags": list(info.tags), "note": info.note, "created": info.created[:19].replace("T", " "),
    }
    for task, figures in (s.get("test") or {}).items():
        for metric, value in (figures.items() if isinstance(figures, dict) else ()):
            if _number(value) is not None:
                row[f"test.{task}.{metric}"] = value
    for backend, tasks in (s.get("noise") or {}).items():
        for figure in NOISE_FIGURES:
            values = [t.get(figure) for t in (tasks.values() if isinstance(tasks, dict) else ())
                      if isinstance(t, dict) and _number(t.get(figure)) is not None]
            if values:
                row[f"noise.{backend}.{figure}"] = sum(values) / len(values)
    return row


def metrics_table(store: RunStore, infos: Iterable[RunInfo] | None = None,
                  facts: SpecFacts | None = None) -> MetricsTable:
    """One row per run (``infos``, default every live run, newest first); columns are the union over the rows."""
    facts = facts or SpecFacts()
    rows = [_row(info, facts(store, info)) for info in (store.list_runs() if infos is None else infos)]
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(k for k in row if k.startswith(("test.", "noise."))))
    tasks = list(dict.fromkeys(k.split(".", 1)[1].rsplit(".", 1)[0] for k in seen if k.startswith("test.")))
    test_keys = sorted((k for k in seen if k.startswith("test.")),  # by task, then the deciding figures first
                       key=lambda k: (tasks.index(k.split(".", 1)[1].rsplit(".", 1)[0]),
                                      METRIC_ORDER.get(k.rsplit(".", 1)[1], len(METRIC_ORDER))))
    tests = [Column(k, f"{k.split('.', 1)[1].rsplit('.', 1)[0]} {k.rsplit('.', 1)[1]}", True) for k in test_keys]
    noise = [Column(k, f"{k.split('.', 1)[1].rsplit('.', 1)[0]} {NOISE_FIGURES[k.rsplit('.', 1)[1]]}", True)
             for k in seen if k.startswith("noise.")]
    # what decides first (accuracy, size, time), then the per-task detail
    return MetricsTable([*LEAD, *SIZE, *tests, *noise, *TAIL], rows)


def find_column(columns: list[Column], name: str) -> Column:
    """A column by key or title, ignoring case; a unique ending of a key will do (``digit.accuracy``)."""
    want = name.strip().lower()
    for c in columns:
        if want in (c.key.lower(), c.title.lower()):
            return c
    if want == "tag":
        return find_column(columns, "tags")
    ends = [c for c in columns if c.key.lower().endswith("." + want)]
    if len(ends) == 1:
        return ends[0]
    raise RunStoreError(f"column {shown(name)}: not one of {', '.join(c.key for c in columns)}")


def sort_rows(rows: list[dict], key: str, descending: bool = False) -> list[dict]:
    """Rows by one column; runs without a value come last either way, ties keep their order."""
    have = [r for r in rows if r.get(key) not in (None, "", [])]
    missing = [r for r in rows if r.get(key) in (None, "", [])]

    def value(row: dict):
        v = row[key]
        if isinstance(v, int | float) and not isinstance(v, bool):
            return (0, v, "")
        return (1, 0, ", ".join(v).lower() if isinstance(v, list) else str(v).lower())

    return sorted(have, key=value, reverse=descending) + missing


_TERM = re.compile(r"^([A-Za-z_][\w.\-]*)(<=|>=|!=|=|<|>)(.+)$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {"<=": operator.le, ">=": operator.ge, "<": operator.lt,
                                                ">": operator.gt, "=": operator.eq, "!=": operator.ne}


def _as_float(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _compare(value: Any, op: str, wanted: str) -> bool:
    if isinstance(value, list):  # tags: tag=paper holds when one of them is "paper"
        hit = any(str(v).lower() == wanted.lower() for v in value)
        return hit if op == "=" else (not hit) if op == "!=" else False
    a, b = _as_float(value), _as_float(wanted)
    if a is not None and b is not None and not isinstance(value, bool):
        return _OPS[op](a, b)
    if value is None:
        return op == "!="
    if op in ("=", "!="):
        return _OPS[op](str(value).lower(), wanted.lower())
    return False


def row_filter(expr: str, columns: list[Column]) -> Callable[[dict], bool]:
    """Every term must hold: ``COLUMN<op>VALUE`` (op one of = != < <= > >=) compares a column, any other word
    must occur in the row's text, ignoring case. ``head=qmtl mean_accuracy>0.8 paper``."""
    checks: list[Callable[[dict], bool]] = []
    for term in expr.split():
        m = _TERM.match(term)
        if m:
            column, op, wanted = find_column(columns, m.group(1)), m.group(2), m.group(3)
            checks.append(lambda row, k=column.key, op=op, w=wanted: _compare(row.get(k), op, w))
        else:
            word = term.lower()
            checks.append(lambda row, w=word: w in _row_text(row))
    return lambda row: all(check(row) for check in checks)


def _row_text(row: dict) -> str:
    return " ".join(", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in row.values()
                    if v is not None).lower()


def filter_rows(table: MetricsTable, expr: str) -> list[dict]:
    keep = row_filter(expr, table.columns)
    return [row for row in table.rows if keep(row)]
