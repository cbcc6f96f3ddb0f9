"""Per-task figures of a head under one backend, from the exact outcome distribution of its measured bits.

Everything starts from ``probs`` (N, 2^k): the exact joint distribution of a task's k measured readout bits per
input (readout errors included), which is what the device would sample. From it:

- ``accuracy``, ``macro_f1``: argmax of the exact readout (infinitely many shots);
- ``loss``: the training loss (cross-entropy of the readout's logits);
- ``margin``: mean over inputs of p(top class) - p(runner-up) in the softmax of the logits: how decided the
  decisions are (noise shrinks it long before it flips them);
- ``mean_abs_z``: mean |<Z>| over inputs and readout wires: the contraction of the readout toward zero
  (depolarizing noise multiplies every <Z> by a factor < 1);
- ``tv_from_ideal``: mean total-variation distance between the class distribution (softmax of the logits) and
  the ideal one of the same input;
- ``shots_*``: accuracy and macro-F1 when each input is measured ``shots`` times, as hardware does: counts drawn
  from ``probs``, the readout estimated from them, argmax; repeated ``repeats`` times, reported as the mean and a
  95 % interval (2.5th and 97.5th percentiles over the repeats).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from workbench.circuits.ir import Readout
from workbench.models.readout import readout_logits

METRICS = {  # name -> (label, higher is better)
    "accuracy": ("accuracy (exact)", True),
    "shots_accuracy": ("accuracy ({shots} shots)", True),
    "macro_f1": ("macro-F1 (exact)", True),
    "shots_macro_f1": ("macro-F1 ({shots} shots)", True),
    "loss": ("test loss", False),
    "margin": ("mean margin p1 - p2", True),
    "mean_abs_z": ("mean |<Z>| of the readout", True),
    "tv_from_ideal": ("TV distance from ideal", False),
}


@dataclass
class TaskScore:
    accuracy: float
    macro_f1: float
    loss: float | None = None
    margin: float | None = None
    mean_abs_z: float | None = None
    tv_from_ideal: float | None = None
    shots_accuracy: float | None = None
    shots_accuracy_low: float | None = None
    shots_accuracy_high: float | None = None
    shots_accuracy_std: float | None = None
    shots_macro_f1: float | None = None
    shots_macro_f1_low: float | None = None
    shots_macro_f1_high: float | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


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


def _signs(k: int) -> np.ndarray:
    return np.array([[1 - 2 * ((m >> (k - 1 - i)) & 1) for i in range(k)] for m in range(2**k)], dtype=np.float64)


def raw_from_probs(probs: np.ndarray, r: Readout) -> np.ndarray:
    """The readout's raw values (<Z> per wire, or the outcome probabilities) from the outcome distribution."""
    return probs if r.kind == "probs" else probs @ _signs(len(r.wires))


def logits(raw: np.ndarray, r: Readout) -> torch.Tensor:
    return readout_logits(torch.as_tensor(np.asarray(raw, dtype=np.float64)), r)


def class_distribution(probs: np.ndarray, r: Readout) -> np.ndarray:
    return torch.softmax(logits(raw_from_probs(probs, r), r), -1).numpy()


def score_task(r: Readout, classes: int, y: np.ndarray, probs: np.ndarray, ideal: np.ndarray | None,
               shots: int | None, repeats: int, rng: np.random.Generator) -> TaskScore:
    probs = np.clip(np.asarray(probs, dtype=np.float64), 0, None)
    probs = probs / probs.sum(axis=1, keepdims=True)
    lg = logits(raw_from_probs(probs, r), r)
    pred = lg.argmax(-1).numpy()
    yt = torch.as_tensor(y, dtype=torch.long)
    loss = float(torch.nn.functional.cross_entropy(lg, yt))
    dist = torch.softmax(lg, -1).numpy()
    top2 = np.sort(dist, axis=1)[:, -2:] if dist.shape[1] > 1 else np.concatenate([0 * dist, dist], 1)
    score = TaskScore(accuracy(y, pred), macro_f1(y, pred, classes), loss=loss,
                      margin=float(np.mean(top2[:, 1] - top2[:, 0])),
                      mean_abs_z=float(np.mean(np.abs(probs @ _signs(int(np.log2(probs.shape[1])))))))
    if ideal is not None:
        score.tv_from_ideal = float(np.mean(0.5 * np.abs(dist - class_distribution(ideal, r)).sum(axis=1)))
    if shots:
        accs, f1s = [], []
        for start in range(0, repeats, 50):  # (R, N, 2^k) counts, 50 samplings at a time bound the memory
            counts = rng.multinomial(shots, probs, size=(min(50, repeats - start), len(probs)))
            for bp in _predict(counts / shots, r):
                accs.append(accuracy(y, bp))
                f1s.append(macro_f1(y, bp, classes))
        score.shots_accuracy = float(np.mean(accs))
        score.shots_accuracy_low, score.shots_accuracy_high = (float(v) for v in np.percentile(accs, [2.5, 97.5]))
        score.shots_accuracy_std = float(np.std(accs, ddof=1)) if repeats > 1 else 0.0
        score.shots_macro_f1 = float(np.mean(f1s))
        score.shots_macro_f1_low, score.shots_macro_f1_high = (float(v) for v in np.percentile(f1s, [2.5, 97.5]))
    return score


def _predict(p_hat: np.ndarray, r: Readout) -> np.ndarray:
    """Class predictions (..., N) from estimated outcome distributions (..., N, 2^k): the argmax of
    ``readout_logits`` without building them (they are monotone in the raw values)."""
    raw = raw_from_probs(p_hat, r)
    if r.kind == "probs":
        return raw[..., : r.classes].argmax(-1)
    if r.classes == 2 and raw.shape[-1] == 1:
        return (raw[..., 0] * r.scale < 0).astype(np.int64)  # logits (z, -z) * scale / 2: class 1 when below 0
    return (raw * r.scale).argmax(-1)
