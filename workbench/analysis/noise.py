"""Noise comparison: the same weights evaluated ideally, under uniform channels and under fake IBM backends.

``evaluate_noise(program, weights, h, labels, backends)`` works on the quantum head alone (h: the backbone's
output for the test inputs), so it needs no training; ``qmtl noise`` feeds it a trained run's test split.

Backends (one string each):
- ``ideal``: the torch statevector engine (exact);
- a uniform noise spec such as ``depolarizing:0.01`` or ``depolarizing:0.001/0.01+readout:0.02`` (see
  ``engines/noise_model.py``): the torch density-matrix engine (exact; the same numbers as Aer with those
  channels);
- a fake backend such as ``fake_hanoi``: the Aer engine with the backend's full noise model on the transpiled
  circuit (``engine="aer"``, default), or the density engine's calibrated model of it (``engine="density"``).

Without shots the readouts are exact expectation values (what infinitely many shots would give). With ``shots``
each input is measured that many times (Aer samples for Aer, multinomial samples of the exact outcome
distribution otherwise) and every metric gets a shot error bar: the standard deviation of the metric over
parametric-bootstrap resamples of the measured counts.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from workbench.circuits.ir import QMTLProgram
from workbench.errors import UserError
from workbench.models.readout import readout_logits

ENGINES = ("aer", "density")
CSV_COLUMNS = ("backend", "engine", "task", "accuracy", "accuracy_se", "macro_f1", "macro_f1_se", "shots",
               "inputs", "seconds")


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


# ------------------------------------------------------------------------------------------------ metrics
def accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(y == pred)) if len(y) else float("nan")


def macro_f1(y: np.ndarray, pred: np.ndarray, classes: int) -> float:
    """Mean F1 over the classes present in the labels or the predictions (scikit-learn's convention)."""
    cm = np.bincount(y * classes + pred, minlength=classes * classes).reshape(classes, classes)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(0) + cm.sum(1)
    present = denom > 0
    if not present.any():
        return float("nan")
    return float((2 * tp[present] / denom[present]).mean())


def predictions(raw: np.ndarray | torch.Tensor, readout) -> np.ndarray:
    r = torch.as_tensor(np.asarray(raw, dtype=np.float64) if not torch.is_tensor(raw) else raw.double())
    return readout_logits(r, readout).argmax(-1).cpu().numpy()


def _raw_from_counts(counts: np.ndarray, readout) -> np.ndarray:
    from workbench.engines.density_engine import readout_from_counts

    return readout_from_counts(counts, readout)[0]


@dataclass
class TaskScore:
    accuracy: float
    macro_f1: float
    accuracy_se: float | None = None
    macro_f1_se: float | None = None


@dataclass
class BackendResult:
    backend: str
    kind: str
    engine: str
    description: str
    seconds: float
    inputs: int
    shots: int | None
    tasks: dict[str, TaskScore] = field(default_factory=dict)

    @property
    def inputs_per_s(self) -> float:
        return self.inputs / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict:
        d = asdict(self)
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

    def as_dict(self) -> dict:
        return {"title": self.title, "inputs": self.inputs, "shots": self.shots, "engine": self.engine,
                "note": self.note, "results": [r.as_dict() for r in self.results]}

    def rows(self) -> list[dict]:
        out = []
        for r in self.results:
            for task, s in r.tasks.items():
                out.append({"backend": r.backend, "engine": r.engine, "task": task, "accuracy": s.accuracy,
                            "accuracy_se": s.accuracy_se, "macro_f1": s.macro_f1, "macro_f1_se": s.macro_f1_se,
                            "shots": r.shots, "inputs": r.inputs, "seconds": round(r.seconds, 3)})
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
        return {r.backend: {t: {k: v for k, v in asdict(s).items() if v is not None} for t, s in r.tasks.items()}
                for r in self.results}


# --------------------------------------------------------------------------------------------- evaluation
def _scores(program: QMTLProgram, labels: np.ndarray, raw: dict | None, counts: dict | None, shots: int | None,
            rng: np.random.Generator, bootstrap: int) -> dict[str, TaskScore]:
    out = {}
    for k, t in enumerate(program.tasks):
        if t.readout.regression:  # accuracy and macro-F1 do not apply to a continuous target
            continue
        y = np.asarray(labels[:, k], dtype=np.int64)
        if counts is None:
            pred = predictions(raw[t.name], t.readout)
            out[t.name] = TaskScore(accuracy(y, pred), macro_f1(y, pred, t.classes))
            continue
        c = counts[t.name]
        pred = predictions(_raw_from_counts(c, t.readout), t.readout)
        accs, f1s = [], []
        p = c / c.sum(axis=1, keepdims=True)
        for _ in range(bootstrap):
            resampled = rng.multinomial(shots, p)
            bp = predictions(_raw_from_counts(resampled, t.readout), t.readout)
            accs.append(accuracy(y, bp))
            f1s.append(macro_f1(y, bp, t.classes))
        out[t.name] = TaskScore(accuracy(y, pred), macro_f1(y, pred, t.classes), float(np.std(accs, ddof=1)),
                                float(np.std(f1s, ddof=1)))
    return out


def evaluate_noise(program: QMTLProgram, weights: dict, h, labels, backends: str | list, *, shots: int | None = None,
                   engine: str = "aer", seed: int = 0, bootstrap: int = 100,
                   progress: Callable[[str], None] | None = None) -> NoiseReport:
    """Per-task accuracy and macro-F1 of the head under each backend, for inputs ``h`` (N, n_features) and
    ``labels`` (N, T) in the program's task order."""
    from workbench.engines import fake_backends
    from workbench.engines.aer_engine import AerEngine
    from workbench.engines.density_engine import DensityEngine
    from workbench.engines.torch_engine import TorchEngine

    if engine not in ENGINES:
        raise UserError(f"--engine: {engine!r} is not one of {', '.join(ENGINES)}")
    if shots is not None and shots < 1:
        raise UserError(f"--shots: must be >= 1, got {shots}")
    choices = backends if isinstance(backends, list) and all(isinstance(b, BackendChoice) for b in backends) \
        else parse_backends(backends, program.n_qubits)
    h = torch.as_tensor(np.asarray(h.detach().cpu() if torch.is_tensor(h) else h, dtype=np.float64))
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.shape != (h.shape[0], len(program.tasks)):
        raise UserError(f"labels: expected shape ({h.shape[0]}, {len(program.tasks)}), got {labels.shape}")
    weights = {k: (v.detach() if torch.is_tensor(v) else torch.as_tensor(v)).double() for k, v in weights.items()}
    say = progress or (lambda s: None)
    # Pauli-word readouts are exact expectations of the (noisy) state: the density engine computes them, including
    # X and Y words; Aer's path and sampled shots read computational-basis outcomes only
    pauli = any(t.readout.kind == "pauli" for t in program.tasks)
    if pauli and shots:
        raise UserError("--shots: the head reads Pauli words; the noise comparison gives their exact expectations "
                        "(leave --shots out)")
    if pauli and engine == "aer":
        engine = "density"
    rng = np.random.default_rng(seed)
    mode = f"{shots} shots" if shots else "exact"
    results = []
    for b in choices:
        t0 = time.perf_counter()
        raw = counts = None
        with torch.no_grad():
            if b.kind == "device" and engine == "aer":
                eng = AerEngine(program, b.name, precision="single")
                first = program.tasks[0].name
                how = "Aer's samples" if shots else ("exact, Pauli-transfer executor" if eng.executor_used(first)
                                                     == "ptm" else "exact, Aer density matrix")
                used, desc = "aer", f"{b.name} noise model (Aer) on the ISA circuit, qubits " \
                                    f"{eng.circuit_report()[first]['active_qubits']}, {how}"
                say(f"{b.label}: Aer, {mode}, {h.shape[0]} inputs")
                if shots:
                    counts = eng.outcome_counts(h, weights, shots, seed)
                else:
                    raw = eng(h, weights)
            elif b.kind == "ideal" and not shots:
                say(f"{b.label}: torch statevector engine")
                raw = TorchEngine(program, dtype="complex128")(h, weights)
                used, desc = "torch", "ideal (statevector)"
            else:
                noise = fake_backends.calibrated_noise(b.name, program) if b.kind == "device" else b.name
                dens = DensityEngine(program, None if b.kind == "ideal" else noise, dtype="complex64")
                used, desc = "density", dens.noise.describe()
                say(f"{b.label}: torch density-matrix engine, {mode}")
                if shots:
                    probs = dens.outcome_probabilities(h, weights)
                    counts = {}
                    for t in program.tasks:
                        p = probs[t.name].double().cpu().numpy()
                        counts[t.name] = rng.multinomial(shots, p / p.sum(axis=1, keepdims=True)).astype(np.float64)
                else:
                    raw = dens(h, weights)
        seconds = time.perf_counter() - t0
        scores = _scores(program, labels, raw, counts, shots, rng, bootstrap)
        results.append(BackendResult(b.label, b.kind, used, desc, seconds, int(h.shape[0]), shots, scores))
    return NoiseReport(int(h.shape[0]), shots, engine, results)


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
