"""What the circuit predicts for one input, task by task: the composer's live outputs and ``qmtl predict``.

The model is the spec's QMTL head on the torch statevector engine (noiseless), behind its backbone; one input is a
row of the experiment's data (through the backbone and any projection) or the encoder's inputs set by hand. Each
task's readout comes back as the trained model reads it: class probabilities (the softmax of the readout's
logits), or the value of a regression task, with the raw readout values (basis-state probabilities,
expectations, Pauli words) beside them.

Weights: a run's trained weights (its best validation epoch, read as plain data), or the initial weights a training
with seed N starts from. A spec edited since the run keeps the run's weights for every part that still fits
(same name and shape); a part that no longer fits (a block with another number of angles) starts from the seed's
initial weights, and the notes say which.

An edit rebuilds only the model (a few milliseconds at 8 qubits and 6 tasks); the data and a run's weights are
read once and kept, so the answer after an edit costs the build and one forward pass.
"""

from __future__ import annotations

import os
import pickle
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch

from workbench.analysis.live_results import LiveOutputs, TaskOutput, WeightsSource
from workbench.data.samples import InputSample
from workbench.engines.threads import thread_scope
from workbench.errors import UserError
from workbench.models.model import MultiTaskModel, build_model
from workbench.models.readout import readout_logits
from workbench.spec import layout as L
from workbench.spec.layout import format_word
from workbench.spec.model import ExperimentSpec
from workbench.spec.validate import validate


# ---------------------------------------------------------------------------------------------- weights
@dataclass
class _RunWeights:
    run_id: str
    state: dict
    head: str
    seed: int
    spec_dir: str | None
    epoch: str
    key: tuple = ()  # store, run, checkpoint file and its modification time


def _checkpoint_of(store, run_id: str) -> Path:
    from workbench.training.trainer import BEST, CHECKPOINT

    run_dir = store.run_dir(run_id)
    for name in (BEST, CHECKPOINT):
        if (run_dir / name).exists():
            return run_dir / name
    raise UserError(f"run {run_id} has no checkpoint yet (status {store.get(run_id).status})")


def _part(key: str) -> str:
    """The user's name for the part a parameter belongs to."""
    if key.startswith("backbone."):
        return "backbone"
    if key.startswith("head.projection."):
        return "projection"
    if key.startswith("head.weights."):
        name = key.split(".", 2)[2]
        return "encoder" if name == "encoder" else f"task {name!r} block"
    return key


def _apply(model: MultiTaskModel, state: dict) -> list[str]:
    """Copy every parameter of ``state`` that fits ``model`` (same name, same shape); the parts that did not fit."""
    unfit: list[str] = []
    with torch.no_grad():
        for key, param in model.named_parameters():
            theirs = state.get(key)
            if isinstance(theirs, torch.Tensor) and tuple(theirs.shape) == tuple(param.shape):
                param.copy_(theirs.to(param.dtype))
            elif _part(key) not in unfit:
                unfit.append(_part(key))
    return unfit


def _names(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


@dataclass
class LoadedModel:
    """A model with a weights source's weights: ``weights`` says which ("trained weights of run ..." or "initial
    weights, seed N"), ``notes`` the parts that could not take the run's."""

    model: MultiTaskModel
    weights: str
    notes: list[str]

    def head_weights(self) -> dict:
        """The quantum head's weight vectors (encoder and one per task), as plain tensors of their own."""
        return {k: v.detach().clone() for k, v in self.model.head.weights.items()}


# ------------------------------------------------------------------------------------------------ readout
def raw_labels(readout) -> list[str]:
    if readout.kind == "probs":
        n = len(readout.wires)
        return [f"p({k:0{n}b})" for k in range(2 ** n)]
    return [f"<{format_word(word)}>" for word in readout.word_list()]


def class_names_for(spec: ExperimentSpec, index: int, sample: InputSample | None = None) -> list[str]:
    """The spec's names for a task's classes, else the data's, else 0..k-1."""
    task = spec.tasks[index]
    named = getattr(task, "class_names", None)
    if named and len(named) == task.classes:
        return [str(n) for n in named]
    if sample is not None and sample.class_names is not None and index < len(sample.class_names):
        names = sample.class_names[index]
        if len(names) == task.classes:
            return list(names)
    return [str(k) for k in range(task.classes)]


def _task_output(spec: ExperimentSpec, index: int, circuit, raw: torch.Tensor, sample: InputSample) -> TaskOutput:
    task = spec.tasks[index]
    r = circuit.readout
    logits = readout_logits(raw, r)[0].double()
    truth = sample.labels[index] if sample.labels is not None and index < len(sample.labels) else None
    common = dict(name=task.name, readout=r.kind, raw=[float(v) for v in raw[0]], raw_labels=raw_labels(r),
                  truth=truth)
    if r.regression:
        return TaskOutput(kind="regression", class_names=[], probabilities=[], value=float(logits[0]),
                          predicted=None, target_range=tuple(r.target_range), **common)
    probs = torch.softmax(logits, dim=-1)
    return TaskOutput(kind="classification", class_names=class_names_for(spec, index, sample),
                      probabilities=[float(p) for p in probs], value=None, predicted=int(torch.argmax(probs)),
                      **common)


# ---------------------------------------------------------------------------------------------- evaluator
class LiveEvaluator:
    """Evaluates specs on single inputs, keeping what edits do not change: a run's weights, and the last models
    built (moving a slider re-uses the model; an edit builds one)."""

    MODELS_KEPT = 4

    def __init__(self):
        self._runs: dict[tuple, _RunWeights] = {}
        self._models: OrderedDict[tuple, tuple[MultiTaskModel, list[str]]] = OrderedDict()

    # -- weights
    def run_weights(self, source: WeightsSource) -> _RunWeights:
        from workbench.runs.store import RunStore, default_runs_dir
        from workbench.training.checkpoint import load_checkpoint

        root = Path(source.runs_root).expanduser() if source.runs_root else default_runs_dir()
        store = RunStore(root)
        run_id = store.resolve(source.run_id)
        path = _checkpoint_of(store, run_id)
        key = (str(root), run_id, str(path), os.stat(path).st_mtime_ns)
        if key not in self._runs:
            info = store.get(run_id)
            state = load_checkpoint(path, run_id)["model"]
            self._runs = {key: _RunWeights(run_id, state, info.params.get("head", "qmtl"),
                                           int(info.params.get("seed", 0)), info.params.get("spec_dir"),
                                           "best validation epoch" if path.name == "best.pt" else "last epoch",
                                           key)}
        return self._runs[key]

    def model(self, spec: ExperimentSpec, in_features: int, source: WeightsSource, dtype: str | None = None,
              run: _RunWeights | None = None) -> tuple[MultiTaskModel, list[str]]:
        """The QMTL model of ``spec`` with the source's weights, and the parts that took the seed's initial
        weights instead of the run's."""
        quantum = pickle.dumps((spec.backbone, spec.quantum, spec.tasks), pickle.HIGHEST_PROTOCOL)
        run_key = run.key if run is not None else None
        key = (quantum, in_features, dtype, source.seed if run is None else run.seed, run_key)
        hit = self._models.get(key)
        if hit is not None:
            self._models.move_to_end(key)
            return hit
        if dtype is not None and dtype != spec.quantum.dtype:
            import copy

            spec = copy.deepcopy(spec)
            spec.quantum.dtype = dtype
        seed = run.seed if run is not None else source.seed
        model = build_model(spec, in_features, "qmtl", engine="torch", seed=seed)
        model.eval()
        unfit = _apply(model, run.state) if run is not None and run.head == "qmtl" else []
        self._models[key] = (model, unfit)
        while len(self._models) > self.MODELS_KEPT:
            self._models.popitem(last=False)
        return model, unfit

    def load(self, spec: ExperimentSpec, source: WeightsSource, in_features: int, dtype: str | None = None,
             bypassed: bool = False) -> LoadedModel:
        """The model with the source's weights, and which weights they are; ``bypassed``: the encoder's inputs
        are given, so the backbone and projection have no say (nor a note)."""
        run = self.run_weights(source) if source.run_id else None
        model, unfit = self.model(spec, in_features, source, dtype, run)
        if bypassed:
            unfit = [u for u in unfit if u not in ("backbone", "projection")]
        notes: list[str] = []
        if run is None:
            weights = f"initial weights, seed {source.seed}"
        elif run.head != "qmtl":
            weights = f"initial weights, seed {run.seed}"
            notes.append(f"run {run.run_id} trained the {run.head!r} head, not this circuit: its weights do not "
                         "apply")
        else:
            weights = f"trained weights of run {run.run_id} ({run.epoch})"
            if unfit:
                notes.append(f"{_names(unfit)}: changed since run {run.run_id}, initial weights of seed {run.seed}")
        return LoadedModel(model, weights, notes)

    # -- evaluation
    def evaluate(self, spec: ExperimentSpec, source: WeightsSource, sample: InputSample,
                 dtype: str | None = None) -> LiveOutputs:
        t0, c0 = time.perf_counter(), time.thread_time()
        validate(spec)
        if sample.kind == "data":
            in_features = len(sample.values)
        elif sample.kind == "encoder":
            in_features = spec.backbone.width
        else:
            raise UserError(f"input: unknown kind {sample.kind!r} (data or encoder)")
        loaded = self.load(spec, source, in_features, dtype, bypassed=sample.kind == "encoder")
        head = loaded.model.head
        with torch.no_grad(), thread_scope(1):
            if sample.kind == "data":
                x = torch.tensor([sample.values], dtype=torch.float32)
                h = loaded.model.backbone(x)
                enc = head.projection(h) if head.projection is not None else h
            else:
                enc = torch.tensor([sample.values], dtype=torch.float32)
                if enc.shape[1] != head.program.n_features:
                    raise UserError(f"input: the encoder takes {head.program.n_features} inputs "
                                    f"(x0..x{head.program.n_features - 1}), got {enc.shape[1]}")
            raw = head.engine(enc, dict(head.weights.items()))
            tasks = [_task_output(spec, i, circuit, raw[circuit.name], sample)
                     for i, circuit in enumerate(head.program.tasks)]
        return LiveOutputs(tasks, loaded.weights, sample.text, [float(v) for v in enc[0]], loaded.notes,
                           time.perf_counter() - t0, time.thread_time() - c0)


def encoder_width(spec: ExperimentSpec) -> int:
    """How many inputs the shared encoder loads (what sliders set)."""
    return L.encoder_width(spec)


# --------------------------------------------------------------------------------------------------- job
_EVALUATOR: LiveEvaluator | None = None


def evaluator() -> LiveEvaluator:
    """The process's evaluator (its caches serve every request of the process)."""
    global _EVALUATOR
    if _EVALUATOR is None:
        _EVALUATOR = LiveEvaluator()
    return _EVALUATOR


def head_weights(spec: ExperimentSpec, source: WeightsSource) -> LoadedModel:
    """The QMTL model with the source's weights as the live outputs use them, for a caller that gives the encoder's
    inputs itself (the probe): the backbone and projection are bypassed. Like the probe, it asks no more of the
    spec than that the model builds (the gates' matrices still show while a readout is being fixed)."""
    return evaluator().load(spec, source, spec.backbone.width, bypassed=True)


def live_outputs_job(ctx, *, spec: ExperimentSpec, source: WeightsSource, sample: InputSample,
                     dtype: str | None = None) -> LiveOutputs:
    """The GUI's request, as a worker-process job (``workbench.jobs``)."""
    return evaluator().evaluate(spec, source, sample, dtype)


def warm_up() -> None:
    """Import and run the path once (a warm worker answers the first edit in milliseconds)."""
    from workbench.spec.model import BackboneSpec, QuantumSpec, TaskSpec

    spec = ExperimentSpec(name="warm", tasks=[TaskSpec("t", 2)], quantum=QuantumSpec(qubits=2),
                          backbone=BackboneSpec(width=2))
    LiveEvaluator().evaluate(spec, WeightsSource(0), InputSample("encoder", (0.1, 0.2)))
