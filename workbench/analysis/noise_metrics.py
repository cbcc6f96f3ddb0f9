"""Per-task figures of a head under one backend, from what it measures exactly.

For a computational-basis readout everything starts from ``probs`` (N, 2^k): the exact joint distribution of a
task's k measured readout bits per input (readout errors included), which is what the device would sample. A
Pauli-word readout is measured word by word (each after its basis change), so it starts from ``values`` (N, W):
the exact expectation <P> of each word (readout errors included), whose +-1 outcomes a device samples with
p(+1) = (1 + <P>) / 2. From either, through the model's own ``readout_logits``:

- ``accuracy``, ``macro_f1``: argmax of the exact readout (infinitely many shots);
- ``loss``: the training loss (cross-entropy of the readout's logits; for a single-logit binary readout, whose
  logits are the pair [0, z], the same number as the binary cross-entropy it is trained with);
- ``margin``: mean over inputs of p(top class) - p(runner-up) in the softmax of the logits: how decided the
  decisions are (noise shrinks it long before it flips them);
- ``mean_abs_z``: mean |<Z>| over inputs and readout wires (|<P>| over the words of a Pauli-word readout): the
  contraction of the readout toward zero (depolarizing noise multiplies every expectation by a factor < 1);
- ``tv_from_ideal``: mean total-variation distance between the class distribution (softmax of the logits) and
  the ideal one of the same input;
- ``expectation_shift``: mean |<O> - <O>ideal| over inputs and the readout's observables (<Z> per wire, or the
  Pauli words): how far the noise moves what is measured, before any decision;
- ``shots_*``: accuracy and macro-F1 when each input is measured ``shots`` times, as hardware does (counts drawn
  from ``probs``; for Pauli words, ``shots`` +-1 outcomes per word), the readout estimated from them, argmax;
  repeated ``repeats`` times, reported as the mean and a 95 % interval (2.5th and 97.5th percentiles).
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
    "expectation_shift": ("mean |change| of the expectations from ideal", False),
}


@dataclass
class TaskScore:
    accuracy: float
    macro_f1: float
    loss: float | None = None
    margin: float | None = None
    mean_abs_z: float | None = None
    tv_from_ideal: float | None = None
    expectation_shift: float | None = None  # expval and Pauli-word readouts
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


def score_task(r: Readout, classes: int, y: np.ndarray, probs: np.ndarray, ideal: np.ndarray | None,
               shots: int | None, repeats: int, rng: np.random.Generator) -> TaskScore:
    """A computational-basis readout's figures from its outcome distributions (N, 2^k) (``ideal``: the ideal
    ones, for the distances)."""
    probs = _normalised(probs)
    raw = raw_from_probs(probs, r)
    score = _class_figures(logits(raw, r), y, classes)
    score.mean_abs_z = float(np.mean(np.abs(probs @ _signs(int(np.log2(probs.shape[1]))))))
    if ideal is not None:
        ideal_raw = raw_from_probs(_normalised(ideal), r)
        score.tv_from_ideal = _tv(logits(raw, r), logits(ideal_raw, r))
        if r.kind == "expval":
            score.expectation_shift = float(np.mean(np.abs(raw - ideal_raw)))
    if shots:
        # (R, N, 2^k) counts drawn as the device would, 50 samplings at a time to bound the memory
        _shot_figures(score, r, classes, y, repeats,
                      lambda n: raw_from_probs(rng.multinomial(shots, probs, size=(n, len(probs))) / shots, r))
    return score


def score_pauli_task(r: Readout, classes: int, y: np.ndarray, values: np.ndarray, ideal: np.ndarray | None,
                     shots: int | None, repeats: int, rng: np.random.Generator) -> TaskScore:
    """A Pauli-word readout's figures from the exact expectations (N, W) of its words (``ideal``: the ideal ones).

    Shots: each word is measured on its own ``shots`` times (its basis change, then the parity of its wires), so
    its estimate is 2 k / shots - 1 with k ~ Binomial(shots, (1 + <P>) / 2)."""
    values = np.clip(np.asarray(values, dtype=np.float64), -1.0, 1.0)
    score = _class_figures(logits(values, r), y, classes)
    score.mean_abs_z = float(np.mean(np.abs(values)))
    if ideal is not None:
        ideal = np.clip(np.asarray(ideal, dtype=np.float64), -1.0, 1.0)
        score.tv_from_ideal = _tv(logits(values, r), logits(ideal, r))
        score.expectation_shift = float(np.mean(np.abs(values - ideal)))
    if shots:
        p_plus = (1.0 + values) / 2
        _shot_figures(score, r, classes, y, repeats,
                      lambda n: 2.0 * rng.binomial(shots, p_plus, size=(n, *p_plus.shape)) / shots - 1.0)
    return score


def _normalised(probs: np.ndarray) -> np.ndarray:
    probs = np.clip(np.asarray(probs, dtype=np.float64), 0, None)
    return probs / probs.sum(axis=1, keepdims=True)


def _class_figures(lg: torch.Tensor, y: np.ndarray, classes: int) -> TaskScore:
    """Accuracy, macro-F1, loss and margin of class logits (N, C)."""
    pred = lg.argmax(-1).numpy()
    loss = float(torch.nn.functional.cross_entropy(lg, torch.as_tensor(y, dtype=torch.long)))
    dist = torch.softmax(lg, -1).numpy()
    top2 = np.sort(dist, axis=1)[:, -2:] if dist.shape[1] > 1 else np.concatenate([0 * dist, dist], 1)
    return TaskScore(accuracy(y, pred), macro_f1(y, pred, classes), loss=loss,
                     margin=float(np.mean(top2[:, 1] - top2[:, 0])))


def _tv(lg: torch.Tensor, ideal_lg: torch.Tensor) -> float:
    dist, ref = torch.softmax(lg, -1).numpy(), torch.softmax(ideal_lg, -1).numpy()
    return float(np.mean(0.5 * np.abs(dist - ref).sum(axis=1)))


def _shot_figures(score: TaskScore, r: Readout, classes: int, y: np.ndarray, repeats: int, sample) -> None:
    """``sample(n)``: n samplings of the raw readout estimated from shots (n, N, width)."""
    accs, f1s = [], []
    for start in range(0, repeats, 50):
        for bp in _predict(sample(min(50, repeats - start)), r):
            accs.append(accuracy(y, bp))
            f1s.append(macro_f1(y, bp, classes))
    score.shots_accuracy = float(np.mean(accs))
    score.shots_accuracy_low, score.shots_accuracy_high = (float(v) for v in np.percentile(accs, [2.5, 97.5]))
    score.shots_accuracy_std = float(np.std(accs, ddof=1)) if repeats > 1 else 0.0
    score.shots_macro_f1 = float(np.mean(f1s))
    score.shots_macro_f1_low, score.shots_macro_f1_high = (float(v) for v in np.percentile(f1s, [2.5, 97.5]))


def _predict(raw: np.ndarray, r: Readout) -> np.ndarray:
    """Class predictions (..., N) from estimated raw readouts (..., N, width), as the model decides: the argmax of
    its ``readout_logits`` (per-word scales and single-logit binaries included)."""
    return readout_logits(torch.as_tensor(raw), r).argmax(-1).numpy()
