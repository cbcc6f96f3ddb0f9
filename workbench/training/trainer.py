"""The multi-task trainer: data in, a trained model, per-task metrics and a resumable run in the store out.

Every run writes to the run store as it goes: params once at the start, metrics append-only at each epoch end
(in one transaction, before the epoch's checkpoint), a checkpoint every epoch (written to a temporary file and
renamed, so a kill never leaves half a checkpoint), and the summary at the end.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import torch
from torch import nn

from workbench.data import PreparedData
from workbench.data.samples import load_prepared
from workbench.errors import UserError
from workbench.models import MultiTaskModel, build_model
from workbench.runs import RunStore
from workbench.runs.lock import RunLock
from workbench.spec import dumps, loads, validate
from workbench.spec.model import ExperimentSpec
from workbench.training.checkpoint import load_checkpoint, load_state, save_checkpoint
from workbench.training.control import TrainControl
from workbench.training.events import EventBus, TrainEvent
from workbench.training.objectives import batch_score, single_logit, task_loss, task_metrics

CHECKPOINT = "checkpoints/last.pt"
BEST = "checkpoints/best.pt"


# ------------------------------------------------------------------------------------------------- data
def load_data(spec: ExperimentSpec, base_dir: str | Path | None = None) -> PreparedData:
    """The spec's dataset, checked against its tasks, split and scaled (deterministic for the spec's seed)."""
    return load_prepared(spec, base_dir)


# ---------------------------------------------------------------------------------------------- helpers
def evaluate(model: MultiTaskModel, X: np.ndarray, Y: np.ndarray, spec: ExperimentSpec,
             batch: int | None = None) -> dict:
    """Per-task loss and metrics on (X, Y) (accuracy and macro-F1, or MAE, R^2 and Spearman for a regression), in
    batches whose states fit the memory limit."""
    if len(X) == 0:
        return {}
    if batch is None:
        from workbench.spec.memory import eval_batch

        batch = eval_batch(spec.quantum.qubits, spec.quantum.engine, spec.quantum.dtype)
    model.eval()
    logits: dict[str, list] = {t.name: [] for t in spec.tasks}
    with torch.no_grad():
        for i in range(0, len(X), batch):
            out = model(torch.as_tensor(X[i:i + batch]))
            for t in spec.tasks:
                logits[t.name].append(out[t.name].float())
    model.train()
    result = {}
    for k, t in enumerate(spec.tasks):
        result[t.name] = task_metrics(torch.cat(logits[t.name]), Y[:, k], t, single_logit(spec, t))
    return result


def _mean(metrics: dict, key: str) -> float:
    vals = [m[key] for m in metrics.values() if key in m]  # regression tasks have no accuracy
    return float(np.mean(vals)) if vals else float("nan")


def _rows(epoch: int, step: int, split: str, metrics: dict) -> list[tuple]:
    rows = []
    for task, m in metrics.items():
        for key, value in m.items():
            rows.append((step, epoch, split, f"{task}.{key}", float(value)))
    if metrics:
        rows.append((step, epoch, split, "loss", sum(m["loss"] for m in metrics.values())))
        rows.append((step, epoch, split, "mean_accuracy", _mean(metrics, "accuracy")))
    return rows


def provenance(spec: ExperimentSpec, head: str, engine: str, device: str, seed: int) -> dict:
    versions = {}
    for pkg in ("qmtl-workbench", "torch", "pennylane", "qiskit", "qiskit-aer", "qiskit-ibm-runtime", "numpy",
                "scikit-learn"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"packages": versions, "python": platform.python_version(), "platform": platform.platform(),
            "seed": seed, "head": head, "engine": engine, "device": device, "threads": torch.get_num_threads()}


_save_atomic = save_checkpoint


class _Uncertainty(nn.Module):
    """Learned task weighting (Kendall et al.): loss = sum_t exp(-s_t) L_t + s_t."""

    def __init__(self, tasks: int):
        super().__init__()
        self.log_vars = nn.Parameter(torch.zeros(tasks))

    def forward(self, losses: torch.Tensor) -> torch.Tensor:
        return (torch.exp(-self.log_vars) * losses + self.log_vars).sum()


# ------------------------------------------------------------------------------------------------ result
@dataclass
class TrainResult:
    run_id: str
    status: str
    head: str
    engine: str
    test: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    wall_time_s: float = 0.0
    epochs_run: int = 0
    best_epoch: int = 0

    @property
    def mean_test_accuracy(self) -> float:
        return _mean(self.test, "accuracy")

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "status": self.status, "head": self.head, "engine": self.engine,
                "test": self.test, "mean_test_accuracy": self.mean_test_accuracy,
                "mean_test_macro_f1": _mean(self.test, "macro_f1"),
                "head_params": self.params.get("head_total"), "total_params": self.params.get("total"),
                "params": self.params, "wall_time_s": round(self.wall_time_s, 3), "epochs_run": self.epochs_run,
                "best_epoch": self.best_epoch}


# ----------------------------------------------------------------------------------------------- trainer
class Trainer:
    """One run. ``run()`` trains from scratch or from the run's last checkpoint; safe to call in a thread."""

    def __init__(self, spec: ExperimentSpec, store: RunStore, *, head: str = "qmtl", engine: str | None = None,
                 epochs: int | None = None, seed: int | None = None, device: str | None = None,
                 base_dir: str | Path | None = None, name: str | None = None, tags: list[str] | None = None,
                 bus: EventBus | None = None, control: TrainControl | None = None, run_id: str | None = None):
        self.spec = spec
        self.store = store
        self.head = head
        self.engine = engine or spec.quantum.engine
        self.epochs = epochs if epochs is not None else spec.training.epochs
        if self.epochs < 1:
            raise UserError(f"--epochs: must be >= 1, got {self.epochs}")
        self.seed = seed if seed is not None else spec.training.seed
        self.device = device or spec.training.device
        self.base_dir = str(base_dir) if base_dir else None
        self.bus = bus or EventBus()
        self.control = control or TrainControl()
        self.name = name or f"{spec.name} [{head}]"
        self.tags = tags or []
        self.run_id = run_id  # set: resume that run

    # -- set-up
    def _build(self, data: PreparedData):
        torch.manual_seed(self.seed)
        model = build_model(self.spec, data.X_train.shape[1], self.head, engine=self.engine, device=self.device,
                            seed=self.seed)
        tr = self.spec.training
        weighting = _Uncertainty(len(self.spec.tasks)) if tr.loss_weighting == "uncertainty" else None
        params = list(model.parameters()) + (list(weighting.parameters()) if weighting else [])
        from workbench.training import optim  # not torch.optim: see why in optim.py

        if tr.optimizer == "adam":
            opt = optim.Adam(params, lr=tr.lr, weight_decay=tr.weight_decay)
        elif tr.optimizer == "adamw":
            opt = optim.AdamW(params, lr=tr.lr, weight_decay=tr.weight_decay)
        else:
            opt = optim.SGD(params, lr=tr.lr, momentum=0.9, weight_decay=tr.weight_decay)
        if tr.schedule == "cosine":
            sched = optim.CosineAnnealing(opt, T_max=self.epochs)
        elif tr.schedule == "step":
            sched = optim.StepDecay(opt, step_size=max(1, self.epochs // 3), gamma=0.3)
        else:
            sched = None
        return model, weighting, opt, sched

    def _create_run(self, spec_text: str) -> str:
        run_id = self.store.create_run(
            name=self.name, kind="train", spec_text=spec_text, spec_format="toml",
            params={"head": self.head, "engine": self.engine, "epochs": self.epochs, "seed": self.seed,
                    "device": self.device, "spec_dir": self.base_dir, "dataset": self.spec.dataset.source,
                    "optimizer": self.spec.training.optimizer, "lr": self.spec.training.lr,
                    "batch_size": self.spec.training.batch_size, "qubits": self.spec.quantum.qubits},
            tags=self.tags, provenance=provenance(self.spec, self.head, self.engine, self.device, self.seed))
        return run_id

    def _emit(self, kind: str, **kw) -> None:
        self.bus.emit(TrainEvent(self.run_id, kind, total_epochs=self.epochs, **kw))

    # -- the loop
    def run(self) -> TrainResult:
        """Train (or resume) under the run's lock (a second process on the same run is refused by name) and the
        thread policy."""
        from workbench.engines.threads import thread_scope, threads_for

        # One thread at the workbench's usual sizes: faster alone, and no collapse when another process is busy.
        # The density engine runs its own evaluation threads and keeps the count it is given.
        threads = torch.get_num_threads() if self.engine in ("density", "default.mixed") else \
            threads_for(self.spec.quantum.qubits, self.spec.training.batch_size)
        self._lock = None
        if self.run_id is not None:
            self._lock = RunLock(self.store.run_dir(self.run_id), self.run_id, "resumed").acquire()
        try:
            with thread_scope(threads):
                return self._run()
        finally:
            if self._lock is not None:
                self._lock.release()

    def _run(self) -> TrainResult:
        t0 = time.time()
        resumed = self.run_id is not None
        if not resumed:
            # The run exists before its data is read, so a run that cannot start is kept as failed, with why.
            self.run_id = self._create_run(dumps(self.spec))
            self._lock = RunLock(self.store.run_dir(self.run_id), self.run_id, "trained").acquire()
        try:
            validate(self.spec)  # a readout on a missing wire says so, not "index 7 is out of bounds" from torch
            data = load_data(self.spec, self.base_dir)
            model, weighting, opt, sched = self._build(data)
        except Exception as exc:
            self._fail(exc, 0)
            raise
        tasks = self.spec.tasks
        task_w = torch.tensor([t.weight for t in tasks], dtype=torch.float32)
        single = [single_logit(self.spec, t) for t in tasks]
        start_epoch, step, best_val, best_epoch, bad_epochs, elapsed = 1, 0, float("inf"), 0, 0, 0.0
        shuffle = torch.Generator().manual_seed(self.seed)
        if resumed:
            ck_path = self.store.run_dir(self.run_id) / CHECKPOINT
            if (ck_path.parent.parent / BEST).exists():  # refuse a bad best.pt now, not after the last epoch
                load_checkpoint(ck_path.parent.parent / BEST, self.run_id)
            if ck_path.exists():
                ck = load_checkpoint(ck_path, self.run_id)
                where = f"run {self.run_id}: {CHECKPOINT}"
                try:
                    load_state(model, ck["model"], where)
                    opt.load_state_dict(ck["optimizer"])
                    if sched and ck.get("scheduler"):
                        sched.load_state_dict(ck["scheduler"])
                    if weighting and ck.get("weighting"):
                        weighting.load_state_dict(ck["weighting"])
                    shuffle.set_state(ck["shuffle"])
                    torch.set_rng_state(ck["torch_rng"])
                    start_epoch, step = int(ck["epoch"]) + 1, int(ck["step"])
                    best_val, best_epoch = float(ck["best_val"]), int(ck["best_epoch"])
                    bad_epochs, elapsed = int(ck["bad_epochs"]), float(ck["elapsed"])
                except UserError:
                    raise
                except (KeyError, TypeError, ValueError, RuntimeError) as exc:
                    raise UserError(f"{where} is incomplete or damaged ({type(exc).__name__}: "
                                    f"{str(exc)[:120]}); delete it to start the run again") from None
        run_dir = self.store.run_dir(self.run_id)
        logged_epochs = {m.epoch for m in self.store.metrics(self.run_id, split="val")} | \
            {m.epoch for m in self.store.metrics(self.run_id, split="train")} if resumed else set()
        X = torch.as_tensor(data.X_train)
        Y = torch.as_tensor(data.Y_train)
        n, bs = len(X), self.spec.training.batch_size
        steps_per_epoch = max(1, -(-n // bs))
        self.store.set_status(self.run_id, "running")
        self._emit("start", epoch=start_epoch - 1, step=step, steps_per_epoch=steps_per_epoch,
                   message="resumed" if resumed else "")
        epoch = start_epoch - 1
        try:
            for epoch in range(start_epoch, self.epochs + 1):
                perm = torch.randperm(n, generator=shuffle)
                sums = {t.name: [0.0, 0, 0] for t in tasks}  # loss sum, correct, count
                step_rows = []
                for b in range(steps_per_epoch):
                    if not self._checkpoint_control():
                        return self._stop("cancelled", t0, elapsed, epoch - 1, best_epoch, model, data)
                    idx = perm[b * bs:(b + 1) * bs]
                    out = model(X[idx])
                    losses = torch.stack([task_loss(out[t.name], Y[idx, k], t, single[k])
                                          for k, t in enumerate(tasks)])
                    loss = weighting(losses * task_w) if weighting else (losses * task_w).sum()
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    step += 1
                    with torch.no_grad():
                        batch_metrics = {}
                        for k, t in enumerate(tasks):
                            key, score = batch_score(out[t.name], Y[idx, k], t)
                            s = sums[t.name]
                            s[0] += float(losses[k]) * len(idx)
                            s[1] += score
                            s[2] += len(idx)
                            batch_metrics[t.name] = {"loss": float(losses[k]), key: score / len(idx)}
                    step_rows.append((step, epoch, "step", "loss", float(loss.detach())))
                    self._emit("step", epoch=epoch, step=step, steps_per_epoch=steps_per_epoch,
                               metrics={"train": batch_metrics})
                if sched:
                    sched.step()
                train_m = {t.name: {"loss": sums[t.name][0] / sums[t.name][2],
                                    "mae" if t.is_regression else "accuracy": sums[t.name][1] / sums[t.name][2]}
                           for t in tasks}
                val_m = evaluate(model, data.X_val, data.Y_val, self.spec)
                if epoch not in logged_epochs:
                    self.store.log_metrics(self.run_id, step_rows + _rows(epoch, step, "train", train_m)
                                           + _rows(epoch, step, "val", val_m))
                val_loss = sum(m["loss"] for m in val_m.values()) if val_m else float(loss)
                if val_loss < best_val:
                    best_val, best_epoch, bad_epochs = val_loss, epoch, 0
                    _save_atomic({"model": model.state_dict(), "epoch": epoch}, run_dir / BEST)
                else:
                    bad_epochs += 1
                _save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(),
                              "scheduler": sched.state_dict() if sched else None,
                              "weighting": weighting.state_dict() if weighting else None,
                              "shuffle": shuffle.get_state(), "torch_rng": torch.get_rng_state(),
                              "epoch": epoch, "step": step, "best_val": best_val, "best_epoch": best_epoch,
                              "bad_epochs": bad_epochs, "elapsed": elapsed + time.time() - t0,
                              "in_features": data.X_train.shape[1], "head": self.head}, run_dir / CHECKPOINT)
                self._emit("epoch", epoch=epoch, step=step, steps_per_epoch=steps_per_epoch,
                           metrics={"train": train_m, "val": val_m})
                patience = self.spec.training.patience
                if patience and bad_epochs >= patience:
                    break
        except Exception as exc:
            self._fail(exc, epoch)
            raise
        return self._finish(t0, elapsed, epoch, best_epoch, model, data)

    def _fail(self, exc: Exception, epoch: int) -> None:
        # A user error (bad data, bad spec) already reads as a sentence; anything else keeps its type's name.
        message = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        self.store.set_status(self.run_id, "failed", error=message)
        self._emit("failed", epoch=epoch, message=message)

    def _checkpoint_control(self) -> bool:
        """Honour pause and cancel between steps; False means stop now."""
        if self.control.paused and not self.control.cancelled:
            self.store.set_status(self.run_id, "paused")
            self._emit("paused")
            while self.control.paused and not self.control.cancelled:
                self.control.wait_while_paused(0.2)
            if not self.control.cancelled:
                self.store.set_status(self.run_id, "running")
                self._emit("resumed")
        return not self.control.cancelled

    def _test_model(self, model, best_epoch) -> MultiTaskModel:
        best = self.store.run_dir(self.run_id) / BEST
        if best_epoch and best.exists():
            where = f"run {self.run_id}: {BEST}"
            load_state(model, load_checkpoint(best, self.run_id)["model"], where)
        return model

    def _result(self, status, t0, elapsed, epoch, best_epoch, model, test) -> TrainResult:
        return TrainResult(self.run_id, status, self.head, self.engine, test, model.parameter_report(),
                           elapsed + time.time() - t0, epoch, best_epoch)

    def _stop(self, status, t0, elapsed, epoch, best_epoch, model, data) -> TrainResult:
        self.store.set_status(self.run_id, status)
        self._emit(status, epoch=epoch, message=f"resume with: qmtl train --resume {self.run_id}")
        return self._result(status, t0, elapsed, epoch, best_epoch, model, {})

    def _finish(self, t0, elapsed, epoch, best_epoch, model, data) -> TrainResult:
        model = self._test_model(model, best_epoch)
        test = evaluate(model, data.X_test, data.Y_test, self.spec)
        result = self._result("finished", t0, elapsed, epoch, best_epoch, model, test)
        # rows, summary and status in one transaction; a repeated final test replaces its rows
        self.store.finish_run(self.run_id, _rows(epoch, 0, "test", test),
                              {k: v for k, v in result.as_dict().items() if k != "run_id"})
        self._emit("finished", epoch=epoch, metrics={"test": test})
        return result


# --------------------------------------------------------------------------------------------- entry points
def train(spec: ExperimentSpec, store: RunStore, **kw) -> TrainResult:
    return Trainer(spec, store, **kw).run()


def resume(store: RunStore, run_id: str, *, epochs: int | None = None, bus: EventBus | None = None,
           control: TrainControl | None = None) -> TrainResult:
    """Continue a run from its last checkpoint with the spec and settings it was started with."""
    run_id = store.resolve(run_id)
    info = store.get(run_id)
    if info.kind != "train":
        raise UserError(f"--resume: run {run_id} is a {info.kind} run, not a training run")
    if info.status == "finished" and epochs is None:
        raise UserError(f"--resume: run {run_id} already finished; pass --epochs N to train it further")
    text, fmt = store.spec(run_id)
    spec = loads(text, fmt, f"run {run_id}")
    p = info.params
    return Trainer(spec, store, head=p["head"], engine=p["engine"], epochs=epochs or p["epochs"], seed=p["seed"],
                   device=p["device"], base_dir=p.get("spec_dir"), bus=bus, control=control, run_id=run_id).run()


@dataclass
class TrainedRun:
    run_id: str
    spec: ExperimentSpec
    model: MultiTaskModel
    data: PreparedData
    head_kind: str


def load_trained(store: RunStore, run_id: str, *, best: bool = True) -> TrainedRun:
    """A run's model with its trained weights (the best validation epoch by default) and its prepared data."""
    run_id = store.resolve(run_id)
    info = store.get(run_id)
    text, fmt = store.spec(run_id)
    spec = loads(text, fmt, f"run {run_id}")
    data = load_data(spec, info.params.get("spec_dir"))
    run_dir = store.run_dir(run_id)
    path = run_dir / BEST if best and (run_dir / BEST).exists() else run_dir / CHECKPOINT
    if not path.exists():
        raise UserError(f"run {run_id} has no checkpoint yet (status {info.status})")
    model = build_model(spec, data.X_train.shape[1], info.params["head"], engine=info.params["engine"],
                        seed=info.params["seed"])
    ck = load_checkpoint(path, run_id)
    load_state(model, ck["model"], f"run {run_id}: {path.parent.name}/{path.name}")
    model.eval()
    return TrainedRun(run_id, spec, model, data, info.params["head"])
