"""Noise comparison: the same weights evaluated ideally, under uniform channels and under fake IBM backends.

``evaluate_noise(program, weights, h, labels, backends)`` works on the quantum head alone (h: the backbone's
output for the test inputs), so it needs no training; ``qmtl noise`` feeds it a trained run's test split.

Backends (one string each):
- ``ideal``: the torch statevector engine (exact);
- a uniform noise spec such as ``depolarizing:0.01`` or ``depolarizing:0.001/0.01+readout:0.02`` (see
  ``engines/noise_model.py``): the torch density-matrix engine (exact; the same numbers as Aer with those
  channels);
- a fake backend such as ``fake_hanoi``: the Aer engine with the backend's full noise model on the transpiled
  circuit cut to the physical qubits it touches (``engine="aer"``, default), or the density engine's calibrated
  model of it on the circuit's own qubits (``engine="density"``). A head with Pauli-word readouts always gets the
  density engine's calibrated model: the Aer path measures computational-basis outcomes only (the report's note
  says so).

How it runs: first every backend is planned (``noise_plan``: transpiled depth, two-qubit gates, physical qubits
touched, state size, time estimate) and the whole comparison is refused up front, with the figures and the
options, if one of them cannot finish. Then each backend computes, once, the exact outcome distribution of every
task's measured bits (the exact expectation of each word for a Pauli-word readout); every figure
(``noise_metrics``) comes from it: exact accuracy, macro-F1, loss, margin, contraction of the readout, distance
from the ideal class distribution and expectations, and accuracy under ``shots`` measurements per input (sampled
as hardware would, repeated for a 95 % interval). Regression tasks are left out: these are classification
figures. ``progress`` gets a
``NoiseProgress`` per step (per chunk of inputs while simulating); ``cancel`` (anything with a ``cancelled``
attribute) stops between chunks, and the report keeps the backends already done (``cancelled`` set).
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from workbench.analysis.noise_metrics import TaskScore, accuracy, macro_f1, score_pauli_task, score_task
from workbench.circuits.ir import QMTLProgram
from workbench.errors import UserError

ENGINES = ("aer", "density")
__all__ = ["BackendResult", "CancelToken", "Cancelled", "NoiseProgress", "NoiseReport", "TaskScore", "accuracy",
           "evaluate_noise", "macro_f1", "parse_backends", "store_report", "trained_inputs"]


@dataclass(frozen=True)
class BackendChoice:
    label: str  # as the user wrote it
    kind: str  # ideal | channels | device
    name: str  # canonical: "ideal", the noise spec text, or fake_xxx


def parse_backends(items: str | list[str], n_qubits: int, where: str = "--backends") -> list[BackendChoice]:
    """Validate every backend before anything runs: unknown names and too-small devices are one-line errors."""
    from workbench.engines import fake_backends
    from workbench.engines.noise_model import NoiseSpec

    if isinstance(items, str):
        items = [s for s in (part.strip() for part in items.split(",")) if s]
    if not items:
        raise UserError(f"{where}: give at least one backend (e.g. ideal,depolarizing:0.01,fake_hanoi)")
    out = []
    for item in items:
        if item.lower() in ("ideal", "none", "noiseless"):
            out.append(BackendChoice(item, "ideal", "ideal"))
        elif ":" in item:
            NoiseSpec.parse(item, where=where)
            out.append(BackendChoice(item, "channels", item))
        else:
            name = fake_backends.resolve(item, where=where)
            fake_backends.require_qubits(name, n_qubits, where=where)
            out.append(BackendChoice(item, "device", name))
    return out


# ----------------------------------------------------------------------------------------------- results
@dataclass
class BackendResult:
    backend: str
    kind: str
    engine: str  # torch | density | aer
    description: str
    seconds: float  # prepare + simulate + scoring
    inputs: int
    shots: int | None
    tasks: dict[str, TaskScore] = field(default_factory=dict)
    executor: str = ""  # statevector | density | ptm | aer
    prepare_seconds: float = 0.0  # transpiling, noise model, compiling the executor
    simulate_seconds: float = 0.0
    plan: dict = field(default_factory=dict)  # BackendPlan.as_dict()

    @property
    def inputs_per_s(self) -> float:
        return self.inputs / self.simulate_seconds if self.simulate_seconds > 0 else float("inf")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["tasks"] = {t: s.as_dict() for t, s in self.tasks.items()}
        d["inputs_per_s"] = self.inputs_per_s
        return d


@dataclass
class NoiseReport:
    inputs: int
    shots: int | None
    engine: str
    results: list[BackendResult]
    title: str = ""
    note: str = ""
    repeats: int = 0  # shot resamplings behind each interval
    cancelled: bool = False  # stopped by the user: ``results`` holds the backends finished before
    seconds: float = 0.0  # the whole comparison

    def as_dict(self) -> dict:
        return {"title": self.title, "inputs": self.inputs, "shots": self.shots, "repeats": self.repeats,
                "engine": self.engine, "note": self.note, "cancelled": self.cancelled,
                "seconds": round(self.seconds, 3), "results": [r.as_dict() for r in self.results]}

    def rows(self) -> list[dict]:
        out = []
        for r in self.results:
            for task, s in r.tasks.items():
                row = {"backend": r.backend, "engine": r.engine, "executor": r.executor, "task": task}
                row.update({k: getattr(s, k) for k in SCORE_COLUMNS})
                row.update({"shots": r.shots, "inputs": r.inputs, "seconds": round(r.seconds, 3)})
                out.append(row)
        return out

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
        w.writeheader()
        for row in self.rows():
            w.writerow({k: ("" if v is None else v) for k, v in row.items()})
        return buf.getvalue()

    def summary(self) -> dict:
        """Compact form for a run's summary: backend -> task -> metrics."""
        return {r.backend: {t: s.as_dict() for t, s in r.tasks.items()} for r in self.results}


SCORE_COLUMNS = tuple(TaskScore.__dataclass_fields__)
CSV_COLUMNS = ("backend", "engine", "executor", "task") + SCORE_COLUMNS + ("shots", "inputs", "seconds")


@dataclass
class NoiseProgress:
    """One step of a comparison, for progress bars: ``phase`` is plan | prepare | simulate | done."""

    backend: str
    index: int  # of the backend, from 0
    total: int  # backends
    phase: str
    done: float = 0.0  # inputs simulated so far (simulate)
    inputs: int = 0
    elapsed: float = 0.0  # seconds since this backend started
    est_seconds: float = 0.0  # the plan's estimate for this backend
    message: str = ""


class Cancelled(Exception):
    """Raised inside an evaluation when its cancel token is set."""


class CancelToken:
    """Set from any thread (a signal handler, a GUI button); the evaluation stops between chunks of inputs."""

    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


# --------------------------------------------------------------------------------------------- evaluation
def _marginal(states: torch.Tensor, wires: tuple[int, ...], n: int) -> np.ndarray:
    """Outcome distribution (B, 2^k) of ``wires`` (first most significant) from statevectors (B, 2^n)."""
    p = (states.abs() ** 2).double().reshape(-1, *([2] * n))
    others = tuple(1 + w for w in range(n) if w not in wires)
    p = p.sum(dim=others) if others else p
    kept = sorted(wires)
    p = p.permute(0, *[1 + kept.index(w) for w in wires])
    return p.reshape(p.shape[0], -1).numpy()


def _pauli_tasks(program: QMTLProgram) -> list[str]:
    return [t.name for t in program.tasks if t.readout.kind == "pauli"]


class _Backend:
    """One backend's engine, its plan, and what it measures exactly (``measured``)."""

    def __init__(self, choice: BackendChoice, program: QMTLProgram, engine: str, inputs: int):
        from workbench.analysis import noise_plan
        from workbench.engines import fake_backends
        from workbench.engines.aer_engine import AerEngine
        from workbench.engines.density_engine import DensityEngine
        from workbench.engines.torch_engine import TorchEngine

        self.choice, self.program = choice, program
        self.fallback = ""  # why this backend runs on another engine than the one asked for
        pauli = _pauli_tasks(program)
        if choice.kind == "device" and engine == "aer" and pauli:
            self.fallback = (f"{choice.label}: task {pauli[0]!r} reads Pauli words, which the Aer path does not "
                             f"measure; evaluated with the density engine's calibrated model of {choice.name} "
                             "(as --engine density)")
        if choice.kind == "ideal":
            self.engine_name, self.sim = "torch", TorchEngine(program, dtype="complex128")
            self.plan = noise_plan.plan_statevector(choice.label, program, inputs)
        elif choice.kind == "device" and engine == "aer" and not pauli:
            self.engine_name, self.sim = "aer", AerEngine(program, choice.name, precision="single")
            self.plan = noise_plan.plan_device(choice.label, program, self.sim, inputs)
        else:
            noise = fake_backends.calibrated_noise(choice.name, program) if choice.kind == "device" else choice.name
            self.engine_name, self.sim = "density", DensityEngine(program, noise, dtype="complex64")
            self.plan = noise_plan.plan_density(choice.label, choice.kind, program, self.sim, inputs)
            if self.fallback:
                self.plan.detail = f"{self.plan.detail} (density engine: the head reads Pauli words)"

    def measured(self, h: torch.Tensor, weights: dict, tick) -> dict[str, np.ndarray]:
        """Per task: the exact outcome distribution of its measured bits (N, 2^k), or for a Pauli-word readout
        the exact expectation of each word (N, W)."""
        from workbench.engines.pauli import PauliExpectations

        with torch.no_grad():
            if self.engine_name == "torch":
                tick(0)
                states = self.sim.final_states(h, weights)
                n = self.program.n_qubits
                out = {t.name: PauliExpectations(t.readout.words, n)(states[t.name]).numpy()
                       if t.readout.kind == "pauli" else _marginal(states[t.name], t.readout.wires, n)
                       for t in self.program.tasks}
                tick(h.shape[0])
                return out
            if self.engine_name == "density":
                got = self.sim.measured(h, weights, tick=tick)
            else:
                got = self.sim.outcome_probabilities(h, weights, tick=tick)
        return {k: (v.double().cpu().numpy() if torch.is_tensor(v) else np.asarray(v, dtype=np.float64))
                for k, v in got.items()}


def evaluate_noise(program: QMTLProgram, weights: dict, h, labels, backends: str | list, *,
                   shots: int | None = 1024, engine: str = "aer", seed: int = 0, repeats: int = 200,
                   max_seconds: float | None = None, progress: Callable[[NoiseProgress], None] | None = None,
                   cancel=None) -> NoiseReport:
    """Per-task figures of the head under each backend, for inputs ``h`` (N, n_features) and ``labels`` (N, T)
    in the program's task order. ``shots``: the shot budget of the ``shots_*`` figures (None or 0: exact only)."""
    from workbench.analysis import noise_plan

    t_start = time.perf_counter()
    if engine not in ENGINES:
        raise UserError(f"--engine: {engine!r} is not one of {', '.join(ENGINES)}")
    if shots is not None and shots < 0:
        raise UserError(f"--shots: must be >= 0, got {shots}")
    if repeats < 1:
        raise UserError(f"--repeats: must be >= 1, got {repeats}")
    shots = shots or None
    choices = backends if isinstance(backends, list) and all(isinstance(b, BackendChoice) for b in backends) \
        else parse_backends(backends, program.n_qubits)
    h = torch.as_tensor(np.asarray(h.detach().cpu() if torch.is_tensor(h) else h, dtype=np.float64))
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.shape != (h.shape[0], len(program.tasks)):
        raise UserError(f"labels: expected shape ({h.shape[0]}, {len(program.tasks)}), got {labels.shape}")
    weights = {k: (v.detach() if torch.is_tensor(v) else torch.as_tensor(v)).double() for k, v in weights.items()}
    say = progress or (lambda ev: None)
    N = int(h.shape[0])
    report = NoiseReport(N, shots, engine, [], repeats=repeats if shots else 0)
    scored = [(k, t) for k, t in enumerate(program.tasks) if not t.readout.regression]
    notes = []
    if len(scored) < len(program.tasks):
        left = ", ".join(repr(t.name) for t in program.tasks if t.readout.regression)
        notes.append(f"regression task(s) {left} left out: these are classification figures")

    def stop_if_cancelled() -> None:
        if cancel is not None and cancel.cancelled:
            raise Cancelled

    # plan every backend before simulating any: refuse up front what cannot finish
    planned: list[tuple[_Backend, float]] = []
    try:
        for i, b in enumerate(choices):
            stop_if_cancelled()
            say(NoiseProgress(b.label, i, len(choices), "plan", inputs=N, message="planning"))
            t0 = time.perf_counter()
            be = _Backend(b, program, engine, N)
            noise_plan.check(be.plan, N, max_seconds, program.n_qubits)
            planned.append((be, time.perf_counter() - t0))
            if be.fallback:
                notes.append(be.fallback)
    except Cancelled:
        report.cancelled = True
        report.seconds = time.perf_counter() - t_start
        return report
    report.note = "; ".join(notes)

    ideal = None
    rng = np.random.default_rng(seed)
    for i, (be, prep_s) in enumerate(planned):
        b = be.choice
        t0 = time.perf_counter()
        done = [0.0]

        def tick(rows: float, b=b, i=i, be=be, t0=t0, done=done) -> None:
            stop_if_cancelled()
            done[0] += rows
            say(NoiseProgress(b.label, i, len(planned), "simulate", done[0], N, time.perf_counter() - t0,
                              be.plan.est_seconds))

        try:
            tick(0)
            measured = be.measured(h, weights, tick)
            if ideal is None:  # the reference for the distances from ideal (cheap: statevector)
                ideal = measured if b.kind == "ideal" else _Backend(BackendChoice("ideal", "ideal", "ideal"),
                                                                    program, engine, N).measured(h, weights,
                                                                                                 lambda r: None)
        except Cancelled:
            report.cancelled = True
            break
        sim_s = time.perf_counter() - t0
        scores = {t.name: (score_pauli_task if t.readout.kind == "pauli" else score_task)(
                      t.readout, t.classes, np.asarray(labels[:, k], dtype=np.int64), measured[t.name],
                      ideal[t.name], shots, repeats, rng)
                  for k, t in scored}
        total = prep_s + time.perf_counter() - t0
        report.results.append(BackendResult(b.label, b.kind, be.engine_name, be.plan.detail, total, N, shots, scores,
                                            executor=be.plan.executor, prepare_seconds=prep_s,
                                            simulate_seconds=sim_s, plan=be.plan.as_dict()))
        say(NoiseProgress(b.label, i, len(planned), "done", N, N, total, be.plan.est_seconds))
    report.seconds = time.perf_counter() - t_start
    return report

def trained_inputs(store, run_id: str, limit: int | None = None, where: str = "run"):
    """What ``qmtl noise RUN`` evaluates for a stored run: (program, weights, h of the test split, labels, title)."""
    from workbench.training import load_trained

    trained = load_trained(store, run_id)
    if trained.head_kind != "qmtl":
        raise UserError(f"{where}: run {trained.run_id} trained a {trained.head_kind!r} head; noise evaluation needs "
                        "the QMTL quantum head (head = qmtl)")
    return model_inputs(trained.model, trained.data, limit) + (f"{trained.spec.name} (run {trained.run_id})",)


def model_inputs(model, data, limit: int | None = None) -> tuple:
    """(program, weights, h, labels) of a QMTL model on the first ``limit`` test inputs of ``data``."""
    X, Y = data.X_test, data.Y_test
    if limit is not None:
        X, Y = X[:limit], Y[:limit]
    if len(X) == 0:
        raise UserError("the test split is empty: nothing to evaluate")
    model.eval()
    with torch.no_grad():
        h = model.backbone(torch.as_tensor(np.asarray(X, dtype=np.float32)))
    return model.head.program, {k: v.detach() for k, v in model.head.weights.items()}, h, Y


# ----------------------------------------------------------------------------------------------- storing
def store_report(store, run_id: str, report: NoiseReport) -> list[str]:
    """Write noise.json and noise.csv into the run's folder, register them as artifacts, and add the metrics to
    the run's summary under "noise" (keeping everything else in the summary)."""
    run_dir = store.run_dir(run_id)
    (run_dir / "noise.json").write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    (run_dir / "noise.csv").write_text(report.to_csv(), encoding="utf-8")
    store.add_artifact(run_id, "noise", "csv", "noise.csv")
    store.add_artifact(run_id, "noise-json", "json", "noise.json")
    summary = dict(store.get(run_id).summary or {})
    noise = dict(summary.get("noise") or {})
    noise.update(report.summary())
    summary["noise"] = noise
    store.set_summary(run_id, summary)
    return ["noise.json", "noise.csv"]
