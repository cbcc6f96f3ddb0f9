"""The layout comparison of ``qmtl reproduce``: shared-wires QMTL, task-register QMTL and the classical HPS heads on
the same data, with accuracy (R^2 for a regression task), head parameters, qubits, depth, two-qubit gates and
training time per epoch, mean +- std over seeds.

Each data set has a shared-wires spec and a registers spec (a shipped one where it exists, otherwise converted
with ``to_registers`` / ``to_shared``). HPS trains one Linear(d, C) per task on the registers spec's shared vector
(d = 3 x its width), the vector the register head reads too.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.spec.layout import REGISTER_ENCODING_LAYERS, registers_width
from workbench.spec.model import BlockSpec, ExperimentSpec
from workbench.spec.validate import validate

VARIANTS = ("shared", "registers", "hps")
VARIANT_LABELS = {"shared": "QMTL, shared wires", "registers": "QMTL, task registers", "hps": "HPS (classical)"}


def _reset_tasks(spec: ExperimentSpec) -> list:
    return [dataclasses.replace(t, readout=None, block=None, qubits=None) for t in spec.tasks]


def to_registers(spec: ExperimentSpec) -> ExperimentSpec:
    """The same tasks on task registers by the authors' rule: default Pauli-word readouts, one block layer (two for
    more than 3 classes), 3 re-uploading layers, and a backbone that hands over 3 x width features."""
    tasks = _reset_tasks(spec)
    n = registers_width(tasks)
    q = spec.quantum
    new = dataclasses.replace(
        spec, name=f"{spec.name}-registers", tasks=tasks,
        backbone=dataclasses.replace(spec.backbone, width=REGISTER_ENCODING_LAYERS * n),
        quantum=dataclasses.replace(q, layout="registers", qubits=n, projection=None,
                                    encoder=BlockSpec(template="ReUploading", layers=REGISTER_ENCODING_LAYERS,
                                                      rotations=["RY", "RZ"]),
                                    default_block=BlockSpec(template="StronglyEntanglingLayers", layers=1)))
    validate(new)
    return new


def to_shared(spec: ExperimentSpec, qubits: int | None = None) -> ExperimentSpec:
    """The same tasks on shared wires: every block on all qubits, default readouts (<Z> per class, scale 4)."""
    tasks = _reset_tasks(spec)
    n = qubits or spec.quantum.qubits
    new = dataclasses.replace(
        spec, name=f"{spec.name}-shared", tasks=tasks,
        quantum=dataclasses.replace(spec.quantum, layout="shared", qubits=n, projection=None,
                                    encoder=BlockSpec(template="ReUploading", layers=1, rotations=["RY", "RZ"]),
                                    default_block=dataclasses.replace(spec.quantum.default_block, wires=None)))
    validate(new)
    return new


@dataclass
class LayoutStudy:
    dataset: str
    shared: ExperimentSpec
    registers: ExperimentSpec
    epochs: int
    max_samples: int | None = None

    def spec(self, variant: str, seed: int) -> ExperimentSpec:
        base = self.shared if variant == "shared" else self.registers
        return dataclasses.replace(
            base, dataset=dataclasses.replace(base.dataset, seed=seed, max_samples=self.max_samples),
            training=dataclasses.replace(base.training, seed=seed, epochs=self.epochs))


def circuit_cost(spec: ExperimentSpec) -> dict:
    """Qubits, depth and two-qubit gates as executed: shared wires run one circuit per task (each repeats the
    encoder); task registers run one circuit holding the encoder and every block (all tasks read from it)."""
    from workbench.circuits.program import build_program
    from workbench.circuits.resources import count_gates, program_resources

    program = build_program(spec)
    n = program.n_qubits
    if spec.quantum.layout == "registers":
        gates = program.encoder.gates + [g for t in program.tasks for g in t.block.gates]
        r = count_gates(gates, n)
        return {"qubits": n, "depth": r.depth, "two_qubit": r.two_qubit, "circuits": 1}
    res = program_resources(program)
    return {"qubits": n, "depth": res.max_depth, "two_qubit": res.total_two_qubit, "circuits": len(program.tasks)}


@dataclass
class LayoutOutcome:
    dataset: str
    variant: str
    seed: int
    run_id: str
    test: dict
    head_params: int
    seconds_per_epoch: float
    cost: dict

    @property
    def accuracy(self) -> float:
        vals = [m["accuracy"] for m in self.test.values() if "accuracy" in m]
        return float(np.mean(vals)) if vals else float("nan")

    @property
    def r2(self) -> float:
        vals = [m["r2"] for m in self.test.values() if "r2" in m]
        return float(np.mean(vals)) if vals else float("nan")


def run_layouts(studies: list[LayoutStudy], store, seeds: int, base_dir, *, tags: list[str] | None = None,
                progress: Callable[[str], None] | None = None, control=None) -> tuple[list[LayoutOutcome], bool]:
    from workbench.training import Trainer

    out: list[LayoutOutcome] = []
    plan = [(s, v, seed) for s in studies for seed in range(seeds) for v in VARIANTS]
    t0 = time.time()
    for i, (study, variant, seed) in enumerate(plan, 1):
        spec = study.spec(variant, seed)
        head = "hps" if variant == "hps" else "qmtl"
        r = Trainer(spec, store, head=head, epochs=study.epochs, seed=seed, base_dir=base_dir,
                    name=f"reproduce layouts {study.dataset} [{variant}] seed {seed}",
                    tags=(tags or []) + ["layouts", study.dataset], control=control).run()
        if r.status != "finished":
            return out, False
        cost = {"qubits": 0, "depth": 0, "two_qubit": 0, "circuits": 0} if variant == "hps" else circuit_cost(spec)
        o = LayoutOutcome(study.dataset, variant, seed, r.run_id, r.test, int(r.params["head_total"]),
                          r.wall_time_s / max(r.epochs_run, 1), cost)
        out.append(o)
        if progress:
            score = f"acc {o.accuracy:.3f}" + (f" R2 {o.r2:.3f}" if o.r2 == o.r2 else "")
            progress(f"layouts [{i}/{len(plan)}] {study.dataset:<14} {variant:<9} seed {seed}  {score}  "
                     f"head params {o.head_params}  {o.seconds_per_epoch:.2f} s/epoch  "
                     f"elapsed {time.time() - t0:.0f} s")
    return out, True


def _std(x: pd.Series) -> float:
    return float(x.std(ddof=1)) if len(x) > 1 else float("nan")


def layout_table(outcomes: list[LayoutOutcome]) -> pd.DataFrame:
    """Per data set and variant: accuracy and R^2 (mean, std over seeds), head parameters, qubits, depth,
    two-qubit gates, circuits per input and seconds per epoch."""
    rows = [{"dataset": o.dataset, "variant": o.variant, "seed": o.seed, "accuracy": o.accuracy, "r2": o.r2,
             "head_params": o.head_params, "s_per_epoch": o.seconds_per_epoch, **o.cost} for o in outcomes]
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    out = df.groupby(["dataset", "variant"], sort=False).agg(
        seeds=("seed", "nunique"), accuracy_mean=("accuracy", "mean"), accuracy_std=("accuracy", _std),
        r2_mean=("r2", "mean"), r2_std=("r2", _std), head_params=("head_params", "first"),
        qubits=("qubits", "first"), depth=("depth", "first"), two_qubit=("two_qubit", "first"),
        circuits=("circuits", "first"), s_per_epoch=("s_per_epoch", "mean")).reset_index()
    out["s_per_epoch"] = out["s_per_epoch"].round(3)
    return out


def _pm(mean: float, std: float) -> str:
    if mean != mean:
        return "-"
    return f"{mean:.3f}" + (f" ± {std:.3f}" if std == std else "")


def layout_markdown(table: pd.DataFrame) -> list[str]:
    lines = ["| data set | head | accuracy | R^2 | head params | qubits | depth | 2q gates | circuits | s/epoch |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['dataset']} | {VARIANT_LABELS[r['variant']]} | {_pm(r['accuracy_mean'], r['accuracy_std'])}"
                     f" | {_pm(r['r2_mean'], r['r2_std'])} | {int(r['head_params'])} | {int(r['qubits'])} | "
                     f"{int(r['depth'])} | {int(r['two_qubit'])} | {int(r['circuits'])} | {r['s_per_epoch']:.2f} |")
    return lines


def layout_plot(table: pd.DataFrame, path) -> str:
    """Accuracy of the classification tasks, head parameters and seconds per epoch, per data set and variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(table["dataset"]))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    width = 0.8 / len(VARIANTS)
    x = np.arange(len(datasets))
    for k, v in enumerate(VARIANTS):
        part = table[table["variant"] == v].set_index("dataset").reindex(datasets)
        axes[0].bar(x + k * width, part["accuracy_mean"], width, yerr=part["accuracy_std"].fillna(0),
                    label=VARIANT_LABELS[v])
        axes[1].bar(x + k * width, part["head_params"], width, label=VARIANT_LABELS[v])
        axes[2].bar(x + k * width, part["s_per_epoch"], width, label=VARIANT_LABELS[v])
    for ax, title in zip(axes, ("mean test accuracy (classification tasks)", "head parameters", "seconds per epoch")):
        ax.set_xticks(x + width, datasets, rotation=15)
        ax.set_title(title, fontsize=10)
    axes[1].set_yscale("log")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
