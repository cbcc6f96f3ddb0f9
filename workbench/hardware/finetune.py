"""Hardware fine-tuning of a circuit's trainable angles: SPSA or parameter-shift gradients, one job per step.

Every step puts all its bindings into one ``run([...])`` call (one PUB per task, its parameter values broadcast
over the bindings):

- SPSA: values of shape (B, 3, P): the current point and its two perturbations +-c_k*Delta (Delta Rademacher
  over all trainable angles, shared by the tasks); gradient ``(L+ - L-) / (2 c_k) * Delta``; gains
  ``a_k = a / (A + k + 1)^0.602`` and ``c_k = c / (k + 1)^0.101`` (Spall), ``A`` = 10% of the steps.
  3 bindings per sample per step.
- Parameter shift: values of shape (B, 1 + 2K, P): the point, then each trainable angle shifted by
  +-pi/(2 s) where ``s`` is the angle's coefficient in its gate (``s * w``); the Jacobian of every readout is
  ``s * (f+ - f-) / 2``; the loss gradient goes through the readout map and cross-entropy with torch. Valid
  only when each trainable parameter sits in exactly one rotation-type gate (rx, ry, rz, p, u, rzz, rxx,
  ryy): ``shift_coefficients`` checks that and refuses otherwise (use SPSA). 1 + 2K bindings per sample per step.

The backbone is not touched: only the quantum head's angles move. ``run_step`` is any callable that takes
``{task: values}`` and returns ``{task: raw}``, so the same code runs on an exact simulator in tests and on
``Executor.run`` (local testing mode or IBM hardware) for real.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from qiskit.circuit import ParameterExpression

from workbench.hardware.circuits import IsaTask
from workbench.hardware.errors import HardwareError
from workbench.hardware.preflight import FineTune

SHIFTABLE = {"rx", "ry", "rz", "p", "u", "u3", "rzz", "rxx", "ryy"}


@dataclass
class TrainTask:
    """One task's fine-tuning data: its transpiled circuit, a pool of parameter rows (inputs bound, trainable
    columns to be overwritten from theta), labels, and how raw readouts become logits."""

    isa: IsaTask
    pool: np.ndarray  # (N, P) logical-order values
    labels: np.ndarray  # (N,)
    theta_index: dict[str, int]  # trainable parameter name -> index into the global theta
    logits: Callable[[torch.Tensor], torch.Tensor] = field(default=lambda raw: raw)

    @property
    def name(self) -> str:
        return self.isa.name

    def columns(self) -> tuple[np.ndarray, np.ndarray]:
        names = [p.name for p in self.isa.task.circuit.parameters]
        cols = [j for j, n in enumerate(names) if n in self.theta_index]
        return np.array(cols, dtype=int), np.array([self.theta_index[names[j]] for j in cols], dtype=int)


@dataclass
class FineTuneResult:
    theta: np.ndarray
    history: list[dict]
    method: str
    bindings: int = 0
    jobs: int = 0


def shift_coefficients(circuit, names: list[str]) -> dict[str, float]:
    """d(angle)/d(parameter) of each trainable parameter, after checking the two-term shift rule applies."""
    params = {p.name: p for p in circuit.parameters}
    coefs = {}
    for name in names:
        p = params[name]
        where = []
        for inst in circuit.data:
            for arg in inst.operation.params:
                if isinstance(arg, ParameterExpression) and p in arg.parameters:
                    where.append((inst.operation.name, arg))
        if len(where) != 1:
            raise HardwareError("input", f"--finetune shift: parameter {name} drives {len(where)} gates; the "
                                         "two-term shift rule needs exactly one (use --finetune spsa)")
        gate, expr = where[0]
        if gate not in SHIFTABLE:
            raise HardwareError("input", f"--finetune shift: parameter {name} drives a {gate} gate, which has no "
                                         "two-term shift rule (use --finetune spsa)")
        g = expr.gradient(p)
        if isinstance(g, ParameterExpression):
            if g.parameters:
                raise HardwareError("input", f"--finetune shift: gate angle {expr} is not linear in {name} "
                                             "(use --finetune spsa)")
            g = float(g)
        g = float(np.real(g))
        if g == 0:
            raise HardwareError("input", f"--finetune shift: gate angle {expr} does not depend on {name}")
        coefs[name] = g
    return coefs


def _loss(task: TrainTask, raw: torch.Tensor, labels: np.ndarray) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(task.logits(raw).double(), torch.as_tensor(labels, dtype=torch.long))


def _with_theta(pool_rows: np.ndarray, cols: np.ndarray, idx: np.ndarray, theta: np.ndarray) -> np.ndarray:
    v = np.array(pool_rows, dtype=float, copy=True)
    v[..., cols] = theta[idx]
    return v


def finetune(tasks: list[TrainTask], theta0: np.ndarray, ft: FineTune,
             run_step: Callable[[dict[str, np.ndarray], int], dict[str, np.ndarray]],
             on_step: Callable[[dict], None] | None = None) -> FineTuneResult:
    ft.check()
    theta = np.array(theta0, dtype=float, copy=True)
    rng = np.random.default_rng(ft.seed)
    layout = {t.name: t.columns() for t in tasks}
    coefs = {}
    if ft.method == "shift":
        for t in tasks:
            names = [p.name for p in t.isa.task.circuit.parameters if p.name in t.theta_index]
            coefs[t.name] = np.array(list(shift_coefficients(t.isa.task.circuit, names).values()))
    A = 0.1 * ft.steps
    history, bindings, jobs = [], 0, 0
    for k in range(ft.steps):
        picks = {t.name: rng.choice(len(t.pool), size=min(ft.batch, len(t.pool)), replace=False) for t in tasks}
        values = {}
        if ft.method == "spsa":
            ck = ft.perturbation / (k + 1) ** 0.101
            ak = ft.lr / (A + k + 1) ** 0.602
            delta = rng.choice([-1.0, 1.0], size=theta.shape)
            for t in tasks:
                cols, idx = layout[t.name]
                rows = t.pool[picks[t.name]]
                values[t.name] = np.stack([_with_theta(rows, cols, idx, theta),
                                           _with_theta(rows, cols, idx, theta + ck * delta),
                                           _with_theta(rows, cols, idx, theta - ck * delta)], axis=1)
        else:
            for t in tasks:
                cols, idx = layout[t.name]
                base = _with_theta(t.pool[picks[t.name]], cols, idx, theta)
                K = len(cols)
                v = np.repeat(base[:, None, :], 1 + 2 * K, axis=1)
                for j, (c, s) in enumerate(zip(cols, coefs[t.name])):
                    v[:, 1 + 2 * j, c] += math.pi / (2 * s)
                    v[:, 2 + 2 * j, c] -= math.pi / (2 * s)
                values[t.name] = v
        bindings += sum(int(np.prod(v.shape[:-1])) for v in values.values())
        raw = run_step(values, k)
        jobs += 1
        grad = np.zeros_like(theta)
        loss0, l_plus, l_minus, correct, count = 0.0, 0.0, 0.0, 0, 0
        for t in tasks:
            r = np.asarray(raw[t.name], dtype=float)
            y = t.labels[picks[t.name]]
            r0 = torch.as_tensor(r[:, 0], dtype=torch.float64).requires_grad_(ft.method == "shift")
            loss_t = _loss(t, r0, y)
            loss0 += loss_t.item()
            with torch.no_grad():
                correct += int((t.logits(r0).argmax(-1).numpy() == y).sum())
                count += len(y)
            if ft.method == "spsa":
                with torch.no_grad():
                    l_plus += float(_loss(t, torch.as_tensor(r[:, 1]), y))
                    l_minus += float(_loss(t, torch.as_tensor(r[:, 2]), y))
            else:
                loss_t.backward()
                g_raw = r0.grad.numpy()  # (B, width)
                cols, idx = layout[t.name]
                for j in range(len(cols)):
                    jac = coefs[t.name][j] * (r[:, 1 + 2 * j] - r[:, 2 + 2 * j]) / 2.0  # (B, width)
                    grad[idx[j]] += float(np.sum(g_raw * jac))
        if ft.method == "spsa":
            grad = (l_plus - l_minus) / (2 * ck) * delta
            theta = theta - ak * grad
        else:
            theta = theta - ft.lr * grad
        entry = {"step": k + 1, "loss": loss0, "accuracy": correct / max(count, 1),
                 "grad_norm": float(np.linalg.norm(grad))}
        history.append(entry)
        if on_step:
            on_step(entry)
    return FineTuneResult(theta, history, ft.method, bindings, jobs)
