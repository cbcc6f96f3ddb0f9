"""The noise panel's computation, Qt-free: what ``qmtl noise RUN`` does, for the worker process."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from workbench.errors import UserError
from workbench.runs.store import RunStore


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

    def job(self, root) -> dict:
        """What the worker process needs: the request and the run store's folder."""
        d = asdict(self)
        d.pop("started")
        return {"root": str(root), "request": d}


def noise_inputs(store: RunStore, run_id: str, limit: int | None = None):
    """What ``qmtl noise RUN`` evaluates: (program, weights, h of the test split, labels, title)."""
    import torch

    from workbench.training import load_trained

    trained = load_trained(store, run_id)
    if trained.head_kind != "qmtl":
        raise UserError(f"run {trained.run_id} trained a {trained.head_kind!r} head; noise evaluation needs the "
                        "QMTL quantum head (head = qmtl)")
    model, data = trained.model, trained.data
    X, Y = data.X_test, data.Y_test
    if limit is not None:
        X, Y = X[:limit], Y[:limit]
    if len(X) == 0:
        raise UserError("the test split is empty: nothing to evaluate")
    model.eval()
    with torch.no_grad():
        h = model.backbone(torch.as_tensor(np.asarray(X, dtype=np.float32)))
    weights = {k: v.detach() for k, v in model.head.weights.items()}
    return model.head.program, weights, h, Y, f"{trained.spec.name} (run {trained.run_id})"


def run_comparison(store: RunStore, req: ComparisonRequest, say, cancel=None) -> tuple:
    """The CLI's path, in the worker process: evaluate (``say`` gets each ``NoiseProgress``), then store with the
    run (summary "noise", CSV, JSON), also what a cancelled comparison finished."""
    from workbench.analysis.noise import evaluate_noise, parse_backends, store_report

    program, weights, h, labels, title = noise_inputs(store, req.run_id, req.limit)
    choices = parse_backends(req.backends, program.n_qubits, where="backends")
    report = evaluate_noise(program, weights, h, labels, choices, shots=req.shots, engine=req.engine, seed=req.seed,
                            progress=say, cancel=cancel)
    report.title = title
    stored = store_report(store, req.run_id, report) if req.store and report.results else []
    return report, stored


def one_line(exc: BaseException | str) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, BaseException) and not isinstance(exc, UserError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."
