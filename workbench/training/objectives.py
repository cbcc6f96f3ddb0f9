"""Per-task losses and metrics for the three kinds of task output.

- classification: cross-entropy on the class logits; accuracy and macro-F1;
- single-logit binary (a Pauli readout giving one value): binary cross-entropy with logits on that value (the
  head hands it over as the logit pair [0, z], so argmax and every consumer of class logits keep working);
- regression: mean squared error on the one output; MAE, R^2 and Spearman's rank correlation.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from workbench.spec.model import ExperimentSpec, TaskSpec
from workbench.spec.validate import effective_readout
from workbench.training.metrics import accuracy, macro_f1

REGRESSION_METRICS = ("mae", "r2", "spearman")


def single_logit(spec: ExperimentSpec, task: TaskSpec) -> bool:
    return not task.is_regression and effective_readout(spec, task).binary == "single-logit"


def task_loss(out: torch.Tensor, y: torch.Tensor, task: TaskSpec, single: bool = False) -> torch.Tensor:
    out = out.float()
    if task.is_regression:
        return nn.functional.mse_loss(out[:, 0], y.float())
    if single:
        return nn.functional.binary_cross_entropy_with_logits(out[:, 1] - out[:, 0], y.float())
    return nn.functional.cross_entropy(out, y.long())


def batch_score(out: torch.Tensor, y: torch.Tensor, task: TaskSpec) -> tuple[str, float]:
    """The running training figure: ("accuracy", correct count) or ("mae", sum of absolute errors)."""
    if task.is_regression:
        return "mae", float((out[:, 0].float() - y.float()).abs().sum())
    return "accuracy", float((out.argmax(1) == y.long()).sum())


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if not len(y_true):
        return {k: float("nan") for k in REGRESSION_METRICS}
    var = float(np.sum((y_true - y_true.mean()) ** 2))
    r2 = 1 - float(np.sum((y_true - y_pred) ** 2)) / var if var > 0 else float("nan")
    return {"mae": float(np.mean(np.abs(y_true - y_pred))), "r2": r2, "spearman": spearman(y_true, y_pred)}


def _ranks(v: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their positions), as Spearman's coefficient needs."""
    order = np.argsort(v, kind="stable")
    ranks = np.empty(len(v))
    ranks[order] = np.arange(len(v), dtype=float)
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = _ranks(np.asarray(a, float)), _ranks(np.asarray(b, float))
    sa, sb = ra.std(), rb.std()
    if len(a) < 2 or sa == 0 or sb == 0:
        return float("nan")
    return float(np.mean((ra - ra.mean()) * (rb - rb.mean())) / (sa * sb))


def task_metrics(out: torch.Tensor, y: np.ndarray, task: TaskSpec, single: bool = False) -> dict[str, float]:
    """Loss and the task's metrics on one split."""
    loss = float(task_loss(out, torch.as_tensor(y), task, single))
    if task.is_regression:
        return {"loss": loss, **regression_metrics(y, out[:, 0].double().numpy())}
    yi = np.asarray(y).astype(np.int64)
    pred = out.argmax(1).numpy()
    return {"loss": loss, "accuracy": accuracy(yi, pred), "macro_f1": macro_f1(yi, pred, task.classes)}


def primary_score(metrics: dict) -> float:
    """One figure per task for tables: accuracy, or R^2 for a regression task."""
    return float(metrics["accuracy"] if "accuracy" in metrics else metrics.get("r2", float("nan")))
