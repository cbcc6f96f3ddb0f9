"""The noise comparison's results, Qt-free: one ``Row`` per backend and task, read from a finished comparison or
from what is stored with a run (``summary["noise"]``, ``noise.json`` and ``summary["hardware"]``), and as CSV."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from dataclasses import dataclass, field

from workbench.errors import UserError
from workbench.runs.store import RunStore

FIGURES = ("accuracy", "macro_f1", "loss", "margin", "mean_abs_z", "tv_from_ideal", "shots_accuracy",
           "shots_accuracy_low", "shots_accuracy_high", "shots_macro_f1", "shots_macro_f1_low", "shots_macro_f1_high")
CSV_COLUMNS = ("backend", "source", "engine", "task") + FIGURES + ("shots", "inputs", "seconds")


@dataclass
class Row:
    """One bar: a backend's score on one task."""
    backend: str
    source: str  # simulated | hardware
    task: str
    accuracy: float
    macro_f1: float
    figures: dict = field(default_factory=dict)  # FIGURES that this row has (hardware rows: accuracy, macro_f1)
    engine: str = ""
    shots: int | None = None
    inputs: int | None = None
    seconds: float | None = None

    @property
    def series(self) -> str:
        return f"hardware: {self.backend}" if self.source == "hardware" else self.backend

    def figure(self, key: str) -> float | None:
        if key in ("accuracy", "macro_f1"):
            return getattr(self, key)
        if self.source == "hardware" and key in ("shots_accuracy", "shots_macro_f1"):
            return getattr(self, key[6:])  # measured with its shots: that is what the shot view shows
        v = self.figures.get(key)
        return None if v is None else float(v)


@dataclass
class ComparisonRequest:
    number: int
    run_id: str
    backends: list[str]
    shots: int | None
    engine: str
    limit: int | None
    seed: int
    store: bool
    started: float = field(default_factory=time.monotonic)

    def job_kwargs(self) -> dict:
        """The keyword arguments of ``analysis.background.noise_comparison``."""
        return {"run_id": self.run_id, "backends": list(self.backends), "shots": self.shots, "engine": self.engine,
                "limit": self.limit, "seed": self.seed, "store": self.store}


def rows_from_report(report) -> list[Row]:
    return [Row(r.backend, "simulated", t, s.accuracy, s.macro_f1, s.as_dict(), r.engine, r.shots, r.inputs,
                r.seconds) for r in report.results for t, s in r.tasks.items()]


def rows_from_summary(store: RunStore, run_id: str) -> list[Row]:
    """What is stored with a run: summary["noise"] (details from noise.json where it has them) and
    summary["hardware"]."""
    info = store.get(run_id)
    summary = info.summary or {}
    details = {}
    path = store.run_dir(run_id) / "noise.json"
    if path.exists():
        try:
            details = {r["backend"]: r for r in json.loads(path.read_text(encoding="utf-8")).get("results", [])}
        except (OSError, ValueError, KeyError, TypeError):
            details = {}
    rows = []
    for backend, tasks in (summary.get("noise") or {}).items():
        d = details.get(backend, {})
        for task, m in (tasks or {}).items():
            rows.append(Row(backend, "simulated", task, float(m.get("accuracy", math.nan)),
                            float(m.get("macro_f1", math.nan)), {k: m[k] for k in FIGURES if k in m},
                            d.get("engine", ""), d.get("shots"), d.get("inputs"), d.get("seconds")))
    for backend, entry in (summary.get("hardware") or {}).items():
        if not isinstance(entry, dict):
            continue
        for task, m in (entry.get("accuracy") or {}).items():
            rows.append(Row(backend, "hardware", task, float(m.get("accuracy", math.nan)),
                            float(m.get("macro_f1", math.nan)), engine="local testing mode" if entry.get("local")
                            else "IBM Quantum", shots=entry.get("shots"), inputs=entry.get("samples"),
                            seconds=entry.get("wall_s")))
    return rows


def rows_to_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        values = [r.backend, r.source, r.engine, r.task] + [r.figure(k) if k in ("accuracy", "macro_f1") else
                                                            r.figures.get(k) for k in FIGURES]
        values += [r.shots, r.inputs, None if r.seconds is None else round(r.seconds, 3)]
        w.writerow(["" if v is None else v for v in values])
    return buf.getvalue()


def series_order(rows: list[Row]) -> list[str]:
    def rank(r: Row) -> tuple:
        kind = 0 if r.backend == "ideal" and r.source != "hardware" else 1 if ":" in r.backend \
            else 3 if r.source == "hardware" else 2
        return kind, r.series

    out: list[str] = []
    for r in sorted(rows, key=rank):
        if r.series not in out:
            out.append(r.series)
    return out


def one_line(exc: BaseException | str) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, BaseException) and not isinstance(exc, UserError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."


def fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.{digits}f}" if digits else str(int(v))
