"""``qmtl reproduce``: the paper's claims checked on the data we have.

(a) head parameters, circuit depth and two-qubit gates against the number of tasks T under d = alpha * T;
(b) QMTL against the classical HPS heads, the prior hybrid quantum MTL head and one VQC per task, on the
digits and penguins demos and on synthetic data with T = 2..6, over several seeds;
(c) a markdown report with the tables (also as CSV) and PNG plots.

Every training run goes into a run store, tagged ``reproduce``. Qt-free; plots use matplotlib's Agg canvas.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.analysis.scaling import exponents, scaling_table, spec_for, upper_half
from workbench.errors import UserError
from workbench.spec import dumps, load, spec_from_dict
from workbench.spec.examples import EXPERIMENTS
from workbench.spec.model import ExperimentSpec

RESOURCES = EXPERIMENTS
HEADS = ("qmtl", "hps", "hybrid", "single")
HEAD_LABELS = {
    "qmtl": "QMTL (one VQC, shared encoder + block per task)",
    "hps": "HPS (classical linear head per task)",
    "hybrid": "hybrid (shared VQC + dense layer per task)",
    "single": "single (one full VQC per task)",
}
GROUPS = ("digits-3task", "penguins", "synthetic")
ALPHA = 8
TAG = "reproduce"


# ------------------------------------------------------------------------------------------------ settings
@dataclass(frozen=True)
class Settings:
    quick: bool
    seeds: int
    digits_epochs: int | None = None  # None: the spec's training.epochs
    digits_max_samples: int | None = None
    penguins_epochs: int | None = None
    synthetic_T: tuple[int, ...] = (2, 3, 4, 5, 6)
    synthetic_samples: int = 600
    synthetic_epochs: int = 30
    synthetic_qubits: int = 8
    scaling_T: tuple[int, ...] = tuple(range(1, 13))
    heads: tuple[str, ...] = HEADS
    groups: tuple[str, ...] = GROUPS  # which datasets of the accuracy comparison to run
    # the layout comparison (shared wires, task registers, HPS): epochs and subsample per data set
    layouts: bool = True
    layout_epochs: tuple[tuple[str, int], ...] = (("digits", 10), ("penguins", 30), ("synthetic", 15), ("glue", 8))
    layout_max_samples: tuple[tuple[str, int], ...] = (("digits", 800),)
    layout_glue_samples: int = 1200

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def make_settings(quick: bool = False, seeds: int | None = None, groups: tuple[str, ...] = GROUPS) -> Settings:
    if seeds is not None and not 1 <= seeds <= 20:
        raise UserError(f"--seeds: must be between 1 and 20, got {seeds}")
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        raise UserError(f"--datasets: unknown dataset {unknown[0] if unknown else ''!r} (valid: {', '.join(GROUPS)})")
    groups = tuple(g for g in GROUPS if g in groups)
    if quick:
        # A smoke-size run: every table and plot is produced, the numbers are not results.
        return Settings(quick=True, seeds=seeds or 2, digits_epochs=4, digits_max_samples=400, penguins_epochs=8,
                        synthetic_T=(2, 4), synthetic_samples=300, synthetic_epochs=4, groups=groups,
                        layout_epochs=(("digits", 2), ("penguins", 4), ("synthetic", 3), ("glue", 2)),
                        layout_max_samples=(("digits", 300),), layout_glue_samples=300)
    return Settings(quick=False, seeds=seeds or 3, groups=groups)


# --------------------------------------------------------------------------------------------------- specs
def synthetic_spec(T: int, samples: int = 600, qubits: int = 8, epochs: int = 30) -> ExperimentSpec:
    """T related tasks with 2 or 3 classes (alternating), d = 8 * T, default readouts (<Z> per class)."""
    classes = [2 if t % 2 == 0 else 3 for t in range(T)]
    return spec_from_dict({
        "version": 1, "name": f"synthetic-T{T}",
        "description": f"synthetic data, {T} related tasks with classes {classes}, d = {ALPHA} * T",
        "baselines": ["hps", "hybrid", "single"],
        "dataset": {"source": "synthetic", "val_fraction": 0.15, "test_fraction": 0.25, "seed": 0,
                    "options": {"tasks": T, "classes": classes, "samples": samples, "features": 24, "latent": 3,
                                "relatedness": 0.5, "noise": 0.1, "seed": 0}},
        "tasks": [{"name": f"task_{t}", "classes": c} for t, c in enumerate(classes)],
        "backbone": {"kind": "mlp", "hidden": [32], "width": ALPHA * T, "activation": "tanh"},
        "quantum": {"qubits": qubits, "engine": "torch", "dtype": "complex64",
                    "encoder": {"template": "ReUploading", "layers": 1, "rotations": ["RY", "RZ"],
                                "entangler": "CNOT", "entanglement": "linear"},
                    "default_block": {"template": "StronglyEntanglingLayers", "layers": 2}},
        "training": {"optimizer": "adam", "lr": 0.03, "epochs": epochs, "batch_size": 32, "seed": 0},
    })


def _resource_spec(name: str) -> ExperimentSpec:
    path = RESOURCES / name
    if not path.exists():
        raise UserError(f"reproduce: the shipped experiment {path} is missing (reinstall QMTL Workbench)")
    return load(path)


@dataclass
class Study:
    """One dataset of the accuracy comparison."""

    label: str  # "digits-3task", "penguins", "synthetic-T3"
    group: str  # "digits-3task", "penguins", "synthetic"
    spec: ExperimentSpec
    epochs: int
    max_samples: int | None = None
    sizes: dict = field(default_factory=dict)  # train/val/test/features, filled by measure_sizes

    @property
    def T(self) -> int:
        return len(self.spec.tasks)

    def spec_for_seed(self, seed: int) -> ExperimentSpec:
        """Seed s draws the split (and the subsample), the initial weights and the batch order."""
        return dataclasses.replace(
            self.spec,
            dataset=dataclasses.replace(self.spec.dataset, seed=seed, max_samples=self.max_samples),
            training=dataclasses.replace(self.spec.training, seed=seed, epochs=self.epochs))


def make_studies(settings: Settings) -> list[Study]:
    digits = _resource_spec("digits-3task.toml")
    penguins = _resource_spec("penguins.toml")
    studies = [
        Study("digits-3task", "digits-3task", digits, settings.digits_epochs or digits.training.epochs,
              settings.digits_max_samples),
        Study("penguins", "penguins", penguins, settings.penguins_epochs or penguins.training.epochs),
    ]
    for T in settings.synthetic_T:
        spec = synthetic_spec(T, settings.synthetic_samples, settings.synthetic_qubits, settings.synthetic_epochs)
        studies.append(Study(spec.name, "synthetic", spec, settings.synthetic_epochs))
    return [s for s in studies if s.group in settings.groups]


def measure_sizes(study: Study) -> dict:
    from workbench.training import load_data

    data = load_data(study.spec_for_seed(0), RESOURCES)
    study.sizes = {"train": len(data.X_train), "val": len(data.X_val), "test": len(data.X_test),
                   "features": data.n_features}
    return study.sizes


# ---------------------------------------------------------------------------------------------- the runs
@dataclass
class PlannedRun:
    study: Study
    head: str
    seed: int
    estimate_s: float  # a rough cost model; the ETA rescales it by what the finished runs took


@dataclass
class Outcome:
    dataset: str
    group: str
    T: int
    head: str
    seed: int
    run_id: str
    test: dict
    params: dict
    wall_time_s: float
    epochs: int
    best_epoch: int

    @property
    def mean_accuracy(self) -> float:
        return float(np.mean([m["accuracy"] for m in self.test.values()]))


def _encoder_layers(spec: ExperimentSpec) -> int:
    return max(spec.quantum.encoder.layers, math.ceil(spec.backbone.width / spec.quantum.qubits))


def estimate_seconds(study: Study, head: str) -> float:
    """Seconds on one core, fitted to timings of the full study: ~2.2e-5 s per training sample and circuit layer
    (8 qubits) per epoch, plus overheads; T separate circuits (single) cost a little more per layer."""
    spec = study.spec
    E, L, T = _encoder_layers(spec), spec.quantum.default_block.layers, study.T
    layers = {"qmtl": E + T * L, "single": 1.25 * T * (E + L), "hybrid": E + L, "hps": 0}[head]
    n = study.sizes.get("train", 500)
    return 0.3 + study.epochs * (0.03 + 2.2e-5 * n * layers * (2 ** spec.quantum.qubits / 256) ** 0.3)


def plan_runs(studies: list[Study], settings: Settings) -> list[PlannedRun]:
    return [PlannedRun(s, head, seed, estimate_seconds(s, head))
            for s in studies for seed in range(settings.seeds) for head in settings.heads]


ProgressFn = Callable[[int, int, PlannedRun, "Outcome", float, float], None]


def plan_tasks(plan: list[PlannedRun], settings: Settings, threads: int | None = 1) -> tuple[list[dict], list[dict]]:
    """The planned runs as sweep trials: ``(points, tasks)``."""
    tags = [TAG] + (["reproduce-quick"] if settings.quick else [])
    points, tasks = [], []
    for p in plan:
        points.append({"dataset": p.study.label, "head": p.head, "seed": p.seed})
        tasks.append({"spec_text": dumps(p.study.spec_for_seed(p.seed)), "spec_format": "toml", "head": p.head,
                      "engine": None, "epochs": p.study.epochs, "seed": p.seed, "base_dir": str(RESOURCES),
                      "name": f"reproduce {p.study.label} [{p.head}] seed {p.seed}", "tags": tags + [p.study.label],
                      "threads": threads or 1})
    return points, tasks


def _outcome(p: PlannedRun, run_id: str, summary: dict) -> Outcome:
    return Outcome(p.study.label, p.study.group, p.study.T, p.head, p.seed, run_id, summary["test"],
                   summary["params"], summary["wall_time_s"], summary["epochs_run"], summary["best_epoch"])


def execute(plan: list[PlannedRun], store, settings: Settings, progress: ProgressFn | None = None,
            control=None, executor=None, threads: int | None = 1) -> tuple[list[Outcome], bool]:
    """Train every planned run into ``store`` as one sweep (parallel, resumable: runs that finished in an earlier
    call with the same plan are reused). Returns (outcomes in plan order, completed); ``control`` is a
    ``SweepControl`` (stop launching, or cancel the running trials)."""
    from workbench.runs.sweeps import SweepRecords
    from workbench.sweeps import LocalExecutor, SweepControl, open_sweep, run_sweep

    points, tasks = plan_tasks(plan, settings, threads)
    sweep_id, _ = open_sweep(store, plan[0].study.spec, points, tasks, name="reproduce" + (" --quick" if settings.quick
                                                                                           else ""),
                             axes=[{"kind": "explicit", "text": "dataset x head x seed"}],
                             settings=settings.as_dict())
    total_est = sum(p.estimate_s for p in plan)
    state = {"done_est": 0.0}

    def on_event(ev) -> None:
        if ev.kind != "finished" or progress is None:
            return
        p = plan[ev.idx]
        summary = {**ev.result, "params": ev.result.get("params", {})}
        state["done_est"] += p.estimate_s
        eta = (total_est - state["done_est"]) * ev.elapsed_s / max(state["done_est"], 1e-9)
        progress(ev.counts["done"], len(plan), p, _outcome(p, ev.run_id, summary), ev.elapsed_s, eta)

    own = executor is None
    executor = executor or LocalExecutor()
    try:
        result = run_sweep(store, sweep_id, executor, on_event=on_event, control=control or SweepControl())
    finally:
        if own:
            executor.close()
    outcomes = []
    for trial in SweepRecords(store).trials(sweep_id):
        if trial.status == "finished" and trial.run_id:
            outcomes.append(_outcome(plan[trial.idx], trial.run_id, store.get(trial.run_id).summary))
    failed = [t for t in result.trials if t.status == "failed"]
    if failed and not result.stopped:
        raise UserError(f"reproduce: {len(failed)} of {len(plan)} runs failed (first: {failed[0].errors[-1]}); "
                        f"run the same command again to retry them")
    return outcomes, result.complete


# ----------------------------------------------------------------------------------------------- tables
def _std(x: pd.Series) -> float:
    return float(x.std(ddof=1)) if len(x) > 1 else float("nan")


def per_seed_frame(outcomes: list[Outcome]) -> pd.DataFrame:
    """One row per run and task, plus a task 'mean' row per run (the mean over its tasks)."""
    rows = []
    for o in outcomes:
        for task, m in o.test.items():
            rows.append({"dataset": o.dataset, "T": o.T, "head": o.head, "seed": o.seed, "task": task,
                         "accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
                         "task_head_params": o.params["task_heads"].get(task, 0)})
        rows.append({"dataset": o.dataset, "T": o.T, "head": o.head, "seed": o.seed, "task": "mean",
                     "accuracy": o.mean_accuracy,
                     "macro_f1": float(np.mean([m["macro_f1"] for m in o.test.values()])),
                     "task_head_params": sum(o.params["task_heads"].values())})
    return pd.DataFrame(rows)


def _ordered(df: pd.DataFrame, datasets: list[str], heads: tuple[str, ...]) -> pd.DataFrame:
    df = df.copy()
    df["_d"] = df["dataset"].map({d: i for i, d in enumerate(datasets)})
    df["_h"] = df["head"].map({h: i for i, h in enumerate(heads)})
    keys = ["_d", "_h"] + (["_t"] if "_t" in df else [])
    return df.sort_values(keys).drop(columns=[c for c in ("_d", "_h", "_t") if c in df]).reset_index(drop=True)


def task_table(outcomes: list[Outcome], datasets: list[str], heads: tuple[str, ...]) -> pd.DataFrame:
    """Per dataset, head and task: accuracy and macro-F1, mean and sample std over seeds."""
    df = per_seed_frame(outcomes)
    g = df.groupby(["dataset", "T", "head", "task"], sort=False)
    out = g.agg(seeds=("seed", "nunique"), accuracy_mean=("accuracy", "mean"), accuracy_std=("accuracy", _std),
                macro_f1_mean=("macro_f1", "mean"), macro_f1_std=("macro_f1", _std),
                task_head_params=("task_head_params", "first")).reset_index()
    order = {}
    for o in outcomes:
        for k, task in enumerate(list(o.test) + ["mean"]):
            order.setdefault((o.dataset, task), k)
    out["_t"] = [order[(d, t)] for d, t in zip(out["dataset"], out["task"])]
    return _ordered(out, datasets, heads)


def summary_table(outcomes: list[Outcome], datasets: list[str], heads: tuple[str, ...]) -> pd.DataFrame:
    """Per dataset and head: mean test accuracy over tasks (mean +- std over seeds), parameters, time."""
    rows = []
    for o in outcomes:
        rows.append({"dataset": o.dataset, "T": o.T, "head": o.head, "seed": o.seed,
                     "acc": o.mean_accuracy, "f1": float(np.mean([m["macro_f1"] for m in o.test.values()])),
                     "head_params": o.params["head_total"], "shared_head_params": o.params["shared_head"],
                     "backbone_params": o.params["backbone"], "total_params": o.params["total"],
                     "time": o.wall_time_s})
    df = pd.DataFrame(rows)
    out = df.groupby(["dataset", "T", "head"], sort=False).agg(
        seeds=("seed", "nunique"), mean_accuracy_mean=("acc", "mean"), mean_accuracy_std=("acc", _std),
        mean_macro_f1_mean=("f1", "mean"), mean_macro_f1_std=("f1", _std), head_params=("head_params", "first"),
        shared_head_params=("shared_head_params", "first"), backbone_params=("backbone_params", "first"),
        total_params=("total_params", "first"), train_time_s_mean=("time", "mean")).reset_index()
    out["train_time_s_mean"] = out["train_time_s_mean"].round(2)
    return _ordered(out, datasets, heads)


def comparisons(summary: pd.DataFrame, test_sizes: dict[str, int]) -> pd.DataFrame:
    """QMTL against each baseline per dataset. ``ties`` when the gap is inside the noise band:
    two standard errors of the difference of the seed means, and never less than one test example."""
    rows = []
    for dataset, part in summary.groupby("dataset", sort=False):
        by = {r["head"]: r for _, r in part.iterrows()}
        if "qmtl" not in by:
            continue
        q = by["qmtl"]
        for head, b in by.items():
            if head == "qmtl":
                continue
            delta = q["mean_accuracy_mean"] - b["mean_accuracy_mean"]
            se = math.sqrt(np.nan_to_num(q["mean_accuracy_std"]) ** 2 / q["seeds"]
                           + np.nan_to_num(b["mean_accuracy_std"]) ** 2 / b["seeds"])
            band = max(2 * se, 1.0 / max(test_sizes.get(dataset, 1), 1))
            verdict = "wins" if delta > band else "loses" if delta < -band else "ties"
            rows.append({"dataset": dataset, "T": q["T"], "baseline": head,
                         "qmtl_accuracy": q["mean_accuracy_mean"], "baseline_accuracy": b["mean_accuracy_mean"],
                         "delta": delta, "noise_band": band, "verdict": verdict,
                         "qmtl_head_params": int(q["head_params"]), "baseline_head_params": int(b["head_params"]),
                         "head_param_ratio": q["head_params"] / b["head_params"] if b["head_params"] else float("nan"),
                         "qmtl_time_s": q["train_time_s_mean"], "baseline_time_s": b["train_time_s_mean"]})
    return pd.DataFrame(rows)


def runs_table(outcomes: list[Outcome]) -> pd.DataFrame:
    rows = []
    for o in outcomes:
        row = {"run_id": o.run_id, "dataset": o.dataset, "T": o.T, "head": o.head, "seed": o.seed,
               "mean_accuracy": o.mean_accuracy, "head_params": o.params["head_total"],
               "total_params": o.params["total"], "epochs": o.epochs, "best_epoch": o.best_epoch,
               "wall_time_s": round(o.wall_time_s, 2)}
        for task, m in o.test.items():
            row[f"{task}.accuracy"] = m["accuracy"]
        rows.append(row)
    return pd.DataFrame(rows)


def scaling_frame(spec: ExperimentSpec, ts, alpha: float) -> tuple[pd.DataFrame, dict, list[str]]:
    notes: list[str] = []
    rows = scaling_table(spec, ts, alpha, notes)
    df = pd.DataFrame([r.as_dict() for r in rows])
    df.insert(2, "classes", [" ".join(str(t.classes) for t in spec_for(spec, r.T, alpha)[0].tasks) for r in rows])
    upper = upper_half(rows)
    fits = {"all": {"T": [rows[0].T, rows[-1].T], **exponents(rows)},
            "upper_half": {"T": [upper[0].T, upper[-1].T], **exponents(upper)}}
    return df, fits, list(dict.fromkeys(notes))


# ----------------------------------------------------------------------------------------------- the study
@dataclass
class Reproduction:
    settings: Settings
    out_dir: Path
    runs_dir: Path
    studies: list[Study]
    outcomes: list[Outcome]
    scaling: pd.DataFrame
    scaling_fits: dict
    scaling_notes: list[str]
    tasks: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    runs: pd.DataFrame
    wall_time_s: float
    completed: bool = True
    files: dict = field(default_factory=dict)  # kind -> {name: path}

    def headline(self) -> dict:
        acc = {}
        for _, r in self.summary.iterrows():
            acc.setdefault(r["dataset"], {})[r["head"]] = {
                "mean_accuracy": _num(r["mean_accuracy_mean"]), "std": _num(r["mean_accuracy_std"]),
                "head_params": int(r["head_params"]), "seeds": int(r["seeds"])}
        verdicts = {}
        for _, r in self.comparison.iterrows():
            verdicts.setdefault(r["dataset"], {})[r["baseline"]] = r["verdict"]
        last = self.scaling.iloc[-1]
        return {
            "scaling": {"alpha": ALPHA, "T_max": int(last["T"]), "classical_params": int(last["classical_params"]),
                        "quantum_params": int(last["quantum_params"]), "depth": int(last["depth"]),
                        "two_qubit": int(last["two_qubit"]),
                        "exponents_upper_half": {k: _num(v) for k, v in self.scaling_fits["upper_half"].items()
                                                 if k != "T"}},
            "accuracy": acc, "qmtl_vs": verdicts,
        }


def _num(v) -> float | None:
    v = float(v)
    return None if math.isnan(v) else round(v, 4)


def reproduce(settings: Settings, out_dir: str | Path, runs_dir: str | Path | None = None, *,
              progress: ProgressFn | None = None, control=None, log: Callable[[str], None] | None = None,
              threads: int | None = 1, executor=None) -> Reproduction:
    """Run the whole study and write the report, CSVs and plots into ``out_dir``."""
    from workbench.analysis.report_plots import write_plots
    from workbench.analysis.report_text import write_report
    from workbench.runs import RunStore

    t0 = time.time()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out: cannot create {out}: {exc}") from exc
    runs = Path(runs_dir) if runs_dir else out / "runs"
    store = RunStore(runs)
    log = log or (lambda _msg: None)

    demo = _resource_spec("digits-3task.toml")
    scaling, fits, notes = scaling_frame(demo, settings.scaling_T, ALPHA)

    studies = make_studies(settings)
    for s in studies:
        measure_sizes(s)
    plan = plan_runs(studies, settings)
    total = sum(p.estimate_s for p in plan)
    log(f"reproduce: {len(plan)} runs ({len(studies)} datasets x {len(settings.heads)} heads x {settings.seeds} "
        f"seed{'s' if settings.seeds > 1 else ''}){' [quick]' if settings.quick else ''}, "
        f"rough estimate {_clock(total)}; runs go to {runs}")
    # Each trial trains in a worker with ``threads`` torch threads (default one: the circuits are small, a batch of
    # 2^8-amplitude states, and parallel trials use the cores better than threads inside one).
    outcomes, completed = execute(plan, store, settings, progress, control, executor=executor, threads=threads)
    datasets = [s.label for s in studies]
    summary = summary_table(outcomes, datasets, settings.heads) if outcomes else pd.DataFrame()
    rep = Reproduction(
        settings=settings, out_dir=out, runs_dir=runs, studies=studies, outcomes=outcomes, scaling=scaling,
        scaling_fits=fits, scaling_notes=notes,
        tasks=task_table(outcomes, datasets, settings.heads) if outcomes else pd.DataFrame(),
        summary=summary,
        comparison=comparisons(summary, {s.label: s.sizes["test"] for s in studies}) if outcomes else pd.DataFrame(),
        runs=runs_table(outcomes), wall_time_s=0.0, completed=completed)
    if not completed:
        return rep
    spec_dir = out / "specs"
    spec_dir.mkdir(exist_ok=True)
    specs = {}
    for s in studies:
        path = spec_dir / f"{s.label}.toml"
        path.write_text(dumps(s.spec_for_seed(0)), encoding="utf-8")
        specs[s.label] = str(path)
    rep.files["specs"] = specs
    rep.files["plots"] = write_plots(rep)
    rep.wall_time_s = time.time() - t0
    rep.files.update(write_report(rep))
    if settings.layouts:
        layouts = layout_comparison(settings, out, store, log, control)
        if layouts is None:
            rep.completed = False
            return rep
        rep.files["layouts"] = layouts
        _append_layouts(Path(rep.files["report"]), layouts)
    return rep


# ------------------------------------------------------------------------------------- layout comparison
def make_layout_studies(settings: Settings) -> list:
    """Digits, penguins, synthetic (T = 3) and the GLUE-structured set, each as shared-wires and register specs."""
    from workbench.analysis.layouts import LayoutStudy, to_registers, to_shared

    epochs, samples = dict(settings.layout_epochs), dict(settings.layout_max_samples)
    penguins = _resource_spec("penguins.toml")
    synthetic = synthetic_spec(3, settings.synthetic_samples, settings.synthetic_qubits)
    glue = _resource_spec("glue-structure-9task.toml")
    glue.dataset.options["samples"] = settings.layout_glue_samples
    return [
        LayoutStudy("digits", _resource_spec("digits-3task.toml"), _resource_spec("registers-digits.toml"),
                    epochs["digits"], samples.get("digits")),
        LayoutStudy("penguins", penguins, to_registers(penguins), epochs["penguins"], samples.get("penguins")),
        LayoutStudy("synthetic-T3", synthetic, to_registers(synthetic), epochs["synthetic"], samples.get("synthetic")),
        LayoutStudy("glue-structure", to_shared(glue), glue, epochs["glue"], samples.get("glue")),
    ]


def layout_comparison(settings: Settings, out: Path, store, log, control=None) -> dict | None:
    """Train the layout comparison, write its CSV, markdown table and plot; None when cancelled."""
    from workbench.analysis.layouts import layout_markdown, layout_plot, layout_table, run_layouts
    from workbench.training import TrainControl

    if control is not None and not isinstance(control, TrainControl):
        control = _StopAsCancel(control)  # the main study's sweep control: a stop ends the serial layout runs
    studies = make_layout_studies(settings)
    log(f"reproduce: layout comparison, {len(studies)} data sets x 3 heads x {settings.seeds} seeds")
    outcomes, completed = run_layouts(studies, store, settings.seeds, RESOURCES, tags=[f"{TAG}-layouts"], progress=log,
                                      control=control)
    if not completed:
        return None
    table = layout_table(outcomes)
    csv = out / "layouts.csv"
    table.to_csv(csv, index=False)
    md = out / "layouts.md"
    md.write_text("\n".join(layout_markdown(table)) + "\n", encoding="utf-8")
    return {"csv": str(csv), "markdown": str(md), "plot": layout_plot(table, out / "layouts.png"),
            "runs": [o.run_id for o in outcomes]}


class _StopAsCancel:
    """A trainer's view of a sweep control: cancelled once the sweep stops launching; never paused."""

    paused = False

    def __init__(self, sweep_control):
        self._sweep = sweep_control

    @property
    def cancelled(self) -> bool:
        return self._sweep.stopping

    def wait_while_paused(self, timeout: float | None = None) -> None:
        return None


def _append_layouts(report: Path, layouts: dict) -> None:
    text = Path(layouts["markdown"]).read_text(encoding="utf-8")
    with open(report, "a", encoding="utf-8") as fh:
        fh.write("\n## Layouts: shared wires, task registers, HPS\n\n"
                 "Accuracy: mean test accuracy over the classification tasks; R^2: the regression task; mean ± std "
                 "over seeds. Qubits, depth and 2q gates as executed: shared wires run one circuit per task, task "
                 "registers one circuit for all tasks. s/epoch: training wall time per epoch.\n\n"
                 + text + f"\n![layouts]({Path(layouts['plot']).name})\n")


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m:d}:{s:02d}" if m < 60 else f"{m // 60:d}:{m % 60:02d}:{s:02d}"
