"""A trained QMTL run on IBM hardware (or local testing mode): plan, pre-flight, execute, score, store.

The circuits come from ``workbench.circuits.export_qiskit.to_qiskit`` (shared encoder + task block + readout,
inputs ``x`` and weights ``w`` as ParameterVectors); <Z> readouts run on EstimatorV2 with the exported
observables, probability readouts on SamplerV2 with the readout wires measured (``with_measurements``). The
inputs are the backbone's outputs h for the first ``samples`` rows of the run's test split, computed on the CPU;
the head's trained weights are bound. Per-task accuracy goes into the run: metric rows under the split
``hardware:<backend>`` and ``summary["hardware"][<backend>]``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import numpy as np
import torch

from workbench.circuits.export_qiskit import to_qiskit, weight_layout, with_measurements
from workbench.circuits.ir import QMTLProgram, Readout
from workbench.errors import UserError
from workbench.hardware.circuits import CircuitTask, IsaTask, transpile_tasks
from workbench.hardware.errors import HardwareError
from workbench.hardware.execute import Executor, Reattached, reattach
from workbench.hardware.finetune import FineTuneResult, TrainTask, finetune
from workbench.hardware.mitigation import Mitigation, ignored_in_local_mode
from workbench.hardware.preflight import FineTune, Preflight, estimate
from workbench.models.readout import readout_logits
from workbench.training.metrics import accuracy, macro_f1

MAX_POOL = 512


@dataclass
class HardwareSettings:
    backend: str
    mode: str = "job"
    shots: int = 1024
    samples: int = 64
    optimization_level: int = 2
    seed_transpiler: int | None = 7
    mitigation: Mitigation = field(default_factory=Mitigation)
    finetune: FineTune | None = None
    deadline_s: float | None = None
    poll_s: float | None = None
    seed: int | None = None  # local testing mode: the simulator's seed

    def check(self) -> HardwareSettings:
        if not isinstance(self.samples, int) or self.samples < 1:
            raise UserError(f"--samples: must be >= 1, got {self.samples}")
        if not isinstance(self.shots, int) or not 1 <= self.shots <= 1_000_000:
            raise UserError(f"--shots: must be 1..1000000, got {self.shots}")
        if self.mode not in ("job", "batch", "session"):
            raise UserError(f"--mode: unknown mode {self.mode!r} (valid: job, batch, session)")
        self.mitigation.check()
        if self.finetune:
            self.finetune.check()
        return self


# --------------------------------------------------------------------------------------------- circuits
def theta_layout(program: QMTLProgram) -> dict[str, tuple[int, int]]:
    """Where each block's weights sit in the one flat vector fine-tuning moves (encoder first, then tasks)."""
    out, off = {}, 0
    for block in program.blocks():
        if block.n_weights:
            out[block.name] = (off, off + block.n_weights)
            off += block.n_weights
    return out


def flat_theta(program: QMTLProgram, weights: dict) -> np.ndarray:
    layout = theta_layout(program)
    theta = np.zeros(max((b for _, b in layout.values()), default=0))
    for name, (a, b) in layout.items():
        theta[a:b] = np.asarray(weights[name], dtype=float).reshape(-1)
    return theta


def weights_from_theta(program: QMTLProgram, theta: np.ndarray) -> dict[str, np.ndarray]:
    return {name: np.array(theta[a:b]) for name, (a, b) in theta_layout(program).items()}


def _theta_index(program: QMTLProgram, task: str, wvec) -> dict[str, int]:
    layout = theta_layout(program)
    out = {}
    for block, (start, stop) in weight_layout(program, task).items():
        base = layout[block][0]
        for i in range(start, stop):
            out[wvec[i].name] = base + (i - start)
    return out


def program_tasks(program: QMTLProgram, weights: dict, h: np.ndarray,
                  tasks: list[str] | None = None) -> tuple[list[CircuitTask], dict]:
    """One CircuitTask per task with every row of ``h`` bound (plus the weights); and per task the map from
    weight-parameter names to positions in the flat theta vector."""
    from workbench.circuits.export_qiskit import bind_values

    out, index = [], {}
    for t in program.tasks:
        if tasks is not None and t.name not in tasks:
            continue
        q = to_qiskit(program, t.name)
        estimator = t.readout.kind in ("expval", "pauli")  # Pauli words: EstimatorV2 with SparsePauliOp observables
        circuit = q.circuit if estimator else with_measurements(q)
        values = bind_values(q, h, weights, parameters=circuit.parameters)
        trainable = tuple(p.name for p in circuit.parameters if getattr(p, "vector", None) is not None
                          and p.vector.name == q.weights.name)
        obs = list(q.observables) if estimator else None
        out.append(CircuitTask(t.name, circuit, values, obs, trainable,
                               meta={"readout": t.readout.kind, "wires": list(t.readout.wires),
                                     "classes": t.readout.classes}))
        index[t.name] = _theta_index(program, t.name, q.weights)
    return out, index


def rebind(program: QMTLProgram, task: CircuitTask, weights: dict, h: np.ndarray) -> np.ndarray:
    from workbench.circuits.export_qiskit import bind_values

    q = to_qiskit(program, task.name)
    return bind_values(q, h, weights, parameters=task.circuit.parameters)


def score(raw: np.ndarray, readout: Readout, labels: np.ndarray) -> dict:
    logits = readout_logits(torch.as_tensor(np.asarray(raw, dtype=np.float64)), readout)
    y = np.asarray(labels, dtype=np.int64)
    pred = logits.argmax(-1).numpy()
    loss = float(torch.nn.functional.cross_entropy(logits.double(), torch.as_tensor(y)))
    return {"accuracy": accuracy(y, pred), "macro_f1": macro_f1(y, pred, readout.classes), "loss": loss}


# ------------------------------------------------------------------------------------------------- plan
@dataclass
class Plan:
    run_id: str
    settings: HardwareSettings
    local: bool
    backend: object
    program: QMTLProgram
    weights: dict
    task_names: list[str]
    h: np.ndarray  # (n, d) backbone outputs of the evaluated rows
    labels: np.ndarray  # (n, T) in the spec's task order
    rows: tuple[int, int]
    isa_tasks: list[IsaTask]
    theta_index: dict
    preflight: Preflight
    ideal: dict  # task -> accuracy of the CPU simulator (trained weights) on the same rows
    train_tasks: list[TrainTask] | None = None


def _head(trained, run_id: str) -> tuple[QMTLProgram, dict]:
    head = trained.model.head
    program = getattr(head, "program", None)
    if program is None or not hasattr(head, "weights"):
        raise UserError(f"RUN: run {run_id} has a {trained.head_kind!r} head; only QMTL heads (one quantum "
                        "circuit with per-task blocks) run on hardware")
    from workbench.circuits.export_native import has_amplitude

    if has_amplitude(program):
        raise UserError(f"RUN: run {run_id} uses AmplitudeEmbedding, whose state preparation cannot take "
                        "symbolic inputs: one transpiled circuit per sample is not supported on hardware")
    weights = {k: v.detach().cpu().numpy().astype(np.float64) for k, v in head.weights.items()}
    return program, weights


def make_plan(store, run_id: str, provider, settings: HardwareSettings, *, backend=None) -> Plan:
    """Everything up to (not including) submission: data, circuits, one transpile per task, the pre-flight.
    ``backend``: a backend object to use instead of looking ``settings.backend`` up (tests inject faults so)."""
    from workbench.training import load_trained

    settings.check()
    trained = load_trained(store, run_id)
    run_id = trained.run_id
    program, weights = _head(trained, run_id)
    data = trained.data
    n = min(settings.samples, len(data.X_test))
    if n == 0:
        raise UserError(f"RUN: run {run_id} has no test rows to evaluate on hardware")
    model = trained.model
    with torch.no_grad():
        X = torch.as_tensor(data.X_test[:n])
        h = model.backbone(X).double().numpy()
        ideal_out = model(X)
    names = [t.name for t in trained.spec.tasks]
    labels = np.asarray(data.Y_test[:n])
    ideal = {t: accuracy(labels[:, k], ideal_out[t].argmax(1).numpy()) for k, t in enumerate(names)}
    tasks, index = program_tasks(program, weights, h)
    backend = backend if backend is not None else provider.backend(settings.backend)
    isa = transpile_tasks(tasks, backend, optimization_level=settings.optimization_level,
                          seed_transpiler=settings.seed_transpiler)
    train_tasks = None
    if settings.finetune is not None:
        pool = min(len(data.X_train), MAX_POOL)
        with torch.no_grad():
            h_train = model.backbone(torch.as_tensor(data.X_train[:pool])).double().numpy()
        train_tasks = []
        for ct, it in zip(tasks, isa):
            t = program.task(ct.name)
            train_tasks.append(TrainTask(it, rebind(program, ct, weights, h_train),
                                         np.asarray(data.Y_train[:pool, names.index(ct.name)]),
                                         index[ct.name], logits=lambda raw, r=t.readout: readout_logits(raw, r)))
    pending = None
    try:
        pending = int(backend.status().pending_jobs)
    except Exception:  # queue length is informational
        pending = None
    pf = estimate(isa, backend, shots=settings.shots, mitigation=settings.mitigation, mode=settings.mode,
                  local=provider.local, finetune=settings.finetune, pending_jobs=pending)
    return Plan(run_id, settings, provider.local, backend, program, weights, names, h, labels, (0, n), isa, index,
                pf, ideal, train_tasks)


# -------------------------------------------------------------------------------------------- execute
@dataclass
class HardwareReport:
    run_id: str
    backend: str
    status: str  # finished | failed | cancelled | timeout
    local: bool
    mode: str
    shots: int
    samples: int
    accuracy: dict = field(default_factory=dict)  # task -> {accuracy, macro_f1, loss}
    ideal_accuracy: dict = field(default_factory=dict)
    jobs: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    job_seconds: list[float] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored_in_local_mode: list[str] = field(default_factory=list)
    mitigation: dict = field(default_factory=dict)
    finetune: dict | None = None
    error: str = ""
    preflight: dict = field(default_factory=dict)
    finished: str = ""

    @property
    def mean_accuracy(self) -> float:
        vals = [m["accuracy"] for m in self.accuracy.values()]
        return float(np.mean(vals)) if vals else float("nan")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["mean_accuracy"] = self.mean_accuracy
        return d


def _store_report(store, report: HardwareReport) -> None:
    info = store.get(report.run_id)
    summary = dict(info.summary)
    hw = dict(summary.get("hardware") or {})
    entry = report.as_dict()
    entry.pop("run_id", None)
    entry.pop("preflight", None)
    entry["preflight"] = {k: report.preflight.get(k) for k in ("bindings", "circuits", "total_shots", "qpu_s",
                                                               "total_qpu_s", "jobs")}
    hw[report.backend] = entry
    summary["hardware"] = hw
    store.set_summary(report.run_id, summary)


def _log_accuracy(store, run_id: str, backend: str, acc: dict) -> None:
    if not acc:
        return
    split = f"hardware:{backend}"
    step = len(store.metrics(run_id, key="mean_accuracy", split=split))
    rows = [(step, 0, split, f"{task}.{k}", float(v)) for task, m in acc.items() for k, v in m.items()]
    rows.append((step, 0, split, "mean_accuracy", float(np.mean([m["accuracy"] for m in acc.values()]))))
    store.log_metrics(run_id, rows)


def execute_plan(store, plan: Plan, *, primitive_factory=None,
                 on_event: Callable[[str], None] | None = None) -> HardwareReport:
    """Submit (fine-tuning steps first, if asked), wait, score and store. Hardware errors are recorded in the
    run's summary and re-raised as one-line ``HardwareError``s; every job id is in the store by then."""
    import time

    s = plan.settings
    say = on_event or (lambda _m: None)
    report = HardwareReport(plan.run_id, plan.backend.name, "running", plan.local, s.mode, s.shots,
                            plan.rows[1], ideal_accuracy=plan.ideal, mitigation=plan.preflight.mitigation,
                            preflight=plan.preflight.as_dict())
    t0 = time.monotonic()
    started = datetime.now(UTC).isoformat(timespec="microseconds")
    weights = plan.weights
    ex = Executor(store, plan.run_id, plan.backend, mode=s.mode, shots=s.shots, mitigation=s.mitigation,
                  local=plan.local, deadline_s=s.deadline_s, poll_s=s.poll_s, seed=s.seed,
                  primitive_factory=primitive_factory, on_event=say)
    base_meta = {"split": "test", "rows": list(plan.rows), "workbench_pid": os.getpid()}
    try:
        with ex:
            if s.finetune is not None and plan.train_tasks:
                ft_res = _finetune(store, plan, ex, say)
                weights = weights_from_theta(plan.program, ft_res.theta)
                report.finetune = {"method": ft_res.method, "steps": len(ft_res.history),
                                   "bindings": ft_res.bindings, "jobs": ft_res.jobs, "history": ft_res.history,
                                   "weights_file": _save_weights(store, plan, weights)}
            values = None
            if weights is not plan.weights:
                values = {it.name: rebind(plan.program, it.task, weights, plan.h) for it in plan.isa_tasks}
            j0 = time.monotonic()
            subs = ex.submit(plan.isa_tasks, values, purpose="evaluate",
                             meta={**base_meta, "weights": "finetuned" if values else "trained"})
            report.jobs.extend(x.job_id for x in subs)
            outcomes = ex.collect(subs)
            report.job_seconds.append(round(time.monotonic() - j0, 3))
        for o in outcomes:
            for task, raw in o.raw.items():
                k = plan.task_names.index(task)
                report.accuracy[task] = score(raw, plan.program.task(task).readout, plan.labels[:, k])
        report.status = "finished"
        _log_accuracy(store, plan.run_id, plan.backend.name, report.accuracy)
    except HardwareError as exc:
        report.status = {"failed": "failed", "cancelled": "cancelled", "timeout": "timeout"}.get(exc.status, "failed")
        report.error = str(exc)
        raise
    except BaseException as exc:  # Ctrl-C or a bug: the job ids are stored; say how to pick them up again
        report.status = "interrupted"
        report.error = (f"{type(exc).__name__} while waiting; the submitted jobs are recorded: collect them with "
                        f"`qmtl hardware jobs {plan.run_id} --reattach`")
        raise
    finally:
        report.wall_s = round(time.monotonic() - t0, 3)
        report.warnings = list(ex.warnings)
        report.ignored_in_local_mode = ignored_in_local_mode(ex.warnings)
        report.jobs = [j.job_id for j in store.jobs(plan.run_id)
                       if j.backend == plan.backend.name and j.created >= started]
        report.finished = datetime.now(UTC).isoformat(timespec="seconds")
        _store_report(store, report)
    return report


def _save_weights(store, plan: Plan, weights: dict) -> str:
    rel = f"hardware/finetuned-{plan.backend.name}.npz"
    path = store.run_dir(plan.run_id) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **weights)
    store.add_artifact(plan.run_id, f"hardware-finetuned-{plan.backend.name}", "weights", rel)
    return rel


def _finetune(store, plan: Plan, ex: Executor, say) -> FineTuneResult:
    ft = plan.settings.finetune
    split = f"hardware:{plan.backend.name}:finetune"

    def run_step(values: dict, k: int) -> dict:
        res = ex.run([t.isa for t in plan.train_tasks], values, purpose=f"finetune-{ft.method}-step-{k + 1}",
                     meta={"split": "train"})
        return {name: raw for name, (raw, _std) in res.items()}

    def on_step(entry: dict) -> None:
        say(f"fine-tuning step {entry['step']}/{ft.steps}: loss {entry['loss']:.4f}, "
            f"batch accuracy {entry['accuracy']:.3f}")
        store.log_metrics(plan.run_id, [(entry["step"], 0, split, "loss", entry["loss"]),
                                        (entry["step"], 0, split, "accuracy", entry["accuracy"])])

    theta0 = flat_theta(plan.program, plan.weights)
    return finetune(plan.train_tasks, theta0, ft, run_step, on_step)


# ------------------------------------------------------------------------------------------- reattach
def reattach_run(store, run_id: str | None = None, *, provider=None, deadline_s: float | None = 0.0
                 ) -> list[Reattached]:
    """Bring a run's (or every run's) jobs up to date, and score evaluation jobs whose results were not scored
    yet (a run interrupted after submitting): their accuracy then lands in the run like a normal run's."""
    found = reattach(store, run_id, provider=provider, deadline_s=deadline_s)
    todo: dict[str, list[Reattached]] = {}
    for r in found:
        if r.status == "DONE" and r.raw and r.meta.get("purpose") == "evaluate":
            summary = store.get(r.run_id).summary.get("hardware", {})
            done = {j for e in summary.values() if e.get("status") == "finished" for j in e.get("jobs", [])}
            if r.job_id not in done:
                todo.setdefault(r.run_id, []).append(r)
    for rid, items in todo.items():
        _score_reattached(store, rid, items)
    return found


def _score_reattached(store, run_id: str, items: list[Reattached]) -> None:
    from workbench.training import load_trained

    trained = load_trained(store, run_id)
    program, _ = _head(trained, run_id)
    names = [t.name for t in trained.spec.tasks]
    by_backend: dict[str, dict] = {}
    rows_by_backend: dict[str, list[str]] = {}
    for r in items:
        a, b = r.meta.get("rows", [0, 0])
        backend = next((j.backend for j in store.jobs(run_id) if j.job_id == r.job_id), "?")
        for task, raw in r.raw.items():
            labels = np.asarray(trained.data.Y_test[a:b, names.index(task)])
            by_backend.setdefault(backend, {})[task] = score(raw, program.task(task).readout, labels)
        rows_by_backend.setdefault(backend, []).append(r.job_id)
    for backend, acc in by_backend.items():
        info = store.get(run_id)
        old = dict((info.summary.get("hardware") or {}).get(backend) or {})
        merged = {**old.get("accuracy", {}), **acc}
        report = HardwareReport(run_id, backend, "finished", bool(items[0].meta.get("local")),
                                items[0].meta.get("mode", "job"), int(items[0].meta.get("shots", 0)),
                                int(items[0].meta.get("rows", [0, 0])[1]), accuracy=merged,
                                ideal_accuracy=old.get("ideal_accuracy", {}),
                                jobs=sorted(set(old.get("jobs", [])) | set(rows_by_backend[backend])),
                                mitigation=old.get("mitigation", {}), finetune=old.get("finetune"),
                                warnings=old.get("warnings", []),
                                ignored_in_local_mode=old.get("ignored_in_local_mode", []),
                                preflight=old.get("preflight") or {},
                                finished=datetime.now(UTC).isoformat(timespec="seconds"))
        _log_accuracy(store, run_id, backend, acc)
        _store_report(store, report)
