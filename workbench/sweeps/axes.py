"""Sweep axes: ``NAME=VALUES`` over a run option or any spec field, parsed and checked before anything runs.

Names: the run options ``head``, ``seed`` (weights and batch order), ``engine`` and ``epochs``; ``tasks`` (the
first k tasks of the data, or k synthetic tasks); or a dotted spec path such as ``quantum.default_block.layers``
or ``dataset.options.relatedness``. Values: a list ``1,2,4`` / ``qmtl,hps``; an integer range ``0..4``
(inclusive); a number range ``1e-3..1e-1`` with ``:N`` evenly spaced grid points and ``:log`` for a geometric
spacing (grid) or a log-uniform draw (random). Every value is applied to the base spec and validated up front,
so a bad one fails in one line naming the axis and the value.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from dataclasses import dataclass
from typing import Any

from workbench.errors import SpecError, UserError
from workbench.models.heads import HEADS as HEAD_NAMES
from workbench.spec import spec_from_dict, spec_to_dict
from workbench.spec.model import ExperimentSpec, TaskSpec
from workbench.spec.vocabulary import ENGINES

RUN_OPTIONS = ("head", "seed", "engine", "epochs")
TASKS_AXIS = "tasks"
MAX_VALUES = 1000  # per axis
MAX_TASKS = 64  # what the synthetic generator accepts

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_RANGE = re.compile(r"^(?P<lo>[^.:][^:]*?)\.\.(?P<hi>[^:]+)(?P<mods>(:[^:]+)*)$")


@dataclass(frozen=True)
class Axis:
    """One axis. ``values`` for a list (and an expanded grid range); ``low``/``high`` for a sampled range."""

    name: str
    values: tuple = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    text: str = ""  # as the user wrote it

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def describe(self) -> dict:
        return {"name": self.name, "text": self.text}


def _scalar(token: str) -> Any:
    t = token.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        value = float(t)
    except ValueError:
        return t
    return value if math.isfinite(value) else t


def _number(axis: str, token: str) -> float:
    value = _scalar(token)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(f"{axis}: {token!r} is not a number")
    return value


def parse_axis(text: str, *, grid: bool, flag: str) -> Axis:
    """``NAME=VALUES`` from ``--grid`` (``grid=True``: every value is a trial) or ``--random``-sampled axes."""
    name, sep, values = text.partition("=")
    name, values = name.strip(), values.strip()
    where = f"{flag} {text}"
    if not sep or not name or not values:
        raise UserError(f"{where}: expected NAME=VALUES, e.g. head=qmtl,hps or seed=0..4")
    if not _NAME.match(name):
        raise UserError(f"{where}: {name!r} is not an option or a dotted spec field")
    m = _RANGE.match(values)
    if m and "," not in values:
        lo, hi = _number(where, m["lo"]), _number(where, m["hi"])
        mods = [s for s in m["mods"].split(":") if s]
        log = "log" in mods
        counts = [s for s in mods if s != "log"]
        if len(counts) > 1 or (counts and not counts[0].isdigit()):
            raise UserError(f"{where}: after a range come ':N' (grid points) and ':log', got {m['mods']!r}")
        if lo > hi:
            raise UserError(f"{where}: the range runs from {lo} down to {hi}; write it low..high")
        if log and lo <= 0:
            raise UserError(f"{where}: a log range needs a positive lower end, got {lo}")
        integer = isinstance(lo, int) and isinstance(hi, int) and not log and not counts
        if counts:
            n = int(counts[0])
            if not 1 <= n <= MAX_VALUES:
                raise UserError(f"{where}: between 1 and {MAX_VALUES} grid points, got {n}")
            if n == 1:
                pts = [float(lo)]
            elif log:
                pts = [math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * i / (n - 1)) for i in range(n)]
            else:
                pts = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
            return Axis(name, tuple(float(f"{p:.12g}") for p in pts), text=text)
        if integer and grid:
            if hi - lo + 1 > MAX_VALUES:
                raise UserError(f"{where}: {hi - lo + 1} values; an axis holds at most {MAX_VALUES}")
            return Axis(name, tuple(range(lo, hi + 1)), text=text)
        if grid:
            raise UserError(f"{where}: a number range on a grid needs a point count, e.g. {m['lo']}..{m['hi']}:5"
                            f"{':log' if log else ''} (or sample it with --random N)")
        return Axis(name, low=lo, high=hi, log=log, integer=integer, text=text)
    items = [v.strip() for v in values.split(",")]
    if any(not v for v in items):
        raise UserError(f"{where}: an empty value in the list {values!r}")
    if len(items) > MAX_VALUES:
        raise UserError(f"{where}: {len(items)} values; an axis holds at most {MAX_VALUES}")
    parsed = tuple(dict.fromkeys(_scalar(v) for v in items))
    return Axis(name, parsed, text=text)


# --------------------------------------------------------------------------------------------- applying
@dataclass
class RunOptions:
    head: str = "qmtl"
    seed: int | None = None
    engine: str | None = None
    epochs: int | None = None


def _field_type(path: str) -> Any:
    """The declared type at a dotted spec path, or a SpecError naming the first unknown part."""
    tp: Any = ExperimentSpec
    walked = []
    for part in path.split("."):
        walked.append(part)
        if typing.get_origin(tp) is dict or tp is Any:
            tp = Any
            continue
        if not dataclasses.is_dataclass(tp):
            raise SpecError(".".join(walked[:-1]), "is a single value; it has no fields")
        hints = typing.get_type_hints(tp)
        if part not in hints:
            raise SpecError(".".join(walked), f"unknown field (valid: {', '.join(sorted(hints))})")
        tp = hints[part]
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and dataclasses.is_dataclass(args[0]):  # Optional[BlockSpec] and the like
            tp = args[0]
    return tp


def check_axis_name(name: str) -> None:
    if name in RUN_OPTIONS or name == TASKS_AXIS:
        return
    if name.startswith("tasks."):
        raise SpecError(name, "per-task fields cannot be swept; use tasks=K for the number of tasks")
    _field_type(name)


def _set_tasks(data: dict, k: Any, spec: ExperimentSpec) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_TASKS:
        raise SpecError("tasks", f"a task count between 1 and {MAX_TASKS}, got {k!r}")
    tasks = data["tasks"]
    if spec.dataset.source != "synthetic":
        if k > len(tasks):
            raise SpecError("tasks", f"the spec has {len(tasks)} tasks of {spec.dataset.source} data, so at most "
                                     f"{len(tasks)} (synthetic data can have any number)")
        data["tasks"] = tasks[:k]
        return
    opts = data["dataset"].setdefault("options", {})
    if k > len(tasks) and (opts.get("task_names") or any(t.get("label") for t in tasks)):
        raise SpecError("tasks", f"the spec names its {len(tasks)} synthetic tasks; it cannot grow to {k}")
    classes = opts.get("classes", [t["classes"] for t in tasks])
    per_task = list(classes) if isinstance(classes, list) else [classes] * len(tasks)
    per_task = [per_task[i % len(per_task)] for i in range(k)]
    if isinstance(opts.get("task_names"), list):
        opts["task_names"] = opts["task_names"][:k]
    opts["tasks"], opts["classes"] = k, per_task
    data["tasks"] = tasks[:k] + [dataclasses.asdict(TaskSpec(name=f"task_{i}", classes=per_task[i]))
                                 for i in range(len(tasks), k)]


def _check_option(name: str, value: Any) -> None:
    if name == "head" and value not in HEAD_NAMES:
        raise SpecError("head", f"{value!r} is not one of {', '.join(HEAD_NAMES)}")
    if name == "engine" and value not in ENGINES:
        raise SpecError("engine", f"{value!r} is not one of {', '.join(ENGINES)}")
    if name in ("seed", "epochs"):
        low = 0 if name == "seed" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise SpecError(name, f"an integer >= {low}, got {value!r}")


def apply_point(base: ExperimentSpec, point: dict[str, Any]) -> tuple[ExperimentSpec, RunOptions]:
    """The spec and run options of one trial: the base with the point's values set, validated."""
    opts = RunOptions()
    data = spec_to_dict(base)
    if TASKS_AXIS in point:
        _set_tasks(data, point[TASKS_AXIS], base)
    for name, value in point.items():
        if name in RUN_OPTIONS:
            _check_option(name, value)
            setattr(opts, name, value)
        elif name != TASKS_AXIS:
            tp = _field_type(name)
            if tp is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            node = data
            parts = name.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise SpecError(name, "is inside a single value")
            node[parts[-1]] = value
    return spec_from_dict(data), opts


def check_values(base: ExperimentSpec, axis: Axis, flag: str) -> None:
    """Every listed value (or both ends of a range) applied alone to the base spec; the first bad one raises."""
    try:
        check_axis_name(axis.name)
    except SpecError as exc:
        raise UserError(f"{flag} {axis.text}: {exc}") from None
    if axis.is_range:
        lo = int(axis.low) if axis.integer else axis.low
        hi = int(axis.high) if axis.integer else axis.high
        samples = [lo, hi]
    else:
        samples = list(axis.values)
    for value in samples:
        try:
            apply_point(base, {axis.name: value})
        except UserError as exc:  # SpecError too
            raise UserError(f"{flag} {axis.name}={value}: {exc}") from None
